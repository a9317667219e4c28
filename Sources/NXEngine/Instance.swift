import NXWasm

/// An instantiated module: its exports, and access to its memory.
public final class Instance: @unchecked Sendable {
    public let runtime: Runtime
    let storage: InstanceStorage

    init(runtime: Runtime, storage: InstanceStorage) {
        self.runtime = runtime
        self.storage = storage
    }

    public var module: Module { storage.module }

    /// The translated code of exported function `name` in readable form (for debugging and
    /// tests of the translator). Translates the function if needed.
    public func disassemble(_ name: String) throws -> String {
        guard let function = function(name), let owner = function.entity.pointee.instance?.pointee.owner?.takeUnretainedValue(),
              owner === storage else { throw CallError("no function \"\(name)\" defined by this instance") }
        let index = Int(function.entity.pointee.functionIndex) - storage.module.importedFunctionCount
        _ = try runtime.translate(storage, definedIndex: index)
        return Disassembler.text(storage.code[index]!)
    }

    /// Translates every function now (normally each is translated on its first call).
    /// Throws `TranslationError` when a function exceeds this engine's limits.
    public func translateAll() throws {
        for index in 0..<storage.definedCount { _ = try runtime.translate(storage, definedIndex: index) }
    }

    /// The export named `name`.
    public func export(_ name: String) -> ExternalValue? {
        // Byte-wise comparison: names that differ only in Unicode normalisation are distinct.
        guard let export = storage.module.exports.first(where: { $0.name.utf8.elementsEqual(name.utf8) }) else { return nil }
        return value(of: export)
    }

    /// All exports in declaration order.
    public var exports: [(name: String, value: ExternalValue)] {
        storage.module.exports.map { ($0.name, value(of: $0)) }
    }

    /// The exported function named `name`.
    public func function(_ name: String) -> Function? {
        if case .function(let function)? = export(name) { return function }
        return nil
    }

    /// The instance's memory (index 0), exported or not.
    public var memory: Memory? {
        storage.memories.first.map { Memory(runtime: runtime, entity: $0) }
    }

    func value(of export: Export) -> ExternalValue {
        let index = Int(export.index)
        switch export.kind {
        case .function: return .function(Function(runtime: runtime, entity: storage.functions[index]))
        case .table: return .table(Table(runtime: runtime, entity: storage.tables[index]))
        case .memory: return .memory(Memory(runtime: runtime, entity: storage.memories[index]))
        case .global:
            let global = storage.globals[index]
            return .global(GlobalVariable(runtime: runtime, cell: global.cell, type: global.type))
        }
    }
}

// MARK: - Storage records owned by the runtime

final class MemoryStorage {
    let entity: UnsafeMutablePointer<MemoryEntity>

    init?(_ type: MemoryType, limit: UInt32) {
        let maxPages = min(type.limits.max ?? MemoryType.maxPages, limit)
        guard type.limits.min <= maxPages,
              let memory = MemoryAllocator.allocate(pages: type.limits.min, maxPages: maxPages, declaredMax: type.limits.max)
        else { return nil }
        entity = .allocate(capacity: 1)
        entity.initialize(to: memory)
    }

    deinit {
        MemoryAllocator.release(entity.pointee)
        entity.deallocate()
    }
}

final class TableStorage {
    let entity: UnsafeMutablePointer<TableEntity>

    init?(_ type: TableType, limit: UInt32) {
        let max = min(type.limits.max ?? UInt32.max, limit)
        guard type.limits.min <= max else { return nil }
        let capacity = Swift.max(type.limits.min, 1)
        let elements = UnsafeMutablePointer<UInt64>.allocate(capacity: Int(capacity))
        elements.initialize(repeating: 0, count: Int(capacity))
        entity = .allocate(capacity: 1)
        entity.initialize(to: TableEntity(elements: elements, count: type.limits.min, capacity: capacity, max: max,
                                          declaredMax: type.limits.max, elementType: type.elementType))
    }

    deinit {
        entity.pointee.elements.deallocate()
        entity.deallocate()
    }

    /// Grows a table, filling new elements with `initial`. Returns the old size, or nil.
    static func grow(_ table: UnsafeMutablePointer<TableEntity>, by delta: UInt32, initial: UInt64) -> UInt32? {
        let old = table.pointee.count
        let new = UInt64(old) + UInt64(delta)
        guard new <= UInt64(table.pointee.max) else { return nil }
        if new > UInt64(table.pointee.capacity) {
            let capacity = UInt32(min(UInt64(table.pointee.max), Swift.max(new, UInt64(table.pointee.capacity) * 2)))
            let elements = UnsafeMutablePointer<UInt64>.allocate(capacity: Int(capacity))
            elements.update(from: table.pointee.elements, count: Int(old))
            table.pointee.elements.deallocate()
            table.pointee.elements = elements
            table.pointee.capacity = capacity
        }
        (table.pointee.elements + Int(old)).initialize(repeating: initial, count: Int(delta))
        table.pointee.count = UInt32(new)
        return old
    }
}

