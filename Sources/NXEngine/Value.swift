import NXWasm

/// A WebAssembly value at the embedding boundary. Floats are carried as bit patterns so that
/// NaN payloads survive unchanged.
public enum Value: Hashable, Sendable, CustomStringConvertible {
    case i32(UInt32)
    case i64(UInt64)
    case f32(UInt32)
    case f64(UInt64)
    case v128(V128)
    /// A function reference; nil is `ref.null func`.
    case funcref(Function?)
    /// A host reference, an opaque number chosen by the embedder; nil is `ref.null extern`.
    case externref(UInt64?)

    public static func f32(_ value: Float) -> Value { .f32(value.bitPattern) }
    public static func f64(_ value: Double) -> Value { .f64(value.bitPattern) }
    public static func i32(_ value: Int32) -> Value { .i32(UInt32(bitPattern: value)) }
    public static func i64(_ value: Int64) -> Value { .i64(UInt64(bitPattern: value)) }

    public var type: ValueType {
        switch self {
        case .i32: .i32
        case .i64: .i64
        case .f32: .f32
        case .f64: .f64
        case .v128: .v128
        case .funcref: .funcref
        case .externref: .externref
        }
    }

    /// The zero value of a type (spec §4.2.1 default values).
    public static func zero(_ type: ValueType) -> Value {
        switch type {
        case .i32: .i32(UInt32(0))
        case .i64: .i64(UInt64(0))
        case .f32: .f32(UInt32(0))
        case .f64: .f64(UInt64(0))
        case .v128: .v128(V128(low: 0, high: 0))
        case .funcref: .funcref(nil)
        case .externref: .externref(nil)
        }
    }

    public var description: String {
        switch self {
        case .i32(let value): "i32:\(value)"
        case .i64(let value): "i64:\(value)"
        case .f32(let bits): "f32:\(Float(bitPattern: bits))"
        case .f64(let bits): "f64:\(Double(bitPattern: bits))"
        case .v128(let value): "v128:0x\(String(value.high, radix: 16))\(String(repeating: "0", count: 16 - String(value.low, radix: 16).count))\(String(value.low, radix: 16))"
        case .funcref(let function): function.map { "funcref:\($0.name)" } ?? "funcref:null"
        case .externref(let id): id.map { "externref:\($0)" } ?? "externref:null"
        }
    }
}

/// Conversions between `Value` and interpreter slots.
enum Slots {
    /// Externref ids are stored biased by one so that slot value 0 means null.
    static func write(_ value: Value, to slots: UnsafeMutablePointer<UInt64>) {
        switch value {
        case .i32(let v): slots[0] = UInt64(v)
        case .i64(let v): slots[0] = v
        case .f32(let v): slots[0] = UInt64(v)
        case .f64(let v): slots[0] = v
        case .v128(let v):
            slots[0] = v.low
            slots[1] = v.high
        case .funcref(let function): slots[0] = function.map { UInt64(UInt(bitPattern: $0.entity)) } ?? 0
        case .externref(let id): slots[0] = id.map { $0 &+ 1 } ?? 0
        }
    }

    static func read(_ type: ValueType, from slots: UnsafeMutablePointer<UInt64>, runtime: Runtime) -> Value {
        switch type {
        case .i32: .i32(UInt32(truncatingIfNeeded: slots[0]))
        case .i64: .i64(slots[0])
        case .f32: .f32(UInt32(truncatingIfNeeded: slots[0]))
        case .f64: .f64(slots[0])
        case .v128: .v128(V128(low: slots[0], high: slots[1]))
        case .funcref: .funcref(Function(reference: slots[0], runtime: runtime))
        case .externref: .externref(slots[0] == 0 ? nil : slots[0] &- 1)
        }
    }

    /// Raw slot encoding of a reference value (0 = null).
    static func reference(_ value: Value) -> UInt64 {
        switch value {
        case .funcref(let function): function.map { UInt64(UInt(bitPattern: $0.entity)) } ?? 0
        case .externref(let id): id.map { $0 &+ 1 } ?? 0
        default: 0
        }
    }
}
