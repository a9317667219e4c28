import NXWasm

/// Addresses of an instance's entities that translated code embeds.
struct TranslationEnvironment {
    var functions: [UnsafeMutablePointer<FunctionEntity>]
    var importedFunctionCount: Int
    var globals: [UnsafeMutablePointer<UInt64>]
    var tables: [UnsafeMutablePointer<TableEntity>]
    var dataSegments: UnsafeMutablePointer<SegmentEntity>
    var elementSegments: UnsafeMutablePointer<SegmentEntity>
    /// Canonical signature id of each type index.
    var signatures: [UInt32]
}

/// The result of translating one function.
struct TranslatedFunction {
    var code: [UInt64]
    var frameSlots: Int
}

/// Translates a validated function body into register-based threaded code (see `Op`).
///
/// The WebAssembly operand stack is mapped onto fixed frame slots: stack position `i` lives in
/// its *home* slot `tempBase + (slots of the entries below i)`. Entries are kept lazily where
/// possible: `local.get` pushes a reference to the local's slot and constants stay immediate,
/// so consumers read locals directly and fold constants into immediate forms. Lazy entries are
/// materialised into their homes where their value could change (a `local.set` of the same
/// local), where control flow merges (block boundaries), and for call arguments (the callee's
/// frame starts at the first argument's home, so arguments are passed without copying).
struct Translator {
    enum Entry: Equatable {
        case temp
        case local(Int)
        case constant(UInt64, UInt64)
    }

    struct StackEntry {
        var type: ValueType
        var home: Int
        var entry: Entry
    }

    enum PatchStyle { case imm32, word }

    struct PendingBranch {
        var instruction: Int
        var word: Int
        var style: PatchStyle
    }

    struct Frame {
        enum Kind { case function, block, loop, `if`, `else` }
        var kind: Kind
        var parameters: [ValueType]
        var results: [ValueType]
        /// Stack count below the frame's parameters.
        var height: Int
        /// Home slot of stack position `height`: where label values go.
        var baseSlot: Int
        var loopStart = 0
        var pending: [PendingBranch] = []
        /// The false branch of an `if`, patched at `else` or `end`.
        var elseBranch: PendingBranch?
        var unreachable = false
        var branchedTo = false
        var labelTypes: [ValueType] { kind == .loop ? parameters : results }
    }

    let module: Module
    let environment: TranslationEnvironment
    /// Constants to give prologue-initialised slots (from a first translation's candidates).
    let hoistedConstants: [HoistedConstant]
    let type: FunctionType
    let functionIndex: UInt32
    var reader: InstructionReader
    var code: [UInt64] = []
    var stack: [StackEntry] = []
    var frames: [Frame] = []
    /// Slot of each local (parameters first).
    var localSlots: [Int] = []
    var localTypes: [ValueType] = []
    var tempBase = 0
    var maxSlot = 0
    /// Nesting depth of blocks inside dead code being skipped.
    var deadDepth = 0
    /// The last emitted instruction if it wrote a single result into slot `dst` and may be
    /// retargeted (no label in between).
    var lastProducer: (position: Int, dst: Int)?
    /// Code position of the last label (a branch target): fusions never reach across it.
    var lastLabel = 0
    /// Position of the last emitted instruction if it is a single `copy` (to merge into `copy2`).
    var lastCopy: Int?
    /// The last emitted instruction if it was a fusable comparison.
    var lastCompare: (position: Int, dst: Int, word: UInt64, imm: UInt64?)?

    /// Constants (by bit pattern) that live in frame slots written once by the function's
    /// prologue, so that instructions inside loops read them instead of rematerialising them.
    var constantSlots: [HoistedConstant: Int] = [:]
    /// Constants materialised inside loops in this translation: candidates for `constantSlots`.
    var hoistCandidates: [HoistedConstant] = []
    var loopDepth = 0

    init(module: Module, environment: TranslationEnvironment, definedIndex: Int, hoisting constants: [HoistedConstant] = []) {
        self.module = module
        self.hoistedConstants = constants
        self.environment = environment
        functionIndex = UInt32(module.importedFunctionCount + definedIndex)
        type = module.functionType(at: functionIndex)
        let body = module.bodies[definedIndex]
        reader = InstructionReader(module.bytes.reader(body.code, section: .code))
    }

    func failure(_ message: String) -> TranslationError {
        TranslationError("function \(functionIndex) (\(module.displayName(ofFunction: functionIndex))): \(message)")
    }

    /// At most this many constants are kept in prologue-initialised slots per function.
    static let maxHoistedConstants = 32

