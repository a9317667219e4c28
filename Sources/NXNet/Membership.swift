import Glibc

/// SWIM parameters. The defaults suit loopback and LAN clusters: a new node converges in a
/// few hundred milliseconds and a failed node is declared dead in roughly 1-1.5 s.
public struct MembershipConfiguration: Sendable {
    /// Time between probes (one random member per interval, round-robin over a shuffled list).
    public var probeInterval: Double = 0.2
    /// Wait for a direct ack before asking `indirectChecks` other members to probe.
    /// Must be shorter than `probeInterval` (the indirect probes get the rest of the interval).
    public var probeTimeout: Double = 0.08
    /// Members asked to probe a target indirectly (SWIM's k).
    public var indirectChecks: Int = 3
    /// A suspect is declared dead after `suspicionMultiplier × max(1, log10(n)) × probeInterval`
    /// unless it refutes (n: live members including this node).
    public var suspicionMultiplier: Double = 4
    /// Each membership update is piggybacked `retransmitMultiplier × ceil(log2(n + 2))` times.
    public var retransmitMultiplier: Int = 4
    /// Interval between pings to seed addresses that are not (or no longer) live members.
    public var seedInterval: Double = 0.5
    /// Interval of the push-pull exchange of the full member list with one random member.
    public var syncInterval: Double = 5
    /// How long dead and departed members are remembered (so stale gossip cannot revive them).
    public var deadRetention: Double = 60

    public init() {}

    /// A description of the first invalid parameter, or nil.
    func problem() -> String? {
        if !(probeInterval > 0) { return "probeInterval must be positive" }
        if !(probeTimeout > 0 && probeTimeout < probeInterval) { return "probeTimeout must be positive and shorter than probeInterval" }
        if indirectChecks < 0 { return "indirectChecks must not be negative" }
        if !(suspicionMultiplier > 0) { return "suspicionMultiplier must be positive" }
        if retransmitMultiplier < 1 { return "retransmitMultiplier must be at least 1" }
        if !(seedInterval > 0) || !(syncInterval > 0) || !(deadRetention > 0) { return "seedInterval, syncInterval and deadRetention must be positive" }
        return nil
    }
}

/// A member of the cluster as seen by this node.
public struct Member: Hashable, Sendable, CustomStringConvertible {
    /// The member's NodeId.
    public let id: NodeId
    /// Where it receives datagrams.
    public let address: SocketAddress
    /// Alive or suspect for the members listed by ``Transport/members()``.
    public let state: MemberState
    /// Its incarnation (starts at the member's start time in ms; raised to refute suspicion).
    public let incarnation: UInt64

    public var description: String { "\(id.shortDescription)@\(address) \(state)#\(incarnation)" }
}

/// A change in this node's view of one member.
public struct MembershipChange: Sendable, CustomStringConvertible {
    /// What happened.
    public enum Kind: Sendable {
        /// Became a live member (first seen, or back after being dead/left: a rejoin).
        case joined
        /// Missed its probes; still a member until the suspicion timeout.
        case suspected
        /// Refuted a suspicion.
        case recovered
        /// Declared dead.
        case failed
        /// Left gracefully.
        case left
        /// Still live, at a new address.
        case addressChanged
    }

    public let kind: Kind
    /// The member after the change.
    public let member: Member
    /// Its state before (nil: not known before).
    public let previousState: MemberState?

    public var description: String { "\(kind) \(member)" }
}

/// The SWIM state machine, free of I/O: inputs are received control messages and clock ticks;
/// outputs are queued in ``outbox`` (messages to send) and ``changes`` (for the callback).
///
/// Not thread-safe: the transport calls it under its membership lock.
final class Membership {
    struct Outgoing {
        let message: ControlMessage
        /// Zero for a join ping to a seed address.
        let recipient: NodeId
        let address: SocketAddress
    }

    struct Record {
        var address: SocketAddress
        var state: MemberState
        var incarnation: UInt64
        var since: UInt64
        var suspectDeadline: UInt64 = 0
    }

    private enum Waiter {
        case probe(NodeId)
        case seed
        case relay(requester: NodeId, address: SocketAddress, seq: UInt32)
    }

    private struct Probe {
        let target: NodeId
        let seq: UInt32
        let startedAt: UInt64
        var indirectSent = false
        var acked = false
    }

