import NXWasm

extension Translator {
    mutating func translate(_ instruction: Instruction) throws {
        switch instruction {
        case .unreachable:
            emit(Word.make(.unreachable, TrapCode.unreachable))
            markUnreachable()
        case .nop:
            break
        case .block(let blockType):
            try enterBlock(.block, blockType)
        case .loop(let blockType):
            try enterBlock(.loop, blockType)
        case .if(let blockType):
            let condition = popCondition()
            try enterBlock(.if, blockType, condition: condition)
        case .else:
            translateElse()
        case .end:
            translateEnd()
        case .br(let depth):
            emitBranch(depth: Int(depth))
            markUnreachable()
        case .brIf(let depth):
            translateBrIf(depth: Int(depth))
        case .brTable(let targets):
            translateBrTable(targets.map { Int($0) })
        case .return:
            emitReturn()
            markUnreachable()
        case .call(let index):
            translateCall(function: Int(index))
        case .callIndirect(let typeIndex, let table):
            translateCallIndirect(typeIndex: Int(typeIndex), table: Int(table))
        case .drop:
            _ = pop()
        case .select, .selectTyped:
            translateSelect()
        case .localGet(let index):
            push(localTypes[Int(index)], .local(localSlots[Int(index)]))
        case .localSet(let index):
            setLocal(Int(index), keep: false)
        case .localTee(let index):
            setLocal(Int(index), keep: true)
        case .globalGet(let index):
            let type = module.allGlobals[Int(index)].valueType
            let dst = pushTemp(type)
            emitProducer(Word.make(type == .v128 ? .globalGet128 : .globalGet, dst), cellAddress(Int(index)), dst: dst)
        case .globalSet(let index):
            let entry = pop()
            let source = slot(of: entry)
            emit(Word.make(entry.type == .v128 ? .globalSet128 : .globalSet, source))
            emit(cellAddress(Int(index)))
        case .tableGet(let index):
            let indexSlot = popSlot()
            let dst = pushTemp(module.allTables[Int(index)].elementType)
            emitProducer(Word.make(.tableGet, dst, indexSlot), tableAddress(Int(index)), dst: dst)
        case .tableSet(let index):
            let value = popSlot()
            let indexSlot = popSlot()
            emit(Word.make(.tableSet, indexSlot, value))
            emit(tableAddress(Int(index)))
        case .load(let op, let memArg):
            translateLoad(op, memArg)
        case .store(let op, let memArg):
            translateStore(op, memArg)
        case .memorySize:
            let dst = pushTemp(.i32)
            emitProducer(Word.make(.memorySize, dst), dst: dst)
        case .memoryGrow:
            let delta = popSlot()
            let dst = pushTemp(.i32)
            emitProducer(Word.make(.memoryGrow, dst, delta), dst: dst)
        case .i32Const(let value):
            push(.i32, .constant(UInt64(value), 0))
        case .i64Const(let value):
            push(.i64, .constant(value, 0))
        case .f32Const(let bits):
            push(.f32, .constant(UInt64(bits), 0))
        case .f64Const(let bits):
            push(.f64, .constant(bits, 0))
        case .numeric(let op):
            translateNumeric(op)
        case .refNull(let type):
            push(type, .constant(0, 0))
        case .refIsNull:
            let source = popSlot()
            let dst = pushTemp(.i32)
            emitProducer(Word.make(.refIsNull, dst, source), dst: dst)
        case .refFunc(let index):
            push(.funcref, .constant(UInt64(UInt(bitPattern: environment.functions[Int(index)])), 0))
        case .memoryInit(let segment):
            emitTernary(.memoryInit, segmentAddress(environment.dataSegments, Int(segment)))
        case .dataDrop(let segment):
            emit(Word.make(.dataDrop))
            emit(segmentAddress(environment.dataSegments, Int(segment)))
        case .memoryCopy:
            emitTernary(.memoryCopy)
        case .memoryFill:
            emitTernary(.memoryFill)
        case .tableInit(let element, let table):
            emitTernary(.tableInit, tableAddress(Int(table)), segmentAddress(environment.elementSegments, Int(element)))
        case .elemDrop(let element):
            emit(Word.make(.elemDrop))
            emit(segmentAddress(environment.elementSegments, Int(element)))
        case .tableCopy(let destination, let source):
            emitTernary(.tableCopy, tableAddress(Int(destination)), tableAddress(Int(source)))
        case .tableGrow(let index):
            let delta = popSlot()
            let initial = popSlot()
            let dst = pushTemp(.i32)
            emitProducer(Word.make(.tableGrow, dst, initial, delta), tableAddress(Int(index)), dst: dst)
        case .tableSize(let index):
            let dst = pushTemp(.i32)
            emitProducer(Word.make(.tableSize, dst), tableAddress(Int(index)), dst: dst)
        case .tableFill(let index):
            emitTernary(.tableFill, tableAddress(Int(index)))
        case .simd(let simd):
            translateSIMD(simd)
        }
    }

    // MARK: SIMD

