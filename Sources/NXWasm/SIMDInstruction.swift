/// Fixed-width SIMD instructions (prefix 0xFD, WebAssembly 2.0 §5.4.8).

/// The shape of a SIMD instruction: its immediates and its operand/result types.
public enum SIMDShape: Sendable, Equatable {
    /// [i32] -> [v128], memarg; `width` is the bytes read (natural alignment).
    case load(width: Int)
    /// [i32 v128] -> [], memarg.
    case store
    /// [i32 v128] -> [v128], memarg + lane.
    case loadLane(width: Int)
    /// [i32 v128] -> [], memarg + lane.
    case storeLane(width: Int)
    /// [] -> [v128], 16 immediate bytes.
    case constant
    /// [v128 v128] -> [v128], 16 lane indices < 32.
    case shuffle
    /// [v128] -> [scalar], lane immediate.
    case extractLane(lanes: Int, result: ValueType)
    /// [v128 scalar] -> [v128], lane immediate.
    case replaceLane(lanes: Int, operand: ValueType)
    /// [scalar] -> [v128].
    case splat(ValueType)
    /// [v128] -> [v128].
    case unary
    /// [v128 v128] -> [v128].
    case binary
    /// [v128 v128 v128] -> [v128] (bitselect).
    case ternary
    /// [v128] -> [i32] (any_true, all_true, bitmask).
    case test
    /// [v128 i32] -> [v128].
    case shift
}

public struct SIMDInstruction: Hashable, Sendable {
    /// The opcode after the 0xFD prefix.
    public let opcode: UInt32
    public let memArg: MemArg
    public let lane: UInt8
    /// `v128.const` value or `i8x16.shuffle` lane indices (byte i = lane i).
    public let immediate: V128

    /// The value of a `v128.const`, for constant expressions.
    public var constantValue: V128? { opcode == 12 ? immediate : nil }

    public var shape: SIMDShape { SIMDInstruction.shapes[Int(opcode)]! }

    /// The shape of SIMD opcode `opcode`, nil if it is not an instruction.
    public static func shape(ofOpcode opcode: UInt32) -> SIMDShape? {
        opcode < 256 ? shapes[Int(opcode)] : nil
    }

    static func decode(_ bytes: inout ByteReader, at position: Int) throws(DecodeError) -> SIMDInstruction {
        let opcode = try bytes.readVarUInt32()
        guard opcode < 256, let shape = shapes[Int(opcode)] else {
            throw bytes.error("illegal opcode 0xfd \(opcode)", at: position)
        }
        var memArg = MemArg(align: 0, offset: 0)
        var lane: UInt8 = 0
        var immediate = V128(low: 0, high: 0)
        switch shape {
        case .load, .store:
            memArg = try readMemArg(&bytes)
        case .loadLane, .storeLane:
            memArg = try readMemArg(&bytes)
            lane = try bytes.readByte()
        case .constant, .shuffle:
            immediate = try bytes.readV128()
        case .extractLane, .replaceLane:
            lane = try bytes.readByte()
        default:
            break
        }
        return SIMDInstruction(opcode: opcode, memArg: memArg, lane: lane, immediate: immediate)
    }

    static func readMemArg(_ bytes: inout ByteReader) throws(DecodeError) -> MemArg {
        let position = bytes.offset
        let align = try bytes.readVarUInt32()
        guard align < 32 else { throw bytes.error("malformed memop flags", at: position) }
        return MemArg(align: align, offset: try bytes.readVarUInt32())
    }

