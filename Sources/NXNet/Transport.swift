import Glibc

/// Errors of the ``Transport`` API.
public enum TransportError: Error, CustomStringConvertible, Equatable {
    /// The configuration is inconsistent (the text says which setting).
    case invalidConfiguration(String)
    /// `start` was called twice (a transport is single-use: create a new one to restart).
    case alreadyStarted
    /// The transport is not running (not started yet, or stopped).
    case notRunning
    /// No address is known for the NodeId (not a member and never heard from).
    case unknownPeer(NodeId)
    /// The payload exceeds ``TransportConfiguration/maximumMessageBytes``.
    case messageTooLarge(size: Int, limit: Int)
    /// The kernel refused a datagram.
    case sendFailed(SocketError)

    public var description: String {
        switch self {
        case let .invalidConfiguration(text): return "invalid transport configuration: \(text)"
        case .alreadyStarted: return "transport already started (create a new Transport to restart)"
        case .notRunning: return "transport is not running"
        case let .unknownPeer(id): return "no address known for node \(id)"
        case let .messageTooLarge(size, limit): return "message of \(size) bytes exceeds the \(limit)-byte limit"
        case let .sendFailed(error): return "\(error)"
        }
    }
}

/// The nx network transport: authenticated (optionally encrypted) UDP datagrams with
/// fragmentation, replay protection and SWIM membership. Payloads are opaque bytes addressed
/// by ``NodeId``.
///
/// ```swift
/// var config = TransportConfiguration(nodeId: myId, clusterKey: try ClusterKey(contentsOfFile: path))
/// let transport = try Transport(configuration: config)
/// transport.onMessage = { payload, from in engine.receive(payload, from: from) }
/// transport.onMembershipChange = { change in engine.membershipChanged(change) }
/// try transport.start(listen: "0.0.0.0:7001", seeds: ["10.0.0.2:7001"])
/// try transport.send(bytes, to: peer)
/// transport.stop()
/// ```
///
/// ## Threading
/// - `send`, `broadcast`, `sample`, `members`, `statistics` and the handler properties may be
///   used from any thread, concurrently.
/// - One network thread (started by `start`) receives datagrams and runs the timers. It calls
///   ``onMessage`` and ``onMembershipChange`` one at a time, never concurrently and never with
///   a lock held, so handlers may call `send`/`broadcast`/`members`. Handlers run on the
///   receive path: hand long work to another thread, or datagrams queue up in the socket.
/// - `stop` waits for the network thread to finish (at most one poll interval, 10 ms, plus
///   the handler running at the time). Calling it from a handler is allowed: the thread then
///   finishes after the handler returns.
/// - A transport is single-use: after `stop`, create a new one (a new session id) to restart.
public final class Transport: @unchecked Sendable {
    /// Called with each application payload and its sender, on the network thread.
    public typealias MessageHandler = (_ payload: [UInt8], _ from: NodeId) -> Void
    /// Called for each change of the membership view, on the network thread.
    public typealias MembershipHandler = (_ change: MembershipChange) -> Void

    private enum State { case idle, running, stopping, stopped }

    /// The configuration the transport was created with.
    public let configuration: TransportConfiguration
    /// This node's id.
    public var nodeId: NodeId { configuration.nodeId }
    /// Random id of this transport instance (a new one each start of a process); part of every
    /// datagram, it separates replay windows and encryption keys of successive runs.
    public let sessionId: UInt64
    /// Start incarnation (wall-clock milliseconds at creation, so a restart outranks the
    /// incarnations of the previous run).
    public let initialIncarnation: UInt64
    private let simulatedLoss: Double

    private let codec: DatagramCodec
    private let counters = StatisticsCounters()
    private let stateLock = Lock()
    private var state = State.idle
    private var thread: pthread_t?
    private var closeOnThreadExit = false
    private var boundAddress: SocketAddress?
    private var messageHandler: MessageHandler?
    private var membershipHandler: MembershipHandler?
    private var pendingSeeds: [SocketAddress] = []

    private let socketLock = ReadWriteLock()
    private var socket: UDPSocket?

    private let sendLock = Lock()
    private var nextCounter: UInt64 = 1
    private var nextMessageId: UInt32 = 1

    private let membershipLock = Lock()
    private let membership: Membership

    // Owned by the network thread.
    private let replayGuard: ReplayGuard
    private let reassembler: Reassembler
    private let retransmits: RetransmitCache
    private var nextPruneAt: UInt64 = 0