    let selfId: NodeId
    private(set) var incarnation: UInt64
    let config: MembershipConfiguration
    /// Largest body of a piggybacking message (one datagram).
    let maximumBodyBytes: Int
    /// False for NodeIds excluded by the allowlist: their gossip entries are ignored.
    let isAllowed: (NodeId) -> Bool

    private(set) var records: [NodeId: Record] = [:]
    private var seeds: [SocketAddress] = []
    private var selfAddresses: Set<SocketAddress> = []
    private var observed: [NodeId: SocketAddress] = [:]
    private var waiters: [UInt32: (waiter: Waiter, expiresAt: UInt64)] = [:]
    private var probe: Probe?
    private var probeOrder: [NodeId] = []
    private var probeIndex = 0
    private var broadcasts: [NodeId: (entry: GossipEntry, transmits: Int)] = [:]
    private var nextSeq: UInt32 = 1
    private var nextProbeAt: UInt64 = 0
    private var nextSeedAt: UInt64 = 0
    private var nextSyncAt: UInt64 = 0
    private var nextMaintenanceAt: UInt64 = 0
    private var leaving = false
    private var rng: SplitMix64

    var outbox: [Outgoing] = []
    var changes: [MembershipChange] = []

    init(selfId: NodeId, incarnation: UInt64, config: MembershipConfiguration, maximumBodyBytes: Int,
         seed: UInt64 = UInt64.random(in: 0...UInt64.max), isAllowed: @escaping (NodeId) -> Bool = { _ in true }) {
        self.selfId = selfId
        self.incarnation = incarnation
        self.config = config
        self.maximumBodyBytes = maximumBodyBytes
        self.isAllowed = isAllowed
        rng = SplitMix64(seed: seed)
    }

    // MARK: Queries

    /// Live members (alive and suspect), sorted by NodeId.
    func members() -> [Member] {
        records.filter { $0.value.state.isLive }
            .map { Member(id: $0.key, address: $0.value.address, state: $0.value.state, incarnation: $0.value.incarnation) }
            .sorted { $0.id < $1.id }
    }

    /// Every record, including dead and departed members still remembered.
    func allRecords() -> [Member] {
        records.map { Member(id: $0.key, address: $0.value.address, state: $0.value.state, incarnation: $0.value.incarnation) }
            .sorted { $0.id < $1.id }
    }

    /// NodeIds of live members.
    func liveIds() -> [NodeId] {
        records.compactMap { $0.value.state.isLive ? $0.key : nil }
    }

    /// Where to send to `id`: its member address, else the source of its latest datagram.
    func address(of id: NodeId) -> SocketAddress? {
        records[id]?.address ?? observed[id]
    }

    /// Records the source of an authenticated datagram (for replies to non-members).
    func observe(_ id: NodeId, at address: SocketAddress) {
        guard observed[id] != address else { return }
        if observed.count >= 4096 { observed.removeAll() }
        observed[id] = address
    }

    /// Marks an address as this node's own (a seed that turned out to be this node).
    func noteSelfAddress(_ address: SocketAddress) {
        selfAddresses.insert(address)
    }

    // MARK: Driving

    /// Sets the seeds and makes the first tick ping them at once.
    func start(seeds: [SocketAddress], now: UInt64) {
        self.seeds = seeds
        nextProbeAt = now
        nextSeedAt = now
        nextSyncAt = now &+ nanoseconds(config.syncInterval)
        tick(now: now)
    }

    /// Advances timers: probe, indirect probe, suspicion, seed pings, push-pull, forgetting.
    func tick(now: UInt64) {
        guard !leaving else { return }
        advanceProbe(now: now)
        expireSuspects(now: now)
        pingSeeds(now: now)
        if now >= nextSyncAt {
            nextSyncAt = now &+ nanoseconds(config.syncInterval)
            if let id = randomLive(excluding: []), let r = records[id] {
                outbox.append(Outgoing(message: .sync(incarnation: incarnation, replyWanted: true, entries: syncEntries()),
                                       recipient: id, address: r.address))
            }
        }
        if now >= nextMaintenanceAt {
            nextMaintenanceAt = now &+ 100_000_000
            waiters = waiters.filter { $0.value.expiresAt > now }
            let retention = nanoseconds(config.deadRetention)
            records = records.filter { $0.value.state.isLive || $0.value.since &+ retention > now }
        }
    }

