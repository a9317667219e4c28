/// The interpreter's instruction set: register-based threaded code.
///
/// Code is a sequence of 64-bit words. The first word of every instruction is
/// `op (16 bits) | A (16) | B (16) | C (16)`, where A, B, C are frame-slot indices (a slot is
/// 8 bytes; a v128 takes two). Some instructions put a signed 32-bit immediate in the upper
/// half instead of B and C (`imm32`), and some are followed by extra words (64-bit
/// immediates, branch offsets, entity addresses). Branch offsets are in words, relative to
/// the first word of the branching instruction.
///
/// Operand conventions below: `dst`, `lhs`, `rhs`, `src` are slots; `w1`, `w2` are the words
/// after the first. i32 values occupy the low 32 bits of a slot; the upper bits are ignored by
/// every reader, which lets i32 and i64 share zero-extending loads.
enum Op: UInt16 {
    // MARK: Control
    /// Leave the interpreter loop (the return target of the outermost frame).
    case exit
    /// The code of a function not translated yet: translate it, then continue in its code.
    case translate
    case unreachable
    /// imm32 = offset.
    case br
    /// A = condition (i32), imm32 = offset; branch if non-zero.
    case brIf
    /// A = condition (i32), imm32 = offset; branch if zero.
    case brIfNot
    /// A = index, imm32 = number of targets n; then n + 1 words of offsets (last = default).
    case brTable
    /// A = first argument slot (the callee's frame starts there); w1 = callee FunctionEntity
    /// of this instance.
    case call
    /// Like `call` for an imported function: a host function or another instance's.
    case callImport
    /// A = first argument slot, B = table index slot; w1 = TableEntity, w2 = signature id.
    case callIndirect
    /// Results are already in slots 0...; return to the caller.
    case ret
    /// A = src: slot 0 = src, then return.
    case ret1
    /// A = src: slots 0-1 = v128 src, then return.
    case ret128
    /// Slot 0 = imm32 (zero-extended), then return.
    case retImm32

    // MARK: Fused compare and branch: branch to w1 when the i32 comparison A op B holds.
    case brI32Eq, brI32Ne, brI32LtS, brI32LtU, brI32GtS, brI32GtU, brI32LeS, brI32LeU, brI32GeS, brI32GeU
    /// Branch to w1 when the i32 comparison A op imm32 holds.
    case brI32EqImm, brI32NeImm, brI32LtSImm, brI32LtUImm, brI32GtSImm, brI32GtUImm, brI32LeSImm, brI32LeUImm, brI32GeSImm, brI32GeUImm
    /// A = i64 operand, imm32 = offset.
    case brI64Eqz, brI64Nez

    // MARK: Moves and constants
    /// A = dst, B = src.
    case copy, copy128
    /// Two copies in one dispatch: A = B, then C = slot w1.
    case copy2
    /// A = dst, imm32 = value (zero-extended).
    case const32
    /// A = dst, w1 = value.
    case const64
    /// A = dst, w1 = low, w2 = high.
    case const128
    /// A = dst, B = first, C = second, w1 = condition slot: dst = cond != 0 ? first : second.
    case select, select128

    // MARK: Globals (w1 = address of the global's cell)
    case globalGet, globalSet, globalGet128, globalSet128

    // MARK: Memory. Loads: A = dst, B = address; stores: A = address, B = value; w1 = offset.
    case load8S, load8U, load16S, load16U, load32S, load32U, load64
    /// i32.load8_s etc. sign-extend to 32 bits only.
    case i32Load8S, i32Load16S
    case store8, store16, store32, store64
    /// A = dst.
    case memorySize
    /// A = dst, B = delta.
    case memoryGrow
    /// A = destination, B = source, C = length.
    case memoryCopy
    /// A = destination, B = value, C = length.
    case memoryFill
    /// A = destination, B = source offset, C = length; w1 = SegmentEntity.
    case memoryInit
    /// w1 = SegmentEntity.
    case dataDrop

    // MARK: Tables and references (w1 = TableEntity)
    /// A = dst, B = index.
    case tableGet
    /// A = index, B = value.
    case tableSet
    /// A = dst.
    case tableSize
    /// A = dst, B = initial value, C = delta.
    case tableGrow
    /// A = start, B = value, C = count.
    case tableFill
    /// A = destination, B = source, C = count; w1 = destination table, w2 = source table.
    case tableCopy
    /// A = destination, B = source, C = count; w1 = table, w2 = element SegmentEntity.
    case tableInit
    /// w1 = element SegmentEntity.
    case elemDrop
    /// A = dst, B = reference.
    case refIsNull

