/// Sections of the binary format (spec §5.5.2).
public enum SectionID: UInt8, Sendable, CustomStringConvertible {
    case custom = 0, type, `import`, function, table, memory, global, export, start, element, code, data, dataCount

    public var description: String {
        switch self {
        case .custom: "custom"
        case .type: "type"
        case .import: "import"
        case .function: "function"
        case .table: "table"
        case .memory: "memory"
        case .global: "global"
        case .export: "export"
        case .start: "start"
        case .element: "element"
        case .code: "code"
        case .data: "data"
        case .dataCount: "data count"
        }
    }

    /// Position in the mandatory section order (custom sections may appear anywhere).
    var orderRank: Int {
        switch self {
        case .custom: 0
        case .type: 1
        case .import: 2
        case .function: 3
        case .table: 4
        case .memory: 5
        case .global: 6
        case .export: 7
        case .start: 8
        case .element: 9
        case .dataCount: 10
        case .code: 11
        case .data: 12
        }
    }
}

/// A malformed binary: the message uses the spec's wording where it has one, and the error
/// names the section and the byte offset in the module where decoding failed.
public struct DecodeError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var offset: Int
    public var section: SectionID?

    public init(_ message: String, offset: Int, section: SectionID?) {
        self.message = message
        self.offset = offset
        self.section = section
    }

    public var description: String {
        let place = section.map { "\($0) section, " } ?? ""
        return "malformed module: \(message) (\(place)offset \(offset))"
    }
}

/// A cursor over module bytes: LEB128 integers with the spec's overlong/overflow rules,
/// floats, names with UTF-8 validation.
public struct ByteReader {
    @usableFromInline let base: UnsafePointer<UInt8>
    public var offset: Int
    public var end: Int
    public var section: SectionID?

    public init(base: UnsafePointer<UInt8>, start: Int, end: Int, section: SectionID?) {
        self.base = base
        self.offset = start
        self.end = end
        self.section = section
    }

    public var isAtEnd: Bool { offset >= end }
    public var remaining: Int { end - offset }

    public func error(_ message: String, at position: Int? = nil) -> DecodeError {
        DecodeError(message, offset: position ?? offset, section: section)
    }

    func unexpectedEnd() -> DecodeError {
        // Inside a section the spec calls this "unexpected end of section or function" when the
        // enclosing size is the limit; at the top level simply "unexpected end".
        error(section == nil ? "unexpected end" : "unexpected end of section or function")
    }

    @inlinable @inline(__always)
    public mutating func readByte() throws(DecodeError) -> UInt8 {
        guard offset < end else { throw unexpectedEndError() }
        let byte = base[offset]
        offset += 1
        return byte
    }

    @usableFromInline func unexpectedEndError() -> DecodeError { unexpectedEnd() }

    public func peekByte() -> UInt8? { offset < end ? base[offset] : nil }

    public mutating func readBytes(_ count: Int) throws(DecodeError) -> Range<Int> {
        guard count >= 0, count <= remaining else { throw error("length out of bounds") }
        let range = offset..<(offset + count)
        offset += count
        return range
    }

