import NXEngine
import NXWasm
import XCTest

/// SIMD families, each checked against a scalar model written here in plain Swift.
final class SIMDTests: XCTestCase {
    func simd(_ opcode: UInt32) -> [UInt8] { [0xFD] + leb(UInt64(opcode)) }

    func bytes(_ value: Value) -> [UInt8] {
        guard case .v128(let vector) = value else { return [] }
        return withUnsafeBytes(of: vector.low.littleEndian) { Array($0) } + withUnsafeBytes(of: vector.high.littleEndian) { Array($0) }
    }

    func vector(_ bytes: [UInt8]) -> Value {
        let low = bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        let high = bytes[8..<16].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        return .v128(V128(low: low, high: high))
    }

    func lanes<T: FixedWidthInteger>(_ value: Value, _: T.Type) -> [T] {
        let raw = bytes(value)
        return stride(from: 0, to: 16, by: MemoryLayout<T>.size).map { offset in
            raw[offset..<offset + MemoryLayout<T>.size].enumerated().reduce(T(0)) { $0 | T(truncatingIfNeeded: $1.element) << (8 * $1.offset) }
        }
    }

    func vector<T: FixedWidthInteger>(_ lanes: [T]) -> Value {
        vector(lanes.flatMap { lane in (0..<MemoryLayout<T>.size).map { UInt8(truncatingIfNeeded: lane >> (8 * $0)) } })
    }

    func floats(_ value: Value) -> [Float] { lanes(value, UInt32.self).map { Float(bitPattern: $0) } }
    func vector(floats: [Float]) -> Value { vector(floats.map(\.bitPattern)) }

    func binary(_ opcode: UInt32, _ x: Value, _ y: Value) throws -> Value {
        try runBody([.v128, .v128], [.v128], I.get(0) + I.get(1) + simd(opcode), [x, y])[0]
    }

    func unary(_ opcode: UInt32, _ x: Value) throws -> Value {
        try runBody([.v128], [.v128], I.get(0) + simd(opcode), [x])[0]
    }

    let sampleA: [Int8] = [0, 1, -1, 127, -128, 50, -50, 100, 3, -3, 64, -64, 12, 99, -99, 7]
    let sampleB: [Int8] = [5, -1, 1, 1, -1, 100, -100, 100, -3, 3, 64, 65, -12, 28, 29, -7]

    func testIntegerArithmeticFamily() throws {
        let a = vector(sampleA), b = vector(sampleB)
        XCTAssertEqual(lanes(try binary(110, a, b), Int8.self), zip(sampleA, sampleB).map { $0 &+ $1 })           // i8x16.add
        XCTAssertEqual(lanes(try binary(111, a, b), Int8.self), zip(sampleA, sampleB).map { Int8(clamping: Int($0) + Int($1)) })   // add_sat_s
        XCTAssertEqual(lanes(try binary(115, a, b), UInt8.self),
                       zip(sampleA, sampleB).map { UInt8(clamping: Int(UInt8(bitPattern: $0)) - Int(UInt8(bitPattern: $1))) })     // sub_sat_u
        XCTAssertEqual(lanes(try binary(118, a, b), Int8.self), zip(sampleA, sampleB).map { min($0, $1) })           // min_s
        XCTAssertEqual(lanes(try binary(121, a, b), UInt8.self), zip(sampleA, sampleB).map { max(UInt8(bitPattern: $0), UInt8(bitPattern: $1)) })
        XCTAssertEqual(lanes(try binary(123, a, b), UInt8.self),
                       zip(sampleA, sampleB).map { UInt8((UInt16(UInt8(bitPattern: $0)) + UInt16(UInt8(bitPattern: $1)) + 1) / 2) })  // avgr_u
        XCTAssertEqual(lanes(try unary(96, a), Int8.self), sampleA.map { $0 == .min ? .min : abs($0) })            // abs wraps
        XCTAssertEqual(lanes(try unary(98, a), UInt8.self), sampleA.map { UInt8(UInt8(bitPattern: $0).nonzeroBitCount) })
        let words: [Int16] = [1000, -1000, 32767, -32768, 12345, -2, 300, 7]
        let other: [Int16] = [30000, -30000, 1, -1, 3, 2, -300, 9]
        XCTAssertEqual(lanes(try binary(149, vector(words), vector(other)), Int16.self), zip(words, other).map { $0 &* $1 })
        XCTAssertEqual(lanes(try binary(130, vector(words), vector(other)), Int16.self),
                       zip(words, other).map { Int16(clamping: (Int32($0) * Int32($1) + 0x4000) >> 15) })                 // q15mulr_sat_s
        let dot: [Int32] = (0..<4).map { (lane: Int) -> Int32 in
            let even = Int32(words[2 * lane]) &* Int32(other[2 * lane])
            let odd = Int32(words[2 * lane + 1]) &* Int32(other[2 * lane + 1])
            return even &+ odd
        }
        XCTAssertEqual(lanes(try binary(186, vector(words), vector(other)), Int32.self), dot)
        let longs: [Int64] = [Int64.min, 77]
        XCTAssertEqual(lanes(try binary(213, vector(longs), vector([Int64(3), -5])), Int64.self), [Int64.min &* 3, -385])
    }

