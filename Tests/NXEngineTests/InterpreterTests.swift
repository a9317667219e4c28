import NXEngine
import NXWasm
import XCTest

/// Runs one exported function of a one-function module.
func runBody(_ parameters: [ValueType], _ results: [ValueType], locals: [ValueType] = [], _ body: [UInt8],
         _ arguments: [Value] = [], memory: UInt32? = nil) throws -> [Value] {
    var builder = ModuleBuilder()
    builder.function("f", parameters, results, locals: locals, body)
    if let memory { builder.memory = (memory, nil) }
    return try builder.instantiate().function("f")!.call(arguments)
}

func trapKind(_ body: () throws -> Any) -> TrapKind? {
    do {
        _ = try body()
        return nil
    } catch let trap as Trap {
        return trap.kind
    } catch {
        return .host("unexpected error \(error)")
    }
}

final class IntegerTests: XCTestCase {
    func binary32(_ opcode: UInt8, _ a: UInt32, _ b: UInt32) throws -> UInt32 {
        let result = try runBody([.i32, .i32], [.i32], I.get(0) + I.get(1) + [opcode], [.i32(a), .i32(b)])
        guard case .i32(let value) = result[0] else { throw CallError("not i32") }
        return value
    }

    func binary64(_ opcode: UInt8, _ a: UInt64, _ b: UInt64) throws -> UInt64 {
        let result = try runBody([.i64, .i64], [.i64], I.get(0) + I.get(1) + [opcode], [.i64(a), .i64(b)])
        guard case .i64(let value) = result[0] else { throw CallError("not i64") }
        return value
    }