    /// Tick of the network thread's timers; also the longest `poll` wait (so `stop` is prompt).
    static let tickNanoseconds: UInt64 = 10_000_000

    /// Validates the configuration and prepares the transport (no socket yet).
    /// - Throws: ``TransportError/invalidConfiguration(_:)``.
    public init(configuration: TransportConfiguration) throws {
        if let problem = configuration.problem() { throw TransportError.invalidConfiguration(problem) }
        self.configuration = configuration
        var rng = SystemRandomNumberGenerator()
        sessionId = rng.next()
        initialIncarnation = Clock.wallMilliseconds()
        simulatedLoss = min(1, max(0, configuration.simulatedSendLoss))
        codec = DatagramCodec(key: configuration.clusterKey, encrypt: configuration.encrypt)
        replayGuard = ReplayGuard(maximumAgeMilliseconds: milliseconds(configuration.maximumTimestampAge),
                                  maximumFutureSkewMilliseconds: milliseconds(configuration.maximumClockSkew),
                                  maximumSessions: configuration.maximumReplaySessions)
        reassembler = Reassembler(limits: configuration.reassembly)
        retransmits = RetransmitCache(maximumBytes: configuration.retransmitCacheBytes,
                                      lifetimeSeconds: configuration.reassembly.timeout)
        let allowlist = configuration.allowlist
        membership = Membership(selfId: configuration.nodeId, incarnation: initialIncarnation,
                                config: configuration.membership, maximumBodyBytes: configuration.maximumDatagramPayload,
                                seed: rng.next(), isAllowed: { allowlist?.contains($0) ?? true })
    }

    deinit {
        if let socket { socket.close() }
    }

    // MARK: Security status

    /// True without a cluster key: anyone who can reach the port can join, read and inject.
    public var isOpen: Bool { configuration.clusterKey == nil }

    /// A loud warning for the owner to print when the cluster is open; nil with a key.
    public var securityWarning: String? {
        guard isOpen else { return nil }
        return "WARNING: the nx cluster is OPEN: no cluster key is configured, so any host that can reach "
            + "\(localAddress?.description ?? "this node") can join the cluster, read its traffic and inject messages. "
            + "Configure a cluster key (--cluster-key-file or NX_CLUSTER_KEY_FILE)."
    }

    // MARK: Handlers

    /// Receives application payloads (see the threading notes on ``Transport``).
    public var onMessage: MessageHandler? {
        get { stateLock.withLock { messageHandler } }
        set { stateLock.withLock { messageHandler = newValue } }
    }

    /// Receives membership changes (see the threading notes on ``Transport``).
    public var onMembershipChange: MembershipHandler? {
        get { stateLock.withLock { membershipHandler } }
        set { stateLock.withLock { membershipHandler = newValue } }
    }

    // MARK: Lifecycle

    /// The bound address (with the actual port when started on port 0); nil before `start`.
    public var localAddress: SocketAddress? { stateLock.withLock { boundAddress } }

    /// Whether the transport is running.
    public var isRunning: Bool { stateLock.withLock { state == .running } }

    /// Resolves the addresses (`127.0.0.1:7001`, `[::1]:0`, `localhost:7001`) and starts.
    /// Seeds are resolved preferring the listen address's family.
    /// - Throws: ``AddressError``, ``SocketError`` or ``TransportError``.
    public func start(listen: String, seeds: [String] = []) throws {
        guard let address = try SocketAddress.resolve(listen, preferring: .ipv4).first else {
            throw AddressError(text: listen, reason: "no address")
        }
        let resolved = try seeds.map { try SocketAddress.resolve($0, preferring: address.family) }
        try start(listen: address, seedCandidates: resolved)
    }

    /// Binds `listen`, starts the network thread and begins joining through `seeds`.
    public func start(listen: SocketAddress, seeds: [SocketAddress] = []) throws {
        try start(listen: listen, seedCandidates: seeds.map { [$0] })
    }