    /// Handles an authenticated control message from `sender` at `source`.
    func handle(_ message: ControlMessage, from sender: NodeId, source: SocketAddress, now: UInt64) {
        guard !leaving else { return }
        switch message {
        case let .ping(inc, seq, gossip):
            noteDirect(sender, inc, source, now: now)
            apply(gossip, now: now)
            send(.ack(incarnation: incarnation, seq: seq, gossip: piggyback(for: sender)), to: sender, at: source)
        case let .ack(inc, seq, gossip):
            noteDirect(sender, inc, source, now: now)
            apply(gossip, now: now)
            acknowledge(seq)
        case let .pingRequest(inc, seq, target, targetAddress, gossip):
            noteDirect(sender, inc, source, now: now)
            apply(gossip, now: now)
            let relaySeq = allocateSeq()
            waiters[relaySeq] = (.relay(requester: sender, address: source, seq: seq), now &+ nanoseconds(config.probeInterval * 2))
            send(.ping(incarnation: incarnation, seq: relaySeq, gossip: piggyback(for: target)), to: target, at: targetAddress)
        case let .sync(inc, replyWanted, entries):
            noteDirect(sender, inc, source, now: now)
            apply(entries, now: now)
            if replyWanted {
                send(.sync(incarnation: incarnation, replyWanted: false, entries: syncEntries()), to: sender, at: source)
            }
        case let .leave(inc):
            apply(GossipEntry(id: sender, incarnation: inc, state: .left, address: source), now: now)
        case .nack:
            break  // handled by the transport
        }
    }

    /// Stops probing and returns leave messages for every live member.
    func leave() -> [Outgoing] {
        leaving = true
        return records.compactMap { id, r in
            r.state.isLive ? Outgoing(message: .leave(incarnation: incarnation), recipient: id, address: r.address) : nil
        }
    }

    // MARK: Probing

    private func advanceProbe(now: UInt64) {
        if var p = probe {
            if !p.acked && !p.indirectSent && now >= p.startedAt &+ nanoseconds(config.probeTimeout) {
                p.indirectSent = true
                sendIndirectProbes(p)
            }
            probe = p
            if now >= p.startedAt &+ nanoseconds(config.probeInterval) {
                if !p.acked { suspect(p.target, now: now) }
                probe = nil
            }
        }
        guard probe == nil, now >= nextProbeAt else { return }
        nextProbeAt = now &+ nanoseconds(config.probeInterval)
        guard let target = nextProbeTarget(), let r = records[target] else { return }
        let seq = allocateSeq()
        probe = Probe(target: target, seq: seq, startedAt: now)
        waiters[seq] = (.probe(target), now &+ nanoseconds(config.probeInterval * 2))
        send(.ping(incarnation: incarnation, seq: seq, gossip: piggyback(for: target)), to: target, at: r.address)
    }

    private func sendIndirectProbes(_ p: Probe) {
        guard let target = records[p.target] else { return }
        var helpers = liveIds().filter { $0 != p.target }
        rng.shuffle(&helpers)
        for id in helpers.prefix(config.indirectChecks) {
            guard let r = records[id] else { continue }
            send(.pingRequest(incarnation: incarnation, seq: p.seq, target: p.target, targetAddress: target.address,
                              gossip: piggyback(for: id)), to: id, at: r.address)
        }
    }

    private func acknowledge(_ seq: UInt32) {
        guard let waiter = waiters.removeValue(forKey: seq)?.waiter else { return }
        switch waiter {
        case .probe:
            if probe?.seq == seq { probe?.acked = true }
        case .seed:
            break
        case let .relay(requester, address, requesterSeq):
            send(.ack(incarnation: incarnation, seq: requesterSeq, gossip: piggyback(for: requester)), to: requester, at: address)
        }
    }

    /// Randomised round-robin: every live member is probed once per pass, in a fresh random
    /// order each pass (bounds the time to first probe a failed member).
    private func nextProbeTarget() -> NodeId? {
        for _ in 0..<2 {
            while probeIndex < probeOrder.count {
                let id = probeOrder[probeIndex]
                probeIndex += 1
                if records[id]?.state.isLive == true { return id }
            }
            probeOrder = liveIds()
            rng.shuffle(&probeOrder)
            probeIndex = 0
            if probeOrder.isEmpty { return nil }
        }
        return nil
    }