    /// SIMD instructions become one `Op.simd` each (executed out of line by `SIMDExecutor`):
    /// word 0 holds the slots, word 1 the SIMD opcode and lane, then a memory offset or
    /// 128-bit immediate where the instruction has one.
    mutating func translateSIMD(_ simd: SIMDInstruction) {
        let header = UInt64(simd.opcode) | UInt64(simd.lane) << 16
        if let direct = Translator.directSIMD[simd.opcode] {
            switch simd.shape {
            case .load:
                let address = popSlot()
                let dst = pushTemp(.v128)
                emit(Word.make(direct, dst, address))
                emit(UInt64(simd.memArg.offset))
            case .store:
                let value = popSlot()
                let address = popSlot()
                emit(Word.make(direct, address, value))
                emit(UInt64(simd.memArg.offset))
            default:
                let second = popSlot()
                let first = popSlot()
                let dst = pushTemp(.v128)
                emit(Word.make(direct, dst, first, second))
            }
            return
        }
        switch simd.shape {
        case .constant:
            push(.v128, .constant(simd.immediate.low, simd.immediate.high))
        case .load:
            let address = popSlot()
            let dst = pushTemp(.v128)
            emit(Word.make(.simd, dst, address))
            emit(header)
            emit(UInt64(simd.memArg.offset))
        case .store:
            let value = popSlot()
            let address = popSlot()
            emit(Word.make(.simd, address, value))
            emit(header)
            emit(UInt64(simd.memArg.offset))
        case .loadLane:
            let vector = popSlot()
            let address = popSlot()
            let dst = pushTemp(.v128)
            emit(Word.make(.simd, dst, address, vector))
            emit(header)
            emit(UInt64(simd.memArg.offset))
        case .storeLane:
            let vector = popSlot()
            let address = popSlot()
            emit(Word.make(.simd, address, vector))
            emit(header)
            emit(UInt64(simd.memArg.offset))
        case .shuffle:
            let second = popSlot()
            let first = popSlot()
            let dst = pushTemp(.v128)
            emit(Word.make(.simd, dst, first, second))
            emit(header)
            emit(simd.immediate.low)
            emit(simd.immediate.high)
        case .extractLane(_, let result):
            let vector = popSlot()
            let dst = pushTemp(result)
            emit(Word.make(.simd, dst, vector))
            emit(header)
        case .replaceLane, .binary, .shift:
            let second = popSlot()
            let first = popSlot()
            let dst = pushTemp(.v128)
            emit(Word.make(.simd, dst, first, second))
            emit(header)
        case .splat, .unary:
            let operand = popSlot()
            let dst = pushTemp(.v128)
            emit(Word.make(.simd, dst, operand))
            emit(header)
        case .test:
            let operand = popSlot()
            let dst = pushTemp(.i32)
            emit(Word.make(.simd, dst, operand))
            emit(header)
        case .ternary:
            let mask = popSlot()
            let second = popSlot()
            let first = popSlot()
            let dst = pushTemp(.v128)
            emit(Word.make(.simd, dst, first, second))
            emit(header)
            emit(UInt64(mask))
        }
    }

    // MARK: Addresses embedded in code

    func cellAddress(_ global: Int) -> UInt64 { UInt64(UInt(bitPattern: environment.globals[global])) }
    func tableAddress(_ table: Int) -> UInt64 { UInt64(UInt(bitPattern: environment.tables[table])) }
    func segmentAddress(_ base: UnsafeMutablePointer<SegmentEntity>, _ index: Int) -> UInt64 {
        UInt64(UInt(bitPattern: base + index))
    }

    /// Instructions taking three i32 operands (A, B, C) and nothing back.
    mutating func emitTernary(_ op: Op, _ extra: UInt64...) {
        let third = popSlot()
        let second = popSlot()
        let first = popSlot()
        emit(Word.make(op, first, second, third))
        for word in extra { emit(word) }
    }

    // MARK: Structured control

    mutating func markUnreachable() {
        frames[frames.count - 1].unreachable = true
    }

    func blockSignature(_ blockType: BlockType) -> (parameters: [ValueType], results: [ValueType]) {
        switch blockType {
        case .empty: return ([], [])
        case .value(let type): return ([], [type])
        case .typeIndex(let index):
            let type = module.types[Int(index)]
            return (type.parameters, type.results)
        }
    }

    mutating func enterBlock(_ kind: Frame.Kind, _ blockType: BlockType, condition: Translator.Condition? = nil) throws {
        let signature = blockSignature(blockType)
        // Copies made here never touch the operands of a pending fused comparison: those were
        // popped, so their homes lie above every remaining entry's home.
        materializeLocals(andTop: signature.parameters.count)
        let height = stack.count - signature.parameters.count
        var frame = Frame(kind: kind, parameters: signature.parameters, results: signature.results,
                          height: height, baseSlot: home(ofHeight: height))
        placeLabel()
        if kind == .loop {
            frame.loopStart = code.count
            loopDepth += 1
        }
        if let condition { frame.elseBranch = emitConditionalBranch(condition, negate: true) }
        frames.append(frame)
    }

