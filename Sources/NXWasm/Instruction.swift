/// Decoded instructions (spec §5.4). The validator and the engine's translator both read a
/// function body through `InstructionReader`, so the binary encoding is parsed in one place.

/// A numeric instruction without immediates: the opcode byte for `0x45...0xC4`, and
/// `0x100 + n` for the saturating truncations `0xFC n` (n = 0...7).
public struct NumericOp: Hashable, Sendable, CustomStringConvertible {
    public let code: UInt16
    public init(code: UInt16) { self.code = code }

    /// Operand types and result type (spec §3.3.1-§3.3.3, appendix "index of instructions").
    public var signature: (operands: [ValueType], result: ValueType) {
        NumericOp.signatures[Int(code <= 0xC4 ? code - 0x45 : code - 0x100 + 0x80)]
    }

    /// The signature without arrays: operand types (`second` is nil for unary operations) and
    /// the result type. Validation and translation read this for every numeric instruction.
    public var operandTypes: (first: ValueType, second: ValueType?, result: ValueType) {
        let packed = NumericOp.packedSignatures[Int(code <= 0xC4 ? code - 0x45 : code - 0x100 + 0x80)]
        return (ValueType(rawValue: UInt8(packed & 0xFF))!, ValueType(rawValue: UInt8((packed >> 8) & 0xFF)),
                ValueType(rawValue: UInt8(packed >> 16))!)
    }

    public var name: String { NumericOp.names[Int(code <= 0xC4 ? code - 0x45 : code - 0x100 + 0x80)] }

    /// `first | second << 8 | result << 16` (second = 0 for unary operations).
    static let packedSignatures: [UInt32] = signatures.map { signature in
        UInt32(signature.operands[0].rawValue) | UInt32(signature.operands.count > 1 ? signature.operands[1].rawValue : 0) << 8
            | UInt32(signature.result.rawValue) << 16
    }
    public var description: String { name }

    static let signatures: [(operands: [ValueType], result: ValueType)] = {
        var table: [(operands: [ValueType], result: ValueType)] = []
        func add(_ count: Int, _ operands: [ValueType], _ result: ValueType) {
            for _ in 0..<count { table.append((operands, result)) }
        }
        add(1, [.i32], .i32)             // 0x45 i32.eqz
        add(10, [.i32, .i32], .i32)      // 0x46-0x4F i32 comparisons
        add(1, [.i64], .i32)             // 0x50 i64.eqz
        add(10, [.i64, .i64], .i32)      // 0x51-0x5A i64 comparisons
        add(6, [.f32, .f32], .i32)       // 0x5B-0x60 f32 comparisons
        add(6, [.f64, .f64], .i32)       // 0x61-0x66 f64 comparisons
        add(3, [.i32], .i32)             // 0x67-0x69 clz ctz popcnt
        add(15, [.i32, .i32], .i32)      // 0x6A-0x78 i32 arithmetic
        add(3, [.i64], .i64)             // 0x79-0x7B
        add(15, [.i64, .i64], .i64)      // 0x7C-0x8A
        add(7, [.f32], .f32)             // 0x8B-0x91 f32 unary
        add(7, [.f32, .f32], .f32)       // 0x92-0x98 f32 binary
        add(7, [.f64], .f64)             // 0x99-0x9F
        add(7, [.f64, .f64], .f64)       // 0xA0-0xA6
        add(1, [.i64], .i32)             // 0xA7 i32.wrap_i64
        add(2, [.f32], .i32)             // 0xA8-0xA9 i32.trunc_f32
        add(2, [.f64], .i32)             // 0xAA-0xAB i32.trunc_f64
        add(2, [.i32], .i64)             // 0xAC-0xAD i64.extend_i32
        add(2, [.f32], .i64)             // 0xAE-0xAF
        add(2, [.f64], .i64)             // 0xB0-0xB1
        add(2, [.i32], .f32)             // 0xB2-0xB3 f32.convert_i32
        add(2, [.i64], .f32)             // 0xB4-0xB5
        add(1, [.f64], .f32)             // 0xB6 f32.demote_f64
        add(2, [.i32], .f64)             // 0xB7-0xB8
        add(2, [.i64], .f64)             // 0xB9-0xBA
        add(1, [.f32], .f64)             // 0xBB f64.promote_f32
        add(1, [.f32], .i32)             // 0xBC i32.reinterpret_f32
        add(1, [.f64], .i64)             // 0xBD
        add(1, [.i32], .f32)             // 0xBE
        add(1, [.i64], .f64)             // 0xBF
        add(2, [.i32], .i32)             // 0xC0-0xC1 i32.extend8_s/16_s
        add(3, [.i64], .i64)             // 0xC2-0xC4
        add(2, [.f32], .i32)             // 0xFC 0-1 i32.trunc_sat_f32
        add(2, [.f64], .i32)             // 0xFC 2-3
        add(2, [.f32], .i64)             // 0xFC 4-5
        add(2, [.f64], .i64)             // 0xFC 6-7
        return table
    }()