    // MARK: i32 (A = dst, B = lhs/operand, C = rhs)
    case i32Eqz, i32Eq, i32Ne, i32LtS, i32LtU, i32GtS, i32GtU, i32LeS, i32LeU, i32GeS, i32GeU
    case i32Clz, i32Ctz, i32Popcnt
    case i32Add, i32Sub, i32Mul, i32DivS, i32DivU, i32RemS, i32RemU
    case i32And, i32Or, i32Xor, i32Shl, i32ShrS, i32ShrU, i32Rotl, i32Rotr

    // MARK: i64
    case i64Eqz, i64Eq, i64Ne, i64LtS, i64LtU, i64GtS, i64GtU, i64LeS, i64LeU, i64GeS, i64GeU
    case i64Clz, i64Ctz, i64Popcnt
    case i64Add, i64Sub, i64Mul, i64DivS, i64DivU, i64RemS, i64RemU
    case i64And, i64Or, i64Xor, i64Shl, i64ShrS, i64ShrU, i64Rotl, i64Rotr

    // MARK: f32 / f64
    case f32Eq, f32Ne, f32Lt, f32Gt, f32Le, f32Ge
    case f64Eq, f64Ne, f64Lt, f64Gt, f64Le, f64Ge
    case f32Abs, f32Neg, f32Ceil, f32Floor, f32Trunc, f32Nearest, f32Sqrt
    case f32Add, f32Sub, f32Mul, f32Div, f32Min, f32Max, f32Copysign
    case f64Abs, f64Neg, f64Ceil, f64Floor, f64Trunc, f64Nearest, f64Sqrt
    case f64Add, f64Sub, f64Mul, f64Div, f64Min, f64Max, f64Copysign

    // MARK: Conversions (A = dst, B = operand)
    case i32WrapI64, i32TruncF32S, i32TruncF32U, i32TruncF64S, i32TruncF64U
    case i64ExtendI32S, i64ExtendI32U, i64TruncF32S, i64TruncF32U, i64TruncF64S, i64TruncF64U
    case f32ConvertI32S, f32ConvertI32U, f32ConvertI64S, f32ConvertI64U, f32DemoteF64
    case f64ConvertI32S, f64ConvertI32U, f64ConvertI64S, f64ConvertI64U, f64PromoteF32
    case i32Extend8S, i32Extend16S, i64Extend8S, i64Extend16S, i64Extend32S
    case i32TruncSatF32S, i32TruncSatF32U, i32TruncSatF64S, i32TruncSatF64U
    case i64TruncSatF32S, i64TruncSatF32U, i64TruncSatF64S, i64TruncSatF64U

    // MARK: Memory with the address computed in the same instruction (a fused i32.add)
    /// Loads: A = dst, B = base, C = index, w1 = offset; address = u32(B + C) + offset.
    case load8UAdd, i32Load8SAdd, load16UAdd, load32UAdd, load64Add
    /// Loads: A = dst, B = base, w1 = imm (low 32 bits) | offset << 32; address = u32(B + imm) + offset.
    case load8UAddImm, i32Load8SAddImm, load16UAddImm, load32UAddImm, load64AddImm
    /// Loads of a scaled index: A = dst, B = index, C = shift, w1 = offset; address = u32(B << C) + offset.
    case load8UShl, load32UShl, load64Shl
    /// Loads of a scaled index plus a base: A = dst, B = index, C = shift, w1 = imm | offset << 32;
    /// address = u32((B << C) + imm) + offset.
    case load8UShlAddImm, load32UShlAddImm, load64ShlAddImm
    /// Stores: A = base, B = index, C = value, w1 = offset.
    case store8Add, store32Add, store64Add
    /// Stores: A = base, B = value, w1 = imm | offset << 32.
    case store8AddImm, store32AddImm, store64AddImm

    // MARK: Float multiply fused with the next operation (two roundings, as written)
    /// A = dst, B = x, C = y, w1 = z: MulAdd = x*y + z, MulSub = x*y - z, MulSubFrom = z - x*y,
    /// MulMul = x*y*z.
    case f32MulAdd, f32MulSub, f32MulSubFrom, f32MulMul, f64MulAdd, f64MulSub, f64MulSubFrom, f64MulMul

    // MARK: Fused i64 compare and branch: branch to w1 when the comparison holds.
    /// A = lhs, B = rhs.
    case brI64Eq, brI64Ne, brI64LtS, brI64LtU, brI64GtS, brI64GtU, brI64LeS, brI64LeU, brI64GeS, brI64GeU
    /// A = lhs, imm32 = rhs (sign-extended to 64 bits).
    case brI64EqImm, brI64NeImm, brI64LtSImm, brI64LtUImm, brI64GtSImm, brI64GtUImm, brI64LeSImm, brI64LeUImm, brI64GeSImm, brI64GeUImm

