/// Why bytes from the network or the store could not be decoded. Every decoder in NXSync
/// reports the structure it was reading and the byte offset, never traps.
public enum DecodeError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The input ended inside `what`.
    case truncated(what: String, offset: Int)
    /// `what` at `offset` has an impossible value.
    case invalid(what: String, offset: Int, reason: String)
    /// An encoding version this build does not know.
    case unsupportedVersion(what: String, version: UInt8)
    /// A length or count above the limit for `what`.
    case tooLarge(what: String, size: Int, limit: Int)

    public var description: String {
        switch self {
        case let .truncated(what, offset): return "truncated \(what) at offset \(offset)"
        case let .invalid(what, offset, reason): return "invalid \(what) at offset \(offset): \(reason)"
        case let .unsupportedVersion(what, version): return "unsupported \(what) version \(version)"
        case let .tooLarge(what, size, limit): return "\(what) of \(size) exceeds the limit of \(limit)"
        }
    }
}

/// Appends the binary encodings NXSync uses: bytes, LEB128 varints (always minimal), raw node
/// ids and length-prefixed byte strings.
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 64) { bytes.reserveCapacity(capacity) }

    var count: Int { bytes.count }

    mutating func u8(_ v: UInt8) { bytes.append(v) }

    mutating func u16be(_ v: UInt16) {
        bytes.append(UInt8(v >> 8))
        bytes.append(UInt8(v & 0xff))
    }

    mutating func u64be(_ v: UInt64) {
        var shift: UInt64 = 56
        while true {
            bytes.append(UInt8(truncatingIfNeeded: v >> shift))
            if shift == 0 { break }
            shift -= 8
        }
    }

    /// Unsigned LEB128, minimal length (1 to 10 bytes).
    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func varint(_ value: Int) { varint(UInt64(value)) }

    mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    /// varint length, then the bytes.
    mutating func lengthPrefixed(_ b: [UInt8]) {
        varint(b.count)
        bytes.append(contentsOf: b)
    }

    mutating func node(_ id: NodeId) {
        u64be(id.high)
        u64be(id.low)
    }

    /// Origin (16 bytes) then sequence (varint).
    mutating func opId(_ id: OpId) {
        node(id.origin)
        varint(id.seq)
    }

    /// Size of `varint(value)` without writing it.
    static func varintSize(_ value: UInt64) -> Int {
        var v = value, n = 1
        while v >= 0x80 { v >>= 7; n += 1 }
        return n
    }

    static func varintSize(_ value: Int) -> Int { varintSize(UInt64(value)) }
}

/// Reads what `ByteWriter` writes, checking every bound: a truncated or malformed input is a
/// `DecodeError` naming the field and offset.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let end: Int

    init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
        end = bytes.count
    }

    var isAtEnd: Bool { offset >= end }
    var remaining: Int { end - offset }

    mutating func u8(_ what: String) throws -> UInt8 {
        guard offset < end else { throw DecodeError.truncated(what: what, offset: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func u16be(_ what: String) throws -> UInt16 {
        guard remaining >= 2 else { throw DecodeError.truncated(what: what, offset: offset) }
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    mutating func u64be(_ what: String) throws -> UInt64 {
        guard remaining >= 8 else { throw DecodeError.truncated(what: what, offset: offset) }
        var v: UInt64 = 0
        for i in 0..<8 { v = v << 8 | UInt64(bytes[offset + i]) }
        offset += 8
        return v
    }

    /// A minimal unsigned LEB128 of at most 10 bytes that fits in 64 bits.
    mutating func varint(_ what: String) throws -> UInt64 {
        let start = offset
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < end else { throw DecodeError.truncated(what: what, offset: start) }
            let b = bytes[offset]
            offset += 1
            if shift == 63 && b > 1 {
                throw DecodeError.invalid(what: what, offset: start, reason: "varint overflows 64 bits")
            }
            result |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 {
                if b == 0 && shift > 0 {
                    throw DecodeError.invalid(what: what, offset: start, reason: "non-minimal varint")
                }
                return result
            }
            shift += 7
        }
    }

    /// A varint used as a length or count, at most `limit` and (for byte lengths) at most the
    /// bytes left, so a hostile count cannot make us allocate.
    mutating func length(_ what: String, limit: Int, elementSize: Int = 1) throws -> Int {
        let at = offset
        let v = try varint(what)
        guard v <= UInt64(limit) else { throw DecodeError.tooLarge(what: what, size: Int(clamping: v), limit: limit) }
        let n = Int(v)
        // Each element takes at least `elementSize` bytes: a count the input cannot hold is
        // rejected before anything is allocated for it.
        let (minimumBytes, overflow) = n.multipliedReportingOverflow(by: max(elementSize, 1))
        guard !overflow, minimumBytes <= remaining else { throw DecodeError.truncated(what: what, offset: at) }
        return n
    }

    mutating func raw(_ count: Int, _ what: String) throws -> [UInt8] {
        guard count >= 0, remaining >= count else { throw DecodeError.truncated(what: what, offset: offset) }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func lengthPrefixed(_ what: String, limit: Int) throws -> [UInt8] {
        let n = try length(what, limit: limit)
        return try raw(n, what)
    }

    mutating func node(_ what: String) throws -> NodeId {
        let hi = try u64be(what)
        let lo = try u64be(what)
        return NodeId(high: hi, low: lo)
    }

    mutating func opId(_ what: String) throws -> OpId {
        let at = offset
        let origin = try node(what)
        let seq = try varint(what)
        guard seq > 0 else { throw DecodeError.invalid(what: what, offset: at, reason: "sequence 0") }
        return OpId(origin: origin, seq: seq)
    }

    /// The version byte of `what`, which must equal `expected`.
    mutating func version(_ what: String, expected: UInt8) throws {
        let v = try u8(what + " version")
        guard v == expected else { throw DecodeError.unsupportedVersion(what: what, version: v) }
    }

    func expectEnd(_ what: String) throws {
        guard offset == end else {
            throw DecodeError.invalid(what: what, offset: offset, reason: "\(end - offset) trailing bytes")
        }
    }
}

extension Array where Element == UInt8 {
    /// Byte-lexicographic order (shorter prefix first).
    @inline(__always)
    static func lexicographicLess(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.lexicographicallyPrecedes(b)
    }
}

/// Hex helpers.
enum Hex {
    private static let digits: [UInt8] = Array("0123456789abcdef".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        String(decoding: encodeBytes(bytes), as: UTF8.self)
    }

    static func encodeBytes(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return out
    }

    /// 16 lowercase hex digits of `v` (sorts like the number).
    static func u64(_ v: UInt64) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        for i in 0..<16 { out[i] = digits[Int((v >> UInt64(60 - 4 * i)) & 15)] }
        return out
    }

    static func decode<S: Sequence>(_ text: S) -> [UInt8]? where S.Element == UInt8 {
        var out: [UInt8] = []
        var high: UInt8?
        for c in text {
            let v: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): v = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): v = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            if let h = high {
                out.append(h << 4 | v)
                high = nil
            } else {
                high = v
            }
        }
        return high == nil ? out : nil
    }
}