    static let names: [String] = {
        var names: [String] = ["i32.eqz"]
        let intCompares = ["eq", "ne", "lt_s", "lt_u", "gt_s", "gt_u", "le_s", "le_u", "ge_s", "ge_u"]
        names += intCompares.map { "i32.\($0)" }
        names.append("i64.eqz")
        names += intCompares.map { "i64.\($0)" }
        let floatCompares = ["eq", "ne", "lt", "gt", "le", "ge"]
        names += floatCompares.map { "f32.\($0)" }
        names += floatCompares.map { "f64.\($0)" }
        let intUnary = ["clz", "ctz", "popcnt"]
        let intBinary = ["add", "sub", "mul", "div_s", "div_u", "rem_s", "rem_u", "and", "or", "xor", "shl", "shr_s", "shr_u", "rotl", "rotr"]
        names += intUnary.map { "i32.\($0)" } + intBinary.map { "i32.\($0)" }
        names += intUnary.map { "i64.\($0)" } + intBinary.map { "i64.\($0)" }
        let floatUnary = ["abs", "neg", "ceil", "floor", "trunc", "nearest", "sqrt"]
        let floatBinary = ["add", "sub", "mul", "div", "min", "max", "copysign"]
        names += floatUnary.map { "f32.\($0)" } + floatBinary.map { "f32.\($0)" }
        names += floatUnary.map { "f64.\($0)" } + floatBinary.map { "f64.\($0)" }
        names += ["i32.wrap_i64", "i32.trunc_f32_s", "i32.trunc_f32_u", "i32.trunc_f64_s", "i32.trunc_f64_u",
                  "i64.extend_i32_s", "i64.extend_i32_u", "i64.trunc_f32_s", "i64.trunc_f32_u", "i64.trunc_f64_s", "i64.trunc_f64_u",
                  "f32.convert_i32_s", "f32.convert_i32_u", "f32.convert_i64_s", "f32.convert_i64_u", "f32.demote_f64",
                  "f64.convert_i32_s", "f64.convert_i32_u", "f64.convert_i64_s", "f64.convert_i64_u", "f64.promote_f32",
                  "i32.reinterpret_f32", "i64.reinterpret_f64", "f32.reinterpret_i32", "f64.reinterpret_i64",
                  "i32.extend8_s", "i32.extend16_s", "i64.extend8_s", "i64.extend16_s", "i64.extend32_s",
                  "i32.trunc_sat_f32_s", "i32.trunc_sat_f32_u", "i32.trunc_sat_f64_s", "i32.trunc_sat_f64_u",
                  "i64.trunc_sat_f32_s", "i64.trunc_sat_f32_u", "i64.trunc_sat_f64_s", "i64.trunc_sat_f64_u"]
        return names
    }()
}

