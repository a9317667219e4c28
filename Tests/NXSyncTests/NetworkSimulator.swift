import Foundation
import NXStore
import XCTest
@testable import NXSync

/// A deterministic network of sync engines: virtual clock, seeded PRNG, message loss,
/// duplication, random delays (hence reordering), partitions that heal, and node crashes and
/// restarts from each node's durable store. No wall time and no threads: a run is a pure
/// function of its scenario (seed).
final class NetworkSimulator {
    /// Everything a run depends on, derived from one seed.
    struct Scenario: CustomStringConvertible {
        var seed: UInt64
        var nodes = 5
        /// Probability that a message is dropped.
        var loss = 0.1
        /// Probability that a message is delivered twice.
        var duplication = 0.05
        /// Delivery delay range in virtual ms (random per message, so messages reorder).
        var minDelay: UInt64 = 1
        var maxDelay: UInt64 = 40
        /// Whether random partitions (split into two groups, healed later) happen.
        var partitions = true
        /// Whether nodes crash and restart from their stores.
        var crashes = true
        /// Local operations issued during the workload.
        var operations = 80
        var workloadMs: UInt64 = 3000
        /// Op log retention per origin (small values force state transfers).
        var logLimit = 1000
        /// Per-node wall-clock skew bound (LWW timestamps), ms.
        var clockSkewMs: UInt64 = 50
        /// Anti-entropy interval of the engines.
        var antiEntropyMs: UInt64 = 100
        /// State chunk size of the engines (small: many chunks per transfer).
        var stateChunkBytes = 4096
        /// Causal buffer bound of the engines (small: overflow drops happen).
        var bufferLimit = 10_000
        /// One node is down for most of the workload.
        var longOutage = false
        /// Use the engine's default push/anti-entropy settings instead of the simulator's.
        var engineDefaults = false
        /// Give up (fail) if not converged this long after healing.
        var convergenceDeadlineMs: UInt64 = 120_000

        /// A varied scenario: 3-10 nodes, 0-30% loss, duplication, delays up to 150 ms,
        /// partitions and crashes in most runs, tiny op logs in some (state transfers).
        static func random(seed: UInt64) -> Scenario {
            var r = SeededRandom(seed: seed ^ 0x5EED_5EED)
            var s = Scenario(seed: seed)
            s.nodes = 3 + r.below(8)
            s.loss = Double(r.below(31)) / 100
            s.duplication = Double(r.below(11)) / 100
            s.maxDelay = [10, 40, 80, 150][r.below(4)]
            s.partitions = r.chance(0.7)
            s.crashes = r.chance(0.7)
            s.operations = 40 + r.below(260)
            s.workloadMs = 1000 + UInt64(r.below(5000))
            s.logLimit = [3, 10, 50, 1000][r.below(4)]
            s.clockSkewMs = UInt64(r.below(200))
            s.stateChunkBytes = [300, 4096, 65536][r.below(3)]
            s.bufferLimit = r.chance(0.2) ? 20 : 10_000
            s.longOutage = r.chance(0.2)
            return s
        }

        var description: String {
            "seed \(seed): \(nodes) nodes, loss \(Int(loss * 100))%, dup \(Int(duplication * 100))%, delay \(minDelay)-\(maxDelay) ms, "
                + "partitions \(partitions), crashes \(crashes), long outage \(longOutage), \(operations) ops over \(workloadMs) ms, "
                + "log limit \(logLimit), chunk \(stateChunkBytes) B, buffer \(bufferLimit) ops"
        }
    }

    final class SimNode {
        let index: Int
        let id: NodeId
        let path: String
        let skew: UInt64
        var store: Store?
        var engine: ReplicationEngine?
        /// When a crashed node comes back.
        var restartAt: UInt64?
        var crashes = 0

        init(index: Int, id: NodeId, path: String, skew: UInt64) {
            self.index = index
            self.id = id
            self.path = path
            self.skew = skew
        }
    }

    /// A message in flight.
    struct InFlight {
        var at: UInt64
        var order: UInt64
        var from: Int
        var to: Int
        var payload: [UInt8]
    }

