import NXWasm

/// The embedding entry point: a store of instances, memories, tables and globals (spec §4.2.3)
/// and the stacks that execute them.
///
/// Everything a runtime creates lives until the runtime itself is released: handles
/// (`Instance`, `Function`, `Memory`, ...) keep their runtime alive. A runtime executes on one
/// thread at a time.
public final class Runtime {
    /// Resource limits of a runtime.
    public struct Configuration: Sendable {
        /// Value slots (8 bytes each) shared by all frames of an activation.
        public var stackSlots: Int = 1 << 20
        /// Maximum depth of guest calls; deeper recursion traps with `call stack exhausted`.
        public var maxCallDepth: Int = 100_000
        /// Upper bound for any memory's size in 64 KiB pages (65536 = 4 GiB).
        public var maxMemoryPages: UInt32 = MemoryType.maxPages
        /// Upper bound for any table's size in elements.
        public var maxTableElements: UInt32 = 10_000_000
        /// Translate each function on its first call instead of at instantiation: fast start-up
        /// for large modules. Eager translation finds translation limits up front.
        public var lazyTranslation = true

        public init() {}
    }

    public let configuration: Configuration
    let context: UnsafeMutablePointer<ExecutionContext>
    private var signatureIDs: [FunctionType: UInt32] = [:]
    private(set) var signatureTypes: [FunctionType] = []
    var hostFunctions: [HostFunction] = []
    private var hostEntities: [UnsafeMutablePointer<FunctionEntity>] = []
    var instanceStorage: [InstanceStorage] = []
    var memoryStorage: [MemoryStorage] = []
    var tableStorage: [TableStorage] = []
    var globalStorage: [GlobalStorage] = []

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        context = ExecutionContext.allocate(slots: configuration.stackSlots, frames: configuration.maxCallDepth)
        context.pointee.runtime = Unmanaged.passUnretained(self)
    }

    deinit {
        ExecutionContext.deallocate(context)
        for entity in hostEntities { entity.deallocate() }
    }

    // MARK: Loading

    /// Decodes and validates a module. Throws `DecodeError` or `ValidationError`.
    public static func load(_ bytes: [UInt8]) throws -> Module {
        let module = try ModuleDecoder.decode(bytes)
        try ModuleValidator.validate(module)
        return module
    }

    // MARK: Signatures

    func signatureID(_ type: FunctionType) -> UInt32 {
        if let id = signatureIDs[type] { return id }
        let id = UInt32(signatureTypes.count)
        signatureIDs[type] = id
        signatureTypes.append(type)
        return id
    }

    func type(of entity: UnsafeMutablePointer<FunctionEntity>) -> FunctionType {
        signatureTypes[Int(entity.pointee.signature)]
    }

    // MARK: Host functions

    /// Creates the function entity for a host function.
    func register(_ host: HostFunction) -> Function {
        let entity = UnsafeMutablePointer<FunctionEntity>.allocate(capacity: 1)
        let parameterSlots = host.type.parameters.reduce(0) { $0 + $1.slotCount }
        let resultSlots = host.type.results.reduce(0) { $0 + $1.slotCount }
        entity.initialize(to: FunctionEntity(
            code: nil, frameSlots: max(parameterSlots, resultSlots), parameterSlots: parameterSlots, localSlots: 0,
            resultSlots: resultSlots, signature: signatureID(host.type), hostIndex: hostFunctions.count,
            instance: nil, functionIndex: 0))
        hostFunctions.append(host)
        hostEntities.append(entity)
        return Function(runtime: self, entity: entity)
    }

    /// Runs a host function for the interpreter. Returns 0 or a trap code.
    func callHostFunction(_ entity: UnsafeMutablePointer<FunctionEntity>, arguments: UnsafeMutablePointer<UInt64>,
                          caller: UnsafeMutablePointer<FunctionEntity>?) -> Int {
        let host = hostFunctions[entity.pointee.hostIndex]
        let call = HostCall(slots: arguments, runtime: self, caller: caller)
        do {
            try host.body(call)
            return 0
        } catch {
            context.pointee.hostError = error
            context.pointee.trapEntity = entity
            return TrapCode.hostError
        }
    }

    // MARK: Invocation

    /// Calls a function with typed arguments and returns its results.
    func invoke(_ entity: UnsafeMutablePointer<FunctionEntity>, _ arguments: [Value]) throws -> [Value] {
        let type = type(of: entity)
        guard arguments.count == type.parameters.count else {
            throw CallError("expected \(type.parameters.count) argument(s) for \(type), got \(arguments.count)")
        }
        for (index, (argument, expected)) in zip(arguments, type.parameters).enumerated() where argument.type != expected {
            throw CallError("argument \(index) is \(argument.type), expected \(expected)")
        }
        let context = self.context
        guard context.pointee.nesting < context.pointee.maxNesting else {
            throw Trap(.callStackExhausted, function: name(of: entity))
        }
        let base = context.pointee.stackTop
        let needed = max(entity.pointee.parameterSlots, entity.pointee.resultSlots)
        guard base + needed <= context.pointee.stackLimit else {
            throw Trap(.callStackExhausted, function: name(of: entity))
        }
        var slot = base
        for argument in arguments {
            Slots.write(argument, to: slot)
            slot += argument.type.slotCount
        }
        context.pointee.nesting += 1
        context.pointee.hostError = nil
        let code = entity.pointee.isHost
            ? callHostFunction(entity, arguments: base, caller: nil)
            : Interpreter.execute(context, entity, base)
        context.pointee.nesting -= 1
        if code != 0 { throw trap(code) }
        var results: [Value] = []
        slot = base
        for result in type.results {
            results.append(Slots.read(result, from: slot, runtime: self))
            slot += result.slotCount
        }
        return results
    }

    /// Builds the `Trap` for a trap code, from what the interpreter recorded.
    func trap(_ code: Int) -> Error {
        let function = context.pointee.trapEntity.map(name(of:))
        let backtrace = ([context.pointee.trapEntity].compactMap { $0 } + context.pointee.trapFrames).map(name(of:))
        context.pointee.trapFrames = []
        if code == TrapCode.hostError, let error = context.pointee.hostError {
            context.pointee.hostError = nil
            if var trap = error as? Trap {
                if trap.function == nil { trap.function = function }
                if trap.backtrace.isEmpty { trap.backtrace = backtrace }
                return trap
            }
            return Trap(.host(String(describing: error)), function: function, backtrace: backtrace)
        }
        return Trap(TrapKind(code: code) ?? .unreachable, function: function, backtrace: backtrace)
    }

    /// A readable name for a function: its name-section or export name, qualified by the
    /// module name when the module has one.
    func name(of entity: UnsafeMutablePointer<FunctionEntity>) -> String {
        if entity.pointee.isHost { return hostFunctions[entity.pointee.hostIndex].name }
        guard let storage = entity.pointee.instance?.pointee.owner?.takeUnretainedValue() else { return "?" }
        let name = storage.module.displayName(ofFunction: entity.pointee.functionIndex)
        if let moduleName = storage.module.moduleName { return "\(moduleName).\(name)" }
        return name
    }

    // MARK: Translation on first call (called from the interpreter)

    /// Translates a function whose code is still the stub. Returns its code, or nil after
    /// recording the error as the pending host error.
    @inline(never)
    static func translate(_ entity: UnsafeMutablePointer<FunctionEntity>, context: UnsafeMutablePointer<ExecutionContext>) -> UnsafeMutablePointer<UInt64>? {
        guard let storage = entity.pointee.instance?.pointee.owner?.takeUnretainedValue() else { return nil }
        do {
            return try storage.runtime.translate(storage, definedIndex: Int(entity.pointee.functionIndex) - storage.module.importedFunctionCount)
        } catch {
            context.pointee.hostError = error
            context.pointee.trapEntity = entity
            return nil
        }
    }

    // MARK: Growing (called from the interpreter)

    /// `memory.grow`: the old size in pages, or 0xFFFF_FFFF (-1) when the memory cannot grow.
    @inline(never)
    static func growMemory(_ memory: UnsafeMutablePointer<MemoryEntity>, by delta: UInt32,
                           context: UnsafeMutablePointer<ExecutionContext>) -> UInt32 {
        let old = memory.pointee.pageCount
        return MemoryAllocator.grow(&memory.pointee, by: delta) ? old : UInt32.max
    }

    /// `table.grow`: the old size, or 0xFFFF_FFFF (-1) when the table cannot grow.
    @inline(never)
    static func growTable(_ table: UnsafeMutablePointer<TableEntity>, by delta: UInt32, initial: UInt64,
                          context: UnsafeMutablePointer<ExecutionContext>) -> UInt32 {
        TableStorage.grow(table, by: delta, initial: initial) ?? UInt32.max
    }
}

/// Misuse of the embedding API (wrong argument count or types).
public struct CallError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "call error: \(message)" }
}