    mutating func translateElse() {
        var frame = frames.removeLast()
        if !frame.unreachable {
            emitFallthroughMoves(into: frame)
            let position = emit(Word.make(.br))
            frame.pending.append(PendingBranch(instruction: position, word: position, style: .imm32))
            frame.branchedTo = true
        }
        if let elseBranch = frame.elseBranch { patch(elseBranch, to: code.count) }
        placeLabel()
        frame.elseBranch = nil
        frame.kind = .else
        frame.unreachable = false
        // Restore the parameters (they were materialised in their homes when the `if` began).
        stack.removeSubrange(frame.height...)
        for parameter in frame.parameters { _ = pushTemp(parameter) }
        frames.append(frame)
    }

    /// Moves the results of a frame already removed from `frames` into its slots (fallthrough
    /// into its end).
    mutating func emitFallthroughMoves(into frame: Frame) {
        var slot = frame.baseSlot
        let types = frame.results
        for (offset, type) in types.enumerated() {
            move(stack[stack.count - types.count + offset], to: slot)
            slot += type.slotCount
        }
    }

    mutating func translateEnd() {
        let frame = frames.removeLast()
        if frame.kind == .loop { loopDepth -= 1 }
        if frame.kind == .function {
            if !frame.unreachable {
                frames.append(frame)
                emitReturn()
                frames.removeLast()
            }
            return
        }
        if !frame.unreachable { emitFallthroughMoves(into: frame) }
        let target = code.count
        for branch in frame.pending { patch(branch, to: target) }
        if let elseBranch = frame.elseBranch { patch(elseBranch, to: target) }
        placeLabel()
        let reachable = !frame.unreachable || frame.branchedTo || frame.elseBranch != nil
        stack.removeSubrange(frame.height...)
        for result in frame.results { _ = pushTemp(result) }
        if !reachable { markUnreachable() }
    }

    mutating func translateBrIf(depth: Int) {
        let condition = popCondition()
        if depth == frames.count - 1 || needsMoves(depth: depth) {
            // Skip over the moves (or the return) when the condition is false.
            let skip = emitConditionalBranch(condition, negate: true)
            emitBranch(depth: depth)
            patch(skip, to: code.count)
            placeLabel()
        } else {
            let branch = emitConditionalBranch(condition, negate: false)
            link(branch, depth: depth)
        }
    }

    mutating func translateBrTable(_ targets: [Int]) {
        let index = popSlot()
        let start = emit(Word.make(.brTable, a: index, imm32: Int32(targets.count - 1)))
        let tableStart = code.count
        for _ in targets { emit(0) }
        var stubs: [(word: Int, depth: Int)] = []
        for (position, depth) in targets.enumerated() {
            let word = tableStart + position
            if depth == frames.count - 1 || needsMoves(depth: depth) {
                stubs.append((word, depth))
            } else {
                link(PendingBranch(instruction: start, word: word, style: .word), depth: depth)
            }
        }
        for stub in stubs {
            code[stub.word] = UInt64(bitPattern: Int64(code.count - start))
            emitBranch(depth: stub.depth)
        }
        markUnreachable()
    }

    // MARK: Locals and operands

    mutating func setLocal(_ index: Int, keep: Bool) {
        let slot = localSlots[index]
        let type = localTypes[index]
        let value = pop()
        preserveLocal(slot)
        if value.entry == .temp, let producer = lastProducer, producer.dst == value.home, type != .v128 {
            // Retarget the instruction that computed the value to write the local directly.
            code[producer.position] = Word.withA(code[producer.position], slot)
            lastProducer = nil
            lastCompare = nil
        } else {
            move(value, to: slot)
        }
        if keep {
            if case .constant = value.entry { push(type, value.entry) } else { push(type, .local(slot)) }
        }
    }

    mutating func translateSelect() {
        let condition = popSlot()
        let second = pop()
        let first = pop()
        let secondSlot = slot(of: second)
        let firstSlot = slot(of: first)
        let dst = pushTemp(first.type)
        emitProducer(Word.make(first.type == .v128 ? .select128 : .select, dst, firstSlot, secondSlot), UInt64(condition), dst: dst)
    }

    // MARK: Calls

    /// Puts the top `count` values in their homes and returns the first one's slot.
    mutating func prepareArguments(_ types: [ValueType]) -> Int {
        let first = stack.count - types.count
        for index in first..<stack.count { materialize(index) }
        let base = home(ofHeight: first)
        stack.removeSubrange(first...)
        return base
    }

    mutating func pushResults(_ results: [ValueType]) {
        // The callee's frame begins at `base`: its results come back where the arguments were.
        for result in results { _ = pushTemp(result) }
    }

    mutating func translateCall(function index: Int) {
        let callee = module.functionType(at: UInt32(index))
        let base = prepareArguments(callee.parameters)
        let op: Op = index < environment.importedFunctionCount ? .callImport : .call
        emit(Word.make(op, base))
        emit(UInt64(UInt(bitPattern: environment.functions[index])))
        pushResults(callee.results)
    }