final class GlobalStorage {
    /// Two words, so a v128 fits.
    let cell: UnsafeMutablePointer<UInt64>
    let type: GlobalType

    init(_ type: GlobalType) {
        self.type = type
        cell = .allocate(capacity: 2)
        cell.initialize(repeating: 0, count: 2)
    }

    deinit { cell.deallocate() }
}

/// Everything an instance owns or links to, in raw form for translated code.
final class InstanceStorage {
    let module: Module
    let entity: UnsafeMutablePointer<InstanceEntity>
    let defined: UnsafeMutablePointer<FunctionEntity>
    let definedCount: Int
    var functions: [UnsafeMutablePointer<FunctionEntity>] = []
    var tables: [UnsafeMutablePointer<TableEntity>] = []
    var memories: [UnsafeMutablePointer<MemoryEntity>] = []
    var globals: [(cell: UnsafeMutablePointer<UInt64>, type: GlobalType)] = []
    let dataSegments: UnsafeMutablePointer<SegmentEntity>
    let elementSegments: UnsafeMutablePointer<SegmentEntity>
    var elementBuffers: [UnsafeMutablePointer<UInt64>] = []
    /// Translated code of each defined function (index: defined function index).
    var code: [Int: UnsafeBufferPointer<UInt64>] = [:]
    /// What translated code embeds; set once the instance's entities exist.
    var environment: TranslationEnvironment?
    unowned(unsafe) var runtime: Runtime

    init(module: Module, runtime: Runtime) {
        self.module = module
        self.runtime = runtime
        entity = .allocate(capacity: 1)
        entity.initialize(to: InstanceEntity(memory: nil, owner: nil))
        definedCount = module.bodies.count
        defined = .allocate(capacity: max(definedCount, 1))
        dataSegments = .allocate(capacity: max(module.data.count, 1))
        dataSegments.initialize(repeating: SegmentEntity(pointer: nil, count: 0), count: max(module.data.count, 1))
        elementSegments = .allocate(capacity: max(module.elements.count, 1))
        elementSegments.initialize(repeating: SegmentEntity(pointer: nil, count: 0), count: max(module.elements.count, 1))
        entity.pointee.owner = Unmanaged.passUnretained(self)
    }

    deinit {
        for buffer in code.values { buffer.deallocate() }
        for buffer in elementBuffers { buffer.deallocate() }
        defined.deallocate()
        dataSegments.deallocate()
        elementSegments.deallocate()
        entity.deallocate()
    }
}

// MARK: - Instantiation (spec §4.5.4)

extension Runtime {
    /// Instantiates a validated module: links imports, allocates and initialises its state,
    /// applies active segments in order, and runs the start function.
    ///
    /// Throws `LinkError` (unknown or incompatible imports, resource limits),
    /// `TranslationError`, or a `Trap` from segment initialisation or the start function; in
    /// the latter case effects on imported tables and memories remain, as the spec requires.
    public func instantiate(_ module: Module, imports: Imports = Imports()) throws -> Instance {
        let storage = InstanceStorage(module: module, runtime: self)
        try link(storage, imports)
        createFunctions(storage)
        try createTablesAndMemories(storage)
        try createGlobals(storage)
        instanceStorage.append(storage)
        prepareSegments(storage)
        try translateFunctions(storage)
        let instance = Instance(runtime: self, storage: storage)
        try initializeSegments(storage)
        if let start = module.start {
            try Function(runtime: self, entity: storage.functions[Int(start)]).call()
        }
        return instance
    }

    private func link(_ storage: InstanceStorage, _ imports: Imports) throws {
        let module = storage.module
        for entry in module.imports {
            guard let provided = imports.lookup(module: entry.module, name: entry.name) else {
                throw LinkError("unknown import \"\(entry.module)\".\"\(entry.name)\"")
            }
            let value: ExternalValue
            switch provided {
            case .value(let external): value = external
            case .host(let host): value = .function(register(host))
            }
            let mismatch = LinkError("incompatible import type for \"\(entry.module)\".\"\(entry.name)\": expected \(describe(entry.descriptor)), got \(describe(value))")
            switch (entry.descriptor, value) {
            case (.function(let typeIndex), .function(let function)):
                guard function.runtime === self else { throw LinkError("import \"\(entry.module)\".\"\(entry.name)\" belongs to another runtime") }
                guard function.type == module.types[Int(typeIndex)] else { throw mismatch }
                storage.functions.append(function.entity)
            case (.table(let required), .table(let table)):
                guard table.elementType == required.elementType, table.type.limits.matches(required.limits) else { throw mismatch }
                storage.tables.append(table.entity)
            case (.memory(let required), .memory(let memory)):
                guard memory.type.limits.matches(required.limits) else { throw mismatch }
                storage.memories.append(memory.entity)
            case (.global(let required), .global(let global)):
                guard global.type == required else { throw mismatch }
                storage.globals.append((global.cell, global.type))
            default:
                throw mismatch
            }
        }
    }

