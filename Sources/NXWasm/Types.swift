/// WebAssembly 2.0 types (spec §2.3), shared by the decoder, the validator and the engine.

/// A value type. Raw values are the binary encodings.
public enum ValueType: UInt8, Hashable, Sendable, CustomStringConvertible {
    case i32 = 0x7F
    case i64 = 0x7E
    case f32 = 0x7D
    case f64 = 0x7C
    case v128 = 0x7B
    case funcref = 0x70
    case externref = 0x6F

    /// True for `funcref` and `externref`.
    @inlinable public var isReference: Bool { self == .funcref || self == .externref }

    /// Number of 8-byte value slots a value of this type occupies in an interpreter frame.
    @inlinable public var slotCount: Int { self == .v128 ? 2 : 1 }

    public var description: String {
        switch self {
        case .i32: "i32"
        case .i64: "i64"
        case .f32: "f32"
        case .f64: "f64"
        case .v128: "v128"
        case .funcref: "funcref"
        case .externref: "externref"
        }
    }
}

/// A function signature.
public struct FunctionType: Hashable, Sendable, CustomStringConvertible {
    public var parameters: [ValueType]
    public var results: [ValueType]

    public init(parameters: [ValueType], results: [ValueType]) {
        self.parameters = parameters
        self.results = results
    }

    public var description: String {
        "(\(parameters.map(\.description).joined(separator: " "))) -> (\(results.map(\.description).joined(separator: " ")))"
    }
}

/// Size limits of a memory (in 64 KiB pages) or a table (in elements).
public struct Limits: Hashable, Sendable {
    public var min: UInt32
    public var max: UInt32?

    public init(min: UInt32, max: UInt32?) {
        self.min = min
        self.max = max
    }

    /// Import subtyping (spec §4.5.3 "limits"): `self` (the provided limits) matches `required`.
    public func matches(_ required: Limits) -> Bool {
        guard min >= required.min else { return false }
        guard let requiredMax = required.max else { return true }
        guard let max else { return false }
        return max <= requiredMax
    }
}

public struct TableType: Hashable, Sendable {
    public var elementType: ValueType
    public var limits: Limits
    public init(elementType: ValueType, limits: Limits) {
        self.elementType = elementType
        self.limits = limits
    }
}

public struct MemoryType: Hashable, Sendable {
    public var limits: Limits
    public init(limits: Limits) { self.limits = limits }
    /// The largest number of pages a 32-bit memory can have (4 GiB).
    public static let maxPages: UInt32 = 65536
}

public struct GlobalType: Hashable, Sendable {
    public var valueType: ValueType
    public var isMutable: Bool
    public init(valueType: ValueType, isMutable: Bool) {
        self.valueType = valueType
        self.isMutable = isMutable
    }
}

/// The four kinds of importable/exportable entities.
public enum ExternalKind: UInt8, Sendable, CustomStringConvertible {
    case function = 0, table = 1, memory = 2, global = 3
    public var description: String {
        switch self {
        case .function: "function"
        case .table: "table"
        case .memory: "memory"
        case .global: "global"
        }
    }
}

/// The type of a structured instruction (`block`, `loop`, `if`).
public enum BlockType: Hashable, Sendable {
    case empty
    case value(ValueType)
    case typeIndex(UInt32)
}

/// The memory immediate of loads and stores.
public struct MemArg: Hashable, Sendable {
    /// log2 of the alignment hint.
    public var align: UInt32
    public var offset: UInt32
    public init(align: UInt32, offset: UInt32) {
        self.align = align
        self.offset = offset
    }
}
