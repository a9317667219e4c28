import Foundation
import NXStore
import XCTest
@testable import NXSync

/// Node ids with a readable, fixed order for tests.
func node(_ n: UInt64) -> NodeId { NodeId(high: n << 32 | 0xA5, low: n) }

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

/// A fresh directory under the system temp dir, removed by `cleanup`.
final class TempDirectory {
    let path: String

    init(_ name: String = "nxsync") {
        path = NSTemporaryDirectory() + "\(name)-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func sub(_ name: String) -> String { path + "/" + name }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }

    deinit { cleanup() }
}

/// A settable wall clock shared by a test and an engine.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: UInt64

    init(_ start: UInt64 = 1_700_000_000_000) { value = start }

    var now: UInt64 {
        get { lock.lock(); defer { lock.unlock() }; return value }
        set { lock.lock(); value = newValue; lock.unlock() }
    }

    func advance(_ ms: UInt64) { now = now + ms }
}

/// Options for engines in tests: deterministic id, seed and clock.
func testConfiguration(id: NodeId, seed: UInt64 = 1, clock: ManualClock? = nil) -> SyncConfiguration {
    var c = SyncConfiguration()
    c.newNodeID = id
    c.randomSeed = seed
    if let clock { c.wallClock = { clock.now } }
    return c
}

/// Opens a store at `path` and an engine on it.
func openEngine(_ path: String, _ configuration: SyncConfiguration) throws -> (Store, ReplicationEngine) {
    let store = try Store.open(path: path)
    return (store, try ReplicationEngine(store: store, configuration: configuration))
}

/// Delivers every message in `queue` (and the replies they cause) between `engines`, FIFO,
/// until nothing is in flight. Returns the number of messages delivered.
@discardableResult
func deliverAll(_ queue: [Outbound], from sender: NodeId, _ engines: [NodeId: ReplicationEngine], now: UInt64 = 0,
                limit: Int = 100_000) -> Int {
    var pending = queue.map { (from: sender, out: $0) }
    var delivered = 0
    while !pending.isEmpty && delivered < limit {
        let (from, out) = pending.removeFirst()
        guard let target = engines[out.to] else { continue }
        delivered += 1
        for reply in target.handle(out.payload, from: from, now: now) { pending.append((out.to, reply)) }
    }
    return delivered
}

/// Runs anti-entropy rounds (ticks at `interval` steps) among fully connected engines until
/// their version vectors agree or `maxRounds` pass. Returns the rounds used.
@discardableResult
func syncUntilEqual(_ engines: [ReplicationEngine], start: UInt64 = 0, maxRounds: Int = 200) -> Int {
    let byID = Dictionary(uniqueKeysWithValues: engines.map { ($0.localNode, $0) })
    for e in engines { e.setPeers(engines.filter { $0 !== e }.map { SyncPeer(id: $0.localNode, address: "sim:\($0.localNode.hex.prefix(6))") }) }
    var now = start
    for round in 0..<maxRounds {
        let vvs = engines.map { $0.versionVector() }
        if round > 0 && vvs.allSatisfy({ $0 == vvs[0] }) && engines.allSatisfy({ $0.bufferedOperationCount == 0 }) { return round }
        for e in engines {
            now += 50
            deliverAll(e.tick(now: now), from: e.localNode, byID, now: now)
        }
    }
    return maxRounds
}