    private func start(listen: SocketAddress, seedCandidates: [[SocketAddress]]) throws {
        try stateLock.withLock {
            guard state == .idle else { throw TransportError.alreadyStarted }
            let socket = try UDPSocket(bind: listen, bufferBytes: configuration.socketBufferBytes)
            let local = try socket.localAddress()
            // Each seed: its first address this socket can reach.
            var seeds: [SocketAddress] = []
            for candidates in seedCandidates {
                guard let reachable = candidates.first(where: { socket.reachableForm(of: $0) != nil }) else {
                    socket.close()
                    throw AddressError(text: candidates.map { $0.description }.joined(separator: " / "),
                                       reason: "seed cannot be reached from a socket bound to \(local) (IPv4 and IPv6 differ; listen on [::] for both)")
                }
                seeds.append(reachable)
            }
            pendingSeeds = seeds
            socketLock.withWriteLock { self.socket = socket }
            boundAddress = local
            if !local.isWildcard { membershipLock.withLock { membership.noteSelfAddress(local) } }
            state = .running
            var tid = pthread_t()
            let box = Unmanaged.passRetained(self).toOpaque()
            let rc = pthread_create(&tid, nil, { arg in
                let transport = Unmanaged<Transport>.fromOpaque(arg!).takeRetainedValue()
                transport.runNetworkThread()
                return nil
            }, box)
            guard rc == 0 else {
                Unmanaged<Transport>.fromOpaque(box).release()
                state = .stopped
                socketLock.withWriteLock { self.socket?.close(); self.socket = nil }
                throw SocketError(operation: "pthread_create", address: nil, code: rc)
            }
            thread = tid
        }
    }

    /// Stops the transport: optionally tells live members it leaves (so they drop it at once
    /// instead of after the failure-detection delay), stops the network thread, closes the
    /// socket. Idempotent. `leave: false` behaves like a crash, for tests of failure detection.
    public func stop(leave: Bool = true) {
        let farewell: [Membership.Outgoing]? = stateLock.withLock {
            guard state == .running else { return nil }
            state = .stopping
            return membershipLock.withLock { membership.leave() }
        }
        guard let farewell else { return }
        if leave {
            for out in farewell { transmit(out.message.kind, out.message.encoded(), to: out.recipient, at: out.address) }
        }
        let (tid, onOwnThread): (pthread_t?, Bool) = stateLock.withLock {
            let own = thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false
            if own { closeOnThreadExit = true }
            return (thread, own)
        }
        if onOwnThread {
            pthread_detach(tid!)
            return
        }
        if let tid { pthread_join(tid, nil) }
        closeSocket()
    }

    private func closeSocket() {
        socketLock.withWriteLock {
            socket?.close()
            socket = nil
        }
        stateLock.withLock { state = .stopped }
    }

    private var shouldStop: Bool { stateLock.withLock { state != .running } }

    // MARK: Sending

    /// Sends `payload` to `node` (fragmenting it if needed). Delivery is best effort: lost
    /// fragments of large messages are re-requested by the receiver (nack), but a message can
    /// still be lost; the replication layer must tolerate loss and duplication-free reordering.
    /// - Throws: ``TransportError/notRunning``, ``TransportError/messageTooLarge(size:limit:)``,
    ///   ``TransportError/unknownPeer(_:)``, ``TransportError/sendFailed(_:)``.
    public func send(_ payload: [UInt8], to node: NodeId) throws {
        guard isRunning else { throw TransportError.notRunning }
        guard payload.count <= configuration.maximumMessageBytes else {
            throw TransportError.messageTooLarge(size: payload.count, limit: configuration.maximumMessageBytes)
        }
        guard let address = membershipLock.withLock({ membership.address(of: node) }) else {
            throw TransportError.unknownPeer(node)
        }
        counters.update { $0.messagesSent += 1 }
        let failure = transmit(.data, payload, to: node, at: address)
        if failure != 0 {
            throw TransportError.sendFailed(SocketError(operation: "sendto", address: address.description, code: failure))
        }
    }

    /// Sends `payload` to `fanout` random live members (all of them when nil); returns the
    /// recipients. Per-recipient failures are counted in ``statistics`` (`sendFailures`).
    @discardableResult
    public func broadcast(_ payload: [UInt8], fanout: Int? = nil) -> [NodeId] {
        guard isRunning, payload.count <= configuration.maximumMessageBytes else { return [] }
        let targets: [(NodeId, SocketAddress)] = membershipLock.withLock {
            let live = membership.members().map { ($0.id, $0.address) }
            guard let fanout, fanout < live.count else { return live }
            return Array(live.shuffled().prefix(max(0, fanout)))
        }
        for (id, address) in targets {
            counters.update { $0.messagesSent += 1 }
            transmit(.data, payload, to: id, at: address)
        }
        return targets.map { $0.0 }
    }

    /// Up to `fanout` distinct random live members (for gossip-style dissemination).
    public func sample(fanout: Int) -> [NodeId] {
        let ids = membershipLock.withLock { membership.liveIds() }
        return Array(ids.shuffled().prefix(max(0, fanout)))
    }

    /// Live members (alive and suspect), sorted by NodeId; this node is not included.
    public func members() -> [Member] {
        membershipLock.withLock { membership.members() }
    }