    func testI32ArithmeticMatchesSwiftWrappingSemantics() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<40 {
            let a = UInt32.random(in: .min ... .max, using: &generator)
            let b = UInt32.random(in: 1 ... .max, using: &generator)
            XCTAssertEqual(try binary32(0x6A, a, b), a &+ b)
            XCTAssertEqual(try binary32(0x6B, a, b), a &- b)
            XCTAssertEqual(try binary32(0x6C, a, b), a &* b)
            XCTAssertEqual(try binary32(0x6E, a, b), a / b)
            XCTAssertEqual(try binary32(0x70, a, b), a % b)
            XCTAssertEqual(try binary32(0x71, a, b), a & b)
            XCTAssertEqual(try binary32(0x72, a, b), a | b)
            XCTAssertEqual(try binary32(0x73, a, b), a ^ b)
            XCTAssertEqual(try binary32(0x74, a, b), a << (b % 32))
            XCTAssertEqual(try binary32(0x75, a, b), UInt32(bitPattern: Int32(bitPattern: a) >> (b % 32)))
            XCTAssertEqual(try binary32(0x76, a, b), a >> (b % 32))
            let k = b % 32
            XCTAssertEqual(try binary32(0x77, a, b), k == 0 ? a : (a << k) | (a >> (32 - k)))
            XCTAssertEqual(try binary32(0x78, a, b), k == 0 ? a : (a >> k) | (a << (32 - k)))
        }
    }

    func testI64ArithmeticMatchesSwift() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<30 {
            let a = UInt64.random(in: .min ... .max, using: &generator)
            let b = UInt64.random(in: 1 ... .max, using: &generator)
            XCTAssertEqual(try binary64(0x7C, a, b), a &+ b)
            XCTAssertEqual(try binary64(0x7E, a, b), a &* b)
            XCTAssertEqual(try binary64(0x80, a, b), a / b)
            if !(a == 1 << 63 && b == UInt64.max) {
                XCTAssertEqual(try binary64(0x7F, a, b), UInt64(bitPattern: Int64(bitPattern: a) / Int64(bitPattern: b)))
            }
            XCTAssertEqual(try binary64(0x86, a, b), a << (b % 64))
            XCTAssertEqual(try binary64(0x88, a, b), a >> (b % 64))
        }
    }

    func testDivisionTraps() throws {
        XCTAssertEqual(trapKind { try self.binary32(0x6D, 1, 0) }, .integerDivideByZero)
        XCTAssertEqual(trapKind { try self.binary32(0x6D, 0x8000_0000, 0xFFFF_FFFF) }, .integerOverflow)
        XCTAssertEqual(trapKind { try self.binary32(0x6F, 1, 0) }, .integerDivideByZero)
        XCTAssertEqual(try binary32(0x6F, 0x8000_0000, 0xFFFF_FFFF), 0, "rem_s of INT_MIN by -1 is 0")
        XCTAssertEqual(trapKind { try self.binary64(0x7F, 0x8000_0000_0000_0000, UInt64.max) }, .integerOverflow)
        XCTAssertEqual(trapKind { try self.binary64(0x82, 5, 0) }, .integerDivideByZero)
    }

    func testImmediateFormsAndMirroredComparisons() throws {
        // (i32.const 10) (local.get 0) i32.lt_s  — constant on the left is mirrored into gt_s.
        for value: Int32 in [-5, 9, 10, 11, 100] {
            let lt = try runBody([.i32], [.i32], I.i32(10) + I.get(0) + [0x48], [.i32(value)])
            XCTAssertEqual(lt, [.i32(UInt32(10 < value ? 1 : 0))])
            let sub = try runBody([.i32], [.i32], I.get(0) + I.i32(7) + [0x6B], [.i32(value)])
            XCTAssertEqual(sub, [.i32(value &- 7)])
            let subFromConstant = try runBody([.i32], [.i32], I.i32(7) + I.get(0) + [0x6B], [.i32(value)])
            XCTAssertEqual(subFromConstant, [.i32(7 &- value)])
        }
    }

    func testBitCountsAndExtensions() throws {
        let value: UInt32 = 0x0080_F000
        XCTAssertEqual(try runBody([.i32], [.i32], I.get(0) + [0x67], [.i32(value)]), [.i32(UInt32(value.leadingZeroBitCount))])
        XCTAssertEqual(try runBody([.i32], [.i32], I.get(0) + [0x68], [.i32(value)]), [.i32(UInt32(value.trailingZeroBitCount))])
        XCTAssertEqual(try runBody([.i32], [.i32], I.get(0) + [0x69], [.i32(value)]), [.i32(UInt32(value.nonzeroBitCount))])
        XCTAssertEqual(try runBody([.i32], [.i32], I.get(0) + [0xC0], [.i32(UInt32(0x80))]), [.i32(UInt32(0xFFFF_FF80))])
        XCTAssertEqual(try runBody([.i64], [.i64], I.get(0) + [0xC4], [.i64(UInt64(0x8000_0000))]), [.i64(UInt64(0xFFFF_FFFF_8000_0000))])
        XCTAssertEqual(try runBody([.i32], [.i64], I.get(0) + [0xAD], [.i32(UInt32.max)]), [.i64(UInt64(UInt32.max))])
        XCTAssertEqual(try runBody([.i32], [.i64], I.get(0) + [0xAC], [.i32(UInt32.max)]), [.i64(UInt64.max)])
    }
}

final class FloatTests: XCTestCase {
    func f32(_ body: [UInt8], _ arguments: [Float]) throws -> UInt32 {
        let result = try runBody(arguments.map { _ in .f32 }, [.f32], body, arguments.map { .f32($0) })
        guard case .f32(let bits) = result[0] else { throw CallError("not f32") }
        return bits
    }

    func testMinMaxFollowWebAssemblyNotIEEEMinNum() throws {
        let minimum = I.get(0) + I.get(1) + [0x96]
        let maximum = I.get(0) + I.get(1) + [0x97]
        XCTAssertTrue(Float(bitPattern: try f32(minimum, [.nan, 1])).isNaN, "min with a NaN is NaN")
        XCTAssertTrue(Float(bitPattern: try f32(maximum, [1, .nan])).isNaN)
        XCTAssertEqual(try f32(minimum, [0.0, -0.0]), (-0.0 as Float).bitPattern, "min(+0, -0) is -0")
        XCTAssertEqual(try f32(maximum, [-0.0, 0.0]), (0.0 as Float).bitPattern, "max(-0, +0) is +0")
        XCTAssertEqual(try f32(minimum, [2, -3]), (-3 as Float).bitPattern)
    }

