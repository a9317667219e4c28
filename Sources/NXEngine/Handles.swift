import NXWasm

// Public handles to runtime entities. Each keeps its runtime alive; the entities themselves
// are owned by the runtime's storage records.

/// A function (defined by a module or by the host) that can be called or imported.
public struct Function: Hashable, @unchecked Sendable, CustomStringConvertible {
    public let runtime: Runtime
    let entity: UnsafeMutablePointer<FunctionEntity>

    init(runtime: Runtime, entity: UnsafeMutablePointer<FunctionEntity>) {
        self.runtime = runtime
        self.entity = entity
    }

    /// A function from a slot value (0 is null).
    init?(reference: UInt64, runtime: Runtime) {
        guard let entity = UnsafeMutablePointer<FunctionEntity>(bitPattern: UInt(truncatingIfNeeded: reference)) else { return nil }
        self.init(runtime: runtime, entity: entity)
    }

    public var type: FunctionType { runtime.type(of: entity) }
    public var name: String { runtime.name(of: entity) }
    public var description: String { "function \(name) \(type)" }

    /// Calls the function. Throws `Trap` when the guest traps and `CallError` on bad arguments.
    @discardableResult
    public func call(_ arguments: [Value] = []) throws -> [Value] {
        try runtime.invoke(entity, arguments)
    }

    public static func == (lhs: Function, rhs: Function) -> Bool { lhs.entity == rhs.entity }
    public func hash(into hasher: inout Hasher) { hasher.combine(entity) }
}

/// A host function: a Swift closure with a WebAssembly signature.
public struct HostFunction {
    public let type: FunctionType
    /// Used in trap messages, e.g. `nx.db_get`.
    public let name: String
    public let body: (HostCall) throws -> Void

    /// A host function working on raw argument slots (fast; see `HostCall`).
    public init(name: String, type: FunctionType, body: @escaping (HostCall) throws -> Void) {
        self.name = name
        self.type = type
        self.body = body
    }

    /// A host function taking and returning `Value`s (convenient; allocates per call).
    public static func withValues(name: String, type: FunctionType, _ body: @escaping ([Value]) throws -> [Value]) -> HostFunction {
        HostFunction(name: name, type: type) { call in
            let results = try body(call.arguments(type))
            call.setResults(results)
        }
    }
}

/// The view a host function has of one call: its arguments and results (in place, in the
/// caller's frame) and the calling instance's memory.
public struct HostCall {
    let slots: UnsafeMutablePointer<UInt64>
    public let runtime: Runtime
    let caller: UnsafeMutablePointer<FunctionEntity>?

    /// Argument `index` as i32. Valid for functions without v128 parameters, where argument
    /// `index` occupies slot `index`.
    @inline(__always) public func i32(_ index: Int) -> UInt32 { UInt32(truncatingIfNeeded: slots[index]) }
    @inline(__always) public func i64(_ index: Int) -> UInt64 { slots[index] }
    @inline(__always) public func f32(_ index: Int) -> Float { Float(bitPattern: UInt32(truncatingIfNeeded: slots[index])) }
    @inline(__always) public func f64(_ index: Int) -> Double { Double(bitPattern: slots[index]) }

    /// Sets result 0 (the results overwrite the arguments, so read arguments first).
    @inline(__always) public func setResult(_ value: UInt32) { slots[0] = UInt64(value) }
    @inline(__always) public func setResult(_ value: Int32) { slots[0] = UInt64(UInt32(bitPattern: value)) }
    @inline(__always) public func setResult(_ value: UInt64) { slots[0] = value }

    /// All arguments as values, for a function of type `type`.
    public func arguments(_ type: FunctionType) -> [Value] {
        var slot = slots
        return type.parameters.map { parameter in
            defer { slot += parameter.slotCount }
            return Slots.read(parameter, from: slot, runtime: runtime)
        }
    }

    public func setResults(_ values: [Value]) {
        var slot = slots
        for value in values {
            Slots.write(value, to: slot)
            slot += value.type.slotCount
        }
    }

    /// The calling instance's memory, if the caller is a WebAssembly function with one.
    public var memory: Memory? {
        guard let entity = caller?.pointee.instance?.pointee.memory else { return nil }
        return Memory(runtime: runtime, entity: entity)
    }

    /// The calling instance, if the caller is a WebAssembly function.
    public var instance: Instance? {
        guard let storage = caller?.pointee.instance?.pointee.owner?.takeUnretainedValue() else { return nil }
        return Instance(runtime: runtime, storage: storage)
    }
}

/// A linear memory. Accessors check bounds and trap (throw `Trap`) instead of reading or
/// writing outside the memory.
public struct Memory: @unchecked Sendable {
    public let runtime: Runtime
    let entity: UnsafeMutablePointer<MemoryEntity>

