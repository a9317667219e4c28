#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Numeric semantics of WebAssembly that Swift's operators do not give directly.
enum Numerics {
    @inline(__always) static func rotl(_ value: UInt32, _ count: UInt32) -> UInt32 {
        // `&<<`/`&>>` mask the count, so a count of 0 yields value | value.
        (value &<< count) | (value &>> (32 &- count))
    }
    @inline(__always) static func rotr(_ value: UInt32, _ count: UInt32) -> UInt32 {
        (value &>> count) | (value &<< (32 &- count))
    }
    @inline(__always) static func rotl(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value &<< count) | (value &>> (64 &- count))
    }
    @inline(__always) static func rotr(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value &>> count) | (value &<< (64 &- count))
    }

    /// `fmin` of WebAssembly: NaN if either operand is NaN, and -0 < +0.
    @inline(__always) static func min(_ x: Float, _ y: Float) -> Float {
        if x < y { return x }
        if y < x { return y }
        if x == y { return Float(bitPattern: x.bitPattern | y.bitPattern) }
        return x + y
    }
    @inline(__always) static func max(_ x: Float, _ y: Float) -> Float {
        if x > y { return x }
        if y > x { return y }
        if x == y { return Float(bitPattern: x.bitPattern & y.bitPattern) }
        return x + y
    }
    @inline(__always) static func min(_ x: Double, _ y: Double) -> Double {
        if x < y { return x }
        if y < x { return y }
        if x == y { return Double(bitPattern: x.bitPattern | y.bitPattern) }
        return x + y
    }
    @inline(__always) static func max(_ x: Double, _ y: Double) -> Double {
        if x > y { return x }
        if y > x { return y }
        if x == y { return Double(bitPattern: x.bitPattern & y.bitPattern) }
        return x + y
    }

    /// Trapping truncation to a 32-bit integer: `x` must lie strictly between the bounds.
    @inline(__always)
    static func truncate(_ x: Double, min: Double, max: Double, to slot: inout UInt64, signed32: Bool) -> Int {
        if x.isNaN { return TrapCode.invalidConversionToInteger }
        if !(x > min && x < max) { return TrapCode.integerOverflow }
        slot = signed32 ? UInt64(UInt32(bitPattern: Int32(x))) : UInt64(UInt32(x))
        return 0
    }
    @inline(__always)
    static func truncate(_ x: Float, min: Double, max: Double, to slot: inout UInt64, signed32: Bool) -> Int {
        truncate(Double(x), min: min, max: max, to: &slot, signed32: signed32)
    }
    @inline(__always)
    static func truncateToInt64(_ x: Double, to slot: inout UInt64) -> Int {
        if x.isNaN { return TrapCode.invalidConversionToInteger }
        if !(x >= -9223372036854775808.0 && x < 9223372036854775808.0) { return TrapCode.integerOverflow }
        slot = UInt64(bitPattern: Int64(x))
        return 0
    }
    @inline(__always)
    static func truncateToUInt64(_ x: Double, to slot: inout UInt64) -> Int {
        if x.isNaN { return TrapCode.invalidConversionToInteger }
        if !(x > -1.0 && x < 18446744073709551616.0) { return TrapCode.integerOverflow }
        slot = UInt64(x)
        return 0
    }

    @inline(__always) static func saturatingInt32(_ x: Double) -> Int32 {
        if x.isNaN { return 0 }
        if x <= -2147483648.0 { return Int32.min }
        if x >= 2147483647.0 { return Int32.max }
        return Int32(x)
    }
    @inline(__always) static func saturatingUInt32(_ x: Double) -> UInt32 {
        if x.isNaN || x <= 0 { return 0 }
        if x >= 4294967295.0 { return UInt32.max }
        return UInt32(x)
    }
    @inline(__always) static func saturatingInt64(_ x: Double) -> Int64 {
        if x.isNaN { return 0 }
        if x <= -9223372036854775808.0 { return Int64.min }
        if x >= 9223372036854775808.0 { return Int64.max }
        return Int64(x)
    }
    @inline(__always) static func saturatingUInt64(_ x: Double) -> UInt64 {
        if x.isNaN || x <= 0 { return 0 }
        if x >= 18446744073709551616.0 { return UInt64.max }
        return UInt64(x)
    }
}

