/// The identity of a node: 16 bytes chosen and persisted by the owner (the replication layer),
/// so a node keeps its identity across restarts. The transport itself never invents one except
/// through ``random()``.
///
/// Stored as two words so hashing and comparison are cheap on the receive path.
public struct NodeId: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Length of a NodeId on the wire.
    public static let byteCount = 16

    /// The all-zero id. Never a valid node; on the wire it means "recipient unknown" (a join
    /// ping sent to a seed address).
    public static let zero = NodeId(high: 0, low: 0)

    /// Bytes 0-7, big-endian.
    public let high: UInt64
    /// Bytes 8-15, big-endian.
    public let low: UInt64

    /// Creates a NodeId from its two big-endian halves.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Creates a NodeId from exactly 16 bytes; `nil` for any other length.
    public init?(bytes: [UInt8]) {
        guard bytes.count == NodeId.byteCount else { return nil }
        self = bytes.withUnsafeBytes { NodeId(unsafeBytes: $0) }
    }

    /// Reads 16 bytes starting at `buffer[0]` (the caller checks the length).
    init(unsafeBytes buffer: UnsafeRawBufferPointer) {
        var h: UInt64 = 0
        var l: UInt64 = 0
        for i in 0..<8 { h = h << 8 | UInt64(buffer[i]) }
        for i in 8..<16 { l = l << 8 | UInt64(buffer[i]) }
        self.init(high: h, low: l)
    }

    /// Parses 32 hexadecimal digits (as printed by ``description``); `nil` if malformed.
    public init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 32 else { return nil }
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<16 {
            guard let hi = hexValue(utf8[2 * i]), let lo = hexValue(utf8[2 * i + 1]) else { return nil }
            bytes[i] = hi << 4 | lo
        }
        self.init(bytes: bytes)
    }

    /// A fresh random NodeId (cryptographically secure generator), never ``zero``.
    public static func random() -> NodeId {
        var rng = SystemRandomNumberGenerator()
        while true {
            let id = NodeId(high: rng.next(), low: rng.next())
            if id != .zero { return id }
        }
    }

    /// The 16 bytes, big-endian halves concatenated.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        for i in 0..<8 {
            out[i] = UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64(i)))
            out[8 + i] = UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64(i)))
        }
        return out
    }

    /// 32 lower-case hexadecimal digits.
    public var description: String { hexString(bytes) }

    /// A short prefix (8 hex digits) for logs.
    public var shortDescription: String { String(description.prefix(8)) }

    public static func < (a: NodeId, b: NodeId) -> Bool {
        (a.high, a.low) < (b.high, b.low)
    }
}

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
    default: return nil
    }
}
