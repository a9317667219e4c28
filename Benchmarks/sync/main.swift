// nx-bench-sync: throughput of the replication engine (build with -c release, run with nothing else on the CPU):
//   swift build -c release && .build/release/nx-bench-sync
// Prints local operations/s, remote operations applied/s (ops messages through `handle`),
// and state-transfer throughput, each with the plain store as the peer measured in the same
// run (one WriteBatch per operation holding a record of the same size), as a ratio.
import Foundation
import NXStore
import NXSync

func now() -> Double { Date().timeIntervalSince1970 }

let root = NSTemporaryDirectory() + "nx-bench-sync-\(getpid())"
defer { try? FileManager.default.removeItem(atPath: root) }
/// Operations per measurement: the only argument (default 100,000).
let count: Int = {
    guard let text = CommandLine.arguments.dropFirst().first else { return 100_000 }
    guard let value = Int(text), value >= 2000 else {
        FileHandle.standardError.write(Data("usage: nx-bench-sync [OPERATIONS >= 2000: more than the 1,000 operations a node retains, so the last step is a state transfer]\n".utf8))
        exit(2)
    }
    return value
}()

func engine(_ name: String, _ id: UInt64) throws -> (Store, ReplicationEngine) {
    var c = SyncConfiguration()
    c.newNodeID = NodeId(high: id, low: id)
    c.randomSeed = id
    c.maxLogOpsPerOrigin = 1000
    c.stateServeBytesPerSecond = 1 << 40  // no serve budget: measure the engine
    let store = try Store.open(path: root + "/" + name)
    return (store, try ReplicationEngine(store: store, configuration: c))
}

/// Baseline: one atomic batch per operation with a state record, a log entry and a vv record.
func storeBaseline(_ n: Int) throws -> Double {
    let store = try Store.open(path: root + "/baseline")
    defer { try? store.close() }
    let value = [UInt8](repeating: 7, count: 40)
    let t0 = now()
    for i in 0..<n {
        var b = WriteBatch()
        b.put(Array("__nx/crdt/gcounter/\(i % 100)".utf8), value)
        b.put(Array("__nx/sync/log/0123456789abcdef0123456789abcdef/\(i)".utf8), value)
        b.put(Array("__nx/sync/vv/0123456789abcdef0123456789abcdef".utf8), [1, 2, 3])
        try store.write(b)
    }
    return Double(n) / (now() - t0)
}

func report(_ label: String, _ rate: Double, _ peer: Double) {
    print(label + ": " + String(format: "%.0f ops/s (%.2fx the plain store's 3-record batches)", rate, rate / peer))
}

let baseline = try storeBaseline(count)
print(String(format: "plain store, one 3-record WriteBatch per operation: %.0f ops/s", baseline))

let (storeA, a) = try engine("a", 1)
let (storeB, b) = try engine("b", 2)
a.setPeers([SyncPeer(id: b.localNode, address: "b")])

// Local operations (mixed CRDTs), each persisted atomically.
var t0 = now()
var lastInList: [Int: [UInt8]] = [:]
var pushed: [[UInt8]] = []
for i in 0..<count {
    switch i % 4 {
    case 0: try a.gcounterIncrement(Array("counter:\(i % 100)".utf8), by: 1)
    case 1: try a.lwwSet(Array("status:\(i % 100)".utf8), Array("value-\(i)".utf8))
    case 2: try a.orsetAdd(Array("tags:\(i % 100)".utf8), Array("tag-\(i % 1000)".utf8))
    default:
        // Appends to one of 10 lists, sometimes at the head.
        let list = (i / 4) % 10
        lastInList[list] = try a.rgaInsert(Array("list:\(list)".utf8), after: i % 400 == 3 ? nil : lastInList[list], value: Array("item \(i)".utf8))
    }
    // What a transport does: collect the packed pushes every so often.
    if i % 100 == 99 { pushed += a.localOperationsOutbound().map(\.payload) }
}
report("local operations (4 CRDT kinds)", Double(count) / (now() - t0), baseline)

// Remote operations: the pushed messages, handled by b.
pushed += a.localOperationsOutbound().map(\.payload)
t0 = now()
for m in pushed { _ = b.handle(m, from: a.localNode, now: 0) }
let remoteRate = Double(count) / (now() - t0)
precondition(b.versionVector()[a.localNode] == UInt64(count), "not all operations applied")
report("remote operations applied (\(pushed.count) messages)", remoteRate, baseline)

// State transfer: c pulls a's whole state (a retains only 1,000 operations, c has none).
let (storeC, c) = try engine("c", 3)
let stateBytes = try storeA.scan(prefix: Array("__nx/crdt/".utf8), limit: Int.max).reduce(0) { $0 + $1.key.count + $1.value.count }
c.setPeers([SyncPeer(id: a.localNode, address: "a")])
_ = c.tick(now: 0)  // schedules the first anti-entropy round
t0 = now()
var queue = c.tick(now: 10_000).map { (to: a, from: c.localNode, payload: $0.payload) }
var messages = 0
while !queue.isEmpty {
    let m = queue.removeFirst()
    messages += 1
    for r in m.to.handle(m.payload, from: m.from, now: 10_000) {
        queue.append((r.to == a.localNode ? a : c, m.to.localNode, r.payload))
    }
}
let seconds = now() - t0
precondition(c.statistics.stateTransfersCompleted == 1, "state transfer did not complete")
let sameList = try c.encodedState(.rga, Array("list:3".utf8)) == a.encodedState(.rga, Array("list:3".utf8))
precondition(sameList, "state differs after the transfer")
print(String(format: "state transfer of %.1f MiB of records (%d messages): %.1f MiB/s, %.0f records/s",
             Double(stateBytes) / 1048576, messages, Double(stateBytes) / 1048576 / seconds,
             Double(try storeA.keys(prefix: Array("__nx/crdt/".utf8), limit: Int.max).count) / seconds))
try storeA.close(); try storeB.close(); try storeC.close()