    func testShiftsMaskTheirCount() throws {
        let a = vector(sampleA)
        let shifted = try runBody([.v128, .i32], [.v128], I.get(0) + I.get(1) + simd(108), [a, .i32(UInt32(9))])[0]  // shr_s by 9 & 7 = 1
        XCTAssertEqual(lanes(shifted, Int8.self), sampleA.map { $0 >> 1 })
        let left = try runBody([.v128, .i32], [.v128], I.get(0) + I.get(1) + simd(171), [vector([UInt32(1), 2, 3, 0x8000_0000]), .i32(UInt32(33))])[0]
        XCTAssertEqual(lanes(left, UInt32.self), [2, 4, 6, 0])
    }

    func testComparisonsAndTests() throws {
        let a = vector(sampleA), b = vector(sampleB)
        XCTAssertEqual(lanes(try binary(37, a, b), Int8.self), zip(sampleA, sampleB).map { $0 < $1 ? -1 : 0 })      // lt_s
        XCTAssertEqual(lanes(try binary(38, a, b), Int8.self),
                       zip(sampleA, sampleB).map { UInt8(bitPattern: $0) < UInt8(bitPattern: $1) ? -1 : 0 })          // lt_u
        let nan = Float.nan
        let compared = try binary(67, vector(floats: [1, nan, -0.0, 3]), vector(floats: [2, 1, 0.0, 3]))           // f32x4.lt
        XCTAssertEqual(lanes(compared, Int32.self), [-1, 0, 0, 0])
        XCTAssertEqual(try runBody([.v128], [.i32], I.get(0) + simd(100), [a]), [.i32(UInt32(sampleA.enumerated().reduce(0) { $0 | ($1.element < 0 ? 1 << $1.offset : 0) }))])
        XCTAssertEqual(try runBody([.v128], [.i32], I.get(0) + simd(99), [a]), [.i32(UInt32(0))], "lane 0 is zero")
        XCTAssertEqual(try runBody([.v128], [.i32], I.get(0) + simd(83), [a]), [.i32(UInt32(1))])
        let selected = try runBody([.v128, .v128, .v128], [.v128], I.get(0) + I.get(1) + I.get(2) + simd(82),
                                   [vector([UInt64(0xFFFF_0000_FFFF_0000), 0]), vector([UInt64(0x1234_5678_9ABC_DEF0), UInt64.max]), vector([UInt64(0xFF00_FF00_FF00_FF00), 0x0F])])[0]
        XCTAssertEqual(lanes(selected, UInt64.self), [(0xFFFF_0000_FFFF_0000 & 0xFF00_FF00_FF00_FF00) | (0x1234_5678_9ABC_DEF0 & ~0xFF00_FF00_FF00_FF00), UInt64.max & ~0x0F])
    }

    func testFloatLanesFollowScalarRules() throws {
        let x: [Float] = [1.5, -0.0, .nan, 2.5]
        let y: [Float] = [-2, 0.0, 1, .nan]
        let minimum = floats(try binary(232, vector(floats: x), vector(floats: y)))
        XCTAssertEqual(minimum[0], -2)
        XCTAssertEqual(minimum[1].bitPattern, (-0.0 as Float).bitPattern)
        XCTAssertTrue(minimum[2].isNaN && minimum[3].isNaN)
        let pseudoMinimum = floats(try binary(234, vector(floats: x), vector(floats: y)))    // pmin: y < x ? y : x
        XCTAssertEqual(pseudoMinimum[0], -2)
        XCTAssertEqual(pseudoMinimum[1].bitPattern, (-0.0 as Float).bitPattern)
        XCTAssertTrue(pseudoMinimum[2].isNaN)
        XCTAssertEqual(pseudoMinimum[3], 2.5)
        XCTAssertEqual(floats(try unary(106, vector(floats: [0.5, 1.5, 2.5, -3.5]))), [0, 2, 2, -4])          // nearest
        XCTAssertEqual(lanes(try unary(248, vector(floats: [3e9, -3e9, .nan, -7.9])), Int32.self), [Int32.max, Int32.min, 0, -7])
        XCTAssertEqual(floats(try unary(251, vector([UInt32.max, 1, 0, 16_777_217]))), [Float(UInt32.max), 1, 0, 16_777_216])
    }

