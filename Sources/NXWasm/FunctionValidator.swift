/// Function body validation: the algorithm of the spec's appendix ("Validation Algorithm"),
/// with an operand stack whose bottom becomes polymorphic after `unreachable`/branches.
public struct FunctionValidator {
    /// A control frame (spec appendix: ctrl_frame).
    struct Frame {
        enum Kind { case function, block, loop, `if`, `else` }
        var kind: Kind
        var parameters: [ValueType]
        var results: [ValueType]
        var height: Int
        var unreachable: Bool
        /// Types a branch to this frame carries: the loop's parameters, else its results.
        var labelTypes: [ValueType] { kind == .loop ? parameters : results }
    }

    let context: ValidationContext
    let module: Module
    let functionIndex: UInt32
    let type: FunctionType
    let body: FunctionBody
    let locals: LocalTypes
    /// Operand types; `nil` is the spec's Unknown.
    /// Operand types (Unknown = nil), in a buffer reused across the module's functions.
    let operands: OperandStack
    var frames: [Frame] = [] {
        didSet {
            innermostHeight = frames.last?.height ?? 0
            innermostUnreachable = frames.last?.unreachable ?? false
        }
    }
    var innermostHeight = 0
    var innermostUnreachable = false
    var reader: InstructionReader
    var instructionOffset = 0

    init(context: ValidationContext, definedIndex: Int) {
        self.context = context
        module = context.module
        functionIndex = UInt32(module.importedFunctionCount + definedIndex)
        type = module.functionType(at: functionIndex)
        body = module.bodies[definedIndex]
        locals = LocalTypes(parameters: type.parameters, body: body)
        reader = InstructionReader(module.bytes.reader(body.code, section: .code))
        operands = context.operands
        operands.count = 0
    }

    func fail(_ message: String) -> ValidationError {
        ValidationError(message, offset: instructionOffset, context: "function \(functionIndex) (\(module.displayName(ofFunction: functionIndex)))")
    }

    func malformed(_ error: DecodeError) -> ValidationError {
        ValidationError(error.message, offset: error.offset, context: "function \(functionIndex) (\(module.displayName(ofFunction: functionIndex)))")
    }

    // MARK: Operand and control stacks (spec appendix)

    @inline(__always) mutating func push(_ type: ValueType?) { operands.push(type) }

    mutating func pop() throws(ValidationError) -> ValueType? {
        // The innermost frame's height and reachability are cached: reading them from
        // `frames` would copy the frame (and retain its type arrays) on every pop.
        if operands.count == innermostHeight {
            if innermostUnreachable { return nil }
            throw fail("type mismatch: operand stack underflow")
        }
        return operands.pop()
    }

    @discardableResult
    mutating func pop(_ expected: ValueType) throws(ValidationError) -> ValueType? {
        let actual = try pop()
        if let actual, actual != expected {
            throw fail("type mismatch: expected \(expected), found \(actual)")
        }
        // Unknown stays Unknown (spec appendix: pop_val returns the actual type).
        return actual
    }

    mutating func push(_ types: [ValueType]) { for type in types { operands.push(type) } }

    mutating func pop(_ types: [ValueType]) throws(ValidationError) {
        for type in types.reversed() { try pop(type) }
    }

    mutating func pushFrame(_ kind: Frame.Kind, _ parameters: [ValueType], _ results: [ValueType]) {
        frames.append(Frame(kind: kind, parameters: parameters, results: results, height: operands.count, unreachable: false))
        push(parameters)
    }

    mutating func popFrame() throws(ValidationError) -> Frame {
        guard let frame = frames.last else { throw fail("unexpected end: no open block") }
        try pop(frame.results)
        guard operands.count == frame.height else {
            throw fail("type mismatch: \(operands.count - frame.height) extra value(s) at the end of a block")
        }
        frames.removeLast()
        return frame
    }

    mutating func markUnreachable() {
        operands.count = frames[frames.count - 1].height
        frames[frames.count - 1].unreachable = true
    }

    func label(_ depth: UInt32) throws(ValidationError) -> Frame {
        guard Int(depth) < frames.count else { throw fail("unknown label \(depth)") }
        return frames[frames.count - 1 - Int(depth)]
    }

    // MARK: Lookups

    func blockSignature(_ blockType: BlockType) throws(ValidationError) -> (parameters: [ValueType], results: [ValueType]) {
        switch blockType {
        case .empty: return ([], [])
        case .value(let type): return ([], ValueType.singletons[type]!)
        case .typeIndex(let index):
            guard Int(index) < module.types.count else { throw fail("unknown type \(index)") }
            let type = module.types[Int(index)]
            return (type.parameters, type.results)
        }
    }

