import Foundation
import XCTest
@testable import NXStore

final class MergeTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = makeTempDir("merge") }
    override func tearDown() { removeTree(dir) }

    func directorySize() -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).reduce(0) {
            $0 + (((try? FileManager.default.attributesOfItem(atPath: dir + "/" + $1))?[.size] as? Int) ?? 0)
        }
    }

    func testMergeReclaimsGarbageWritesAHintAndKeepsData() throws {
        var o = StoreOptions()
        o.segmentSizeLimit = 64 << 10
        o.mergeGarbageRatio = nil
        var s = try Store.open(path: dir, options: o)
        for round in 0..<4 {
            for i in 0..<1000 { try s.put(b(String(format: "k%04d", i)), [UInt8](repeating: UInt8(round), count: 100)) }
        }
        for i in 0..<100 { try s.delete(b(String(format: "k%04d", i))) }
        try s.close()
        let before = directorySize()
        s = try Store.open(path: dir, options: o)
        try s.merge()
        let st = s.statistics()
        XCTAssertEqual(st.garbageBytes, 0)
        XCTAssertTrue(st.segments.dropLast().allSatisfy(\.isMergeOutput))
        try s.close()
        let after = directorySize()
        XCTAssertLessThan(after, before / 3, "before \(before), after \(after)")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/index.hint.tmp"))
        s = try Store.open(path: dir, options: o)
        XCTAssertTrue(s.recoveryReport.usedHintFile)
        XCTAssertEqual(s.statistics().liveKeys, 900)
        for i in 0..<1000 {
            XCTAssertEqual(try s.get(b(String(format: "k%04d", i))), i < 100 ? nil : [UInt8](repeating: 3, count: 100))
        }
        // A merged store merges again (outputs become inputs) after new garbage.
        for i in 500..<1000 { try s.put(b(String(format: "k%04d", i)), b("x")) }
        try s.merge()
        try s.close()
        s = try Store.open(path: dir, options: o)
        XCTAssertEqual(try s.get(b("k0600")), b("x"))
        XCTAssertEqual(try s.get(b("k0400")), [UInt8](repeating: 3, count: 100))
        XCTAssertEqual(s.statistics().liveKeys, 900)
        try s.close()
    }

    /// Writers and readers on other threads keep working during merges; the result equals
    /// the writer's own record of what it wrote.
    func testMergeWhileWritingFromAnotherThread() throws {
        var o = StoreOptions()
        o.segmentSizeLimit = 128 << 10
        o.mergeGarbageRatio = nil
        let s = try Store.open(path: dir, options: o)
        final class Box: @unchecked Sendable { var model: [[UInt8]: [UInt8]] = [:]; var done = false; let lock = NSLock() }
        let box = Box()
        let writer = Thread {
            var r = TestRng(77)
            for i in 0..<20000 {
                let k = b("w/\(r.below(1500))")
                do {
                    if r.below(6) == 0 {
                        try s.delete(k)
                        box.lock.lock(); box.model[k] = nil; box.lock.unlock()
                    } else if r.below(10) == 0 {
                        var batch = WriteBatch()
                        let k2 = b("w/\(r.below(1500))")
                        batch.put(k, b("batch-\(i)"))
                        batch.put(k2, b("batch2-\(i)"))
                        try s.write(batch)
                        box.lock.lock(); box.model[k] = b("batch-\(i)"); box.model[k2] = b("batch2-\(i)"); box.lock.unlock()
                    } else {
                        let v = b("v\(i)-") + [UInt8](repeating: UInt8(i & 255), count: r.below(200))
                        try s.put(k, v)
                        box.lock.lock(); box.model[k] = v; box.lock.unlock()
                    }
                } catch {
                    XCTFail("writer: \(error)")
                }
            }
            box.lock.lock(); box.done = true; box.lock.unlock()
        }
        writer.start()
        var merges = 0
        var reads = 0
        while true {
            box.lock.lock(); let done = box.done; box.lock.unlock()
            if done { break }
            try s.merge()
            merges += 1
            // Reads interleaved with the merge and the writer never fail or return torn values.
            for j in 0..<200 {
                if let v = try s.get(b("w/\(j)")) {
                    XCTAssertTrue(v.starts(with: b("v")) || v.starts(with: b("batch")))
                    reads += 1
                }
            }
        }
        try s.merge()
        XCTAssertGreaterThan(merges, 1)
        let expected = box.model
        XCTAssertEqual(s.statistics().liveKeys, expected.count)
        for (k, v) in expected { XCTAssertEqual(try s.get(k), v) }
        XCTAssertNil(s.checkIndex())
        try s.close()
        let r = try Store.open(path: dir, options: o)
        XCTAssertEqual(r.statistics().liveKeys, expected.count)
        for (k, v) in expected { XCTAssertEqual(try r.get(k), v) }
        try r.close()
        print("merge while writing: \(merges) merges, \(reads) concurrent reads")
    }

    func testAutomaticMergeAtGarbageRatio() throws {
        var o = StoreOptions()
        o.segmentSizeLimit = 32 << 10
        o.mergeGarbageRatio = 0.5
        o.mergeMinGarbageBytes = 64 << 10
        let s = try Store.open(path: dir, options: o)
        for round in 0..<10 {
            for i in 0..<500 { try s.put(b("k\(i)"), [UInt8](repeating: UInt8(round), count: 100)) }
        }
        var waited = 0
        func settled() -> Bool {
            let st = s.statistics()
            return st.mergeCount > 0 && Double(st.garbageBytes) < 0.5 * Double(st.totalBytes) + Double(o.mergeMinGarbageBytes)
        }
        while !settled() && waited < 250 { usleep(20_000); waited += 1 }
        let st = s.statistics()
        XCTAssertGreaterThan(st.mergeCount, 0)
        XCTAssertNil(st.lastMergeError)
        XCTAssertLessThan(Double(st.garbageBytes), 0.5 * Double(st.totalBytes) + Double(o.mergeMinGarbageBytes))
        for i in 0..<500 { XCTAssertEqual(try s.get(b("k\(i)")), [UInt8](repeating: 9, count: 100)) }
        try s.close()
    }

    /// The states a crash during a merge can leave on disk: output files still `.tmp`, or
    /// committed outputs next to all or some (oldest first deleted) inputs.
    func testEveryIntermediateMergeStateOnDiskIsConsistent() throws {
        var o = StoreOptions()
        o.segmentSizeLimit = 16 << 10
        o.mergeGarbageRatio = nil
        o.writeHintOnClose = false
        var s = try Store.open(path: dir, options: o)
        var model: [String: [UInt8]] = [:]
        var r = TestRng(3)
        for i in 0..<3000 {
            let k = "k\(r.below(400))"
            if r.below(5) == 0 { try s.delete(b(k)); model[k] = nil } else {
                let v = b("\(i)") + r.bytes(r.below(60))
                try s.put(b(k), v)
                model[k] = v
            }
        }
        try s.close()
        let before = Set(segmentFiles(dir))
        let snapshot = makeTempDir("merge-before")
        defer { removeTree(snapshot) }
        for f in before { try FileManager.default.copyItem(atPath: dir + "/" + f, toPath: snapshot + "/" + f) }
        s = try Store.open(path: dir, options: o)
        try s.merge()
        try s.close()
        let outputs = Set(segmentFiles(dir)).subtracting(before).sorted()
        XCTAssertFalse(outputs.isEmpty)
        let inputs = before.sorted().dropLast()  // the last one was active and became an input too
        func check(_ label: String, _ files: [(String, String)]) throws {
            let d = makeTempDir("merge-state")
            defer { removeTree(d) }
            for (from, name) in files { try FileManager.default.copyItem(atPath: from, toPath: d + "/" + name) }
            let t = try Store.open(path: d, options: o)
            XCTAssertEqual(t.statistics().liveKeys, model.count, label)
            for (k, v) in model { XCTAssertEqual(try t.get(b(k)), v, label) }
            try t.close()
        }
        let all = before.sorted()
        // Outputs not yet committed (still .tmp): ignored and deleted.
        try check("tmp outputs", all.map { (snapshot + "/" + $0, $0) } + outputs.map { (dir + "/" + $0, $0 + ".tmp") })
        // Committed outputs with every prefix of the inputs deleted.
        for deleted in 0...all.count {
            let kept = all.dropFirst(deleted)
            try check("outputs + inputs from \(deleted)", kept.map { (snapshot + "/" + $0, $0) } + outputs.map { (dir + "/" + $0, $0) })
        }
        _ = inputs
    }
}