    private func pingSeeds(now: UInt64) {
        guard now >= nextSeedAt else { return }
        nextSeedAt = now &+ nanoseconds(config.seedInterval)
        let liveAddresses = Set(records.values.filter { $0.state.isLive }.map { $0.address })
        for seed in seeds where !selfAddresses.contains(seed) && !liveAddresses.contains(seed) {
            let seq = allocateSeq()
            waiters[seq] = (.seed, now &+ nanoseconds(config.seedInterval * 2))
            outbox.append(Outgoing(message: .ping(incarnation: incarnation, seq: seq, gossip: piggyback(for: nil)),
                                   recipient: .zero, address: seed))
        }
    }

    // MARK: Suspicion

    private var suspicionTimeout: UInt64 {
        let n = Double(liveIds().count + 1)
        return nanoseconds(config.suspicionMultiplier * max(1, log10(n)) * config.probeInterval)
    }

    private func suspect(_ id: NodeId, now: UInt64) {
        guard let r = records[id], r.state == .alive else { return }
        apply(GossipEntry(id: id, incarnation: r.incarnation, state: .suspect, address: r.address), now: now)
    }

    private func expireSuspects(now: UInt64) {
        for (id, r) in records where r.state == .suspect && r.suspectDeadline <= now {
            apply(GossipEntry(id: id, incarnation: r.incarnation, state: .dead, address: r.address), now: now)
        }
    }

    // MARK: Merging

    /// A message straight from `sender`: it is alive at `inc`, at `source`.
    private func noteDirect(_ sender: NodeId, _ inc: UInt64, _ source: SocketAddress, now: UInt64) {
        guard isAllowed(sender) else { return }
        let before = records[sender]
        apply(GossipEntry(id: sender, incarnation: inc, state: .alive, address: source), now: now)
        if var r = records[sender], r.state == .alive, r.incarnation == inc, r.address != source {
            r.address = source
            records[sender] = r
            queue(GossipEntry(id: sender, incarnation: inc, state: .alive, address: source))
            changes.append(MembershipChange(kind: .addressChanged, member: member(sender, r), previousState: r.state))
        }
        let isNew = before == nil || before?.state.isLive == false
        if isNew, records[sender]?.state.isLive == true {
            send(.sync(incarnation: incarnation, replyWanted: false, entries: syncEntries()), to: sender, at: source)
        }
    }

    private func apply(_ entries: [GossipEntry], now: UInt64) {
        for e in entries { apply(e, now: now) }
    }

    /// SWIM's precedence rules: a higher incarnation wins; at equal incarnation
    /// dead/left > suspect > alive. Facts about this node raise its incarnation (refutation).
    private func apply(_ e: GossipEntry, now: UInt64) {
        if e.id == selfId {
            if (e.state != .alive && e.incarnation >= incarnation) || e.incarnation > incarnation {
                incarnation = max(incarnation, e.incarnation) &+ 1
                queueSelf()
            }
            return
        }
        guard isAllowed(e.id) else { return }
        guard let r = records[e.id] else {
            // A node's own entry carries no usable address; wait to hear of it properly.
            if e.state.isLive && !isUsable(e.address) { return }
            records[e.id] = Record(address: e.address, state: e.state, incarnation: e.incarnation, since: now,
                                   suspectDeadline: e.state == .suspect ? now &+ suspicionTimeout : 0)
            if e.state.isLive {
                queue(e)
                changes.append(MembershipChange(kind: .joined, member: member(e.id, records[e.id]!), previousState: nil))
                insertIntoProbeOrder(e.id)
            }
            return
        }
        guard overrides(e, r) else { return }
        var updated = r
        updated.incarnation = e.incarnation
        if e.state == .alive && isUsable(e.address) { updated.address = e.address }
        if e.state != r.state {
            updated.state = e.state
            updated.since = now
            if e.state == .suspect { updated.suspectDeadline = now &+ suspicionTimeout }
        }
        records[e.id] = updated
        queue(GossipEntry(id: e.id, incarnation: e.incarnation, state: e.state, address: updated.address))
        if let kind = changeKind(from: r.state, to: e.state) {
            changes.append(MembershipChange(kind: kind, member: member(e.id, updated), previousState: r.state))
            if kind == .joined { insertIntoProbeOrder(e.id) }
        }
    }