    func localType(_ index: UInt32) throws(ValidationError) -> ValueType {
        guard let type = locals[index] else { throw fail("unknown local \(index)") }
        return type
    }

    func globalType(_ index: UInt32) throws(ValidationError) -> GlobalType {
        guard Int(index) < module.allGlobals.count else { throw fail("unknown global \(index)") }
        return module.allGlobals[Int(index)]
    }

    func tableType(_ index: UInt32) throws(ValidationError) -> TableType {
        guard Int(index) < module.allTables.count else { throw fail("unknown table \(index)") }
        return module.allTables[Int(index)]
    }

    func requireMemory() throws(ValidationError) {
        guard !module.allMemories.isEmpty else { throw fail("unknown memory 0") }
    }

    func functionType(_ index: UInt32) throws(ValidationError) -> FunctionType {
        guard Int(index) < module.functionTypes.count else { throw fail("unknown function \(index)") }
        return module.functionType(at: index)
    }

    func elementType(_ index: UInt32) throws(ValidationError) -> ValueType {
        guard Int(index) < module.elements.count else { throw fail("unknown elem segment \(index)") }
        return module.elements[Int(index)].type
    }

    func checkDataIndex(_ index: UInt32) throws(ValidationError) {
        guard let count = module.dataCount else { throw fail("data count section required") }
        guard index < count else { throw fail("unknown data segment \(index)") }
    }

    // MARK: The instruction loop

    mutating func validate() throws(ValidationError) {
        pushFrame(.function, [], type.results)
        while !frames.isEmpty {
            instructionOffset = reader.offset
            guard !reader.isAtEnd else { throw fail("unexpected end of section or function: END opcode expected") }
            let instruction: Instruction
            do { instruction = try reader.next() } catch { throw malformed(error) }
            try validate(instruction)
        }
        guard reader.isAtEnd else {
            instructionOffset = reader.offset
            throw fail("section size mismatch: code after the function's final end")
        }
    }

