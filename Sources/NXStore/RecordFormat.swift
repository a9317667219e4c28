/// The on-disk record and segment-header formats.
///
/// Segment file (`<major:16 hex>-<minor:8 hex>.seg`):
///
///     header, 40 bytes:
///       0  magic "NXSTSEG1"
///       8  u16 format version (1)
///      10  u16 kind (0 = log segment, 1 = merge output)
///      12  u32 minor id          16  u64 major id
///      24  u64 base sequence number (record sequence numbers are stored relative to it)
///      32  u32 reserved (0)      36  u32 CRC-32C of bytes 0..<36
///     records, back to back, until the end of the file:
///       u32      CRC-32C of every following byte of the record
///       u8       flags: 1 tombstone, 2 batch member, 4 last record of a batch; others 0
///       varint   sequence number - base sequence number (LEB128)
///       varint   key length (<= 32767)
///       varint   value length (<= 1 GiB; 0 for tombstones)
///       key bytes, value bytes
///
/// A write batch is a run of records that all carry flag 2 and the same sequence number, the
/// last one also flag 4; recovery applies a batch only once its last record is present.
/// All integers are little-endian.
enum RecordFormat {
    static let flagTombstone: UInt8 = 1
    static let flagBatch: UInt8 = 2
    static let flagBatchEnd: UInt8 = 4
    static let knownFlags: UInt8 = 7
    /// CRC + flags + 10-byte seq delta + 3-byte key length + 5-byte value length.
    static let maxHeaderSize = 4 + 1 + 10 + 3 + 5

    @inline(__always)
    static func varintSize(_ v: UInt64) -> Int {
        var n = 1
        var x = v >> 7
        while x != 0 { n += 1; x >>= 7 }
        return n
    }

    @inline(__always)
    static func writeVarint(_ v: UInt64, _ p: UnsafeMutableRawPointer) -> Int {
        var x = v
        var i = 0
        while x >= 0x80 {
            p.storeBytes(of: UInt8(truncatingIfNeeded: x) | 0x80, toByteOffset: i, as: UInt8.self)
            x >>= 7
            i += 1
        }
        p.storeBytes(of: UInt8(truncatingIfNeeded: x), toByteOffset: i, as: UInt8.self)
        return i + 1
    }

    /// Reads a varint at `p[i]` not past `end`; returns nil when truncated or longer than 10 bytes.
    @inline(__always)
    static func readVarint(_ p: UnsafeRawPointer, _ i: inout Int, _ end: Int) -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while i < end {
            let b = p.load(fromByteOffset: i, as: UInt8.self)
            i += 1
            if shift == 63 && b > 1 { return nil }
            result |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return result }
            shift += 7
            if shift > 63 { return nil }
        }
        return nil
    }

    /// Header size of a record with these fields.
    @inline(__always)
    static func headerSize(seqDelta: UInt64, keyLength: Int, valueLength: Int) -> Int {
        5 + varintSize(seqDelta) + varintSize(UInt64(keyLength)) + varintSize(UInt64(valueLength))
    }

    /// Encodes a record at `p` (which must have room for header + key + value) and returns
    /// (total size, header size). The CRC is computed over the written bytes.
    @inline(__always)
    static func encode(at p: UnsafeMutableRawPointer, flags: UInt8, seqDelta: UInt64,
                       key: UnsafeRawPointer?, keyLength: Int,
                       value: UnsafeRawPointer?, valueLength: Int, crc: CRC32C) -> (size: Int, header: Int) {
        p.storeBytes(of: flags, toByteOffset: 4, as: UInt8.self)
        var h = 5
        h += writeVarint(seqDelta, p + h)
        h += writeVarint(UInt64(keyLength), p + h)
        h += writeVarint(UInt64(valueLength), p + h)
        if keyLength > 0 { (p + h).copyMemory(from: key!, byteCount: keyLength) }
        if valueLength > 0 { (p + h + keyLength).copyMemory(from: value!, byteCount: valueLength) }
        let size = h + keyLength + valueLength
        let sum = crc.checksum(UnsafeRawPointer(p + 4), size - 4)
        p.storeBytes(of: sum.littleEndian, as: UInt32.self)
        return (size, h)
    }

    /// A record parsed from a mapped segment.
    struct Parsed {
        var flags: UInt8
        var seqDelta: UInt64
        var headerSize: Int
        var keyLength: Int
        var valueLength: Int
        var size: Int { headerSize + keyLength + valueLength }
    }

    enum ParseResult {
        case record(Parsed)
        /// The record's header or body would extend past `end`.
        case truncated(reason: String)
        /// The bytes cannot be a record written by this store.
        case invalid(reason: String)
    }

    /// Parses (and, if `verify`, checksums) the record at `base[offset]`, not reading past `end`.
    static func parse(_ base: UnsafeRawPointer, at offset: Int, end: Int, verify: Bool, crc: CRC32C) -> ParseResult {
        if end - offset < 8 { return .truncated(reason: "record header cut off by the end of the file") }
        let flags = base.load(fromByteOffset: offset + 4, as: UInt8.self)
        if flags & ~knownFlags != 0 { return .invalid(reason: "unknown record flags 0x\(String(flags, radix: 16))") }
        var i = offset + 5
        guard let seq = readVarint(base, &i, end) else { return .truncated(reason: "bad sequence number varint") }
        guard let kl = readVarint(base, &i, end) else { return .truncated(reason: "bad key length varint") }
        guard let vl = readVarint(base, &i, end) else { return .truncated(reason: "bad value length varint") }
        if kl > UInt64(Limits.maxKeySize) { return .invalid(reason: "key length \(kl) exceeds the format limit \(Limits.maxKeySize)") }
        if vl > UInt64(Limits.maxValueSize) { return .invalid(reason: "value length \(vl) exceeds the format limit \(Limits.maxValueSize)") }
        if flags & flagTombstone != 0 && vl != 0 { return .invalid(reason: "tombstone with a value") }
        let p = Parsed(flags: flags, seqDelta: seq, headerSize: i - offset,
                       keyLength: Int(truncatingIfNeeded: kl), valueLength: Int(truncatingIfNeeded: vl))
        if offset + p.size > end {
            return .truncated(reason: "record of \(p.size) bytes extends past the end of the file")
        }
        if verify {
            let stored = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            let actual = crc.checksum(base + offset + 4, p.size - 4)
            if stored != actual {
                return .invalid(reason: "record checksum mismatch (stored 0x\(String(stored, radix: 16)), computed 0x\(String(actual, radix: 16)))")
            }
        }
        return .record(p)
    }
}

