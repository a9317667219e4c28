/// Traps (spec §4.4.1): the reason guest execution stopped abnormally.

/// The kind of a trap. Descriptions are the spec test suite's wording.
public enum TrapKind: Equatable, Sendable, CustomStringConvertible {
    case unreachable
    case memoryOutOfBounds
    case tableOutOfBounds
    /// `call_indirect` with an index beyond the table.
    case undefinedElement
    /// `call_indirect` through a null table entry.
    case uninitializedElement
    case indirectCallTypeMismatch
    case integerDivideByZero
    case integerOverflow
    case invalidConversionToInteger
    case callStackExhausted
    /// The guest called `abort` or a host function failed; the message says why.
    case host(String)

    public var description: String {
        switch self {
        case .unreachable: "unreachable"
        case .memoryOutOfBounds: "out of bounds memory access"
        case .tableOutOfBounds: "out of bounds table access"
        case .undefinedElement: "undefined element"
        case .uninitializedElement: "uninitialized element"
        case .indirectCallTypeMismatch: "indirect call type mismatch"
        case .integerDivideByZero: "integer divide by zero"
        case .integerOverflow: "integer overflow"
        case .invalidConversionToInteger: "invalid conversion to integer"
        case .callStackExhausted: "call stack exhausted"
        case .host(let message): message
        }
    }

    /// Compact codes the interpreter loop returns without allocating.
    init?(code: Int) {
        switch code {
        case 1: self = .unreachable
        case 2: self = .memoryOutOfBounds
        case 3: self = .tableOutOfBounds
        case 4: self = .undefinedElement
        case 5: self = .uninitializedElement
        case 6: self = .indirectCallTypeMismatch
        case 7: self = .integerDivideByZero
        case 8: self = .integerOverflow
        case 9: self = .invalidConversionToInteger
        case 10: self = .callStackExhausted
        default: return nil
        }
    }
}

/// Trap codes used inside the interpreter (see `TrapKind.init(code:)`); 11 means "a host
/// function threw" and the error is kept aside.
enum TrapCode {
    static let unreachable = 1
    static let memoryOutOfBounds = 2
    static let tableOutOfBounds = 3
    static let undefinedElement = 4
    static let uninitializedElement = 5
    static let indirectCallTypeMismatch = 6
    static let integerDivideByZero = 7
    static let integerOverflow = 8
    static let invalidConversionToInteger = 9
    static let callStackExhausted = 10
    static let hostError = 11
}

/// A trap raised while executing guest code: the kind, the function that was executing and
/// the guest call stack (innermost first).
public struct Trap: Error, CustomStringConvertible, Sendable {
    public var kind: TrapKind
    /// Name of the function where the trap happened (name section, else export name, else index).
    public var function: String?
    /// Guest functions on the call stack at the trap, innermost first.
    public var backtrace: [String]

    public init(_ kind: TrapKind, function: String? = nil, backtrace: [String] = []) {
        self.kind = kind
        self.function = function
        self.backtrace = backtrace
    }

    public var description: String {
        var text = "trap: \(kind)"
        if let function { text += " in function \(function)" }
        if backtrace.count > 1 {
            let shown = backtrace.prefix(12).joined(separator: " <- ")
            text += " (call stack: \(shown)\(backtrace.count > 12 ? " <- ..." : ""))"
        }
        return text
    }
}

/// Errors of linking and instantiation that are not traps (spec's "unlinkable").
public struct LinkError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "link error: \(message)" }
}

/// A module the engine cannot run although it is valid (a resource limit of this engine).
public struct TranslationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "cannot compile module: \(message)" }
}
