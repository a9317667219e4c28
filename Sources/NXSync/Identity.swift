#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A node's identity: 16 random bytes, created when a store is first opened for sync and
/// persisted under `__nx/sync/node-id`. Shown as 32 lowercase hex digits. Ordered by its
/// bytes (big-endian), which is the tie-break order of LWW timestamps and RGA siblings.
public struct NodeId: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Bytes 0..<8, big-endian.
    public let high: UInt64
    /// Bytes 8..<16, big-endian.
    public let low: UInt64

    public static let byteCount = 16
    /// The all-zero id; never generated (see `random()`), used as "no node".
    public static let zero = NodeId(high: 0, low: 0)

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// The id with these 16 bytes, or nil for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == NodeId.byteCount else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0
        for i in 0..<8 { h = h << 8 | UInt64(bytes[i]) }
        for i in 8..<16 { l = l << 8 | UInt64(bytes[i]) }
        self.init(high: h, low: l)
    }

    /// Parses 32 hex digits (either case).
    public init?(hex: String) {
        guard hex.utf8.count == 32, let b = Hex.decode(hex.utf8) else { return nil }
        self.init(bytes: b)
    }

    /// The 16 bytes.
    public var bytes: [UInt8] {
        var w = ByteWriter(capacity: 16)
        w.node(self)
        return w.bytes
    }

    /// 32 lowercase hex digits.
    public var hex: String { Hex.encode(bytes) }

    /// `hex` as ASCII bytes: what `net_node_id` and `net_peers` give guests.
    public var hexBytes: [UInt8] { Hex.encodeBytes(bytes) }

    public var description: String { hex }

    public static func < (a: NodeId, b: NodeId) -> Bool {
        a.high != b.high ? a.high < b.high : a.low < b.low
    }

    /// 16 bytes from /dev/urandom (never the zero id).
    public static func random() throws -> NodeId {
        while true {
            let id = NodeId(bytes: try SecureRandom.bytes(16))!
            if id != .zero { return id }
        }
    }
}

/// The id of one operation: its origin node and that node's sequence number. Sequences start
/// at 1 and increase by one per operation of the origin (across all keys and CRDT types), so
/// a version vector (origin → highest applied sequence) names exactly the set of operations a
/// replica has applied.
public struct OpId: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let origin: NodeId
    public let seq: UInt64

    public init(origin: NodeId, seq: UInt64) {
        self.origin = origin
        self.seq = seq
    }

    /// The RGA's virtual root ("insert at the head"): sequence 0 is never an operation.
    static let head = OpId(origin: .zero, seq: 0)

    public static func < (a: OpId, b: OpId) -> Bool {
        a.origin != b.origin ? a.origin < b.origin : a.seq < b.seq
    }

    public var description: String { "\(origin.hex):\(seq)" }
}

/// Reads the kernel's random source.
enum SecureRandom {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func bytes(_ count: Int) throws -> [UInt8] {
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure(description: "open /dev/urandom failed (errno \(errno))") }
        defer { close(fd) }
        var out = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, count - filled) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Failure(description: "read /dev/urandom failed (errno \(errno))") }
            filled += n
        }
        return out
    }

    static func u64() throws -> UInt64 {
        try bytes(8).reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// A small, fast, seedable PRNG (xoshiro256**, seeded through SplitMix64): the engine's peer
/// choices, and the tests' simulator, are reproducible from a seed.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var x = seed
        func splitmix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitmix(); s1 = splitmix(); s2 = splitmix(); s3 = splitmix()
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in 0..<n (n > 0).
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0)
        return Int(next() % UInt64(n))
    }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool {
        Double(next() >> 11) / Double(1 << 53) < p
    }
}

/// A pthread mutex (the engine's single lock).
final class Lock: @unchecked Sendable {
    private let m: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        m = .allocate(capacity: 1)
        pthread_mutex_init(m, nil)
    }

    deinit {
        pthread_mutex_destroy(m)
        m.deallocate()
    }

    @inline(__always)
    func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(m)
        defer { pthread_mutex_unlock(m) }
        return try body()
    }
}
