import Foundation
import XCTest
@testable import NXStore

/// A long random sequence of puts, deletes, batches, reads, scans, reopens, merges and syncs,
/// checked against a dictionary after every step. The seed is printed in every failure
/// message; set NXSTORE_SEED to replay one.
final class ModelTests: XCTestCase {
    /// The model: a dictionary plus its keys kept sorted (byte order).
    struct Model {
        var values: [[UInt8]: [UInt8]] = [:]
        var sorted: [[UInt8]] = []

        func position(_ k: [UInt8]) -> Int {
            var lo = 0, hi = sorted.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if sorted[mid].lexicographicallyPrecedes(k) { lo = mid + 1 } else { hi = mid }
            }
            return lo
        }

        mutating func put(_ k: [UInt8], _ v: [UInt8]) {
            if values.updateValue(v, forKey: k) == nil { sorted.insert(k, at: position(k)) }
        }

        mutating func delete(_ k: [UInt8]) {
            if values.removeValue(forKey: k) != nil { sorted.remove(at: position(k)) }
        }
    }

    func randomKey(_ r: inout TestRng) -> [UInt8] {
        switch r.below(20) {
        case 0: return []
        case 1: return b("long/") + [UInt8](repeating: UInt8(ascii: "L"), count: 250 + r.below(300)) + b("\(r.below(8))")
        case 2: return [UInt8(r.below(256)), UInt8(r.below(4))]
        default: return b("k/\(["a", "b", "ab", "abc"][r.below(4)])/\(r.below(120))")
        }
    }

    func randomValue(_ r: inout TestRng) -> [UInt8] {
        switch r.below(200) {
        case 0: return r.bytes((1 << 20) + r.below(100_000))
        case 1..<6: return r.bytes(2000 + r.below(6000))
        default: return r.bytes(r.below(300))
        }
    }

    static func same(_ a: UnsafeRawBufferPointer, _ b: [UInt8]) -> Bool {
        a.count == b.count && (a.count == 0 || b.withUnsafeBytes { memcmp(a.baseAddress!, $0.baseAddress!, a.count) == 0 })
    }

    /// Compares the whole store with the model (in key order) and the live-key count.
    func checkAll(_ s: Store, _ m: Model, _ ctx: String) throws {
        var i = 0
        var ok = true
        try s.visit(prefix: [], after: nil) { k, v in
            guard i < m.sorted.count, ModelTests.same(k, m.sorted[i]), ModelTests.same(v, m.values[m.sorted[i]]!) else {
                XCTFail("\(ctx): pair \(i) differs (store key \(Array(k.prefix(40))), model key \(i < m.sorted.count ? Array(m.sorted[i].prefix(40)) : []))")
                ok = false
                return false
            }
            i += 1
            return true
        }
        if ok && i != m.sorted.count { XCTFail("\(ctx): store has \(i) pairs, model \(m.sorted.count)") }
        let live = s.statistics().liveKeys
        if live != m.sorted.count { XCTFail("\(ctx): statistics report \(live) live keys, model \(m.sorted.count)") }
    }

    func run(seed: UInt64, steps: Int, options: StoreOptions) throws {
        let dir = makeTempDir("model")
        defer { removeTree(dir) }
        var r = TestRng(seed)
        var m = Model()
        var s = try Store.open(path: dir, options: options)
        defer { try? s.close() }
        for step in 0..<steps {
            let ctx = "seed \(seed) step \(step)"
            switch r.below(100) {
            case 0..<45:
                let k = randomKey(&r), v = randomValue(&r)
                try s.put(k, v)
                m.put(k, v)
            case 45..<60:
                let k = r.below(3) == 0 || m.sorted.isEmpty ? randomKey(&r) : m.sorted[r.below(m.sorted.count)]
                try s.delete(k)
                m.delete(k)
            case 60..<72:
                var batch = WriteBatch()
                var next = m
                for _ in 0..<(1 + r.below(8)) {
                    let k = randomKey(&r)
                    if r.below(4) == 0 { batch.delete(k); next.delete(k) } else {
                        let v = randomValue(&r)
                        batch.put(k, v)
                        next.put(k, v)
                    }
                }
                try s.write(batch)
                m = next
            case 72..<82:
                let k = randomKey(&r)
                XCTAssertEqual(try s.get(k), m.values[k], ctx)
                XCTAssertEqual(try s.exists(k), m.values[k] != nil, ctx)
            case 82..<90:
                let prefix = [b("k/a"), b("k/ab"), b("k/"), b("long/"), [], b("k/b/1")][r.below(6)]
                let after: [UInt8]? = r.below(2) == 0 ? randomKey(&r) : nil
                let limit = 1 + r.below(50)
                let expected = m.sorted.filter { $0.starts(with: prefix) && (after == nil || after!.lexicographicallyPrecedes($0)) }
                let got = try s.scan(prefix: prefix, after: after, limit: limit)
                XCTAssertEqual(got.map(\.key), Array(expected.prefix(limit)), ctx)
                XCTAssertEqual(got.map(\.value), expected.prefix(limit).map { m.values[$0]! }, ctx)
                let offset = r.below(20)
                XCTAssertEqual(try s.keys(prefix: prefix, offset: offset, limit: limit),
                               Array(m.sorted.filter { $0.starts(with: prefix) }.dropFirst(offset).prefix(limit)), ctx)
            case 90..<94:
                try s.close()
                s = try Store.open(path: dir, options: options)
                XCTAssertTrue(s.recoveryReport.isClean, "\(ctx): \(s.recoveryReport)")
            case 94..<97:
                try s.merge()
            case 97..<99:
                try s.sync()
            default:
                // Reopen without a hint file: full log replay.
                try s.close()
                try? FileManager.default.removeItem(atPath: dir + "/index.hint")
                s = try Store.open(path: dir, options: options)
                XCTAssertFalse(s.recoveryReport.usedHintFile, ctx)
            }
            try checkAll(s, m, ctx)
            if step % 16 == 0, let e = s.checkIndex() { XCTFail("\(ctx): index invariant: \(e)") }
            if testRun?.failureCount ?? 0 > 0 {
                print("ModelTests: failing seed \(seed) at step \(step) (rerun with NXSTORE_SEED=\(seed))")
                return
            }
        }
    }

    var seeds: [UInt64] {
        if let s = ProcessInfo.processInfo.environment["NXSTORE_SEED"], let v = UInt64(s) { return [v] }
        return [UInt64.random(in: 1...UInt64.max >> 1)]
    }

    func testRandomOperationsSmallSegmentsExplicitMerges() throws {
        var o = StoreOptions()
        o.segmentSizeLimit = 96 << 10
        o.mergeGarbageRatio = nil
        for seed in seeds {
            print("ModelTests small segments: seed \(seed)")
            try run(seed: seed, steps: 3000, options: o)
        }
    }

    func testRandomOperationsGroupCommitAutoMerge() throws {
        var o = StoreOptions(durability: .group(maxWait: .microseconds(100)))
        o.segmentSizeLimit = 256 << 10
        o.mergeGarbageRatio = 0.5
        o.mergeMinGarbageBytes = 64 << 10
        for seed in seeds {
            print("ModelTests group + auto-merge: seed \(seed &+ 1)")
            try run(seed: seed &+ 1, steps: 1500, options: o)
        }
    }
}