    mutating func translateCallIndirect(typeIndex: Int, table: Int) {
        let callee = module.types[typeIndex]
        // The table index is on top, above the arguments: read it from its own slot first.
        let indexEntry = pop()
        if case .constant = indexEntry.entry { materializeTop(indexEntry) }
        let indexSlot: Int = if case .local(let slot) = indexEntry.entry { slot } else { indexEntry.home }
        let base = prepareArguments(callee.parameters)
        emit(Word.make(.callIndirect, base, indexSlot))
        emit(tableAddress(table))
        emit(UInt64(environment.signatures[typeIndex]))
        pushResults(callee.results)
    }

    mutating func materializeTop(_ entry: StackEntry) {
        move(entry, to: entry.home)
    }

    // MARK: Memory

    mutating func translateLoad(_ op: MemoryAccessOp, _ memArg: MemArg) {
        let addressEntry = pop()
        let loadOp: Op = switch op.opcode {
        case 0x28, 0x2A, 0x35: .load32U      // i32.load, f32.load, i64.load32_u
        case 0x29, 0x2B: .load64
        case 0x2C: .i32Load8S
        case 0x2D, 0x31: .load8U
        case 0x2E: .i32Load16S
        case 0x2F, 0x33: .load16U
        case 0x30: .load8S
        case 0x32: .load16S
        default: .load32S                      // 0x34 i64.load32_s
        }
        let forms = Translator.addressForms[loadOp]
        let computed = forms == nil ? nil : takeAddressComputation(addressEntry, scaledAddress: Translator.scaledForms[loadOp] != nil)
        let dst = pushTemp(op.valueType)
        switch computed {
        case .sum(let base, let index)?:
            emitProducer(Word.make(forms!.sum, dst, base, index), UInt64(memArg.offset), dst: dst)
        case .offset(let base, let immediate)?:
            emitProducer(Word.make(forms!.offset, dst, base), immediate | UInt64(memArg.offset) << 32, dst: dst)
        case .scaled(let index, let shift)?:
            emitProducer(Word.make(Translator.scaledForms[loadOp]!.scaled, dst, index, shift), UInt64(memArg.offset), dst: dst)
        case .scaledOffset(let index, let shift, let immediate)?:
            emitProducer(Word.make(Translator.scaledForms[loadOp]!.scaledOffset, dst, index, shift),
                         immediate | UInt64(memArg.offset) << 32, dst: dst)
        case nil:
            emitProducer(Word.make(loadOp, dst, slot(of: addressEntry)), UInt64(memArg.offset), dst: dst)
        }
    }

    /// An address computed by the instruction just emitted, which a fused memory instruction
    /// can compute itself (the i32.add is then removed).
    enum AddressComputation {
        case sum(base: Int, index: Int)
        case offset(base: Int, immediate: UInt64)
        /// index << shift (loads only).
        case scaled(index: Int, shift: Int)
        /// (index << shift) + immediate (loads only).
        case scaledOffset(index: Int, shift: Int, immediate: UInt64)
    }

    /// If `entry` is the temp that the last instruction (`i32.add` or `i32.add` with an
    /// immediate) just produced, removes that instruction and returns its operands.
    mutating func takeAddressComputation(_ entry: StackEntry, scaledAddress: Bool = false) -> AddressComputation? {
        guard entry.entry == .temp, let producer = lastProducer, producer.dst == entry.home else { return nil }
        let word = code[producer.position]
        var computation: AddressComputation
        var start = producer.position
        switch Word.op(word) {
        case .i32Add: computation = .sum(base: Word.b(word), index: Word.c(word))
        case .i32AddImm:
            let immediate = code[producer.position + 1] & 0xFFFF_FFFF
            computation = .offset(base: Word.b(word), immediate: immediate)
            // (x << k) + imm: take the shift too when its result is a temp used only here.
            if scaledAddress, let shift = previousShift(before: producer.position, into: Word.b(word)) {
                computation = .scaledOffset(index: shift.index, shift: shift.amount, immediate: immediate)
                start = shift.position
            }
        case .i32ShlImm where scaledAddress:
            computation = .scaled(index: Word.b(word), shift: Int(code[producer.position + 1] & 31))
        default: return nil
        }
        code.removeSubrange(start...)
        lastProducer = nil
        lastCompare = nil
        return computation
    }

    /// The `i32.shl` by an immediate emitted just before `position` whose result is the temp
    /// `slot` (so nothing else reads it), if any.
    func previousShift(before position: Int, into slot: Int) -> (position: Int, index: Int, amount: Int)? {
        guard position >= 2, slot >= tempBase, lastLabel <= position - 2 else { return nil }
        let word = code[position - 2]
        guard Word.op(word) == .i32ShlImm, Word.a(word) == slot else { return nil }
        return (position - 2, Word.b(word), Int(code[position - 1] & 31))
    }