    /// Shapes by opcode; nil marks opcodes that are not instructions.
    static let shapes: [SIMDShape?] = {
        var table = [SIMDShape?](repeating: nil, count: 256)
        let loadWidths = [16, 8, 8, 8, 8, 8, 8, 1, 2, 4, 8]  // 0x00-0x0A
        for (opcode, width) in loadWidths.enumerated() { table[opcode] = .load(width: width) }
        table[11] = .store
        table[12] = .constant
        table[13] = .shuffle
        table[14] = .binary  // i8x16.swizzle
        table[15] = .splat(.i32)
        table[16] = .splat(.i32)
        table[17] = .splat(.i32)
        table[18] = .splat(.i64)
        table[19] = .splat(.f32)
        table[20] = .splat(.f64)
        table[21] = .extractLane(lanes: 16, result: .i32)
        table[22] = .extractLane(lanes: 16, result: .i32)
        table[23] = .replaceLane(lanes: 16, operand: .i32)
        table[24] = .extractLane(lanes: 8, result: .i32)
        table[25] = .extractLane(lanes: 8, result: .i32)
        table[26] = .replaceLane(lanes: 8, operand: .i32)
        table[27] = .extractLane(lanes: 4, result: .i32)
        table[28] = .replaceLane(lanes: 4, operand: .i32)
        table[29] = .extractLane(lanes: 2, result: .i64)
        table[30] = .replaceLane(lanes: 2, operand: .i64)
        table[31] = .extractLane(lanes: 4, result: .f32)
        table[32] = .replaceLane(lanes: 4, operand: .f32)
        table[33] = .extractLane(lanes: 2, result: .f64)
        table[34] = .replaceLane(lanes: 2, operand: .f64)
        for opcode in 35...76 { table[opcode] = .binary }  // comparisons
        table[77] = .unary  // v128.not
        for opcode in 78...81 { table[opcode] = .binary }  // and andnot or xor
        table[82] = .ternary  // bitselect
        table[83] = .test  // any_true
        table[84] = .loadLane(width: 1)
        table[85] = .loadLane(width: 2)
        table[86] = .loadLane(width: 4)
        table[87] = .loadLane(width: 8)
        table[88] = .storeLane(width: 1)
        table[89] = .storeLane(width: 2)
        table[90] = .storeLane(width: 4)
        table[91] = .storeLane(width: 8)
        table[92] = .load(width: 4)  // load32_zero
        table[93] = .load(width: 8)  // load64_zero
        table[94] = .unary
        table[95] = .unary
        // i8x16
        for opcode in [96, 97, 98] { table[opcode] = .unary }
        table[99] = .test
        table[100] = .test
        table[101] = .binary
        table[102] = .binary
        for opcode in 103...106 { table[opcode] = .unary }  // f32x4 ceil floor trunc nearest
        for opcode in 107...109 { table[opcode] = .shift }
        for opcode in 110...115 { table[opcode] = .binary }
        table[116] = .unary
        table[117] = .unary
        for opcode in 118...121 { table[opcode] = .binary }
        table[122] = .unary
        table[123] = .binary
        for opcode in 124...127 { table[opcode] = .unary }  // extadd_pairwise
        // i16x8
        table[128] = .unary
        table[129] = .unary
        table[130] = .binary  // q15mulr_sat_s
        table[131] = .test
        table[132] = .test
        table[133] = .binary
        table[134] = .binary
        for opcode in 135...138 { table[opcode] = .unary }
        for opcode in 139...141 { table[opcode] = .shift }
        for opcode in 142...147 { table[opcode] = .binary }
        table[148] = .unary  // f64x2.nearest
        for opcode in 149...153 { table[opcode] = .binary }
        for opcode in 155...159 { table[opcode] = .binary }
        // i32x4
        table[160] = .unary
        table[161] = .unary
        table[163] = .test
        table[164] = .test
        for opcode in 167...170 { table[opcode] = .unary }
        for opcode in 171...173 { table[opcode] = .shift }
        table[174] = .binary
        table[177] = .binary
        for opcode in 181...186 { table[opcode] = .binary }
        for opcode in 188...191 { table[opcode] = .binary }
        // i64x2
        table[192] = .unary
        table[193] = .unary
        table[195] = .test
        table[196] = .test
        for opcode in 199...202 { table[opcode] = .unary }
        for opcode in 203...205 { table[opcode] = .shift }
        table[206] = .binary
        table[209] = .binary
        table[213] = .binary
        for opcode in 214...223 { table[opcode] = .binary }
        // f32x4, f64x2
        table[224] = .unary
        table[225] = .unary
        table[227] = .unary
        for opcode in 228...235 { table[opcode] = .binary }
        table[236] = .unary
        table[237] = .unary
        table[239] = .unary
        for opcode in 240...247 { table[opcode] = .binary }
        for opcode in 248...255 { table[opcode] = .unary }  // conversions
        return table
    }()
}