    func testNegAndAbsKeepNaNPayloads() throws {
        let signalingNaN: UInt32 = 0x7FA0_0001
        let neg = try runBody([.f32], [.f32], I.get(0) + [0x8C], [.f32(signalingNaN)])
        XCTAssertEqual(neg, [.f32(signalingNaN | 0x8000_0000)])
        let abs = try runBody([.f32], [.f32], I.get(0) + [0x8B], [.f32(signalingNaN | 0x8000_0000)])
        XCTAssertEqual(abs, [.f32(signalingNaN)])
    }

    func testNearestRoundsHalfToEven() throws {
        for (input, expected) in [(2.5, 2.0), (3.5, 4.0), (-2.5, -2.0), (0.49999999999999994, 0.0)] as [(Double, Double)] {
            XCTAssertEqual(try runBody([.f64], [.f64], I.get(0) + [0x9E], [.f64(input)]), [.f64(expected)])
        }
    }

    func testTruncationTrapsAndSaturates() throws {
        let trunc = I.get(0) + [0xA8]  // i32.trunc_f32_s
        XCTAssertEqual(trapKind { try runBody([.f32], [.i32], trunc, [.f32(Float.nan)]) }, .invalidConversionToInteger)
        XCTAssertEqual(trapKind { try runBody([.f32], [.i32], trunc, [.f32(Float(2147483648.0))]) }, .integerOverflow)
        XCTAssertEqual(try runBody([.f32], [.i32], trunc, [.f32(Float(-2147483648.0))]), [.i32(Int32.min)])
        let saturating = I.get(0) + [0xFC, 0x00]  // i32.trunc_sat_f32_s
        XCTAssertEqual(try runBody([.f32], [.i32], saturating, [.f32(Float(1e20))]), [.i32(Int32.max)])
        XCTAssertEqual(try runBody([.f32], [.i32], saturating, [.f32(Float.nan)]), [.i32(UInt32(0))])
        let unsigned64 = I.get(0) + [0xB1]  // i64.trunc_f64_u
        XCTAssertEqual(try runBody([.f64], [.i64], unsigned64, [.f64(18446744073709549568.0)]), [.i64(UInt64(18446744073709549568))])
        XCTAssertEqual(trapKind { try runBody([.f64], [.i64], unsigned64, [.f64(-1.0)]) }, .integerOverflow)
    }

    func testFusedMultiplyAddRoundsTwice() throws {
        // x*y + z is translated into one fused instruction; it must still round the product
        // (no FMA): (1 + 2^-30)(1 - 2^-30) rounds to 1.0, so adding -1 gives exactly 0.
        let tiny = Double(sign: .plus, exponent: -30, significand: 1)
        let x = 1 + tiny, y = 1 - tiny
        let body = I.get(0) + I.get(1) + [0xA2] + I.get(2) + [0xA0]  // f64.mul, f64.add
        XCTAssertEqual(try runBody([.f64, .f64, .f64], [.f64], body, [.f64(x), .f64(y), .f64(-1.0)]), [.f64(0.0)])
        let from = I.get(2) + I.get(0) + I.get(1) + [0x94] + [0x93]  // z - x*y (f32)
        XCTAssertEqual(try runBody([.f32, .f32, .f32], [.f32], from, [.f32(Float(3)), .f32(Float(4)), .f32(Float(20))]), [.f32(Float(8))])
    }

    func testConversionsRoundCorrectly() throws {
        // 2^53 + 1 is not representable in f64: round to nearest even.
        XCTAssertEqual(try runBody([.i64], [.f64], I.get(0) + [0xB9], [.i64(Int64(9007199254740993))]), [.f64(9007199254740992.0)])
        XCTAssertEqual(try runBody([.i64], [.f32], I.get(0) + [0xB5], [.i64(UInt64.max)]), [.f32(Float(UInt64.max))])
    }
}

