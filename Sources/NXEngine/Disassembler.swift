import NXWasm

/// Renders translated code as text, one instruction per line: `offset: op A B C [extra words]`.
enum Disassembler {
    static func text(_ code: UnsafeBufferPointer<UInt64>) -> String {
        var lines: [String] = []
        var offset = 0
        while offset < code.count {
            let word = code[offset]
            let op = Word.op(word)
            let length = Disassembler.length(op, code, offset)
            var line = "\(offset): \(op)"
            if usesImmediate32(op) {
                line += " a=\(Word.a(word)) imm=\(Word.imm32(word))"
            } else {
                line += " a=\(Word.a(word)) b=\(Word.b(word)) c=\(Word.c(word))"
            }
            if length > 1 {
                line += " [" + (1..<length).map { String(Int64(bitPattern: code[offset + $0])) }.joined(separator: ", ") + "]"
            }
            lines.append(line)
            offset += length
        }
        return lines.joined(separator: "\n")
    }

    static func usesImmediate32(_ op: Op) -> Bool {
        switch op {
        case .br, .brIf, .brIfNot, .brTable, .const32, .brI64Eqz, .brI64Nez, .retImm32,
             .brI64EqImm, .brI64NeImm, .brI64LtSImm, .brI64LtUImm, .brI64GtSImm, .brI64GtUImm,
             .brI64LeSImm, .brI64LeUImm, .brI64GeSImm, .brI64GeUImm,
             .brI32EqImm, .brI32NeImm, .brI32LtSImm, .brI32LtUImm, .brI32GtSImm, .brI32GtUImm,
             .brI32LeSImm, .brI32LeUImm, .brI32GeSImm, .brI32GeUImm:
            return true
        default:
            return false
        }
    }

    /// Number of words of the instruction at `offset`.
    static func length(_ op: Op, _ code: UnsafeBufferPointer<UInt64>, _ offset: Int) -> Int {
        switch op {
        case .brTable:
            return 2 + Int(UInt32(bitPattern: Word.imm32(code[offset])))
        case .callIndirect, .const128, .tableCopy, .tableInit:
            return 3
        case .v128Load, .v128Store,
             .f32MulAdd, .f32MulSub, .f32MulSubFrom, .f32MulMul, .f64MulAdd, .f64MulSub, .f64MulSubFrom, .f64MulMul,
             .load8UShl, .load32UShl, .load64Shl, .load8UShlAddImm, .load32UShlAddImm, .load64ShlAddImm,
             .copy2, .load8UAdd, .i32Load8SAdd, .load16UAdd, .load32UAdd, .load64Add,
             .load8UAddImm, .i32Load8SAddImm, .load16UAddImm, .load32UAddImm, .load64AddImm,
             .store8Add, .store32Add, .store64Add, .store8AddImm, .store32AddImm, .store64AddImm,
             .brI64Eq, .brI64Ne, .brI64LtS, .brI64LtU, .brI64GtS, .brI64GtU, .brI64LeS, .brI64LeU, .brI64GeS, .brI64GeU,
             .brI64EqImm, .brI64NeImm, .brI64LtSImm, .brI64LtUImm, .brI64GtSImm, .brI64GtUImm,
             .brI64LeSImm, .brI64LeUImm, .brI64GeSImm, .brI64GeUImm:
            return 2
        case .call, .callImport, .const64, .select, .select128, .globalGet, .globalSet, .globalGet128, .globalSet128,
             .load8S, .load8U, .load16S, .load16U, .load32S, .load32U, .load64, .i32Load8S, .i32Load16S,
             .store8, .store16, .store32, .store64, .memoryInit, .dataDrop,
             .tableGet, .tableSet, .tableSize, .tableGrow, .tableFill, .elemDrop,
             .brI32Eq, .brI32Ne, .brI32LtS, .brI32LtU, .brI32GtS, .brI32GtU, .brI32LeS, .brI32LeU, .brI32GeS, .brI32GeU,
             .brI32EqImm, .brI32NeImm, .brI32LtSImm, .brI32LtUImm, .brI32GtSImm, .brI32GtUImm,
             .brI32LeSImm, .brI32LeUImm, .brI32GeSImm, .brI32GeUImm,
             .i32AddImm, .i32MulImm, .i32AndImm, .i32OrImm, .i32XorImm, .i32ShlImm, .i32ShrSImm, .i32ShrUImm,
             .i32RotlImm, .i32RotrImm, .i32EqImm, .i32NeImm, .i32LtSImm, .i32LtUImm, .i32GtSImm, .i32GtUImm,
             .i32LeSImm, .i32LeUImm, .i32GeSImm, .i32GeUImm,
             .i64AddImm, .i64MulImm, .i64AndImm, .i64OrImm, .i64XorImm, .i64ShlImm, .i64ShrSImm, .i64ShrUImm,
             .i64EqImm, .i64NeImm, .i64LtSImm, .i64LtUImm, .i64GtSImm, .i64GtUImm, .i64LeSImm, .i64LeUImm,
             .i64GeSImm, .i64GeUImm:
            return 2
        case .simd:
            switch SIMDInstruction.shape(ofOpcode: UInt32(UInt16(truncatingIfNeeded: code[offset + 1]))) {
            case .load?, .store?, .loadLane?, .storeLane?, .ternary?: return 3
            case .shuffle?: return 4
            default: return 2
            }
        default:
            return 1
        }
    }
}