    // MARK: Entry point

    mutating func translate(definedIndex: Int) throws -> TranslatedFunction {
        let body = module.bodies[definedIndex]
        guard body.localCount + type.parameters.count <= Word.maxSlot else {
            throw failure("\(body.localCount) locals exceed this interpreter's frame limit of \(Word.maxSlot) slots")
        }
        var slot = 0
        for parameter in type.parameters {
            localSlots.append(slot)
            localTypes.append(parameter)
            slot += parameter.slotCount
        }
        for group in body.locals {
            for _ in 0..<group.count {
                localSlots.append(slot)
                localTypes.append(group.type)
                slot += group.type.slotCount
            }
        }
        // Hoisted constants get slots between the locals and the operand stack; the prologue
        // writes them on every call, before the body runs.
        for constant in hoistedConstants {
            constantSlots[constant] = slot
            emitConstant(constant.low, constant.high, type: constant.wide ? .v128 : .i64, to: slot)
            slot += constant.wide ? 2 : 1
        }
        placeLabel()
        tempBase = slot
        maxSlot = max(slot, type.results.reduce(0) { $0 + $1.slotCount })
        frames.append(Frame(kind: .function, parameters: [], results: type.results, height: 0, baseSlot: tempBase))
        while !frames.isEmpty {
            let instruction = try reader.next()
            if frames[frames.count - 1].unreachable {
                try skipDead(instruction)
            } else {
                try translate(instruction)
            }
        }
        guard maxSlot <= Word.maxSlot + 1 else {
            throw failure("needs \(maxSlot) frame slots; this interpreter supports \(Word.maxSlot + 1)")
        }
        forwardBranchesToReturns()
        return TranslatedFunction(code: code, frameSlots: maxSlot)
    }

    // MARK: Emission helpers

    @discardableResult
    mutating func emit(_ word: UInt64) -> Int {
        code.append(word)
        lastProducer = nil
        lastCompare = nil
        lastCopy = nil
        return code.count - 1
    }

    /// Emits an instruction writing one result into `dst` that a following `local.set` may retarget.
    mutating func emitProducer(_ words: UInt64..., dst: Int) {
        let position = code.count
        for word in words { code.append(word) }
        lastProducer = (position, dst)
        lastCompare = nil
        lastCopy = nil
    }

    mutating func placeLabel() {
        lastLabel = code.count
        lastProducer = nil
        lastCompare = nil
        lastCopy = nil
    }

    func slotCount(_ types: [ValueType]) -> Int { types.reduce(0) { $0 + $1.slotCount } }

    var nextHome: Int {
        guard let top = stack.last else { return tempBase }
        return top.home + top.type.slotCount
    }

    /// Home slot of stack position `height`.
    func home(ofHeight height: Int) -> Int {
        height < stack.count ? stack[height].home : nextHome
    }

    mutating func pushTemp(_ type: ValueType) -> Int {
        let home = nextHome
        stack.append(StackEntry(type: type, home: home, entry: .temp))
        maxSlot = max(maxSlot, home + type.slotCount)
        return home
    }

    mutating func push(_ type: ValueType, _ entry: Entry) {
        let home = nextHome
        stack.append(StackEntry(type: type, home: home, entry: entry))
        maxSlot = max(maxSlot, home + type.slotCount)
    }

    mutating func pop() -> StackEntry { stack.removeLast() }

    /// Emits code that writes `entry`'s value into `slot`.
    mutating func move(_ entry: StackEntry, to slot: Int) {
        switch entry.entry {
        case .temp:
            if entry.home != slot { emitCopy(slot, entry.home, wide: entry.type == .v128) }
        case .local(let source):
            if source != slot { emitCopy(slot, source, wide: entry.type == .v128) }
        case .constant(let low, let high):
            emitConstant(low, high, type: entry.type, to: slot)
        }
    }

    /// A copy; two consecutive 64-bit copies become one `copy2`.
    mutating func emitCopy(_ destination: Int, _ source: Int, wide: Bool) {
        if wide {
            emit(Word.make(.copy128, destination, source))
            return
        }
        if let previous = lastCopy, previous == code.count - 1 {
            code[previous] = Word.make(.copy2, Word.a(code[previous]), Word.b(code[previous]), destination)
            emit(UInt64(source))
            return
        }
        emit(Word.make(.copy, destination, source))
        lastCopy = code.count - 1
    }

