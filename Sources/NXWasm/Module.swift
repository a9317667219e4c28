/// The decoded form of a WebAssembly module (spec §2.5). Function bodies stay as byte ranges
/// into the module's bytes: the validator and the engine's translator read them in place.

/// What an import asks for.
public enum ImportDescriptor: Hashable, Sendable {
    case function(typeIndex: UInt32)
    case table(TableType)
    case memory(MemoryType)
    case global(GlobalType)

    public var kind: ExternalKind {
        switch self {
        case .function: .function
        case .table: .table
        case .memory: .memory
        case .global: .global
        }
    }
}

public struct Import: Hashable, Sendable {
    public var module: String
    public var name: String
    public var descriptor: ImportDescriptor
}

public struct Export: Hashable, Sendable {
    public var name: String
    public var kind: ExternalKind
    public var index: UInt32
}

/// A constant expression (spec §3.3.10). WebAssembly 2.0 allows exactly one constant
/// instruction followed by `end`.
public enum ConstantExpression: Hashable, Sendable {
    case i32(UInt32)
    case i64(UInt64)
    case f32(UInt32)
    case f64(UInt64)
    case v128(V128)
    case refNull(ValueType)
    case refFunc(UInt32)
    case globalGet(UInt32)
    /// Not a constant expression; the validator reports it (the spec calls this invalid, not malformed).
    case invalid(InvalidConstantExpression)
}

/// A 128-bit vector value as raw little-endian bytes (low 64 bits first).
public struct V128: Hashable, Sendable {
    public var low: UInt64
    public var high: UInt64
    public init(low: UInt64, high: UInt64) {
        self.low = low
        self.high = high
    }
}

public struct Global: Hashable, Sendable {
    public var type: GlobalType
    public var initializer: ConstantExpression
}

public struct ElementSegment: Hashable, Sendable {
    public enum Mode: Hashable, Sendable {
        case passive
        case active(table: UInt32, offset: ConstantExpression)
        case declarative
    }
    public var type: ValueType
    public var mode: Mode
    /// One constant expression per element (`ref.func i` for the index-vector encodings).
    public var initializers: [ConstantExpression]
}

public struct DataSegment: Hashable, Sendable {
    public enum Mode: Hashable, Sendable {
        case passive
        case active(memory: UInt32, offset: ConstantExpression)
    }
    public var mode: Mode
    /// Byte range of the segment's contents within the module bytes.
    public var bytes: Range<Int>
}

/// A function body: local declarations and the byte range of its instructions.
public struct FunctionBody: Sendable {
    /// Run-length encoded local declarations, as in the binary format.
    public var locals: [(count: UInt32, type: ValueType)]
    /// Total number of declared locals (excluding parameters).
    public var localCount: Int
    /// Byte range of the instruction sequence, ending just after the final `end`.
    public var code: Range<Int>
}

/// A decoded module. Holds its bytes; `FunctionBody.code` and `DataSegment.bytes` index them.
public final class Module: @unchecked Sendable {
    /// The module's binary, kept for function bodies and data segments.
    public let bytes: ModuleBytes
    public internal(set) var types: [FunctionType] = []
    public internal(set) var imports: [Import] = []
    /// Type index of every defined (non-imported) function.
    public internal(set) var functionTypeIndices: [UInt32] = []
    public internal(set) var tables: [TableType] = []
    public internal(set) var memories: [MemoryType] = []
    public internal(set) var globals: [Global] = []
    public internal(set) var exports: [Export] = []
    public internal(set) var start: UInt32?
    public internal(set) var elements: [ElementSegment] = []
    public internal(set) var dataCount: UInt32?
    public internal(set) var bodies: [FunctionBody] = []
    public internal(set) var data: [DataSegment] = []
    public internal(set) var customSections: [(name: String, bytes: Range<Int>)] = []
    /// Function names from the `name` custom section, by function index.
    public internal(set) var functionNames: [UInt32: String] = [:]
    /// Module name from the `name` custom section.
    public internal(set) var moduleName: String?

    // Index spaces (imports first), computed once after decoding.
    public internal(set) var importedFunctionCount = 0
    public internal(set) var importedTableCount = 0
    public internal(set) var importedMemoryCount = 0
    public internal(set) var importedGlobalCount = 0
    /// Type index of every function in the function index space.
    public internal(set) var functionTypes: [UInt32] = []
    public internal(set) var allTables: [TableType] = []
    public internal(set) var allMemories: [MemoryType] = []
    public internal(set) var allGlobals: [GlobalType] = []

    init(bytes: ModuleBytes) {
        self.bytes = bytes
    }

    /// The signature of function `index` in the function index space.
    public func functionType(at index: UInt32) -> FunctionType {
        types[Int(functionTypes[Int(index)])]
    }

    /// A readable name for function `index`: the name section's entry, else its export name,
    /// else `func[index]`.
    public func displayName(ofFunction index: UInt32) -> String {
        if let name = functionNames[index] { return name }
        if let export = exports.first(where: { $0.kind == .function && $0.index == index }) {
            return export.name
        }
        return "func[\(index)]"
    }

    func computeIndexSpaces() {
        functionTypes = []
        allTables = []
        allMemories = []
        allGlobals = []
        for entry in imports {
            switch entry.descriptor {
            case .function(let typeIndex): functionTypes.append(typeIndex)
            case .table(let type): allTables.append(type)
            case .memory(let type): allMemories.append(type)
            case .global(let type): allGlobals.append(type)
            }
        }
        importedFunctionCount = functionTypes.count
        importedTableCount = allTables.count
        importedMemoryCount = allMemories.count
        importedGlobalCount = allGlobals.count
        functionTypes += functionTypeIndices
        allTables += tables
        allMemories += memories
        allGlobals += globals.map(\.type)
    }
}

/// Immutable storage for a module's bytes with a stable address, so that readers can work
/// over raw pointers for as long as the module lives.
public final class ModuleBytes: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<UInt8>
    public let count: Int

    public init(_ bytes: [UInt8]) {
        count = bytes.count
        pointer = .allocate(capacity: Swift.max(count, 1))
        bytes.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.initialize(from: base, count: count) }
        }
    }

    deinit { pointer.deallocate() }

    /// A copy of the bytes in `range`.
    public subscript(range: Range<Int>) -> [UInt8] {
        Array(UnsafeBufferPointer(start: pointer + range.lowerBound, count: range.count))
    }

    /// A reader positioned over `range`.
    public func reader(_ range: Range<Int>, section: SectionID? = nil) -> ByteReader {
        ByteReader(base: UnsafePointer(pointer), start: range.lowerBound, end: range.upperBound, section: section)
    }
}