    public mutating func readVarUInt32() throws(DecodeError) -> UInt32 {
        let start = offset
        var result: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            let byte = try readByte()
            if shift == 28 {
                if byte & 0x80 != 0 { throw error("integer representation too long", at: start) }
                if byte & 0x70 != 0 { throw error("integer too large", at: start) }
            }
            result |= UInt32(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    public mutating func readVarInt32() throws(DecodeError) -> Int32 {
        Int32(truncatingIfNeeded: try readSignedLEB(bits: 32))
    }

    public mutating func readVarInt64() throws(DecodeError) -> Int64 {
        try readSignedLEB(bits: 64)
    }

    /// The signed 33-bit integer of block types (spec §5.4.1).
    public mutating func readVarInt33() throws(DecodeError) -> Int64 {
        try readSignedLEB(bits: 33)
    }

    /// A signed LEB128 integer of `bits` bits, sign-extended. At most ceil(bits / 7) bytes; in
    /// the last one, the bits beyond `bits` must all equal the sign bit.
    @inline(__always)
    mutating func readSignedLEB(bits: UInt64) throws(DecodeError) -> Int64 {
        let start = offset
        let lastShift = (bits - 1) / 7 * 7
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readByte()
            if shift == lastShift {
                if byte & 0x80 != 0 { throw error("integer representation too long", at: start) }
                // Payload bits from the sign bit (bits - 1) upwards: all zeros or all ones.
                let significant = bits - shift
                let signMask = UInt8(truncatingIfNeeded: (UInt64(0x7F) >> (significant - 1)) << (significant - 1))
                let unused = byte & signMask
                if unused != 0 && unused != signMask { throw error("integer too large", at: start) }
            }
            result |= UInt64(byte & 0x7F) << shift
            shift += 7
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 { result |= ~0 << shift }
                return Int64(bitPattern: result)
            }
        }
    }

    public mutating func readUInt32LE() throws(DecodeError) -> UInt32 {
        guard remaining >= 4 else { offset = end; throw unexpectedEnd() }
        let value = UnsafeRawPointer(base + offset).loadUnaligned(as: UInt32.self)
        offset += 4
        return UInt32(littleEndian: value)
    }

    public mutating func readUInt64LE() throws(DecodeError) -> UInt64 {
        guard remaining >= 8 else { offset = end; throw unexpectedEnd() }
        let value = UnsafeRawPointer(base + offset).loadUnaligned(as: UInt64.self)
        offset += 8
        return UInt64(littleEndian: value)
    }

    public mutating func readV128() throws(DecodeError) -> V128 {
        let low = try readUInt64LE()
        let high = try readUInt64LE()
        return V128(low: low, high: high)
    }

    /// A length-prefixed UTF-8 name.
    public mutating func readName() throws(DecodeError) -> String {
        let length = try readVarUInt32()
        let start = offset
        let range = try readBytes(Int(length))
        let buffer = UnsafeBufferPointer(start: base + range.lowerBound, count: range.count)
        guard UTF8Validation.isValid(buffer) else { throw error("malformed UTF-8 encoding", at: start) }
        return String(decoding: buffer, as: UTF8.self)
    }

    public mutating func readValueType() throws(DecodeError) -> ValueType {
        let position = offset
        let byte = try readByte()
        guard let type = ValueType(rawValue: byte) else {
            throw error("malformed value type 0x\(String(byte, radix: 16))", at: position)
        }
        return type
    }

    public mutating func readReferenceType() throws(DecodeError) -> ValueType {
        let position = offset
        let byte = try readByte()
        guard let type = ValueType(rawValue: byte), type.isReference else {
            throw error("malformed reference type", at: position)
        }
        return type
    }

    public mutating func readLimits() throws(DecodeError) -> Limits {
        let position = offset
        let flag = try readByte()
        switch flag {
        case 0x00:
            return Limits(min: try readVarUInt32(), max: nil)
        case 0x01:
            let min = try readVarUInt32()
            let max = try readVarUInt32()
            return Limits(min: min, max: max)
        default:
            throw error("integer too large: malformed limits flags 0x\(String(flag, radix: 16))", at: position)
        }
    }
}

/// Strict UTF-8 validation (no overlongs, no surrogates, nothing above U+10FFFF).
enum UTF8Validation {
    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 { index += 1; continue }
            let length: Int
            var lower: UInt8 = 0x80
            var upper: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; lower = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; upper = 0x9F
            case 0xF0: length = 4; lower = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; upper = 0x8F
            default: return false
            }
            guard index + length <= count else { return false }
            let second = bytes[index + 1]
            guard second >= lower && second <= upper else { return false }
            var continuation = 2
            while continuation < length {
                let byte = bytes[index + continuation]
                guard byte & 0xC0 == 0x80 else { return false }
                continuation += 1
            }
            index += length
        }
        return true
    }
}