    private func isUsable(_ address: SocketAddress) -> Bool {
        !address.isWildcard && address.port != 0
    }

    private func overrides(_ e: GossipEntry, _ r: Record) -> Bool {
        if e.incarnation != r.incarnation { return e.incarnation > r.incarnation }
        switch e.state {
        case .alive: return false
        case .suspect: return r.state == .alive
        case .dead, .left: return r.state.isLive
        }
    }

    private func changeKind(from old: MemberState, to new: MemberState) -> MembershipChange.Kind? {
        switch (old.isLive, new) {
        case (false, .alive), (false, .suspect): return .joined
        case (true, .suspect): return old == .alive ? .suspected : nil
        case (true, .alive): return old == .suspect ? .recovered : nil
        case (true, .dead): return .failed
        case (true, .left): return .left
        default: return nil
        }
    }

    private func insertIntoProbeOrder(_ id: NodeId) {
        let position = probeIndex + Int(rng.next() % UInt64(probeOrder.count - probeIndex + 1))
        probeOrder.insert(id, at: position)
    }

    private func member(_ id: NodeId, _ r: Record) -> Member {
        Member(id: id, address: r.address, state: r.state, incarnation: r.incarnation)
    }

    // MARK: Gossip dissemination

    private func queue(_ e: GossipEntry) {
        broadcasts[e.id] = (e, 0)
    }

    private func queueSelf() {
        // The address field of a self entry is informational: receivers that hear from this
        // node directly use the datagram's source address.
        let address = selfAddresses.first ?? SocketAddress(ipv4: 0, 0, 0, 0, port: 0)
        broadcasts[selfId] = (GossipEntry(id: selfId, incarnation: incarnation, state: .alive, address: address), 0)
    }

    private var retransmitLimit: Int {
        let n = Double(liveIds().count + 2)
        return config.retransmitMultiplier * Int(log2(n).rounded(.up))
    }

    /// Gossip for a message to `recipient`: its own record first when we believe it suspect or
    /// dead (so it can refute), then the least-transmitted queued updates that fit.
    private func piggyback(for recipient: NodeId?) -> [GossipEntry] {
        var budget = maximumBodyBytes - ControlMessage.largestFixedPart
        var out: [GossipEntry] = []
        if let recipient, let r = records[recipient], r.state != .alive {
            let e = GossipEntry(id: recipient, incarnation: r.incarnation, state: r.state, address: r.address)
            if e.encodedSize <= budget {
                out.append(e)
                budget -= e.encodedSize
            }
        }
        guard !broadcasts.isEmpty else { return out }
        let limit = retransmitLimit
        for (id, item) in broadcasts.sorted(by: { $0.value.transmits < $1.value.transmits }) {
            guard out.count < ControlMessage.maximumPiggybackEntries, item.entry.encodedSize <= budget else { break }
            if id == recipient && item.entry.state == .alive { continue }
            out.append(item.entry)
            budget -= item.entry.encodedSize
            if item.transmits + 1 >= limit {
                broadcasts[id] = nil
            } else {
                broadcasts[id]?.transmits += 1
            }
        }
        return out
    }

    /// Every remembered record plus this node, for a push-pull sync.
    private func syncEntries() -> [GossipEntry] {
        let list = records.map { GossipEntry(id: $0.key, incarnation: $0.value.incarnation, state: $0.value.state, address: $0.value.address) }
        return Array(list.prefix(Int(UInt16.max)))
    }

    // MARK: Helpers

    private func send(_ message: ControlMessage, to id: NodeId, at address: SocketAddress) {
        outbox.append(Outgoing(message: message, recipient: id, address: address))
    }

    private func allocateSeq() -> UInt32 {
        defer { nextSeq &+= 1 }
        return nextSeq
    }

    private func randomLive(excluding: Set<NodeId>) -> NodeId? {
        let ids = liveIds().filter { !excluding.contains($0) }
        guard !ids.isEmpty else { return nil }
        return ids[Int(rng.next() % UInt64(ids.count))]
    }
}

/// A small, fast, seedable generator (SplitMix64) for probe order and helper choice; not for
/// anything security-relevant.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func shuffle<T>(_ array: inout [T]) {
        array.shuffle(using: &self)
    }
}