    /// Loads with a scaled index.
    static let scaledForms: [Op: (scaled: Op, scaledOffset: Op)] = [
        .load8U: (.load8UShl, .load8UShlAddImm), .load32U: (.load32UShl, .load32UShlAddImm), .load64: (.load64Shl, .load64ShlAddImm),
    ]

    /// `(x * y) op z` where x * y is the float multiply just emitted into a temp operand: the
    /// multiply is removed and one fused instruction computes both (rounding each step).
    mutating func fuseMultiply(_ op: Op, _ lhs: StackEntry, _ rhs: StackEntry) -> (op: Op, x: Int, y: Int, z: Int)? {
        guard let forms = Translator.multiplyForms[op], let producer = lastProducer, lhs.entry == .temp || rhs.entry == .temp else { return nil }
        let word = code[producer.position]
        guard Word.op(word) == forms.multiply, lhs.home == producer.dst || rhs.home == producer.dst else { return nil }
        let productOnLeft = lhs.entry == .temp && lhs.home == producer.dst
        let other = productOnLeft ? rhs : lhs
        guard !emitsCode(other) else { return nil }
        let fused: Op
        switch (op, productOnLeft) {
        case (.f32Sub, false): fused = .f32MulSubFrom
        case (.f64Sub, false): fused = .f64MulSubFrom
        default: fused = forms.fused
        }
        code.removeSubrange(producer.position...)
        lastProducer = nil
        lastCompare = nil
        return (fused, Word.b(word), Word.c(word), slot(of: other))
    }

    /// SIMD opcodes with their own interpreter instruction (the rest go through `Op.simd`).
    static let directSIMD: [UInt32: Op] = [
        0: .v128Load, 11: .v128Store, 78: .v128And, 80: .v128Or, 81: .v128Xor, 110: .i8x16Add, 113: .i8x16Sub,
        142: .i16x8Add, 149: .i16x8Mul, 174: .i32x4Add, 181: .i32x4Mul, 228: .f32x4Add, 229: .f32x4Sub, 230: .f32x4Mul,
        240: .f64x2Add, 242: .f64x2Mul,
    ]

    /// Operation after a multiply -> (the multiply, the fused op with the product on the left).
    static let multiplyForms: [Op: (multiply: Op, fused: Op)] = [
        .f32Add: (.f32Mul, .f32MulAdd), .f32Sub: (.f32Mul, .f32MulSub), .f32Mul: (.f32Mul, .f32MulMul),
        .f64Add: (.f64Mul, .f64MulAdd), .f64Sub: (.f64Mul, .f64MulSub), .f64Mul: (.f64Mul, .f64MulMul),
    ]

    /// Fused forms of loads and stores: (address = base + index, address = base + immediate).
    static let addressForms: [Op: (sum: Op, offset: Op)] = [
        .load8U: (.load8UAdd, .load8UAddImm), .i32Load8S: (.i32Load8SAdd, .i32Load8SAddImm),
        .load16U: (.load16UAdd, .load16UAddImm), .load32U: (.load32UAdd, .load32UAddImm),
        .load64: (.load64Add, .load64AddImm),
        .store8: (.store8Add, .store8AddImm), .store32: (.store32Add, .store32AddImm), .store64: (.store64Add, .store64AddImm),
    ]

    mutating func translateStore(_ op: MemoryAccessOp, _ memArg: MemArg) {
        let valueEntry = pop()
        let addressEntry = pop()
        let storeOp: Op = switch op.width {
        case 1: .store8
        case 2: .store16
        case 4: .store32
        default: .store64
        }
        // A constant value would be materialised after the address computation, so only
        // values that need no instruction allow fusing with it.
        let computed = Translator.addressForms[storeOp] == nil || emitsCode(valueEntry) ? nil : takeAddressComputation(addressEntry)
        let value = slot(of: valueEntry)
        switch computed {
        case .sum(let base, let index)?:
            emit(Word.make(Translator.addressForms[storeOp]!.sum, base, index, value))
            emit(UInt64(memArg.offset))
        case .offset(let base, let immediate)?:
            emit(Word.make(Translator.addressForms[storeOp]!.offset, base, value))
            emit(immediate | UInt64(memArg.offset) << 32)
        case .scaled?, .scaledOffset?:
            preconditionFailure("scaled addresses are only taken for loads")
        case nil:
            emit(Word.make(storeOp, slot(of: addressEntry), value))
            emit(UInt64(memArg.offset))
        }
    }

    // MARK: Numeric