    mutating func emitConstant(_ low: UInt64, _ high: UInt64, type: ValueType, to slot: Int) {
        if type == .v128 {
            emit(Word.make(.const128, slot))
            emit(low)
            emit(high)
        } else if low <= UInt64(UInt32.max) {
            emit(Word.make(.const32, a: slot, imm32: Int32(bitPattern: UInt32(truncatingIfNeeded: low))))
        } else {
            emit(Word.make(.const64, slot))
            emit(low)
        }
    }

    /// Makes stack entry `index` a temp in its home slot.
    mutating func materialize(_ index: Int) {
        let entry = stack[index]
        guard entry.entry != .temp else { return }
        move(entry, to: entry.home)
        stack[index].entry = .temp
    }

    /// The slot holding `entry`'s value, materialising constants into the entry's home.
    mutating func slot(of entry: StackEntry) -> Int {
        switch entry.entry {
        case .temp: return entry.home
        case .local(let slot): return slot
        case .constant(let low, let high):
            let constant = HoistedConstant(low: low, high: high, wide: entry.type == .v128)
            if let slot = constantSlots[constant] { return slot }
            if loopDepth > 0, !hoistCandidates.contains(constant) { hoistCandidates.append(constant) }
            move(entry, to: entry.home)
            return entry.home
        }
    }

    mutating func popSlot() -> Int { slot(of: pop()) }

    /// Before `local.set x`: stack entries that still read local x lazily get their own copy.
    mutating func preserveLocal(_ slot: Int) {
        for index in stack.indices where stack[index].entry == .local(slot) {
            materialize(index)
        }
    }

    /// At block boundaries: no lazy local may cross (a later `local.set` in one branch only would
    /// otherwise leave the merge point reading a stale or missing value).
    mutating func materializeLocals(andTop count: Int) {
        for index in stack.indices {
            if index >= stack.count - count {
                materialize(index)
            } else if case .local = stack[index].entry {
                materialize(index)
            }
        }
    }

    // MARK: Branches

    mutating func patch(_ branch: PendingBranch, to target: Int) {
        let offset = target - branch.instruction
        switch branch.style {
        case .imm32: code[branch.word] = Word.withImm32(code[branch.word], Int32(offset))
        case .word: code[branch.word] = UInt64(bitPattern: Int64(offset))
        }
    }

    /// Records a branch to the frame at `depth` (patched now for loops, at `end` otherwise).
    mutating func link(_ branch: PendingBranch, depth: Int) {
        let index = frames.count - 1 - depth
        if frames[index].kind == .loop {
            patch(branch, to: frames[index].loopStart)
        } else {
            frames[index].pending.append(branch)
            frames[index].branchedTo = true
        }
    }

    /// Whether branching to `depth` needs value moves first.
    func needsMoves(depth: Int) -> Bool {
        let frame = frames[frames.count - 1 - depth]
        let types = frame.labelTypes
        var slot = frame.baseSlot
        for (offset, type) in types.enumerated() {
            let entry = stack[stack.count - types.count + offset]
            if entry.entry != .temp || entry.home != slot { return true }
            slot += type.slotCount
        }
        return false
    }

    /// Moves the label values of the frame at `depth` into its slots.
    mutating func emitMoves(depth: Int) {
        let frame = frames[frames.count - 1 - depth]
        let types = frame.labelTypes
        var slot = frame.baseSlot
        for (offset, type) in types.enumerated() {
            move(stack[stack.count - types.count + offset], to: slot)
            slot += type.slotCount
        }
    }

    /// An unconditional branch to `depth` (a return when it is the function frame).
    mutating func emitBranch(depth: Int) {
        if depth == frames.count - 1 {
            emitReturn()
            return
        }
        emitMoves(depth: depth)
        let position = emit(Word.make(.br))
        link(PendingBranch(instruction: position, word: position, style: .imm32), depth: depth)
    }

    mutating func emitReturn() {
        let results = type.results
        if results.count == 1 {
            let entry = stack[stack.count - 1]
            if case .constant(let low, _) = entry.entry, results[0] != .v128, low <= UInt64(UInt32.max) {
                emit(Word.make(.retImm32, a: 0, imm32: Int32(bitPattern: UInt32(low))))
            } else if case .constant = entry.entry {
                move(entry, to: 0)
                emit(Word.make(.ret))
            } else {
                let source = slot(of: entry)
                emit(Word.make(results[0] == .v128 ? .ret128 : .ret1, source))
            }
            return
        }
        // Results go to slots 0...; a local below the result area could be overwritten before
        // it is read, so such sources are first copied to their homes (which lie above).
        let resultSlots = slotCount(results)
        for offset in results.indices {
            let index = stack.count - results.count + offset
            if case .local(let source) = stack[index].entry, source < resultSlots { materialize(index) }
        }
        var slot = 0
        for (offset, type) in results.enumerated() {
            move(stack[stack.count - results.count + offset], to: slot)
            slot += type.slotCount
        }
        emit(Word.make(.ret))
    }