/// Memory loads and stores, by opcode (0x28...0x3E).
public struct MemoryAccessOp: Hashable, Sendable {
    public let opcode: UInt8
    /// Access width in bytes (the natural alignment is its log2).
    public var width: Int {
        switch opcode {
        case 0x28, 0x2A, 0x34, 0x35, 0x36, 0x38, 0x3E: 4
        case 0x29, 0x2B, 0x37, 0x39: 8
        case 0x2C, 0x2D, 0x30, 0x31, 0x3A, 0x3C: 1
        default: 2
        }
    }
    public var isStore: Bool { opcode >= 0x36 }
    /// The value type loaded or stored.
    public var valueType: ValueType {
        switch opcode {
        case 0x28, 0x2C, 0x2D, 0x2E, 0x2F, 0x36, 0x3A, 0x3B: .i32
        case 0x2A, 0x38: .f32
        case 0x2B, 0x39: .f64
        default: .i64
        }
    }
}

/// One instruction with its immediates.
public enum Instruction: Sendable {
    case unreachable
    case nop
    case block(BlockType)
    case loop(BlockType)
    case `if`(BlockType)
    case `else`
    case end
    case br(UInt32)
    case brIf(UInt32)
    /// Label depths; the last entry is the default.
    case brTable([UInt32])
    case `return`
    case call(UInt32)
    case callIndirect(typeIndex: UInt32, table: UInt32)
    case drop
    case select
    case selectTyped(ValueType)
    case localGet(UInt32)
    case localSet(UInt32)
    case localTee(UInt32)
    case globalGet(UInt32)
    case globalSet(UInt32)
    case tableGet(UInt32)
    case tableSet(UInt32)
    case load(MemoryAccessOp, MemArg)
    case store(MemoryAccessOp, MemArg)
    case memorySize
    case memoryGrow
    case i32Const(UInt32)
    case i64Const(UInt64)
    case f32Const(UInt32)
    case f64Const(UInt64)
    case numeric(NumericOp)
    case refNull(ValueType)
    case refIsNull
    case refFunc(UInt32)
    case memoryInit(UInt32)
    case dataDrop(UInt32)
    case memoryCopy
    case memoryFill
    case tableInit(element: UInt32, table: UInt32)
    case elemDrop(UInt32)
    case tableCopy(destination: UInt32, source: UInt32)
    case tableGrow(UInt32)
    case tableSize(UInt32)
    case tableFill(UInt32)
    case simd(SIMDInstruction)
}

/// Reads instructions one at a time from a function body or constant expression.
public struct InstructionReader {
    public var bytes: ByteReader
    /// Set when a `memory.init`/`data.drop` is seen (the data count section becomes required).
    public private(set) var usesDataCount = false

    public init(_ bytes: ByteReader) { self.bytes = bytes }

    public var offset: Int { bytes.offset }
    public var isAtEnd: Bool { bytes.isAtEnd }

    mutating func zeroByte() throws(DecodeError) {
        let position = bytes.offset
        guard try bytes.readByte() == 0 else { throw bytes.error("zero byte expected", at: position) }
    }

    mutating func blockType() throws(DecodeError) -> BlockType {
        guard let byte = bytes.peekByte() else { throw bytes.unexpectedEndError() }
        if byte == 0x40 {
            _ = try bytes.readByte()
            return .empty
        }
        if let type = ValueType(rawValue: byte) {
            _ = try bytes.readByte()
            return .value(type)
        }
        let position = bytes.offset
        let index = try bytes.readVarInt33()
        guard index >= 0, index <= Int64(UInt32.max) else {
            throw bytes.error("malformed block type", at: position)
        }
        return .typeIndex(UInt32(index))
    }

    mutating func memArg() throws(DecodeError) -> MemArg {
        let position = bytes.offset
        let align = try bytes.readVarUInt32()
        // Alignment exponents of 32 and above cannot be represented (and bit 6 is the
        // multi-memory flag, which WebAssembly 2.0 does not have).
        guard align < 32 else { throw bytes.error("malformed memop flags", at: position) }
        let offset = try bytes.readVarUInt32()
        return MemArg(align: align, offset: offset)
    }