/// The identity of a segment file; files sort by (major, minor). Log segments have minor 0;
/// a merge of every segment up to major `k` writes outputs `(k, m)`, `m > 0`, which sort after
/// their inputs and before any later log segment, so replaying all files in order is correct
/// whether or not the inputs were already deleted.
struct SegmentID: Comparable, Hashable, CustomStringConvertible {
    var major: UInt64
    var minor: UInt32

    static func < (a: SegmentID, b: SegmentID) -> Bool {
        a.major != b.major ? a.major < b.major : a.minor < b.minor
    }

    var fileName: String { SegmentID.hex(major, 16) + "-" + SegmentID.hex(UInt64(minor), 8) + ".seg" }
    var description: String { fileName }

    static func hex(_ v: UInt64, _ width: Int) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    /// Parses `<16 hex>-<8 hex>.seg`.
    init?(fileName name: String) {
        let u = Array(name.utf8)
        guard u.count == 16 + 1 + 8 + 4, u[16] == UInt8(ascii: "-"),
              name.hasSuffix(".seg") else { return nil }
        func hexValue(_ s: ArraySlice<UInt8>) -> UInt64? {
            var v: UInt64 = 0
            for c in s {
                let d: UInt8
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = c - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): d = c - UInt8(ascii: "a") + 10
                default: return nil
                }
                v = v << 4 | UInt64(d)
            }
            return v
        }
        guard let ma = hexValue(u[0..<16]), let mi = hexValue(u[17..<25]) else { return nil }
        major = ma
        minor = UInt32(truncatingIfNeeded: mi)
    }

    init(major: UInt64, minor: UInt32) {
        self.major = major
        self.minor = minor
    }
}

/// The 40-byte header at the start of every segment file.
struct SegmentHeader {
    static let size = 40
    static let magic: UInt64 = 0x3147_4553_5453_584E  // "NXSTSEG1" little-endian
    static let version: UInt16 = 1
    static let kindLog: UInt16 = 0
    static let kindMerge: UInt16 = 1

    var id: SegmentID
    var kind: UInt16
    var baseSeq: UInt64

    func encode(into p: UnsafeMutableRawPointer, crc: CRC32C) {
        p.initializeMemory(as: UInt8.self, repeating: 0, count: SegmentHeader.size)
        p.storeBytes(of: SegmentHeader.magic.littleEndian, toByteOffset: 0, as: UInt64.self)
        p.storeBytes(of: SegmentHeader.version.littleEndian, toByteOffset: 8, as: UInt16.self)
        p.storeBytes(of: kind.littleEndian, toByteOffset: 10, as: UInt16.self)
        p.storeBytes(of: id.minor.littleEndian, toByteOffset: 12, as: UInt32.self)
        p.storeBytes(of: id.major.littleEndian, toByteOffset: 16, as: UInt64.self)
        p.storeBytes(of: baseSeq.littleEndian, toByteOffset: 24, as: UInt64.self)
        p.storeBytes(of: crc.checksum(UnsafeRawPointer(p), 36).littleEndian, toByteOffset: 36, as: UInt32.self)
    }

    /// Decodes and validates a header; the error string says what is wrong.
    static func decode(_ p: UnsafeRawPointer, expected: SegmentID, crc: CRC32C) -> Result<SegmentHeader, HeaderError> {
        if UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)) != magic {
            return .failure(HeaderError(reason: "bad segment magic"))
        }
        let stored = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 36, as: UInt32.self))
        if stored != crc.checksum(p, 36) { return .failure(HeaderError(reason: "segment header checksum mismatch")) }
        let v = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
        if v != version { return .failure(HeaderError(reason: "unsupported segment format version \(v)")) }
        let kind = UInt16(littleEndian: p.loadUnaligned(fromByteOffset: 10, as: UInt16.self))
        let minor = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
        let major = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        let id = SegmentID(major: major, minor: minor)
        if id != expected { return .failure(HeaderError(reason: "header names segment \(id), file name says \(expected)")) }
        let base = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        return .success(SegmentHeader(id: id, kind: kind, baseSeq: base))
    }

    struct HeaderError: Error { var reason: String }
}
