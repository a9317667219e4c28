/// Fixed-width SIMD instructions (prefix 0xFD). Decoding lands with the SIMD work; until then
/// a module that uses them is rejected with a precise error.
public struct SIMDInstruction: Hashable, Sendable {
    public let opcode: UInt32

    /// The value of a `v128.const`, for constant expressions.
    public var constantValue: V128? { nil }

    static func decode(_ bytes: inout ByteReader, at position: Int) throws(DecodeError) -> SIMDInstruction {
        let opcode = try bytes.readVarUInt32()
        throw bytes.error("SIMD instruction 0xfd \(opcode) is not supported yet", at: position)
    }
}
