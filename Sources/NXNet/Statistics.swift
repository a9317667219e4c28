/// Why a datagram (or an incomplete message) was dropped. Every drop is counted under exactly
/// one reason in ``TransportStatistics/drops``.
public enum DropReason: String, CaseIterable, Sendable, Error, CustomStringConvertible {
    /// Shorter than its header or than the lengths its header declares.
    case truncated
    /// Larger than ``Wire/maximumDatagramByteCount``.
    case oversized
    /// Does not start with the NXNet magic.
    case badMagic
    /// A protocol version this node does not speak.
    case unsupportedVersion
    /// An unknown message kind.
    case unknownKind
    /// Inconsistent header: reserved bits or bytes set, trailing bytes, a zero sender, bad
    /// fragment fields, or a fragmented kind that may not be fragmented.
    case malformedHeader
    /// The message's declared total length exceeds this node's maximum message size.
    case messageTooLarge
    /// The sender's security mode differs: it uses no cluster key while this node does, or the
    /// other way round.
    case securityModeMismatch
    /// The tag does not verify: another cluster key, or the datagram was altered.
    case unauthenticated
    /// The tag verified but the ciphertext did not decrypt (should not happen with one key).
    case decryptionFailed
    /// Addressed to another NodeId (e.g. a node that used to listen on this port).
    case misdirected
    /// Sent by this node itself (e.g. a seed list that includes this node).
    case fromSelf
    /// The sender is not on the allowlist.
    case notAllowed
    /// A counter already seen in the sender's session (a duplicate or a replay).
    case replayed
    /// A counter older than the replay window of the sender's session.
    case outsideReplayWindow
    /// The timestamp is older than the maximum age.
    case stale
    /// The timestamp is further in the future than the allowed clock skew.
    case fromFuture
    /// The authenticated body of a control message does not parse.
    case malformedBody
    /// A fragment of a message that would exceed the per-peer or global reassembly budget.
    case reassemblyBudgetExceeded
    /// An incomplete message expired (counted once per message, not per fragment).
    case reassemblyExpired
    /// A fragment already received (or of a message already completed).
    case duplicateFragment
    /// A fragment whose kind or layout differs from the earlier fragments of its message.
    case fragmentMismatch
    /// A nack for a message this node no longer holds.
    case nackForUnknownMessage

    public var description: String { rawValue }
}

/// A snapshot of the transport's counters (monotonic since `start`).
public struct TransportStatistics: Sendable, CustomStringConvertible {
    /// Datagrams handed to the kernel.
    public var datagramsSent: UInt64 = 0
    /// Bytes of those datagrams (UDP payload).
    public var bytesSent: UInt64 = 0
    /// Datagrams read from the socket (before any check).
    public var datagramsReceived: UInt64 = 0
    /// Bytes of those datagrams.
    public var bytesReceived: UInt64 = 0
    /// Datagrams that passed every check.
    public var datagramsAccepted: UInt64 = 0
    /// Application messages passed to ``Transport/send(_:to:)`` and friends (one per recipient).
    public var messagesSent: UInt64 = 0
    /// Application messages delivered to ``Transport/onMessage``.
    public var messagesDelivered: UInt64 = 0
    /// Fragments sent again in answer to a nack.
    public var fragmentsRetransmitted: UInt64 = 0
    /// Nacks sent for incomplete messages.
    public var nacksSent: UInt64 = 0
    /// `sendto` failures (by errno they are not distinguished here; see the log of the owner).
    public var sendFailures: UInt64 = 0
    /// Outgoing datagrams discarded by ``TransportConfiguration/simulatedSendLoss``.
    public var datagramsLostBySimulation: UInt64 = 0
    /// Replay-protection sessions evicted before their maximum age (table full).
    public var replaySessionsEvictedEarly: UInt64 = 0
    /// Drops by reason.
    public var drops: [DropReason: UInt64] = [:]

    /// Count for one drop reason (0 if none).
    public func drops(_ reason: DropReason) -> UInt64 { drops[reason, default: 0] }

    /// All drops.
    public var totalDrops: UInt64 { drops.values.reduce(0, +) }

    public var description: String {
        var parts = ["sent \(datagramsSent) dgrams/\(bytesSent) B", "received \(datagramsReceived) dgrams/\(bytesReceived) B",
                     "accepted \(datagramsAccepted)", "messages sent \(messagesSent) delivered \(messagesDelivered)",
                     "retransmitted \(fragmentsRetransmitted)", "nacks \(nacksSent)", "send failures \(sendFailures)"]
        let dropText = DropReason.allCases.compactMap { r in drops[r].map { "\(r)=\($0)" } }
        parts.append("drops [\(dropText.joined(separator: " "))]")
        return parts.joined(separator: ", ")
    }
}

/// Lock-protected counters behind ``Transport/statistics``.
final class StatisticsCounters: @unchecked Sendable {
    private let lock = Lock()
    private var value = TransportStatistics()

    func update(_ body: (inout TransportStatistics) -> Void) {
        lock.withLock { body(&value) }
    }

    func drop(_ reason: DropReason, count: UInt64 = 1) {
        lock.withLock { value.drops[reason, default: 0] += count }
    }

    var snapshot: TransportStatistics { lock.withLock { value } }
}