    mutating func validate(_ instruction: Instruction) throws(ValidationError) {
        switch instruction {
        case .unreachable: markUnreachable()
        case .nop: break
        case .block(let blockType), .loop(let blockType):
            let signature = try blockSignature(blockType)
            try pop(signature.parameters)
            let kind: Frame.Kind = if case .loop = instruction { .loop } else { .block }
            pushFrame(kind, signature.parameters, signature.results)
        case .if(let blockType):
            let signature = try blockSignature(blockType)
            try pop(.i32)
            try pop(signature.parameters)
            pushFrame(.if, signature.parameters, signature.results)
        case .else:
            guard let last = frames.last, last.kind == .if else { throw fail("else without matching if") }
            let frame = try popFrame()
            pushFrame(.else, frame.parameters, frame.results)
        case .end:
            let frame = try popFrame()
            if frame.kind == .if && frame.parameters != frame.results {
                throw fail("type mismatch: if without else must leave its parameters unchanged")
            }
            if !frames.isEmpty { push(frame.results) }
        case .br(let depth):
            try pop(try label(depth).labelTypes)
            markUnreachable()
        case .brIf(let depth):
            try pop(.i32)
            let types = try label(depth).labelTypes
            try pop(types)
            push(types)
        case .brTable(let targets):
            try validateBrTable(targets)
        case .return:
            try pop(type.results)
            markUnreachable()
        case .call(let index):
            let callee = try functionType(index)
            try pop(callee.parameters)
            push(callee.results)
        case .callIndirect(let typeIndex, let table):
            let tableType = try tableType(table)
            guard tableType.elementType == .funcref else { throw fail("type mismatch: call_indirect through a table of \(tableType.elementType)") }
            guard Int(typeIndex) < module.types.count else { throw fail("unknown type \(typeIndex)") }
            try pop(.i32)
            let callee = module.types[Int(typeIndex)]
            try pop(callee.parameters)
            push(callee.results)
        case .drop: _ = try pop()
        case .select: try validateSelect()
        case .selectTyped(let type):
            try pop(.i32)
            try pop(type)
            try pop(type)
            push(type)
        case .localGet(let index): push(try localType(index))
        case .localSet(let index): try pop(try localType(index))
        case .localTee(let index):
            let type = try localType(index)
            try pop(type)
            push(type)
        case .globalGet(let index): push(try globalType(index).valueType)
        case .globalSet(let index):
            let global = try globalType(index)
            guard global.isMutable else { throw fail("global is immutable: global \(index)") }
            try pop(global.valueType)
        case .tableGet(let index):
            let table = try tableType(index)
            try pop(.i32)
            push(table.elementType)
        case .tableSet(let index):
            let table = try tableType(index)
            try pop(table.elementType)
            try pop(.i32)
        case .load(let op, let memArg):
            try requireMemory()
            try checkAlignment(memArg, width: op.width)
            try pop(.i32)
            push(op.valueType)
        case .store(let op, let memArg):
            try requireMemory()
            try checkAlignment(memArg, width: op.width)
            try pop(op.valueType)
            try pop(.i32)
        case .memorySize:
            try requireMemory()
            push(.i32)
        case .memoryGrow:
            try requireMemory()
            try pop(.i32)
            push(.i32)
        case .i32Const: push(.i32)
        case .i64Const: push(.i64)
        case .f32Const: push(.f32)
        case .f64Const: push(.f64)
        case .numeric(let op):
            let types = op.operandTypes
            if let second = types.second { try pop(second) }
            try pop(types.first)
            push(types.result)
        case .refNull(let type): push(type)
        case .refIsNull:
            if let type = try pop(), !type.isReference {
                throw fail("type mismatch: ref.is_null on \(type)")
            }
            push(.i32)
        case .refFunc(let index):
            _ = try functionType(index)
            guard context.declaredReferences.contains(index) else { throw fail("undeclared function reference \(index)") }
            push(.funcref)
        case .memoryInit(let segment):
            try requireMemory()
            try checkDataIndex(segment)
            try pop([.i32, .i32, .i32])
        case .dataDrop(let segment):
            try checkDataIndex(segment)
        case .memoryCopy, .memoryFill:
            try requireMemory()
            try pop([.i32, .i32, .i32])
        case .tableInit(let element, let table):
            let tableType = try tableType(table)
            let segmentType = try elementType(element)
            guard tableType.elementType == segmentType else { throw fail("type mismatch: table.init of \(segmentType) into a table of \(tableType.elementType)") }
            try pop([.i32, .i32, .i32])
        case .elemDrop(let element): _ = try elementType(element)
        case .tableCopy(let destination, let source):
            let destinationType = try tableType(destination)
            let sourceType = try tableType(source)
            guard destinationType.elementType == sourceType.elementType else { throw fail("type mismatch: table.copy between tables of different element types") }
            try pop([.i32, .i32, .i32])
        case .tableGrow(let index):
            let table = try tableType(index)
            try pop(.i32)
            try pop(table.elementType)
            push(.i32)
        case .tableSize(let index):
            _ = try tableType(index)
            push(.i32)
        case .tableFill(let index):
            let table = try tableType(index)
            try pop(.i32)
            try pop(table.elementType)
            try pop(.i32)
        case .simd(let simd):
            try validateSIMD(simd)
        }
    }

    mutating func validateSIMD(_ simd: SIMDInstruction) throws(ValidationError) {
        switch simd.shape {
        case .load(let width):
            try requireMemory()
            try checkAlignment(simd.memArg, width: width)
            try pop(.i32)
            push(.v128)
        case .store:
            try requireMemory()
            try checkAlignment(simd.memArg, width: 16)
            try pop(.v128)
            try pop(.i32)
        case .loadLane(let width):
            try requireMemory()
            try checkAlignment(simd.memArg, width: width)
            try checkLane(simd.lane, lanes: 16 / width)
            try pop(.v128)
            try pop(.i32)
            push(.v128)
        case .storeLane(let width):
            try requireMemory()
            try checkAlignment(simd.memArg, width: width)
            try checkLane(simd.lane, lanes: 16 / width)
            try pop(.v128)
            try pop(.i32)
        case .constant:
            push(.v128)
        case .shuffle:
            for shift in stride(from: 0, to: 64, by: 8) {
                try checkLane(UInt8(truncatingIfNeeded: simd.immediate.low >> UInt64(shift)), lanes: 32)
                try checkLane(UInt8(truncatingIfNeeded: simd.immediate.high >> UInt64(shift)), lanes: 32)
            }
            try pop(.v128)
            try pop(.v128)
            push(.v128)
        case .extractLane(let lanes, let result):
            try checkLane(simd.lane, lanes: lanes)
            try pop(.v128)
            push(result)
        case .replaceLane(let lanes, let operand):
            try checkLane(simd.lane, lanes: lanes)
            try pop(operand)
            try pop(.v128)
            push(.v128)
        case .splat(let operand):
            try pop(operand)
            push(.v128)
        case .unary:
            try pop(.v128)
            push(.v128)
        case .binary:
            try pop(.v128)
            try pop(.v128)
            push(.v128)
        case .ternary:
            try pop([.v128, .v128, .v128])
            push(.v128)
        case .test:
            try pop(.v128)
            push(.i32)
        case .shift:
            try pop(.i32)
            try pop(.v128)
            push(.v128)
        }
    }