    mutating func translateNumeric(_ numeric: NumericOp) {
        let signature = numeric.operandTypes
        var op = Translator.numericOps[numeric.code]!
        if signature.second == nil {
            // Reinterpretations (and i32.wrap_i64) are bit-preserving: they only change the entry's type.
            if op == .copy {
                var entry = pop()
                entry.type = signature.result
                stack.append(entry)
                return
            }
            let source = popSlot()
            let dst = pushTemp(signature.result)
            emitProducer(Word.make(op, dst, source), dst: dst)
            if op == .i32Eqz || op == .i64Eqz {
                lastCompare = (code.count - 1, dst, Word.make(op, dst, source), nil)
            }
            return
        }
        var rhs = pop()
        var lhs = pop()
        // Constants on the left of a commutative or mirrorable operation move to the right.
        if case .constant = lhs.entry, rhs.entry.isConstant == false, let mirrored = Translator.mirrored[op] {
            swap(&lhs, &rhs)
            op = mirrored
        }
        if case .constant(var immediate, _) = rhs.entry, let immediateOp = Translator.immediateForms[op] {
            if op == .i32Sub { immediate = UInt64(UInt32(truncatingIfNeeded: 0 &- immediate)) }
            if op == .i64Sub { immediate = 0 &- immediate }
            if Translator.isIdentity(immediateOp, immediate) {
                // x + 0, x | 0, x * 1, x << 0, ...: the value is the left operand itself.
                var result = lhs
                result.type = signature.result
                stack.append(result)
                return
            }
            let lhsSlot = slot(of: lhs)
            let dst = pushTemp(signature.result)
            emitProducer(Word.make(immediateOp, dst, lhsSlot), immediate, dst: dst)
            if Translator.fusable[immediateOp] != nil {
                lastCompare = (code.count - 2, dst, Word.make(immediateOp, dst, lhsSlot), immediate)
            }
            return
        }
        if let fused = fuseMultiply(op, lhs, rhs) {
            let dst = pushTemp(signature.result)
            emitProducer(Word.make(fused.op, dst, fused.x, fused.y), UInt64(fused.z), dst: dst)
            return
        }
        let rhsSlot = slot(of: rhs)
        let lhsSlot = slot(of: lhs)
        let dst = pushTemp(signature.result)
        let word = Word.make(op, dst, lhsSlot, rhsSlot)
        emitProducer(word, dst: dst)
        if Translator.fusable[op] != nil { lastCompare = (code.count - 1, dst, word, nil) }
    }
}

extension Translator {
    /// Whether reading `entry` as a slot emits an instruction (a constant without a slot).
    func emitsCode(_ entry: StackEntry) -> Bool {
        guard case .constant(let low, let high) = entry.entry else { return false }
        return constantSlots[HoistedConstant(low: low, high: high, wide: entry.type == .v128)] == nil
    }
}

extension Translator.Entry {
    var isConstant: Bool {
        if case .constant = self { return true }
        return false
    }
}

extension Translator {
    /// Interpreter op for each numeric instruction code; `.copy` marks reinterpretations.
    static let numericOps: NumericOpTable = {
        var table = NumericOpTable()
        let ordered: [Op] = [
            .i32Eqz, .i32Eq, .i32Ne, .i32LtS, .i32LtU, .i32GtS, .i32GtU, .i32LeS, .i32LeU, .i32GeS, .i32GeU,
            .i64Eqz, .i64Eq, .i64Ne, .i64LtS, .i64LtU, .i64GtS, .i64GtU, .i64LeS, .i64LeU, .i64GeS, .i64GeU,
            .f32Eq, .f32Ne, .f32Lt, .f32Gt, .f32Le, .f32Ge,
            .f64Eq, .f64Ne, .f64Lt, .f64Gt, .f64Le, .f64Ge,
            .i32Clz, .i32Ctz, .i32Popcnt,
            .i32Add, .i32Sub, .i32Mul, .i32DivS, .i32DivU, .i32RemS, .i32RemU,
            .i32And, .i32Or, .i32Xor, .i32Shl, .i32ShrS, .i32ShrU, .i32Rotl, .i32Rotr,
            .i64Clz, .i64Ctz, .i64Popcnt,
            .i64Add, .i64Sub, .i64Mul, .i64DivS, .i64DivU, .i64RemS, .i64RemU,
            .i64And, .i64Or, .i64Xor, .i64Shl, .i64ShrS, .i64ShrU, .i64Rotl, .i64Rotr,
            .f32Abs, .f32Neg, .f32Ceil, .f32Floor, .f32Trunc, .f32Nearest, .f32Sqrt,
            .f32Add, .f32Sub, .f32Mul, .f32Div, .f32Min, .f32Max, .f32Copysign,
            .f64Abs, .f64Neg, .f64Ceil, .f64Floor, .f64Trunc, .f64Nearest, .f64Sqrt,
            .f64Add, .f64Sub, .f64Mul, .f64Div, .f64Min, .f64Max, .f64Copysign,
            // i32.wrap_i64 is free (.copy): i32 readers ignore a slot's upper bits.
            .copy, .i32TruncF32S, .i32TruncF32U, .i32TruncF64S, .i32TruncF64U,
            .i64ExtendI32S, .i64ExtendI32U, .i64TruncF32S, .i64TruncF32U, .i64TruncF64S, .i64TruncF64U,
            .f32ConvertI32S, .f32ConvertI32U, .f32ConvertI64S, .f32ConvertI64U, .f32DemoteF64,
            .f64ConvertI32S, .f64ConvertI32U, .f64ConvertI64S, .f64ConvertI64U, .f64PromoteF32,
            .copy, .copy, .copy, .copy,  // reinterpretations 0xBC-0xBF
            .i32Extend8S, .i32Extend16S, .i64Extend8S, .i64Extend16S, .i64Extend32S,
        ]
        for (offset, op) in ordered.enumerated() { table[UInt16(0x45 + offset)] = op }
        let saturating: [Op] = [.i32TruncSatF32S, .i32TruncSatF32U, .i32TruncSatF64S, .i32TruncSatF64U,
                                .i64TruncSatF32S, .i64TruncSatF32U, .i64TruncSatF64S, .i64TruncSatF64U]
        for (offset, op) in saturating.enumerated() { table[UInt16(0x100 + offset)] = op }
        return table
    }()