    /// Decodes the next instruction.
    public mutating func next() throws(DecodeError) -> Instruction {
        let position = bytes.offset
        let opcode = try bytes.readByte()
        switch opcode {
        case 0x00: return .unreachable
        case 0x01: return .nop
        case 0x02: return .block(try blockType())
        case 0x03: return .loop(try blockType())
        case 0x04: return .if(try blockType())
        case 0x05: return .else
        case 0x0B: return .end
        case 0x0C: return .br(try bytes.readVarUInt32())
        case 0x0D: return .brIf(try bytes.readVarUInt32())
        case 0x0E:
            let count = try bytes.readVarUInt32()
            // Each target takes at least one byte: reject absurd counts before allocating.
            guard Int(count) < bytes.remaining else { throw bytes.error("unexpected end of section or function") }
            var targets: [UInt32] = []
            targets.reserveCapacity(Int(count) + 1)
            for _ in 0...count { targets.append(try bytes.readVarUInt32()) }
            return .brTable(targets)
        case 0x0F: return .return
        case 0x10: return .call(try bytes.readVarUInt32())
        case 0x11:
            let typeIndex = try bytes.readVarUInt32()
            let table = try bytes.readVarUInt32()
            return .callIndirect(typeIndex: typeIndex, table: table)
        case 0x1A: return .drop
        case 0x1B: return .select
        case 0x1C:
            let count = try bytes.readVarUInt32()
            guard count == 1 else { throw bytes.error("invalid result arity", at: position) }
            return .selectTyped(try bytes.readValueType())
        case 0x20: return .localGet(try bytes.readVarUInt32())
        case 0x21: return .localSet(try bytes.readVarUInt32())
        case 0x22: return .localTee(try bytes.readVarUInt32())
        case 0x23: return .globalGet(try bytes.readVarUInt32())
        case 0x24: return .globalSet(try bytes.readVarUInt32())
        case 0x25: return .tableGet(try bytes.readVarUInt32())
        case 0x26: return .tableSet(try bytes.readVarUInt32())
        case 0x28...0x35: return .load(MemoryAccessOp(opcode: opcode), try memArg())
        case 0x36...0x3E: return .store(MemoryAccessOp(opcode: opcode), try memArg())
        case 0x3F:
            try zeroByte()
            return .memorySize
        case 0x40:
            try zeroByte()
            return .memoryGrow
        case 0x41: return .i32Const(UInt32(bitPattern: try bytes.readVarInt32()))
        case 0x42: return .i64Const(UInt64(bitPattern: try bytes.readVarInt64()))
        case 0x43: return .f32Const(try bytes.readUInt32LE())
        case 0x44: return .f64Const(try bytes.readUInt64LE())
        case 0x45...0xC4: return .numeric(NumericOp(code: UInt16(opcode)))
        case 0xD0: return .refNull(try bytes.readReferenceType())
        case 0xD1: return .refIsNull
        case 0xD2: return .refFunc(try bytes.readVarUInt32())
        case 0xFC: return try prefixedFC(at: position)
        case 0xFD: return .simd(try SIMDInstruction.decode(&bytes, at: position))
        default:
            throw bytes.error("illegal opcode 0x\(String(opcode, radix: 16))", at: position)
        }
    }

    private mutating func prefixedFC(at position: Int) throws(DecodeError) -> Instruction {
        let sub = try bytes.readVarUInt32()
        switch sub {
        case 0...7: return .numeric(NumericOp(code: 0x100 + UInt16(sub)))
        case 8:
            let segment = try bytes.readVarUInt32()
            try zeroByte()
            usesDataCount = true
            return .memoryInit(segment)
        case 9:
            usesDataCount = true
            return .dataDrop(try bytes.readVarUInt32())
        case 10:
            try zeroByte()
            try zeroByte()
            return .memoryCopy
        case 11:
            try zeroByte()
            return .memoryFill
        case 12:
            let element = try bytes.readVarUInt32()
            let table = try bytes.readVarUInt32()
            return .tableInit(element: element, table: table)
        case 13: return .elemDrop(try bytes.readVarUInt32())
        case 14:
            let destination = try bytes.readVarUInt32()
            let source = try bytes.readVarUInt32()
            return .tableCopy(destination: destination, source: source)
        case 15: return .tableGrow(try bytes.readVarUInt32())
        case 16: return .tableSize(try bytes.readVarUInt32())
        case 17: return .tableFill(try bytes.readVarUInt32())
        default:
            throw bytes.error("illegal opcode 0xfc \(sub)", at: position)
        }
    }
}