    /// Acknowledged local operations, in the order they were acknowledged (shared with the
    /// engines' `onLocalOperation` without retaining the simulator).
    final class Recorder {
        var ops: [SyncOperation] = []
    }

    /// What a run measured.
    struct Outcome {
        var converged = false
        /// Virtual ms from healing (end of workload, all nodes up, no partition) to convergence.
        var convergenceMs: UInt64 = 0
        var acknowledged = 0
        var delivered = 0
        var dropped = 0
        var crashes = 0
        var partitions = 0
        var stateTransfers = 0
        /// Messages and bytes the engines sent (since their last restart).
        var messagesSent = 0
        var bytesSent = 0
        var failure: String?
    }

    let scenario: Scenario
    let directory: TempDirectory
    var rng: SeededRandom
    var now: UInt64 = 0
    var nodes: [SimNode] = []
    private var heap: [InFlight] = []
    private var sendOrder: UInt64 = 0
    /// Group of each node while partitioned.
    var partition: [Int]?
    var partitionEndsAt: UInt64 = 0
    let recorder = Recorder()
    /// RGA element ids handed out, per key (any node may try to use them).
    var rgaIDs: [[UInt8]: [[UInt8]]] = [:]
    /// Per node: its last appended element per RGA key.
    var lastAppend: [Int: [[UInt8]: [UInt8]]] = [:]
    var outcome = Outcome()
    let stepMs: UInt64 = 5
    var verbose = false

    static let keysPerKind = 2

    init(_ scenario: Scenario) {
        self.scenario = scenario
        directory = TempDirectory("nxsync-sim-\(scenario.seed)")
        rng = SeededRandom(seed: scenario.seed)
        for i in 0..<scenario.nodes {
            let id = NodeId(high: rng.next(), low: rng.next())
            nodes.append(SimNode(index: i, id: id, path: directory.sub("node\(i)"), skew: UInt64(rng.below(Int(scenario.clockSkewMs) + 1))))
        }
    }

    deinit {
        for n in nodes { try? n.store?.close() }
        directory.cleanup()
    }

    func log(_ message: @autoclosure () -> String) {
        if verbose { print("[\(now) ms] \(message())") }
    }

    // MARK: Nodes

    func start(_ n: SimNode) throws {
        var c = SyncConfiguration()
        c.newNodeID = n.id
        c.randomSeed = scenario.seed &* 1_000_003 &+ UInt64(n.index) &+ UInt64(n.crashes) &* 7919
        c.maxLogOpsPerOrigin = scenario.logLimit
        c.maxBufferedOps = scenario.bufferLimit
        if !scenario.engineDefaults {
            c.antiEntropyIntervalMs = scenario.antiEntropyMs
            c.stateRequestTimeoutMs = 400
            c.stateChunkBytes = scenario.stateChunkBytes
            c.fanout = 2
            c.forwardHops = 1
        }
        // LWW timestamps come from the virtual clock plus this node's skew.
        let clockBox = VirtualClock(simulator: self, skew: n.skew)
        c.wallClock = { clockBox.read() }
        let store = try Store.open(path: n.path)
        let engine = try ReplicationEngine(store: store, configuration: c)
        precondition(engine.localNode == n.id)
        let recorder = self.recorder
        engine.onLocalOperation = { recorder.ops.append($0) }
        n.store = store
        n.engine = engine
        n.restartAt = nil
        updatePeers()
    }

    /// Crash: the engine is dropped (its memory, queues, buffers and state transfers are lost);
    /// the store is either dropped without `close` or closed, then reopened at restart.
    func crash(_ n: SimNode, downFor ms: UInt64) throws {
        if rng.chance(0.5) { try n.store?.close() }
        n.engine = nil
        n.store = nil
        n.crashes += 1
        n.restartAt = now + ms
        outcome.crashes += 1
        log("node \(n.index) crashes for \(ms) ms")
        updatePeers()
    }

    /// Membership: every live node knows every other live node (what SWIM would report).
    func updatePeers() {
        let live = nodes.filter { $0.engine != nil }
        for n in live {
            n.engine!.setPeers(live.filter { $0 !== n }.map { SyncPeer(id: $0.id, address: "sim:\($0.index)") })
        }
    }

