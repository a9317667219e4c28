// nx-bench-cluster: N replicating nodes on loopback UDP under a steady CRDT write load.
//   swift build -c release --product nx-bench-cluster && .build/release/nx-bench-cluster
// Options: --nodes 3,10  --rate 10000 (total ops/s)  --seconds 3  --loss 0,0.2  --push-delay-ms 5  --smoke
//
// Each configuration starts N ClusterNodes in this process (each with its own store, UDP
// socket, serial engine queue and timers, exactly as `nxrun --listen` runs them), waits until
// every node sees every other as a member, then writes at the target rate for the given time:
// operation i goes to node i mod N (so each node writes rate/N ops/s) and is a GCounter
// increment, a PNCounter add, an LWW-Register set or an ORSet add on one of 64 keys. It
// reports the achieved rate, the latency of the local write (p50/p99), the datagrams and bytes
// all nodes sent per operation, and the time from the end of the load until every node has
// applied every operation of every origin (its version vector equals the writes made).
//
// The peer measured in the seed project: 10 nodes at 1,000 ops/s in total converging 0.58 s
// after the load stopped (over TCP). Goals: 10 nodes at 10,000 ops/s converge within 1 s, and
// within 5 s with 20% of datagrams dropped.
import Foundation
import NXCluster
import NXStore
import NXSync

struct Options {
    var nodeCounts = [3, 10]
    var rate = 10_000.0
    var seconds = 3.0
    var losses = [0.0, 0.2]
    var timeout = 30.0
    var pushDelay = ClusterOptions(listen: "").pushDelayMilliseconds

    init(_ arguments: [String]) {
        var index = 0
        func next() -> String {
            index += 1
            guard index < arguments.count else { Options.fail("\(arguments[index - 1]) needs a value") }
            return arguments[index]
        }
        /// The values of a comma-separated list, each checked; a bad one ends the run with usage.
        func list<T>(_ flag: String, _ what: String, _ parse: (Substring) -> T?) -> [T] {
            let text = next()
            return text.split(separator: ",", omittingEmptySubsequences: false).map { item -> T in
                guard let value = parse(item) else { Options.fail("\(flag) \(text): expected \(what)") }
                return value
            }
        }
        func number(_ flag: String, _ what: String, _ valid: (Double) -> Bool) -> Double {
            let values = list(flag, what) { Double($0).flatMap { valid($0) ? $0 : nil } }
            guard values.count == 1 else { Options.fail("\(flag) takes one value: \(what)") }
            return values[0]
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--nodes": nodeCounts = list("--nodes", "node counts between 1 and 64, e.g. 3,10") { Int($0).flatMap { (1...64).contains($0) ? $0 : nil } }
            case "--rate": rate = number("--rate", "total ops/s above 0, e.g. 10000") { $0 > 0 && $0.isFinite }
            case "--seconds": seconds = number("--seconds", "load duration in seconds above 0, e.g. 3") { $0 > 0 && $0.isFinite }
            case "--loss": losses = list("--loss", "fractions of datagrams dropped, at least 0 and below 1, e.g. 0,0.2") { Double($0).flatMap { (0..<1).contains($0) ? $0 : nil } }
            case "--push-delay-ms": pushDelay = Int(number("--push-delay-ms", "milliseconds, 0 to 1000, e.g. 5") { (0...1000).contains($0) && $0 == $0.rounded() })
            case "--smoke":
                nodeCounts = [3]
                rate = 2000
                seconds = 0.5
                losses = [0, 0.2]
            default: Options.fail("unknown option \(arguments[index]) (--nodes, --rate, --seconds, --loss, --push-delay-ms, --smoke)")
            }
            index += 1
        }
    }
}

extension Options {
    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("nx-bench-cluster: \(message)\n".utf8))
        exit(2)
    }
}

struct Result {
    var nodes: Int, loss: Double, targetRate: Double
    var operations = 0
    var achievedRate = 0.0
    var p50 = 0.0, p99 = 0.0, max = 0.0
    var datagramsPerOp = 0.0, bytesPerOp = 0.0
    var convergence: Double?
    var membership = 0.0
}

func monotonicSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// A cluster of in-process nodes on 127.0.0.1 with ephemeral ports.
final class LocalCluster {
    let root: String
    var stores: [Store] = []
    var nodes: [ClusterNode] = []

    init(size: Int, loss: Double, pushDelay: Int) throws {
        root = NSTemporaryDirectory() + "nx-bench-cluster-\(getpid())-\(size)-\(Int(loss * 100))"
        try? FileManager.default.removeItem(atPath: root)
        var seeds: [String] = []
        for index in 0..<size {
            // No fsync: ten nodes' group commits would measure this machine's disk, not sync.
            let store = try Store.open(path: "\(root)/node\(index)")
            var options = ClusterOptions(listen: "127.0.0.1:0")
            options.seeds = seeds
            options.simulatedLoss = loss
            options.pushDelayMilliseconds = pushDelay
            options.sync.maxPushQueueOps = 100_000
            let node = try ClusterNode(store: store, options: options)
            try node.start()
            if seeds.count < 2, let address = node.address { seeds.append(address) }
            stores.append(store)
            nodes.append(node)
        }
    }

    /// Waits until every node has every other as a live member.
    func waitForMembership(timeout: Double) -> Bool {
        let deadline = monotonicSeconds() + timeout
        while monotonicSeconds() < deadline {
            if nodes.allSatisfy({ $0.members().count == nodes.count - 1 }) { return true }
            usleep(10_000)
        }
        return false
    }

    func traffic() -> (datagrams: UInt64, bytes: UInt64) {
        nodes.reduce((0, 0)) { sum, node in
            let statistics = node.transport.statistics
            return (sum.0 + statistics.datagramsSent, sum.1 + statistics.bytesSent)
        }
    }