    private func describe(_ descriptor: ImportDescriptor) -> String {
        switch descriptor {
        case .function: "function"
        case .table(let type): "table of \(type.elementType) with limits \(type.limits.min)...\(type.limits.max.map(String.init) ?? "")"
        case .memory(let type): "memory with limits \(type.limits.min)...\(type.limits.max.map(String.init) ?? "")"
        case .global(let type): "global \(type.isMutable ? "mut " : "")\(type.valueType)"
        }
    }

    private func describe(_ value: ExternalValue) -> String {
        switch value {
        case .function(let function): "function \(function.type)"
        case .table(let table): "table of \(table.elementType) with \(table.count) elements"
        case .memory(let memory): "memory of \(memory.pageCount) pages"
        case .global(let global): "global \(global.type.isMutable ? "mut " : "")\(global.type.valueType)"
        }
    }

    private func createFunctions(_ storage: InstanceStorage) {
        let module = storage.module
        for index in 0..<storage.definedCount {
            let functionIndex = module.importedFunctionCount + index
            let type = module.functionType(at: UInt32(functionIndex))
            let body = module.bodies[index]
            let parameterSlots = type.parameters.reduce(0) { $0 + $1.slotCount }
            let localSlots = body.locals.reduce(0) { $0 + Int($1.count) * $1.type.slotCount }
            let resultSlots = type.results.reduce(0) { $0 + $1.slotCount }
            (storage.defined + index).initialize(to: FunctionEntity(
                code: context.pointee.translateStub, frameSlots: max(parameterSlots + localSlots, resultSlots), parameterSlots: parameterSlots,
                localSlots: localSlots, resultSlots: resultSlots, signature: signatureID(type), hostIndex: -1,
                instance: storage.entity, functionIndex: UInt32(functionIndex)))
            storage.functions.append(storage.defined + index)
        }
    }

    private func createTablesAndMemories(_ storage: InstanceStorage) throws {
        for type in storage.module.tables {
            guard let table = TableStorage(type, limit: configuration.maxTableElements) else {
                throw LinkError("table of \(type.limits.min) elements exceeds this runtime's limit of \(configuration.maxTableElements)")
            }
            tableStorage.append(table)
            storage.tables.append(table.entity)
        }
        for type in storage.module.memories {
            guard let memory = MemoryStorage(type, limit: configuration.maxMemoryPages) else {
                throw LinkError("memory of \(type.limits.min) pages cannot be allocated (this runtime's limit is \(configuration.maxMemoryPages) pages)")
            }
            memoryStorage.append(memory)
            storage.memories.append(memory.entity)
        }
        storage.entity.pointee.memory = storage.memories.first
    }

    /// Evaluates a constant expression into two words (spec §4.4.10).
    func evaluate(_ expression: ConstantExpression, _ storage: InstanceStorage) -> (UInt64, UInt64) {
        switch expression {
        case .i32(let value): return (UInt64(value), 0)
        case .i64(let value): return (value, 0)
        case .f32(let bits): return (UInt64(bits), 0)
        case .f64(let bits): return (bits, 0)
        case .v128(let value): return (value.low, value.high)
        case .refNull: return (0, 0)
        case .refFunc(let index): return (UInt64(UInt(bitPattern: storage.functions[Int(index)])), 0)
        case .globalGet(let index):
            let cell = storage.globals[Int(index)].cell
            return (cell[0], cell[1])
        case .invalid: return (0, 0)  // rejected by validation
        }
    }

    private func createGlobals(_ storage: InstanceStorage) throws {
        for global in storage.module.globals {
            let record = GlobalStorage(global.type)
            let (low, high) = evaluate(global.initializer, storage)
            record.cell[0] = low
            record.cell[1] = high
            globalStorage.append(record)
            storage.globals.append((record.cell, record.type))
        }
    }

    /// Passive and active segments hold their contents until dropped; declarative element
    /// segments start dropped (spec §4.5.4 step 14).
    private func prepareSegments(_ storage: InstanceStorage) {
        let module = storage.module
        for (index, segment) in module.data.enumerated() {
            storage.dataSegments[index] = SegmentEntity(pointer: UnsafeMutableRawPointer(module.bytes.pointer + segment.bytes.lowerBound),
                                                        count: segment.bytes.count)
        }
        for (index, segment) in module.elements.enumerated() {
            let buffer = UnsafeMutablePointer<UInt64>.allocate(capacity: max(segment.initializers.count, 1))
            for (position, initializer) in segment.initializers.enumerated() {
                buffer[position] = evaluate(initializer, storage).0
            }
            storage.elementBuffers.append(buffer)
            let count = segment.mode == .declarative ? 0 : segment.initializers.count
            storage.elementSegments[index] = SegmentEntity(pointer: UnsafeMutableRawPointer(buffer), count: count)
        }
    }