    func testWideningAndNarrowing() throws {
        let a = vector(sampleA)
        XCTAssertEqual(lanes(try unary(136, a), Int16.self), sampleA[8...].map { Int16($0) })                        // extend_high_s
        XCTAssertEqual(lanes(try unary(137, a), UInt16.self), sampleA[..<8].map { UInt16(UInt8(bitPattern: $0)) })    // extend_low_u
        XCTAssertEqual(lanes(try unary(125, a), UInt16.self),
                       (0..<8).map { UInt16(UInt8(bitPattern: sampleA[2 * $0])) + UInt16(UInt8(bitPattern: sampleA[2 * $0 + 1])) })
        let wide: [Int16] = [300, -300, 127, -129, 255, 0, -1, 1000]
        XCTAssertEqual(lanes(try binary(102, vector(wide), vector(wide.reversed())), UInt8.self),
                       (wide + wide.reversed()).map { UInt8(clamping: $0) })                                            // narrow_u
        XCTAssertEqual(lanes(try binary(157, a, vector(sampleB)), Int16.self),
                       (8..<16).map { Int16(sampleA[$0]) * Int16(sampleB[$0]) })                                       // extmul_high_s
    }

    func testLanesShufflesAndSplats() throws {
        let a = vector(sampleA), b = vector(sampleB)
        let order: [UInt8] = [31, 0, 16, 1, 2, 3, 17, 18, 15, 14, 13, 12, 30, 29, 28, 27]
        let shuffled = try runBody([.v128, .v128], [.v128], I.get(0) + I.get(1) + simd(13) + order, [a, b])[0]
        XCTAssertEqual(lanes(shuffled, Int8.self), order.map { $0 < 16 ? sampleA[Int($0)] : sampleB[Int($0) - 16] })
        let selectors = vector([UInt8](arrayLiteral: 0, 15, 16, 200, 3, 3, 3, 3, 1, 1, 1, 1, 255, 2, 4, 6))
        XCTAssertEqual(lanes(try binary(14, a, selectors), Int8.self),
                       lanes(selectors, UInt8.self).map { $0 < 16 ? sampleA[Int($0)] : 0 })                         // swizzle
        XCTAssertEqual(try runBody([.v128], [.i32], I.get(0) + simd(21) + [4], [a]), [.i32(UInt32(bitPattern: -128))])  // extract_lane_s
        XCTAssertEqual(try runBody([.v128], [.i32], I.get(0) + simd(22) + [4], [a]), [.i32(UInt32(128))])               // extract_lane_u
        let replaced = try runBody([.v128, .i64], [.v128], I.get(0) + I.get(1) + simd(30) + [1], [a, .i64(UInt64(42))])[0]
        XCTAssertEqual(lanes(replaced, UInt64.self)[1], 42)
        XCTAssertEqual(lanes(try runBody([.i32], [.v128], I.get(0) + simd(16), [.i32(UInt32(0x1_2345))])[0], UInt16.self), Array(repeating: 0x2345, count: 8))
    }

    func testMemoryFormsAndBounds() throws {
        var builder = ModuleBuilder()
        builder.memory = (1, nil)
        builder.data = [(16, (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 9) })]
        builder.function("load8x8_s", [.i32], [.v128], I.get(0) + simd(1) + [0x00, 0x00])
        builder.function("load32_zero", [.i32], [.v128], I.get(0) + simd(92) + [0x00, 0x00])
        builder.function("load16_lane", [.i32, .v128], [.v128], I.get(0) + I.get(1) + simd(85) + [0x00, 0x00, 0x03])
        builder.function("store", [.i32, .v128], [], I.get(0) + I.get(1) + simd(11) + [0x00, 0x00])
        builder.function("load", [.i32], [.v128], I.get(0) + simd(0) + [0x00, 0x00])
        let instance = try builder.instantiate()
        let raw = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 9) }
        XCTAssertEqual(lanes(try instance.function("load8x8_s")!.call([.i32(UInt32(16))])[0], Int16.self), raw[0..<8].map { Int16(Int8(bitPattern: $0)) })
        XCTAssertEqual(bytes(try instance.function("load32_zero")!.call([.i32(UInt32(20))])[0]), Array(raw[4..<8]) + Array(repeating: 0, count: 12))
        let withLane = try instance.function("load16_lane")!.call([.i32(UInt32(16)), vector([UInt8](repeating: 0xAA, count: 16))])[0]
        XCTAssertEqual(bytes(withLane), Array(repeating: 0xAA, count: 6) + Array(raw[0..<2]) + Array(repeating: 0xAA, count: 8))
        try instance.function("store")!.call([.i32(UInt32(65520)), vector(sampleA)])
        XCTAssertEqual(lanes(try instance.function("load")!.call([.i32(UInt32(65520))])[0], Int8.self), sampleA)
        XCTAssertEqual(trapKind { try instance.function("load")!.call([.i32(UInt32(65521))]) }, .memoryOutOfBounds)
        XCTAssertEqual(trapKind { try instance.function("store")!.call([.i32(UInt32(65521)), self.vector(self.sampleA)]) }, .memoryOutOfBounds)
    }
}
