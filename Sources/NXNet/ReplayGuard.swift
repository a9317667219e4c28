/// Replay protection for authenticated datagrams.
///
/// Each sender session (NodeId, session id) has a sliding window over its datagram counters:
/// the highest counter seen plus a bitmap of the ``windowSize`` counters below it. A counter
/// seen before is a replay; one below the window is too old to judge and is dropped too.
///
/// Sessions are forgotten after they have been idle for `maximumAge + maximumFutureSkew`.
/// From then on the timestamp check covers them: any datagram the guard accepted from a
/// forgotten session carries a timestamp older than the maximum age, so a replay is stale.
///
/// Not thread-safe: the transport's network thread owns it.
public final class ReplayGuard {
    /// Counters tracked below the highest one seen, per session.
    public static let windowSize = 1024
    private static let words = windowSize / 64

    struct SessionKey: Hashable {
        let sender: NodeId
        let session: UInt64
    }

    /// A class so the bitmap is updated in place (no copy of the array per datagram).
    final class Window {
        var highest: UInt64
        /// Bit i of word i/64 set: counter `highest - i` was seen.
        var seen: [UInt64]
        var lastActivity: UInt64

        init(highest: UInt64, lastActivity: UInt64) {
            self.highest = highest
            seen = [UInt64](repeating: 0, count: ReplayGuard.words)
            seen[0] = 1
            self.lastActivity = lastActivity
        }
    }

    /// Oldest accepted timestamp relative to now, in milliseconds.
    public let maximumAgeMilliseconds: UInt64
    /// Largest accepted timestamp lead over the local clock, in milliseconds.
    public let maximumFutureSkewMilliseconds: UInt64
    /// Most sessions remembered at once.
    public let maximumSessions: Int
    private var sessions: [SessionKey: Window] = [:]
    /// Sessions evicted while still younger than the retention (table full).
    public private(set) var evictedEarly: UInt64 = 0

    public init(maximumAgeMilliseconds: UInt64, maximumFutureSkewMilliseconds: UInt64, maximumSessions: Int = 4096) {
        self.maximumAgeMilliseconds = maximumAgeMilliseconds
        self.maximumFutureSkewMilliseconds = maximumFutureSkewMilliseconds
        self.maximumSessions = max(1, maximumSessions)
    }

    /// Sessions currently remembered.
    public var sessionCount: Int { sessions.count }

    /// Checks a datagram's timestamp and counter and, if it is fresh, records the counter.
    /// Call only for datagrams whose tag verified, so forgeries cannot fill the window.
    /// - Returns: nil when accepted, otherwise the drop reason.
    public func accept(sender: NodeId, session: UInt64, counter: UInt64, timestamp: UInt64, now: UInt64) -> DropReason? {
        if timestamp &+ maximumAgeMilliseconds < now { return .stale }
        if timestamp > now &+ maximumFutureSkewMilliseconds { return .fromFuture }
        let key = SessionKey(sender: sender, session: session)
        guard let window = sessions[key] else {
            makeRoom(now: now)
            sessions[key] = Window(highest: counter, lastActivity: now)
            return nil
        }
        if counter > window.highest {
            ReplayGuard.shift(&window.seen, by: counter - window.highest)
            window.seen[0] |= 1
            window.highest = counter
        } else {
            let age = window.highest - counter
            guard age < UInt64(ReplayGuard.windowSize) else { return .outsideReplayWindow }
            let word = Int(age / 64)
            let bit = UInt64(1) << (age % 64)
            if window.seen[word] & bit != 0 { return .replayed }
            window.seen[word] |= bit
        }
        window.lastActivity = now
        return nil
    }

    /// Forgets sessions idle for longer than the retention (max age + future skew).
    public func prune(now: UInt64) {
        let retention = maximumAgeMilliseconds &+ maximumFutureSkewMilliseconds
        sessions = sessions.filter { $0.value.lastActivity &+ retention >= now }
    }

    /// Forgets everything (what a restarted receiver knows).
    public func reset() { sessions.removeAll() }

    private func makeRoom(now: UInt64) {
        guard sessions.count >= maximumSessions else { return }
        prune(now: now)
        while sessions.count >= maximumSessions, let oldest = sessions.min(by: { $0.value.lastActivity < $1.value.lastActivity }) {
            sessions[oldest.key] = nil
            evictedEarly += 1
        }
    }

    /// Shifts the bitmap towards older counters by `distance` positions.
    private static func shift(_ seen: inout [UInt64], by distance: UInt64) {
        guard distance < UInt64(windowSize) else {
            for i in 0..<words { seen[i] = 0 }
            return
        }
        let wordShift = Int(distance / 64)
        let bitShift = distance % 64
        for i in stride(from: words - 1, through: 0, by: -1) {
            let source = i - wordShift
            var v: UInt64 = source >= 0 ? seen[source] << bitShift : 0
            if bitShift != 0, source - 1 >= 0 { v |= seen[source - 1] >> (64 - bitShift) }
            seen[i] = v
        }
    }
}