    public var pageCount: UInt32 { entity.pointee.pageCount }
    public var byteCount: Int { Int(entity.pointee.byteCount) }
    public var type: MemoryType { MemoryType(limits: Limits(min: pageCount, max: entity.pointee.declaredMax)) }

    /// Grows by `delta` pages; returns the previous page count, or nil when it cannot grow.
    @discardableResult
    public func grow(by delta: UInt32) -> UInt32? {
        let old = pageCount
        return MemoryAllocator.grow(&entity.pointee, by: delta) ? old : nil
    }

    /// The bytes `offset ..< offset + count`, without copying. Valid until the runtime is released
    /// (memory never moves). Throws `Trap(.memoryOutOfBounds)` when the range is outside the memory.
    public func bytes(at offset: UInt64, count: UInt64) throws -> UnsafeMutableRawBufferPointer {
        guard offset <= entity.pointee.byteCount, count <= entity.pointee.byteCount - offset else {
            throw Trap(.memoryOutOfBounds)
        }
        return UnsafeMutableRawBufferPointer(start: entity.pointee.base + Int(offset), count: Int(count))
    }

    /// A copy of `count` bytes at `offset`.
    public func read(at offset: UInt64, count: UInt64) throws -> [UInt8] {
        Array(try bytes(at: offset, count: count))
    }

    public func write(_ data: [UInt8], at offset: UInt64) throws {
        let target = try bytes(at: offset, count: UInt64(data.count))
        data.withUnsafeBytes { target.copyMemory(from: $0) }
    }

    public func write(_ data: UnsafeRawBufferPointer, at offset: UInt64) throws {
        let target = try bytes(at: offset, count: UInt64(data.count))
        target.copyMemory(from: data)
    }
}

/// A table of references.
public struct Table: @unchecked Sendable {
    public let runtime: Runtime
    let entity: UnsafeMutablePointer<TableEntity>

    public var count: UInt32 { entity.pointee.count }
    public var elementType: ValueType { entity.pointee.elementType }
    public var type: TableType { TableType(elementType: elementType, limits: Limits(min: count, max: entity.pointee.declaredMax)) }

    public func get(_ index: UInt32) throws -> Value {
        guard index < count else { throw Trap(.tableOutOfBounds) }
        var slot = entity.pointee.elements[Int(index)]
        return Slots.read(elementType, from: &slot, runtime: runtime)
    }

    public func set(_ index: UInt32, _ value: Value) throws {
        guard index < count else { throw Trap(.tableOutOfBounds) }
        guard value.type == elementType else { throw CallError("table of \(elementType) cannot hold \(value.type)") }
        entity.pointee.elements[Int(index)] = Slots.reference(value)
    }

    @discardableResult
    public func grow(by delta: UInt32, initial: Value) -> UInt32? {
        TableStorage.grow(entity, by: delta, initial: Slots.reference(initial))
    }
}

/// A global variable.
public struct GlobalVariable: @unchecked Sendable {
    public let runtime: Runtime
    let cell: UnsafeMutablePointer<UInt64>
    public let type: GlobalType

    public var value: Value { Slots.read(type.valueType, from: cell, runtime: runtime) }

    /// Sets a mutable global. Throws `CallError` for immutable globals or a type mismatch.
    public func set(_ value: Value) throws {
        guard type.isMutable else { throw CallError("global is immutable") }
        guard value.type == type.valueType else { throw CallError("global of \(type.valueType) cannot hold \(value.type)") }
        Slots.write(value, to: cell)
    }
}

/// Something an instance exports or imports.
public enum ExternalValue {
    case function(Function)
    case table(Table)
    case memory(Memory)
    case global(GlobalVariable)

    public var kind: ExternalKind {
        switch self {
        case .function: .function
        case .table: .table
        case .memory: .memory
        case .global: .global
        }
    }
}

/// The values to link a module's imports against, by module and field name.
public struct Imports {
    /// Keyed by UTF-8 bytes: import names match byte for byte, not by Unicode equivalence.
    var entries: [[UInt8]: [[UInt8]: ImportEntry]] = [:]

    enum ImportEntry {
        case value(ExternalValue)
        case host(HostFunction)
    }

    public init() {}

    public mutating func define(module: String, name: String, _ value: ExternalValue) {
        entries[Array(module.utf8), default: [:]][Array(name.utf8)] = .value(value)
    }

    public mutating func define(module: String, name: String, _ function: HostFunction) {
        entries[Array(module.utf8), default: [:]][Array(name.utf8)] = .host(function)
    }

    /// Defines every export of `instance` under `module` (the spec runner's `register`).
    public mutating func define(module: String, instance: Instance) {
        for (name, value) in instance.exports { define(module: module, name: name, value) }
    }

    func lookup(module: String, name: String) -> ImportEntry? { entries[Array(module.utf8)]?[Array(name.utf8)] }
}