    // MARK: SIMD
    /// A SIMD instruction executed by `SIMDExecutor`: A, B, C slots; w1 = SIMD opcode | lane << 16;
    /// then a memory offset (w2) or a 128-bit immediate (w2, w3) where the instruction has one.
    case simd

    /// The most common SIMD instructions, dispatched directly (no out-of-line call):
    /// loads A = dst, B = address; stores A = address, B = value; w1 = offset.
    case v128Load, v128Store
    /// A = dst, B = lhs, C = rhs.
    case v128And, v128Or, v128Xor, i8x16Add, i8x16Sub, i16x8Add, i16x8Mul, i32x4Add, i32x4Mul,
         f32x4Add, f32x4Sub, f32x4Mul, f64x2Add, f64x2Mul

    // MARK: Binary operations with an immediate right operand: A = dst, B = lhs, w1 = imm.
    case i32AddImm, i32MulImm, i32AndImm, i32OrImm, i32XorImm, i32ShlImm, i32ShrSImm, i32ShrUImm, i32RotlImm, i32RotrImm
    case i32EqImm, i32NeImm, i32LtSImm, i32LtUImm, i32GtSImm, i32GtUImm, i32LeSImm, i32LeUImm, i32GeSImm, i32GeUImm
    case i64AddImm, i64MulImm, i64AndImm, i64OrImm, i64XorImm, i64ShlImm, i64ShrSImm, i64ShrUImm
    case i64EqImm, i64NeImm, i64LtSImm, i64LtUImm, i64GtSImm, i64GtUImm, i64LeSImm, i64LeUImm, i64GeSImm, i64GeUImm
}

/// Packing of instruction words.
enum Word {
    @inline(__always)
    static func make(_ op: Op, _ a: Int = 0, _ b: Int = 0, _ c: Int = 0) -> UInt64 {
        UInt64(op.rawValue) | UInt64(UInt16(a)) << 16 | UInt64(UInt16(b)) << 32 | UInt64(UInt16(c)) << 48
    }

    @inline(__always)
    static func make(_ op: Op, a: Int, imm32: Int32) -> UInt64 {
        UInt64(op.rawValue) | UInt64(UInt16(a)) << 16 | UInt64(UInt32(bitPattern: imm32)) << 32
    }

    @inline(__always) static func op(_ word: UInt64) -> Op {
        // Safe because every word was produced by `make` from a valid `Op`; raw values equal
        // the enum's tags (declaration order), and the layout is one byte until 256 cases.
        if MemoryLayout<Op>.size == 1 {
            return unsafeBitCast(UInt8(truncatingIfNeeded: word), to: Op.self)
        }
        return unsafeBitCast(UInt16(truncatingIfNeeded: word), to: Op.self)
    }
    @inline(__always) static func a(_ word: UInt64) -> Int { Int(truncatingIfNeeded: (word >> 16) & 0xFFFF) }
    @inline(__always) static func b(_ word: UInt64) -> Int { Int(truncatingIfNeeded: (word >> 32) & 0xFFFF) }
    @inline(__always) static func c(_ word: UInt64) -> Int { Int(truncatingIfNeeded: word >> 48) }
    @inline(__always) static func imm32(_ word: UInt64) -> Int32 { Int32(truncatingIfNeeded: word >> 32) }

    /// Replaces the A field (used when the translator retargets a result to a local).
    static func withA(_ word: UInt64, _ a: Int) -> UInt64 {
        (word & ~(UInt64(0xFFFF) << 16)) | UInt64(UInt16(a)) << 16
    }

    /// Replaces the imm32 field (used to patch forward branches).
    static func withImm32(_ word: UInt64, _ imm: Int32) -> UInt64 {
        (word & 0xFFFF_FFFF) | UInt64(UInt32(bitPattern: imm)) << 32
    }

    /// Slot indices are 16-bit.
    static let maxSlot = 0xFFFF
}

extension Op {
    /// i32 comparisons, whose immediates are 32-bit (i64 immediates must fit the branch's imm32).
    var isI32Compare: Bool {
        switch self {
        case .i32EqImm, .i32NeImm, .i32LtSImm, .i32LtUImm, .i32GtSImm, .i32GtUImm, .i32LeSImm, .i32LeUImm, .i32GeSImm, .i32GeUImm,
             .i32Eq, .i32Ne, .i32LtS, .i32LtU, .i32GtS, .i32GtU, .i32LeS, .i32LeU, .i32GeS, .i32GeU, .i32Eqz:
            return true
        default:
            return false
        }
    }
}