    /// Register-immediate forms (the immediate is the right operand).
    static let immediateForms: OpMap = [
        .i32Add: .i32AddImm, .i32Sub: .i32AddImm, .i32Mul: .i32MulImm, .i32And: .i32AndImm, .i32Or: .i32OrImm,
        .i32Xor: .i32XorImm, .i32Shl: .i32ShlImm, .i32ShrS: .i32ShrSImm, .i32ShrU: .i32ShrUImm,
        .i32Rotl: .i32RotlImm, .i32Rotr: .i32RotrImm,
        .i32Eq: .i32EqImm, .i32Ne: .i32NeImm, .i32LtS: .i32LtSImm, .i32LtU: .i32LtUImm, .i32GtS: .i32GtSImm,
        .i32GtU: .i32GtUImm, .i32LeS: .i32LeSImm, .i32LeU: .i32LeUImm, .i32GeS: .i32GeSImm, .i32GeU: .i32GeUImm,
        .i64Add: .i64AddImm, .i64Sub: .i64AddImm, .i64Mul: .i64MulImm, .i64And: .i64AndImm, .i64Or: .i64OrImm,
        .i64Xor: .i64XorImm, .i64Shl: .i64ShlImm, .i64ShrS: .i64ShrSImm, .i64ShrU: .i64ShrUImm,
        .i64Eq: .i64EqImm, .i64Ne: .i64NeImm, .i64LtS: .i64LtSImm, .i64LtU: .i64LtUImm, .i64GtS: .i64GtSImm,
        .i64GtU: .i64GtUImm, .i64LeS: .i64LeSImm, .i64LeU: .i64LeUImm, .i64GeS: .i64GeSImm, .i64GeU: .i64GeUImm,
    ]

    /// `op(a, b) == mirrored(b, a)`.
    static let mirrored: OpMap = [
        .i32Add: .i32Add, .i32Mul: .i32Mul, .i32And: .i32And, .i32Or: .i32Or, .i32Xor: .i32Xor,
        .i32Eq: .i32Eq, .i32Ne: .i32Ne, .i32LtS: .i32GtS, .i32GtS: .i32LtS, .i32LtU: .i32GtU, .i32GtU: .i32LtU,
        .i32LeS: .i32GeS, .i32GeS: .i32LeS, .i32LeU: .i32GeU, .i32GeU: .i32LeU,
        .i64Add: .i64Add, .i64Mul: .i64Mul, .i64And: .i64And, .i64Or: .i64Or, .i64Xor: .i64Xor,
        .i64Eq: .i64Eq, .i64Ne: .i64Ne, .i64LtS: .i64GtS, .i64GtS: .i64LtS, .i64LtU: .i64GtU, .i64GtU: .i64LtU,
        .i64LeS: .i64GeS, .i64GeS: .i64LeS, .i64LeU: .i64GeU, .i64GeU: .i64LeU,
    ]

    /// Whether `op` with right operand `immediate` returns its left operand unchanged.
    static func isIdentity(_ op: Op, _ immediate: UInt64) -> Bool {
        switch op {
        case .i32AddImm, .i32OrImm, .i32XorImm: return UInt32(truncatingIfNeeded: immediate) == 0
        case .i32ShlImm, .i32ShrSImm, .i32ShrUImm, .i32RotlImm, .i32RotrImm: return immediate & 31 == 0
        case .i32MulImm: return UInt32(truncatingIfNeeded: immediate) == 1
        case .i32AndImm: return UInt32(truncatingIfNeeded: immediate) == UInt32.max
        case .i64AddImm, .i64OrImm, .i64XorImm: return immediate == 0
        case .i64ShlImm, .i64ShrSImm, .i64ShrUImm: return immediate & 63 == 0
        case .i64MulImm: return immediate == 1
        case .i64AndImm: return immediate == UInt64.max
        default: return false
        }
    }

    /// Comparisons that fuse with a following conditional branch.
    static let fusable: OpMap = OpMap(keys: [
        .i32Eq, .i32Ne, .i32LtS, .i32LtU, .i32GtS, .i32GtU, .i32LeS, .i32LeU, .i32GeS, .i32GeU,
        .i32EqImm, .i32NeImm, .i32LtSImm, .i32LtUImm, .i32GtSImm, .i32GtUImm, .i32LeSImm, .i32LeUImm, .i32GeSImm, .i32GeUImm,
        .i64Eq, .i64Ne, .i64LtS, .i64LtU, .i64GtS, .i64GtU, .i64LeS, .i64LeU, .i64GeS, .i64GeU,
        .i64EqImm, .i64NeImm, .i64LtSImm, .i64LtUImm, .i64GtSImm, .i64GtUImm, .i64LeSImm, .i64LeUImm, .i64GeSImm, .i64GeUImm,
    ])