    /// Every member this node remembers, including dead and departed ones.
    public func allMembers() -> [Member] {
        membershipLock.withLock { membership.allRecords() }
    }

    /// The node's current incarnation (raised each time it refutes a suspicion).
    public var incarnation: UInt64 { membershipLock.withLock { membership.incarnation } }

    /// A snapshot of the counters.
    public var statistics: TransportStatistics { counters.snapshot }

    /// Cuts a message into datagrams and sends them; returns 0 or the errno of the first failure.
    @discardableResult
    private func transmit(_ kind: MessageKind, _ payload: [UInt8], to recipient: NodeId, at address: SocketAddress) -> Int32 {
        let (count, _) = FragmentLayout.plan(total: payload.count, maximumChunk: configuration.maximumDatagramPayload)
        let messageId = sendLock.withLock { () -> UInt32 in
            defer { nextMessageId &+= 1 }
            return nextMessageId
        }
        if count > 1 {
            retransmits.insert(messageId: messageId, RetransmitCache.Entry(
                kind: kind, payload: payload, recipient: recipient, address: address, fragmentCount: count,
                expiresAt: Clock.monotonicNanoseconds() &+ retransmits.lifetime))
        }
        var firstFailure: Int32 = 0
        for index in 0..<count {
            let rc = sendFragment(kind, payload, index: index, count: count, messageId: messageId, to: recipient, at: address)
            if rc != 0 && firstFailure == 0 { firstFailure = rc }
        }
        return firstFailure
    }

    @discardableResult
    private func sendFragment(_ kind: MessageKind, _ payload: [UInt8], index: Int, count: Int, messageId: UInt32,
                              to recipient: NodeId, at address: SocketAddress) -> Int32 {
        let range = FragmentLayout.range(total: payload.count, count: count, index: index)
        let counter = sendLock.withLock { () -> UInt64 in
            defer { nextCounter += 1 }
            return nextCounter
        }
        let header = DatagramHeader(kind: kind, sender: nodeId, recipient: recipient, session: sessionId, counter: counter,
                                    timestamp: Clock.wallMilliseconds(), messageId: messageId, fragmentIndex: UInt16(index),
                                    fragmentCount: UInt16(count), totalLength: UInt32(payload.count))
        let datagram = codec.seal(header, body: count == 1 ? payload : Array(payload[range]))
        if simulatedLoss > 0, Double.random(in: 0..<1) < simulatedLoss {
            counters.update { $0.datagramsLostBySimulation += 1 }
            return 0
        }
        let rc = socketLock.withReadLock {
            socket.map { s in datagram.withUnsafeBytes { s.send($0, to: address) } } ?? EBADF
        }
        counters.update {
            if rc == 0 {
                $0.datagramsSent += 1
                $0.bytesSent += UInt64(datagram.count)
            } else {
                $0.sendFailures += 1
            }
        }
        return rc
    }

    // MARK: Network thread

    private func runNetworkThread() {
        guard let socket = socketLock.withReadLock({ self.socket }) else { return }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
        defer { buffer.deallocate() }
        let seeds = stateLock.withLock { pendingSeeds }
        withMembership { $0.start(seeds: seeds, now: Clock.monotonicNanoseconds()) }
        var nextTick = Clock.monotonicNanoseconds() &+ Transport.tickNanoseconds
        while !shouldStop {
            let now = Clock.monotonicNanoseconds()
            let waitMs = nextTick > now ? Int32((nextTick - now + 999_999) / 1_000_000) : 0
            if socket.waitReadable(timeoutMilliseconds: waitMs) {
                for _ in 0..<512 {
                    guard let (length, source) = socket.receive(into: buffer) else { break }
                    process(UnsafeRawBufferPointer(buffer), length: length, from: source)
                    if shouldStop { break }
                }
            }
            let after = Clock.monotonicNanoseconds()
            if after >= nextTick {
                tick(now: after)
                nextTick = after &+ Transport.tickNanoseconds
            }
        }
        if stateLock.withLock({ closeOnThreadExit }) { closeSocket() }
    }