    private func translateFunctions(_ storage: InstanceStorage) throws {
        let module = storage.module
        storage.environment = TranslationEnvironment(
            functions: storage.functions, importedFunctionCount: module.importedFunctionCount,
            globals: storage.globals.map(\.cell), tables: storage.tables,
            dataSegments: storage.dataSegments, elementSegments: storage.elementSegments,
            signatures: module.types.map(signatureID))
        guard !configuration.lazyTranslation else { return }
        for index in 0..<storage.definedCount { _ = try translate(storage, definedIndex: index) }
    }

    /// Translates defined function `index` of an instance (once) and returns its code.
    func translate(_ storage: InstanceStorage, definedIndex index: Int) throws -> UnsafeMutablePointer<UInt64> {
        if let code = storage.defined[index].code, code != context.pointee.translateStub { return code }
        var translator = Translator(module: storage.module, environment: storage.environment!, definedIndex: index)
        var translated = try translator.translate(definedIndex: index)
        // Constants rematerialised inside loops: translate again with them in prologue slots.
        let candidates = translator.hoistCandidates.prefix(Translator.maxHoistedConstants)
        if !candidates.isEmpty {
            var second = Translator(module: storage.module, environment: storage.environment!, definedIndex: index,
                                    hoisting: Array(candidates))
            translated = try second.translate(definedIndex: index)
        }
        let code = UnsafeMutablePointer<UInt64>.allocate(capacity: translated.code.count)
        code.initialize(from: translated.code, count: translated.code.count)
        storage.code[index] = UnsafeBufferPointer(start: code, count: translated.code.count)
        storage.defined[index].code = code
        storage.defined[index].frameSlots = max(storage.defined[index].frameSlots, translated.frameSlots)
        return code
    }

    /// Active segments are applied in order, then dropped (spec §4.5.4 steps 13-15).
    private func initializeSegments(_ storage: InstanceStorage) throws {
        let module = storage.module
        for (index, segment) in module.elements.enumerated() {
            guard case .active(let table, let offsetExpression) = segment.mode else { continue }
            let offset = UInt32(truncatingIfNeeded: evaluate(offsetExpression, storage).0)
            let code = BulkOperations.tableInit(storage.tables[Int(table)], storage.elementSegments + index, offset, 0,
                                                UInt32(segment.initializers.count))
            storage.elementSegments[index].count = 0
            if code != 0 { throw Trap(TrapKind(code: code)!) }
        }
        for (index, segment) in module.data.enumerated() {
            guard case .active(let memory, let offsetExpression) = segment.mode else { continue }
            let offset = UInt32(truncatingIfNeeded: evaluate(offsetExpression, storage).0)
            let code = BulkOperations.memoryInit(storage.memories[Int(memory)], storage.dataSegments + index, offset, 0,
                                                 UInt32(segment.bytes.count))
            storage.dataSegments[index].count = 0
            if code != 0 { throw Trap(TrapKind(code: code)!) }
        }
    }

    /// A new memory, e.g. to provide as an import.
    public func createMemory(_ type: MemoryType) throws -> Memory {
        guard let memory = MemoryStorage(type, limit: configuration.maxMemoryPages) else {
            throw LinkError("memory of \(type.limits.min) pages cannot be allocated")
        }
        memoryStorage.append(memory)
        return Memory(runtime: self, entity: memory.entity)
    }

    /// A new table, e.g. to provide as an import; elements start as `initial`.
    public func createTable(_ type: TableType, initial: Value? = nil) throws -> Table {
        guard let table = TableStorage(type, limit: configuration.maxTableElements) else {
            throw LinkError("table of \(type.limits.min) elements exceeds this runtime's limit")
        }
        if let initial { table.entity.pointee.elements.update(repeating: Slots.reference(initial), count: Int(type.limits.min)) }
        tableStorage.append(table)
        return Table(runtime: self, entity: table.entity)
    }

    /// A new global, e.g. to provide as an import.
    public func createGlobal(_ type: GlobalType, value: Value) throws -> GlobalVariable {
        guard value.type == type.valueType else { throw CallError("global of \(type.valueType) cannot hold \(value.type)") }
        let record = GlobalStorage(type)
        Slots.write(value, to: record.cell)
        globalStorage.append(record)
        return GlobalVariable(runtime: self, cell: record.cell, type: type)
    }

    /// Wraps a host function so it can be stored in tables or provided under several names.
    public func hostFunction(_ host: HostFunction) -> Function { register(host) }
}