    func checkLane(_ lane: UInt8, lanes: Int) throws(ValidationError) {
        guard Int(lane) < lanes else { throw fail("invalid lane index \(lane) (\(lanes) lanes)") }
    }

    func checkAlignment(_ memArg: MemArg, width: Int) throws(ValidationError) {
        guard (1 << Int(memArg.align)) <= width else { throw fail("alignment must not be larger than natural") }
    }

    mutating func validateSelect() throws(ValidationError) {
        try pop(.i32)
        let first = try pop()
        let second = try pop()
        // Untyped select is only for numeric and vector operands (spec §3.3.4).
        if let first, first.isReference { throw fail("type mismatch: select without a type on \(first)") }
        if let second, second.isReference { throw fail("type mismatch: select without a type on \(second)") }
        if let first, let second, first != second { throw fail("type mismatch: select operands \(second) and \(first)") }
        push(first ?? second)
    }

    mutating func validateBrTable(_ targets: [UInt32]) throws(ValidationError) {
        try pop(.i32)
        let defaultTypes = try label(targets[targets.count - 1]).labelTypes
        let arity = defaultTypes.count
        for depth in targets.dropLast() {
            let types = try label(depth).labelTypes
            guard types.count == arity else { throw fail("type mismatch: br_table targets have different arities") }
            // Pop and re-push so each target is checked against the same operands (spec appendix).
            var popped: [ValueType?] = []
            for type in types.reversed() { popped.append(try pop(type)) }
            for type in popped.reversed() { push(type) }
        }
        try pop(defaultTypes)
        markUnreachable()
    }
}

/// Types of a function's parameters and locals, without expanding huge local declarations.
struct LocalTypes {
    let parameters: [ValueType]
    /// Cumulative end index (exclusive, counting parameters) and type of each local group.
    let groups: [(end: UInt64, type: ValueType)]

    init(parameters: [ValueType], body: FunctionBody) {
        self.parameters = parameters
        var end = UInt64(parameters.count)
        var groups: [(end: UInt64, type: ValueType)] = []
        for group in body.locals where group.count > 0 {
            end += UInt64(group.count)
            groups.append((end, group.type))
        }
        self.groups = groups
    }

    subscript(index: UInt32) -> ValueType? {
        if Int(index) < parameters.count { return parameters[Int(index)] }
        var low = 0
        var high = groups.count
        while low < high {
            let middle = (low + high) / 2
            if groups[middle].end <= UInt64(index) { low = middle + 1 } else { high = middle }
        }
        return low < groups.count ? groups[low].type : nil
    }
}

extension ValueType {
    /// One shared single-element array per type, so block types do not allocate.
    static let singletons: [ValueType: [ValueType]] = [
        .i32: [.i32], .i64: [.i64], .f32: [.f32], .f64: [.f64], .v128: [.v128], .funcref: [.funcref], .externref: [.externref],
    ]
}

/// A growable stack of operand types (nil is Unknown) over raw memory: validation pushes and
/// pops for almost every instruction, and Array's uniqueness checks dominated.
final class OperandStack {
    private var storage: UnsafeMutablePointer<ValueType?>
    private var capacity: Int
    var count = 0

    init() {
        capacity = 256
        storage = .allocate(capacity: capacity)
    }

    deinit { storage.deallocate() }

    @inline(__always) func push(_ type: ValueType?) {
        if count == capacity { grow() }
        storage[count] = type
        count += 1
    }

    /// The top type; the caller checks the stack is not empty.
    @inline(__always) func pop() -> ValueType? {
        count -= 1
        return storage[count]
    }

    private func grow() {
        let larger = UnsafeMutablePointer<ValueType?>.allocate(capacity: capacity * 2)
        larger.update(from: storage, count: count)
        storage.deallocate()
        storage = larger
        capacity *= 2
    }
}