    private func tick(now: UInt64) {
        withMembership { $0.tick(now: now) }
        let expired = reassembler.expire(now: now)
        if expired > 0 { counters.drop(.reassemblyExpired, count: UInt64(expired)) }
        for request in reassembler.dueNacks(now: now, maximumRanges: ControlMessage.maximumNackRanges) {
            let nack = ControlMessage.nack(session: request.key.session, messageId: request.key.messageId, missing: request.missing)
            transmit(.nack, nack.encoded(), to: request.key.sender, at: request.source)
            counters.update { $0.nacksSent += 1 }
        }
        retransmits.expire(now: now)
        if now >= nextPruneAt {
            nextPruneAt = now &+ 1_000_000_000
            replayGuard.prune(now: Clock.wallMilliseconds())
            let evicted = replayGuard.evictedEarly
            counters.update { $0.replaySessionsEvictedEarly = evicted }
        }
    }

    /// Validates one received datagram and routes it.
    private func process(_ buffer: UnsafeRawBufferPointer, length: Int, from source: SocketAddress) {
        counters.update {
            $0.datagramsReceived += 1
            $0.bytesReceived += UInt64(length)
        }
        guard length <= Wire.maximumDatagramByteCount else { return counters.drop(.oversized) }
        let opened: OpenedDatagram
        switch codec.open(UnsafeRawBufferPointer(rebasing: buffer[0..<length]), maximumMessageBytes: configuration.maximumMessageBytes) {
        case let .failure(reason): return counters.drop(reason)
        case let .success(d): opened = d
        }
        let h = opened.header
        if h.sender == nodeId {
            withMembership { $0.noteSelfAddress(source) }
            return counters.drop(.fromSelf)
        }
        guard h.recipient == nodeId || (h.recipient == .zero && h.kind == .ping) else { return counters.drop(.misdirected) }
        if let allowlist = configuration.allowlist, !allowlist.contains(h.sender) { return counters.drop(.notAllowed) }
        if let reason = replayGuard.accept(sender: h.sender, session: h.session, counter: h.counter,
                                           timestamp: h.timestamp, now: Clock.wallMilliseconds()) {
            return counters.drop(reason)
        }
        counters.update { $0.datagramsAccepted += 1 }
        membershipLock.withLock { membership.observe(h.sender, at: source) }
        guard h.fragmentCount > 1 else { return deliver(h.kind, opened.body, header: h, source: source) }
        switch reassembler.accept(h, body: opened.body, source: source, now: Clock.monotonicNanoseconds()) {
        case .incomplete: return
        case let .dropped(reason): counters.drop(reason)
        case let .complete(kind, payload): deliver(kind, payload, header: h, source: source)
        }
    }

    private func deliver(_ kind: MessageKind, _ payload: [UInt8], header h: DatagramHeader, source: SocketAddress) {
        if kind == .data {
            counters.update { $0.messagesDelivered += 1 }
            onMessage?(payload, h.sender)
            return
        }
        guard let message = ControlMessage.decode(kind: kind, body: payload) else { return counters.drop(.malformedBody) }
        if case let .nack(session, messageId, missing) = message {
            return retransmit(session: session, messageId: messageId, missing: missing, requester: h.sender, at: source)
        }
        withMembership { $0.handle(message, from: h.sender, source: source, now: Clock.monotonicNanoseconds()) }
    }

    private func retransmit(session: UInt64, messageId: UInt32, missing: [Range<Int>], requester: NodeId, at address: SocketAddress) {
        guard session == sessionId,
              let entry = retransmits.lookupForRetransmit(messageId: messageId, requester: requester, now: Clock.monotonicNanoseconds()) else {
            return counters.drop(.nackForUnknownMessage)
        }
        var sent: UInt64 = 0
        for range in missing {
            for index in range where index < entry.fragmentCount {
                sendFragment(entry.kind, entry.payload, index: index, count: entry.fragmentCount, messageId: messageId,
                             to: requester, at: address)
                sent += 1
            }
        }
        counters.update { $0.fragmentsRetransmitted += sent }
    }

    /// Runs `body` on the membership under its lock, then (unlocked) sends what it queued and
    /// reports its changes.
    private func withMembership(_ body: (Membership) -> Void) {
        let (outbox, changes): ([Membership.Outgoing], [MembershipChange]) = membershipLock.withLock {
            body(membership)
            defer {
                membership.outbox.removeAll(keepingCapacity: true)
                membership.changes.removeAll(keepingCapacity: true)
            }
            return (membership.outbox, membership.changes)
        }
        for out in outbox {
            transmit(out.message.kind, out.message.encoded(), to: out.recipient, at: out.address)
        }
        guard !changes.isEmpty else { return }
        let now = Clock.monotonicNanoseconds()
        for change in changes where !change.member.state.isLive {
            reassembler.discard(sender: change.member.id, now: now)
        }
        if let handler = onMembershipChange {
            for change in changes { handler(change) }
        }
    }
}