    /// The condition for `br_if`/`if`: a fusable comparison just emitted, or a slot.
    enum Condition {
        case slot(Int)
        case compare(word: UInt64, imm: UInt64?)
        /// `i32.eqz` of a slot: true when the slot is zero.
        case i32Zero(Int)
        case i64Zero(Int)
    }

    mutating func popCondition() -> Condition {
        let entry = pop()
        if entry.entry == .temp, let compare = lastCompare, compare.dst == entry.home,
           compare.imm.map({ Int64(bitPattern: $0) == Int64(Int32(truncatingIfNeeded: $0)) || Word.op(compare.word).isI32Compare }) ?? true {
            code.removeSubrange(compare.position...)
            lastCompare = nil
            lastProducer = nil
            switch Word.op(compare.word) {
            case .i32Eqz: return .i32Zero(Word.b(compare.word))
            case .i64Eqz: return .i64Zero(Word.b(compare.word))
            default: break
            }
            return .compare(word: compare.word, imm: compare.imm)
        }
        return .slot(slot(of: entry))
    }

    /// Emits a branch taken when `condition` is true (or false when `negate`) and returns it
    /// for patching.
    mutating func emitConditionalBranch(_ condition: Condition, negate: Bool) -> PendingBranch {
        switch condition {
        case .slot(let slot):
            let position = emit(Word.make(negate ? .brIfNot : .brIf, a: slot, imm32: 0))
            return PendingBranch(instruction: position, word: position, style: .imm32)
        case .i32Zero(let slot):
            let position = emit(Word.make(negate ? .brIf : .brIfNot, a: slot, imm32: 0))
            return PendingBranch(instruction: position, word: position, style: .imm32)
        case .i64Zero(let slot):
            let position = emit(Word.make(negate ? .brI64Nez : .brI64Eqz, a: slot, imm32: 0))
            return PendingBranch(instruction: position, word: position, style: .imm32)
        case .compare(let word, let imm):
            let branchOp = Translator.fusedBranch(Word.op(word), negate: negate)
            let position: Int
            if let imm {
                position = emit(Word.make(branchOp, a: Word.b(word), imm32: Int32(truncatingIfNeeded: imm)))
            } else {
                position = emit(Word.make(branchOp, Word.b(word), Word.c(word)))
            }
            emit(0)
            return PendingBranch(instruction: position, word: position + 1, style: .word)
        }
    }

    /// Peephole pass: an unconditional branch to a return becomes that return, a branch to a
    /// branch goes straight to the final target, and `copy d <- s; ret1 d` returns s directly.
    mutating func forwardBranchesToReturns() {
        var offset = 0
        var previous: Int?
        while offset < code.count {
            let word = code[offset]
            let op = Word.op(word)
            if op == .br {
                var target = offset + Int(Word.imm32(word))
                var hops = 0
                while Word.op(code[target]) == .br, hops < 8 {
                    target += Int(Word.imm32(code[target]))
                    hops += 1
                }
                switch Word.op(code[target]) {
                case .ret, .ret1, .ret128, .retImm32: code[offset] = code[target]
                default: code[offset] = Word.withImm32(word, Int32(target - offset))
                }
            }
            if Word.op(code[offset]) == .ret1, let copy = previous, Word.op(code[copy]) == .copy,
               Word.a(code[copy]) == Word.a(code[offset]) {
                code[copy] = Word.make(.ret1, Word.b(code[copy]))
            }
            previous = offset
            offset += code.withUnsafeBufferPointer { Disassembler.length(op, $0, offset) }
        }
    }

    // MARK: Dead code

    mutating func skipDead(_ instruction: Instruction) throws {
        switch instruction {
        case .block, .loop, .if:
            deadDepth += 1
        case .else where deadDepth == 0:
            try translate(instruction)
        case .end:
            if deadDepth > 0 { deadDepth -= 1 } else { try translate(instruction) }
        default:
            break
        }
    }
}

/// A constant kept in a prologue-initialised frame slot (two slots for a v128).
struct HoistedConstant: Hashable {
    var low: UInt64
    var high: UInt64
    var wide: Bool
}