    /// The fused branch for a comparison, optionally negated (branch when it does not hold).
    static func fusedBranch(_ compare: Op, negate: Bool) -> Op {
        let condition: Op = negate ? negatedCompare[compare]! : compare
        return branchForCompare[condition]!
    }

    static let negatedCompare: OpMap = [
        .i32Eq: .i32Ne, .i32Ne: .i32Eq, .i32LtS: .i32GeS, .i32GeS: .i32LtS, .i32LtU: .i32GeU, .i32GeU: .i32LtU,
        .i32GtS: .i32LeS, .i32LeS: .i32GtS, .i32GtU: .i32LeU, .i32LeU: .i32GtU,
        .i32EqImm: .i32NeImm, .i32NeImm: .i32EqImm, .i32LtSImm: .i32GeSImm, .i32GeSImm: .i32LtSImm,
        .i32LtUImm: .i32GeUImm, .i32GeUImm: .i32LtUImm, .i32GtSImm: .i32LeSImm, .i32LeSImm: .i32GtSImm,
        .i32GtUImm: .i32LeUImm, .i32LeUImm: .i32GtUImm,
        .i64Eq: .i64Ne, .i64Ne: .i64Eq, .i64LtS: .i64GeS, .i64GeS: .i64LtS, .i64LtU: .i64GeU, .i64GeU: .i64LtU,
        .i64GtS: .i64LeS, .i64LeS: .i64GtS, .i64GtU: .i64LeU, .i64LeU: .i64GtU,
        .i64EqImm: .i64NeImm, .i64NeImm: .i64EqImm, .i64LtSImm: .i64GeSImm, .i64GeSImm: .i64LtSImm,
        .i64LtUImm: .i64GeUImm, .i64GeUImm: .i64LtUImm, .i64GtSImm: .i64LeSImm, .i64LeSImm: .i64GtSImm,
        .i64GtUImm: .i64LeUImm, .i64LeUImm: .i64GtUImm,
    ]

    static let branchForCompare: OpMap = [
        .i32Eq: .brI32Eq, .i32Ne: .brI32Ne, .i32LtS: .brI32LtS, .i32LtU: .brI32LtU, .i32GtS: .brI32GtS,
        .i32GtU: .brI32GtU, .i32LeS: .brI32LeS, .i32LeU: .brI32LeU, .i32GeS: .brI32GeS, .i32GeU: .brI32GeU,
        .i32EqImm: .brI32EqImm, .i32NeImm: .brI32NeImm, .i32LtSImm: .brI32LtSImm, .i32LtUImm: .brI32LtUImm,
        .i32GtSImm: .brI32GtSImm, .i32GtUImm: .brI32GtUImm, .i32LeSImm: .brI32LeSImm, .i32LeUImm: .brI32LeUImm,
        .i32GeSImm: .brI32GeSImm, .i32GeUImm: .brI32GeUImm,
        .i64Eq: .brI64Eq, .i64Ne: .brI64Ne, .i64LtS: .brI64LtS, .i64LtU: .brI64LtU, .i64GtS: .brI64GtS,
        .i64GtU: .brI64GtU, .i64LeS: .brI64LeS, .i64LeU: .brI64LeU, .i64GeS: .brI64GeS, .i64GeU: .brI64GeU,
        .i64EqImm: .brI64EqImm, .i64NeImm: .brI64NeImm, .i64LtSImm: .brI64LtSImm, .i64LtUImm: .brI64LtUImm,
        .i64GtSImm: .brI64GtSImm, .i64GtUImm: .brI64GtUImm, .i64LeSImm: .brI64LeSImm, .i64LeUImm: .brI64LeUImm,
        .i64GeSImm: .brI64GeSImm, .i64GeUImm: .brI64GeUImm,
    ]
}

/// `Op -> Op` lookups as an array indexed by raw value: the translator consults these for
/// every numeric instruction, and hashing dominated its profile.
struct OpMap: ExpressibleByDictionaryLiteral {
    private var table = [Op?](repeating: nil, count: 512)

    init(dictionaryLiteral elements: (Op, Op)...) {
        for (key, value) in elements { table[Int(key.rawValue)] = value }
    }

    /// A set: each key maps to itself.
    init(keys: [Op]) {
        for key in keys { table[Int(key.rawValue)] = key }
    }

    subscript(op: Op) -> Op? { table[Int(op.rawValue)] }
}

/// Numeric instruction code (see `NumericOp`) -> interpreter op.
struct NumericOpTable {
    private var table = [Op?](repeating: nil, count: 0x108)
    subscript(code: UInt16) -> Op? {
        get { table[Int(code)] }
        set { table[Int(code)] = newValue }
    }
}
