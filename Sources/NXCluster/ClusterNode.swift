import Dispatch
import Foundation
import NXNet
import NXStore
import NXSync

#if canImport(Glibc)
import Glibc
#endif

/// How a node joins a cluster.
public struct ClusterOptions: Sendable {
    /// Address to bind, e.g. `127.0.0.1:7001` or `[::1]:0`.
    public var listen: String
    /// Seed addresses to contact first; the rest of the cluster is learned by gossip.
    public var seeds: [String] = []
    /// Shared secret authenticating every datagram; nil runs an open cluster (warned about).
    public var clusterKey: ClusterKey?
    /// Encrypt datagrams with ChaCha20-Poly1305 (needs a cluster key).
    public var encrypt = false
    /// Only these nodes may talk to this one (nil: anyone with the key).
    public var allowlist: Set<NXNet.NodeId>?
    /// Replication settings (fanout, anti-entropy interval, queue and log bounds).
    public var sync = SyncConfiguration()
    /// Membership timers (ping interval, suspicion).
    public var membership = MembershipConfiguration()
    /// Drop this fraction of outgoing datagrams (for loss experiments).
    public var simulatedLoss: Double = 0
    /// How often the replication engine's timers run.
    public var tickIntervalMilliseconds = 20
    /// Local operations are pushed at most this long after they were made, together with
    /// the others made meanwhile: fewer, fuller datagrams under load for a few milliseconds
    /// of latency. 0 pushes every operation at once.
    public var pushDelayMilliseconds = 5

    public init(listen: String) { self.listen = listen }
}

/// One node of a cluster: the replication engine on top of the UDP transport. Messages from
/// the network, membership changes, local operations and timers are all handed to one serial
/// queue, so the network thread never blocks on the engine's store writes.
public final class ClusterNode: @unchecked Sendable {
    public let engine: ReplicationEngine
    public let transport: Transport
    private let queue = DispatchQueue(label: "nx.cluster.engine")
    private var timer: DispatchSourceTimer?
    private let options: ClusterOptions
    private let clockOrigin = ClusterNode.monotonicMilliseconds()
    /// Whether a push is scheduled (guarded by `pushLock`; set by writers, cleared on `queue`).
    private var pushScheduled = false
    private let pushLock = NSLock()

    /// Creates the engine over `store` (which must stay open until `stop()`) and the transport.
    public init(store: Store, options: ClusterOptions) throws {
        self.options = options
        engine = try ReplicationEngine(store: store, configuration: options.sync)
        var configuration = TransportConfiguration(nodeId: NXNet.NodeId(engine.localNode), clusterKey: options.clusterKey,
                                                   encrypt: options.encrypt)
        configuration.allowlist = options.allowlist
        configuration.membership = options.membership
        configuration.simulatedSendLoss = options.simulatedLoss
        transport = try Transport(configuration: configuration)
    }

    /// Why the cluster is insecure, if it is (no cluster key): print it loudly.
    public var securityWarning: String? { transport.securityWarning }

    /// Binds, contacts the seeds and starts the engine's timers.
    public func start() throws {
        transport.onMessage = { [weak self] payload, sender in
            guard let self else { return }
            queue.async { self.send(self.engine.handle(payload, from: NXSync.NodeId(sender), now: self.now)) }
        }
        transport.onMembershipChange = { [weak self] _ in
            guard let self else { return }
            queue.async { self.updatePeers() }
        }
        engine.onLocalOperation = { [weak self] _ in self?.schedulePush() }
        try transport.start(listen: options.listen, seeds: options.seeds)
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now(), repeating: .milliseconds(options.tickIntervalMilliseconds))
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            send(engine.tick(now: now))
        }
        timer.resume()
        self.timer = timer
    }

    /// Stops timers and the transport (announcing departure unless `leave` is false), after
    /// the engine's queued work ran. The store is the caller's to close afterwards.
    public func stop(leave: Bool = true) {
        timer?.cancel()
        timer = nil
        engine.onLocalOperation = nil
        queue.sync {}
        transport.stop(leave: leave)
    }

    /// The bound address (after `start`).
    public var address: String? { transport.localAddress?.description }

    /// Live members other than this node.
    public func members() -> [Member] { transport.members() }

    /// Called on the writer's thread for every local operation: schedules one push for all
    /// the operations made until it runs.
    private func schedulePush() {
        let first = pushLock.withLock {
            defer { self.pushScheduled = true }
            return !self.pushScheduled
        }
        guard first else { return }
        queue.asyncAfter(deadline: .now() + .milliseconds(options.pushDelayMilliseconds)) { [weak self] in
            guard let self else { return }
            pushLock.withLock { self.pushScheduled = false }
            send(engine.localOperationsOutbound())
        }
    }

    private var now: UInt64 { ClusterNode.monotonicMilliseconds() &- clockOrigin }

    private func updatePeers() {
        let peers = transport.members().map { SyncPeer(id: NXSync.NodeId($0.id), address: $0.address.description) }
        engine.setPeers(peers)
    }

    /// Sends engine output; the engine repairs anything lost, so failures are only counted.
    private func send(_ messages: [Outbound]) {
        for message in messages {
            try? transport.send(message.payload, to: NXNet.NodeId(message.to))
        }
    }

    static func monotonicMilliseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1000 + UInt64(time.tv_nsec) / 1_000_000
    }
}

extension NXNet.NodeId {
    init(_ id: NXSync.NodeId) { self.init(high: id.high, low: id.low) }
}

extension NXSync.NodeId {
    init(_ id: NXNet.NodeId) { self.init(high: id.high, low: id.low) }
}