    /// Whether every node has applied `written[origin]` operations of every origin.
    func converged(_ written: [NodeId: UInt64]) -> Bool {
        nodes.allSatisfy { node in
            let vector = node.engine.versionVector()
            return written.allSatisfy { origin, count in vector[origin, default: 0] >= count }
        }
    }

    func shutdown() {
        for node in nodes { node.stop(leave: false) }
        for store in stores { try? store.close() }
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// One write: the CRDT kind rotates with the operation number, keys cycle over 64.
func write(_ engine: ReplicationEngine, _ number: Int) throws {
    let key = Array("bench:\(number % 64)".utf8)
    switch number % 4 {
    case 0: try engine.gcounterIncrement(key, by: 1)
    case 1: try engine.pncounterAdd(key, number % 3 == 0 ? -1 : 2)
    case 2: try engine.lwwSet(key, Array("value-\(number)".utf8))
    default: try engine.orsetAdd(key, Array("element-\(number % 512)".utf8))
    }
}

func measure(nodes count: Int, loss: Double, options: Options) throws -> Result {
    var result = Result(nodes: count, loss: loss, targetRate: options.rate)
    let joinStart = monotonicSeconds()
    let cluster = try LocalCluster(size: count, loss: loss, pushDelay: options.pushDelay)
    defer { cluster.shutdown() }
    let joined = cluster.waitForMembership(timeout: options.timeout)
    result.membership = monotonicSeconds() - joinStart
    guard joined else {
        print("  membership did not form within \(options.timeout) s")
        return result
    }
    let baseline = cluster.traffic()
    let total = Int(options.rate * options.seconds)
    var latencies = [Double](repeating: 0, count: total)
    let start = monotonicSeconds()
    for number in 0..<total {
        // Open-loop pacing: operation `number` is due at start + number / rate.
        let due = start + Double(number) / options.rate
        let wait = due - monotonicSeconds()
        if wait > 0.000_05 { usleep(UInt32(wait * 1e6)) }
        let before = monotonicSeconds()
        try write(cluster.nodes[number % count].engine, number)
        latencies[number] = monotonicSeconds() - before
    }
    let loadEnd = monotonicSeconds()
    result.operations = total
    result.achievedRate = Double(total) / (loadEnd - start)
    latencies.sort()
    result.p50 = latencies[total / 2]
    result.p99 = latencies[min(total - 1, total * 99 / 100)]
    result.max = latencies[total - 1]

    var written: [NodeId: UInt64] = [:]
    for (index, node) in cluster.nodes.enumerated() {
        written[node.engine.localNode] = UInt64(total / count + (index < total % count ? 1 : 0))
    }
    while !cluster.converged(written) {
        if monotonicSeconds() - loadEnd > options.timeout { break }
        usleep(2_000)
    }
    let converged = cluster.converged(written)
    if converged { result.convergence = monotonicSeconds() - loadEnd }
    let traffic = cluster.traffic()
    result.datagramsPerOp = Double(traffic.datagrams - baseline.datagrams) / Double(total)
    result.bytesPerOp = Double(traffic.bytes - baseline.bytes) / Double(total)
    if converged {
        try checkValues(cluster, total: total)
    }
    return result
}

/// Every node computes the same GCounter totals, and they add up to the increments made.
func checkValues(_ cluster: LocalCluster, total: Int) throws {
    var expected = 0
    var sums: [UInt64] = []
    for node in cluster.nodes {
        var sum: UInt64 = 0
        for key in 0..<64 { sum += try node.engine.gcounterValue(Array("bench:\(key)".utf8)) }
        sums.append(sum)
    }
    for number in 0..<total where number % 4 == 0 { expected += 1 }
    guard sums.allSatisfy({ $0 == UInt64(expected) }) else {
        print("  VALUE MISMATCH: GCounter totals \(sums), expected \(expected)")
        exit(1)
    }
}

let options = Options(Array(CommandLine.arguments.dropFirst()))
print("nx-bench-cluster: \(Int(options.rate)) ops/s in total for \(options.seconds) s; mixed GCounter/PNCounter/LWW/ORSet writes on 64 keys; push delay \(options.pushDelay) ms")
print("nodes  loss  joined   ops     achieved/s  p50 ms  p99 ms  max ms  dgrams/op  bytes/op  converged after")
var failures = 0
for loss in options.losses {
    for count in options.nodeCounts {
        let r = try measure(nodes: count, loss: loss, options: options)
        let convergence = r.convergence.map { String(format: "%.3f s", $0) } ?? "NOT within \(Int(options.timeout)) s"
        print(String(format: "%5d  %3.0f%%  %5.2f s  %6d  %10.0f  %6.3f  %6.3f  %6.3f  %9.1f  %8.0f  ",
                     r.nodes, r.loss * 100, r.membership, r.operations, r.achievedRate, r.p50 * 1000, r.p99 * 1000,
                     r.max * 1000, r.datagramsPerOp, r.bytesPerOp) + convergence)
        if r.convergence == nil { failures += 1 }
        if count == 10 && options.rate >= 10_000 {
            let goal = loss == 0 ? 1.0 : 5.0
            let met = (r.convergence ?? .infinity) <= goal
            print("       goal: 10 nodes at \(Int(options.rate)) ops/s converge within \(Int(goal)) s with \(Int(loss * 100))% loss: \(met ? "met" : "NOT met")")
        }
    }
}
print("peer (seed project, TCP): 10 nodes at 1,000 ops/s converged 0.58 s after the load stopped")
exit(failures == 0 ? 0 : 1)
