/// Everything a ``Transport`` needs besides its addresses.
public struct TransportConfiguration: Sendable {
    /// This node's identity (persisted by the owner so it survives restarts).
    public var nodeId: NodeId
    /// The cluster key; nil runs an *open* cluster (see ``Transport/isOpen``).
    public var clusterKey: ClusterKey?
    /// Encrypt datagram bodies with ChaCha20-Poly1305 (requires `clusterKey`). Receivers with
    /// the key accept both encrypted and plaintext (authenticated) datagrams.
    public var encrypt = false
    /// When set, datagrams from any other NodeId are dropped (``DropReason/notAllowed``) and
    /// gossip about them is ignored.
    public var allowlist: Set<NodeId>? = nil
    /// Application bytes per datagram (the fragment chunk), at most ``Wire/maximumChunkByteCount``.
    /// The datagram is this plus 96 bytes (112 when encrypted).
    public var maximumDatagramPayload = 1200
    /// Largest message `send` accepts and the receiver reassembles.
    public var maximumMessageBytes = 8 << 20
    /// Reassembly budgets and timing.
    public var reassembly = ReassemblyLimits()
    /// Datagrams with an older timestamp are dropped as stale (seconds).
    public var maximumTimestampAge: Double = 60
    /// Datagrams with a timestamp further in the future are dropped (seconds of clock skew).
    public var maximumClockSkew: Double = 30
    /// Sender sessions remembered by the replay guard.
    public var maximumReplaySessions = 4096
    /// SWIM parameters.
    public var membership = MembershipConfiguration()
    /// SO_RCVBUF / SO_SNDBUF request (the kernel caps it at net.core.rmem_max / wmem_max).
    public var socketBufferBytes = 4 << 20
    /// Bytes of recently sent fragmented messages kept for nack-driven retransmission.
    public var retransmitCacheBytes = 32 << 20
    /// Fraction (0...1) of outgoing datagrams silently discarded instead of sent, to exercise
    /// loss in tests and benchmarks. Always 0 in production.
    public var simulatedSendLoss: Double = 0

    public init(nodeId: NodeId, clusterKey: ClusterKey? = nil, encrypt: Bool = false) {
        self.nodeId = nodeId
        self.clusterKey = clusterKey
        self.encrypt = encrypt
    }

    /// A description of the first invalid setting, or nil.
    func problem() -> String? {
        if nodeId == .zero { return "nodeId must not be all zero" }
        if encrypt && clusterKey == nil { return "encrypt requires a cluster key" }
        if maximumDatagramPayload < 256 || maximumDatagramPayload > Wire.maximumChunkByteCount {
            return "maximumDatagramPayload must be in 256...\(Wire.maximumChunkByteCount), got \(maximumDatagramPayload)"
        }
        let fragmentLimit = maximumDatagramPayload * Wire.maximumFragmentCount
        if maximumMessageBytes < 0 || maximumMessageBytes > min(fragmentLimit, Int(UInt32.max)) {
            return "maximumMessageBytes must be in 0...\(min(fragmentLimit, Int(UInt32.max)))"
        }
        if reassembly.perPeerBytes < 0 || reassembly.globalBytes < 0 { return "reassembly budgets must not be negative" }
        if !(reassembly.timeout > 0) || !(reassembly.nackDelay >= 0) || !(reassembly.nackInterval > 0) {
            return "reassembly timeout and nack interval must be positive"
        }
        if !(maximumTimestampAge > 0) || !(maximumClockSkew >= 0) { return "maximumTimestampAge must be positive and maximumClockSkew not negative" }
        if maximumReplaySessions < 1 { return "maximumReplaySessions must be at least 1" }
        return membership.problem()
    }
}