/// Bulk memory and table instructions (spec §4.4.7, §4.4.6): bounds are checked before any
/// byte moves, so a trapping instruction changes nothing.
enum BulkOperations {
    @inline(never)
    static func memoryCopy(_ memory: UnsafeMutablePointer<MemoryEntity>, _ destination: UInt32, _ source: UInt32, _ count: UInt32) -> Int {
        let size = memory.pointee.byteCount
        guard UInt64(destination) + UInt64(count) <= size, UInt64(source) + UInt64(count) <= size else {
            return TrapCode.memoryOutOfBounds
        }
        let base = memory.pointee.base
        memmove(base + Int(destination), base + Int(source), Int(count))
        return 0
    }

    @inline(never)
    static func memoryFill(_ memory: UnsafeMutablePointer<MemoryEntity>, _ destination: UInt32, _ value: UInt8, _ count: UInt32) -> Int {
        guard UInt64(destination) + UInt64(count) <= memory.pointee.byteCount else { return TrapCode.memoryOutOfBounds }
        memset(memory.pointee.base + Int(destination), Int32(value), Int(count))
        return 0
    }

    @inline(never)
    static func memoryInit(_ memory: UnsafeMutablePointer<MemoryEntity>, _ segment: UnsafeMutablePointer<SegmentEntity>,
                           _ destination: UInt32, _ source: UInt32, _ count: UInt32) -> Int {
        guard UInt64(source) + UInt64(count) <= UInt64(segment.pointee.count),
              UInt64(destination) + UInt64(count) <= memory.pointee.byteCount else {
            return TrapCode.memoryOutOfBounds
        }
        if count > 0 {
            memmove(memory.pointee.base + Int(destination), segment.pointee.pointer.unsafelyUnwrapped + Int(source), Int(count))
        }
        return 0
    }

    @inline(never)
    static func tableFill(_ table: UnsafeMutablePointer<TableEntity>, _ start: UInt32, _ value: UInt64, _ count: UInt32) -> Int {
        guard UInt64(start) + UInt64(count) <= UInt64(table.pointee.count) else { return TrapCode.tableOutOfBounds }
        (table.pointee.elements + Int(start)).update(repeating: value, count: Int(count))
        return 0
    }

    @inline(never)
    static func tableCopy(_ destinationTable: UnsafeMutablePointer<TableEntity>, _ sourceTable: UnsafeMutablePointer<TableEntity>,
                          _ destination: UInt32, _ source: UInt32, _ count: UInt32) -> Int {
        guard UInt64(destination) + UInt64(count) <= UInt64(destinationTable.pointee.count),
              UInt64(source) + UInt64(count) <= UInt64(sourceTable.pointee.count) else {
            return TrapCode.tableOutOfBounds
        }
        memmove(destinationTable.pointee.elements + Int(destination), sourceTable.pointee.elements + Int(source), Int(count) * 8)
        return 0
    }

    @inline(never)
    static func tableInit(_ table: UnsafeMutablePointer<TableEntity>, _ segment: UnsafeMutablePointer<SegmentEntity>,
                          _ destination: UInt32, _ source: UInt32, _ count: UInt32) -> Int {
        guard UInt64(source) + UInt64(count) <= UInt64(segment.pointee.count),
              UInt64(destination) + UInt64(count) <= UInt64(table.pointee.count) else {
            return TrapCode.tableOutOfBounds
        }
        if count > 0 {
            let elements = segment.pointee.pointer.unsafelyUnwrapped.assumingMemoryBound(to: UInt64.self)
            (table.pointee.elements + Int(destination)).update(from: elements + Int(source), count: Int(count))
        }
        return 0
    }
}