    // MARK: Network

    func reachable(_ a: Int, _ b: Int) -> Bool {
        guard let p = partition else { return true }
        return p[a] == p[b]
    }

    func send(_ outs: [Outbound], from: Int) {
        for o in outs {
            guard let to = nodes.firstIndex(where: { $0.id == o.to }) else { continue }
            if !reachable(from, to) || rng.chance(scenario.loss) {
                outcome.dropped += 1
                continue
            }
            let copies = rng.chance(scenario.duplication) ? 2 : 1
            for _ in 0..<copies {
                let delay = scenario.minDelay + UInt64(rng.below(Int(scenario.maxDelay - scenario.minDelay) + 1))
                sendOrder += 1
                push(InFlight(at: now + delay, order: sendOrder, from: from, to: to, payload: o.payload))
            }
        }
    }

    private func push(_ m: InFlight) {
        heap.append(m)
        var i = heap.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            if earlier(heap[i], heap[p]) { heap.swapAt(i, p); i = p } else { break }
        }
    }

    private func earlier(_ a: InFlight, _ b: InFlight) -> Bool { a.at != b.at ? a.at < b.at : a.order < b.order }

    private func popDue() -> InFlight? {
        guard let first = heap.first, first.at <= now else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var i = 0
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && earlier(heap[l], heap[m]) { m = l }
                if r < heap.count && earlier(heap[r], heap[m]) { m = r }
                if m == i { break }
                heap.swapAt(i, m)
                i = m
            }
        }
        return first
    }

    // MARK: Running

    /// One step: deliver due messages, tick every live node.
    func step() {
        while let m = popDue() {
            guard let engine = nodes[m.to].engine, reachable(m.from, m.to) else {
                outcome.dropped += 1
                continue
            }
            outcome.delivered += 1
            send(engine.handle(m.payload, from: nodes[m.from].id, now: now), from: m.to)
        }
        for n in nodes {
            guard let e = n.engine else { continue }
            send(e.tick(now: now), from: n.index)
        }
    }

    func run() throws -> Outcome {
        for n in nodes { try start(n) }
        if scenario.longOutage {
            try crash(nodes[rng.below(nodes.count)], downFor: scenario.workloadMs * 4 / 5)
        }
        let steps = scenario.workloadMs / stepMs
        let opChance = Double(scenario.operations) / Double(steps)
        while now < scenario.workloadMs {
            now += stepMs
            try chaos()
            step()
            if rng.chance(opChance) { try randomOperation() }
            for n in nodes { if let e = n.engine { send(e.localOperationsOutbound(), from: n.index) } }
        }
        // Heal: restart every crashed node, end the partition. The network stays lossy.
        for n in nodes where n.engine == nil { try start(n) }
        partition = nil
        let healedAt = now
        log("healed")
        outcome.acknowledged = recorder.ops.count
        while now - healedAt < scenario.convergenceDeadlineMs {
            now += stepMs
            step()
            if (now - healedAt) % 50 == 0, try converged() {
                outcome.converged = true
                outcome.convergenceMs = now - healedAt
                break
            }
        }
        for n in nodes {
            let st = n.engine!.statistics
            outcome.stateTransfers += st.stateTransfersCompleted
            outcome.messagesSent += st.messagesSent
            outcome.bytesSent += st.bytesSent
        }
        if outcome.converged {
            outcome.failure = try verifyAgainstReference()
        } else {
            outcome.failure = "not converged \(scenario.convergenceDeadlineMs) ms after healing: " + divergenceReport()
        }
        return outcome
    }

    /// Partitions and crashes during the workload.
    func chaos() throws {
        if partition != nil && now >= partitionEndsAt {
            partition = nil
            log("partition healed")
        }
        if scenario.partitions && partition == nil && rng.chance(0.004) {
            var groups = (0..<nodes.count).map { _ in rng.below(2) }
            if Set(groups).count == 1 { groups[rng.below(groups.count)] ^= 1 }
            partition = groups
            partitionEndsAt = now + 300 + UInt64(rng.below(2000))
            outcome.partitions += 1
            log("partition \(groups) until \(partitionEndsAt)")
        }
        for n in nodes {
            if let at = n.restartAt, now >= at {
                try start(n)
                log("node \(n.index) restarts")
            }
        }
        let down = nodes.filter { $0.engine == nil }.count
        if scenario.crashes && down < max(1, nodes.count / 3) && rng.chance(0.004) {
            let candidates = nodes.filter { $0.engine != nil }
            try crash(candidates[rng.below(candidates.count)], downFor: 200 + UInt64(rng.below(2500)))
        }
    }

    func key(_ kind: CRDTKind, _ i: Int) -> [UInt8] { Array("\(kind.storeName):k\(i)".utf8) }

    /// A random CRDT call at a random live node. Calls that throw (an RGA id the node has not
    /// received yet) are not acknowledged and leave no operation.
    func randomOperation() throws {
        let live = nodes.filter { $0.engine != nil }
        guard !live.isEmpty else { return }
        let n = live[rng.below(live.count)]
        let e = n.engine!
        let kind = CRDTKind.allCases[rng.below(CRDTKind.allCases.count)]
        let k = key(kind, rng.below(Self.keysPerKind))
        switch kind {
        case .gcounter:
            try e.gcounterIncrement(k, by: UInt64(1 + rng.below(5)))
        case .pncounter:
            try e.pncounterAdd(k, Int64(rng.below(11)) - 5)
        case .lwwRegister:
            let size = rng.chance(0.1) ? 3000 : 4
            try e.lwwSet(k, (0..<size).map { _ in UInt8(rng.below(256)) })
        case .lwwMap:
            let field = Array("f\(rng.below(4))".utf8)
            if rng.chance(0.7) {
                try e.lwwMapSet(k, field: field, value: [UInt8(rng.below(256))])
            } else {
                try e.lwwMapRemove(k, field: field)
            }
        case .orset:
            let element = Array("e\(rng.below(5))".utf8)
            if rng.chance(0.6) { try e.orsetAdd(k, element) } else { try e.orsetRemove(k, element) }
        case .rga:
            let known = rgaIDs[k] ?? []
            let choice = rng.below(10)
            if choice < 3, !known.isEmpty {
                do { try e.rgaDelete(k, id: known[rng.below(known.count)]) } catch ReplicationLookupError.notFound {}
                return
            }
            var parent: [UInt8]?
            if choice < 6, let own = lastAppend[n.index]?[k] {
                parent = own
            } else if choice < 9, !known.isEmpty {
                parent = known[rng.below(known.count)]
            }
            let value = [UInt8(n.index), UInt8(rng.below(256))]
            let id: [UInt8]
            do {
                id = try e.rgaInsert(k, after: parent, value: value)
            } catch ReplicationLookupError.notFound {
                id = try e.rgaInsert(k, after: nil, value: value)
            }
            rgaIDs[k, default: []].append(id)
            lastAppend[n.index, default: [:]][k] = id
        }
    }

    // MARK: Checking

    /// Highest acknowledged sequence per origin.
    var expectedVersionVector: [NodeId: UInt64] {
        var vv: [NodeId: UInt64] = [:]
        for op in recorder.ops { vv[op.id.origin] = max(vv[op.id.origin] ?? 0, op.id.seq) }
        return vv
    }

    /// Every node has applied every acknowledged operation (and nothing is left waiting), and
    /// all nodes have identical state for every key.
    func converged() throws -> Bool {
        let expected = expectedVersionVector
        for n in nodes {
            guard let e = n.engine, e.versionVector() == expected, e.bufferedOperationCount == 0 else { return false }
        }
        for kind in CRDTKind.allCases {
            for i in 0..<Self.keysPerKind {
                let first = try nodes[0].engine!.encodedState(kind, key(kind, i))
                for n in nodes.dropFirst() where try n.engine!.encodedState(kind, key(kind, i)) != first { return false }
            }
        }
        return true
    }

    /// The converged state must equal the state built by applying every acknowledged
    /// operation, in acknowledgement order, to fresh CRDTs: nothing acknowledged was lost and
    /// nothing else was invented.
    func verifyAgainstReference() throws -> String? {
        var g: [[UInt8]: GCounter] = [:], p: [[UInt8]: PNCounter] = [:], r: [[UInt8]: LWWRegister] = [:]
        var m: [[UInt8]: LWWMap] = [:], s: [[UInt8]: ORSet] = [:], l: [[UInt8]: RGA] = [:]
        for op in recorder.ops {
            switch op.kind {
            case .gcounter: _ = g[op.key, default: GCounter()].apply(op)
            case .pncounter: _ = p[op.key, default: PNCounter()].apply(op)
            case .lwwRegister: _ = r[op.key, default: LWWRegister()].apply(op)
            case .lwwMap: _ = m[op.key, default: LWWMap()].apply(op)
            case .orset: _ = s[op.key, default: ORSet()].apply(op)
            case .rga:
                precondition(l[op.key, default: RGA()].canApply(op), "acknowledged before its parent was acknowledged")
                _ = l[op.key, default: RGA()].apply(op)
            }
        }
        let e = nodes[0].engine!
        for i in 0..<Self.keysPerKind {
            let checks: [(CRDTKind, [UInt8]?)] = [
                (.gcounter, g[key(.gcounter, i)]?.encode()), (.pncounter, p[key(.pncounter, i)]?.encode()),
                (.lwwRegister, r[key(.lwwRegister, i)]?.encode()), (.lwwMap, m[key(.lwwMap, i)]?.encode()),
                (.orset, s[key(.orset, i)]?.encode()), (.rga, l[key(.rga, i)]?.encode()),
            ]
            for (kind, expected) in checks {
                let actual = try e.encodedState(kind, key(kind, i))
                let want = expected ?? emptyEncoding(kind)
                if actual != want { return "\(kind) \(text(key(kind, i))) differs from the reference built from acknowledged operations" }
            }
            // Spot-check the values too (not only encodings).
            let gk = key(.gcounter, i)
            if try e.gcounterValue(gk) != (g[gk]?.value ?? 0) { return "gcounter value differs" }
            let lk = key(.rga, i)
            if try e.rgaValues(lk) != (l[lk]?.values ?? []) { return "rga values differ" }
        }
        return nil
    }

    func emptyEncoding(_ kind: CRDTKind) -> [UInt8] {
        switch kind {
        case .gcounter: return GCounter().encode()
        case .pncounter: return PNCounter().encode()
        case .lwwRegister: return LWWRegister().encode()
        case .lwwMap: return LWWMap().encode()
        case .orset: return ORSet().encode()
        case .rga: return RGA().encode()
        }
    }

    func divergenceReport() -> String {
        let expected = expectedVersionVector
        var differing: [String] = []
        for kind in CRDTKind.allCases {
            for i in 0..<Self.keysPerKind {
                let states = nodes.map { try? $0.engine?.encodedState(kind, key(kind, i)) }
                if Set(states.map { $0.map { Hex.encode($0) } ?? "-" }).count > 1 { differing.append(text(key(kind, i))) }
            }
        }
        return "differing keys \(differing)\n" + nodes.map { n in
            guard let e = n.engine else { return "node \(n.index) down" }
            let vv = e.versionVector()
            let behind = expected.filter { (vv[$0.key] ?? 0) < $0.value }.map { "\($0.key.hex.prefix(6)): \(vv[$0.key] ?? 0)/\($0.value)" }
            return "node \(n.index) behind [\(behind.joined(separator: ", "))] buffered \(e.bufferedOperationCount) stats \(e.statistics)"
        }.joined(separator: "\n")
    }
}

/// The virtual wall clock of one node (virtual time plus a fixed skew).
final class VirtualClock: @unchecked Sendable {
    weak var simulator: NetworkSimulator?
    let skew: UInt64

    init(simulator: NetworkSimulator, skew: UInt64) {
        self.simulator = simulator
        self.skew = skew
    }

    func read() -> UInt64 { 1_700_000_000_000 + (simulator?.now ?? 0) + skew }
}