final class MemoryTests: XCTestCase {
    func testLoadStoreWidthsAndSignExtension() throws {
        let body = I.i32(8) + I.get(0) + I.store(0x37) + I.i32(8) + I.load(0x2C, offset: 1)
        let result = try runBody([.i64], [.i32], body, [.i64(UInt64(0x0000_0000_0000_F0FF))], memory: 1)
        XCTAssertEqual(result, [.i32(UInt32(0xFFFF_FFF0))], "i32.load8_s of byte 0xF0")
        let widths = I.i32(16) + I.i64(-1) + I.store(0x3E) + I.i32(16) + I.load(0x29)
        XCTAssertEqual(try runBody([], [.i64], widths, memory: 1), [.i64(UInt64(0xFFFF_FFFF))], "i64.store32 writes 4 bytes")
    }

    func testOutOfBoundsAccessTrapsAtTheExactEdge() throws {
        let load = I.get(0) + I.load(0x28)
        XCTAssertEqual(try runBody([.i32], [.i32], load, [.i32(UInt32(65532))], memory: 1), [.i32(UInt32(0))])
        XCTAssertEqual(trapKind { try runBody([.i32], [.i32], load, [.i32(UInt32(65533))], memory: 1) }, .memoryOutOfBounds)
        let offsetLoad = I.get(0) + I.load(0x28, offset: UInt32.max)
        XCTAssertEqual(trapKind { try runBody([.i32], [.i32], offsetLoad, [.i32(UInt32(1))], memory: 1) }, .memoryOutOfBounds,
                       "address + offset beyond 4 GiB must not wrap around")
    }

    func testGrowRespectsMaximumAndZeroFills() throws {
        var builder = ModuleBuilder()
        builder.memory = (1, 3)
        builder.function("grow", [.i32], [.i32], I.get(0) + [0x40, 0x00])
        builder.function("size", [], [.i32], [0x3F, 0x00])
        builder.function("peek", [.i32], [.i32], I.get(0) + I.load(0x28))
        let instance = try builder.instantiate()
        XCTAssertEqual(try instance.function("grow")!.call([.i32(UInt32(2))]), [.i32(UInt32(1))])
        XCTAssertEqual(try instance.function("size")!.call(), [.i32(UInt32(3))])
        XCTAssertEqual(try instance.function("grow")!.call([.i32(UInt32(1))]), [.i32(UInt32.max)], "beyond max returns -1")
        XCTAssertEqual(try instance.function("peek")!.call([.i32(UInt32(3 * 65536 - 4))]), [.i32(UInt32(0))])
    }

    func testHostSeesMemoryWithoutCopying() throws {
        var builder = ModuleBuilder()
        builder.memory = (1, nil)
        builder.data = [(100, Array("hello".utf8))]
        builder.importFunction("host", "touch", [.i32, .i32], [.i32])
        builder.function("go", [], [.i32], I.i32(100) + I.i32(5) + I.call(0) + I.drop + I.i32(100) + I.load(0x2D))
        var imports = Imports()
        imports.define(module: "host", name: "touch", HostFunction(name: "touch", type: FunctionType(parameters: [.i32, .i32], results: [.i32])) { call in
            let bytes = try call.memory!.bytes(at: UInt64(call.i32(0)), count: UInt64(call.i32(1)))
            XCTAssertEqual(String(decoding: bytes, as: UTF8.self), "hello")
            bytes[0] = UInt8(ascii: "J")
            call.setResult(UInt32(bytes.count))
        })
        XCTAssertEqual(try builder.instantiate(imports: imports).function("go")!.call(), [.i32(UInt32(ascii: "J"))])
    }
}

private extension UInt32 {
    init(ascii: Unicode.Scalar) { self = UInt32(ascii.value) }
}
