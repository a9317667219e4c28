import NXEngine
import NXWasm

/// A value as written in wast2json command lists: decimal bit patterns, NaN classes for
/// expected floats, lane lists for v128.
enum SpecValue: CustomStringConvertible {
    case exact(Value)
    case canonicalNaN(ValueType)
    case arithmeticNaN(ValueType)
    /// A v128 whose float lanes may each be exact or a NaN class.
    case lanes(laneType: String, [SpecValue])
    /// Any non-null reference of the type (wast2json writes `ref.func` results without a value).
    case anyReference(ValueType)

    var description: String {
        switch self {
        case .exact(let value): value.description
        case .canonicalNaN(let type): "\(type):nan:canonical"
        case .arithmeticNaN(let type): "\(type):nan:arithmetic"
        case .lanes(let laneType, let lanes): "v128(\(laneType)):[\(lanes.map(\.description).joined(separator: " "))]"
        case .anyReference(let type): "\(type):non-null"
        }
    }

    /// Parses `{"type": ..., "value": ...}`.
    static func parse(_ json: [String: Any]) throws -> SpecValue {
        guard let typeName = json["type"] as? String else { throw SpecError("value without a type") }
        switch typeName {
        case "i32":
            return .exact(.i32(UInt32(truncatingIfNeeded: try integer(json["value"]))))
        case "i64":
            return .exact(.i64(try integer(json["value"])))
        case "f32", "f64":
            let type: ValueType = typeName == "f32" ? .f32 : .f64
            let text = json["value"] as? String ?? ""
            if text == "nan:canonical" { return .canonicalNaN(type) }
            if text == "nan:arithmetic" { return .arithmeticNaN(type) }
            let bits = try integer(text)
            return .exact(type == .f32 ? .f32(UInt32(truncatingIfNeeded: bits)) : .f64(bits))
        case "externref":
            guard let text = json["value"] as? String else { return .anyReference(.externref) }
            return .exact(.externref(text == "null" ? nil : try integer(text)))
        case "funcref":
            guard let text = json["value"] as? String else { return .anyReference(.funcref) }
            if text == "null" { return .exact(.funcref(nil)) }
            return .anyReference(.funcref)
        case "v128":
            return try parseVector(json)
        default:
            throw SpecError("unknown value type \(typeName)")
        }
    }

    static func integer(_ value: Any?) throws -> UInt64 {
        guard let text = value as? String, let number = UInt64(text) else {
            throw SpecError("malformed integer \(String(describing: value))")
        }
        return number
    }

    static func parseVector(_ json: [String: Any]) throws -> SpecValue {
        guard let laneType = json["lane_type"] as? String, let lanes = json["value"] as? [String] else {
            throw SpecError("malformed v128 value")
        }
        let laneBits: Int
        switch laneType {
        case "i8": laneBits = 8
        case "i16": laneBits = 16
        case "i32", "f32": laneBits = 32
        case "i64", "f64": laneBits = 64
        default: throw SpecError("unknown lane type \(laneType)")
        }
        var parsed: [SpecValue] = []
        var low: UInt64 = 0
        var high: UInt64 = 0
        var hasNaNClass = false
        for (index, text) in lanes.enumerated() {
            let floatType: ValueType = laneBits == 32 ? .f32 : .f64
            if text == "nan:canonical" {
                parsed.append(.canonicalNaN(floatType))
                hasNaNClass = true
                continue
            }
            if text == "nan:arithmetic" {
                parsed.append(.arithmeticNaN(floatType))
                hasNaNClass = true
                continue
            }
            let bits = try integer(text) & (laneBits == 64 ? UInt64.max : (UInt64(1) << laneBits) - 1)
            parsed.append(.exact(laneType.hasPrefix("f") ? (laneBits == 32 ? .f32(UInt32(bits)) : .f64(bits)) : .i64(bits)))
            let bitOffset = index * laneBits
            if bitOffset < 64 { low |= bits << bitOffset } else { high |= bits << (bitOffset - 64) }
        }
        if hasNaNClass { return .lanes(laneType: laneType, parsed) }
        return .exact(.v128(V128(low: low, high: high)))
    }

    /// Whether `actual` satisfies this expectation (spec's result patterns).
    func matches(_ actual: Value) -> Bool {
        switch self {
        case .exact(let expected):
            switch (expected, actual) {
            case (.funcref(nil), .funcref(nil)): return true
            case (.funcref, .funcref): return false
            default: return expected == actual
            }
        case .canonicalNaN(let type):
            switch actual {
            case .f32(let bits) where type == .f32: return bits & 0x7FFF_FFFF == 0x7FC0_0000
            case .f64(let bits) where type == .f64: return bits & 0x7FFF_FFFF_FFFF_FFFF == 0x7FF8_0000_0000_0000
            default: return false
            }
        case .arithmeticNaN(let type):
            switch actual {
            case .f32(let bits) where type == .f32: return bits & 0x7FC0_0000 == 0x7FC0_0000
            case .f64(let bits) where type == .f64: return bits & 0x7FF8_0000_0000_0000 == 0x7FF8_0000_0000_0000
            default: return false
            }
        case .anyReference(let type):
            switch actual {
            case .funcref(let function): return type == .funcref && function != nil
            case .externref(let id): return type == .externref && id != nil
            default: return false
            }
        case .lanes(let laneType, let lanes):
            guard case .v128(let vector) = actual else { return false }
            let laneBits = lanes.count == 4 ? 32 : 64
            for (index, lane) in lanes.enumerated() {
                let bitOffset = index * laneBits
                let word = bitOffset < 64 ? vector.low : vector.high
                let bits = (word >> UInt64(bitOffset % 64)) & (laneBits == 64 ? UInt64.max : 0xFFFF_FFFF)
                let laneValue: Value = laneType == "f32" ? .f32(UInt32(bits)) : .f64(bits)
                if case .exact(let expected) = lane {
                    guard expected == (laneType.hasPrefix("f") ? laneValue : .i64(bits)) else { return false }
                } else if !lane.matches(laneValue) {
                    return false
                }
            }
            return true
        }
    }

    /// The value to pass as an argument (arguments are always exact).
    var argument: Value? {
        if case .exact(let value) = self { return value }
        return nil
    }
}

struct SpecError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
