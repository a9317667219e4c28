import NXEngine
import NXWasm
import XCTest

/// The translator keeps `local.get` and constants lazy and retargets results; these tests pin
/// the cases where that could go wrong.
final class TranslatorTests: XCTestCase {
    func testLazyLocalReadSurvivesLaterSet() throws {
        // local.get 0 ; i32.const 5 ; local.set 0 ; local.get 0 ; i32.sub  => old - 5
        let body = I.get(0) + I.i32(5) + I.set(0) + I.get(0) + [0x6B]
        XCTAssertEqual(try runBody([.i32], [.i32], body, [.i32(UInt32(12))]), [.i32(UInt32(7))])
    }

    func testLazyLocalAcrossConditionalSet() throws {
        // local.get 0 (pushed before the if) must keep the value from before the branch sets it.
        let body = I.get(0) + I.get(1) + I.if + I.i32(100) + I.set(0) + I.end + I.get(0) + [0x6A]
        XCTAssertEqual(try runBody([.i32, .i32], [.i32], body, [.i32(UInt32(1)), .i32(UInt32(1))]), [.i32(UInt32(101))])
        XCTAssertEqual(try runBody([.i32, .i32], [.i32], body, [.i32(UInt32(1)), .i32(UInt32(0))]), [.i32(UInt32(2))])
    }

    func testRetargetedResultAndTee() throws {
        // local.set retargets the add; local.tee keeps the value on the stack lazily.
        let body = I.get(0) + I.get(1) + [0x6A] + I.set(2) + I.get(2) + I.i32(3) + [0x6C] + I.tee(2) + I.get(2) + [0x6A]
        XCTAssertEqual(try runBody([.i32, .i32], [.i32], locals: [.i32], body, [.i32(UInt32(2)), .i32(UInt32(5))]), [.i32(UInt32(42))])
    }

    func testMultiValueReturnOfSwappedLocals() throws {
        // Returning (local 1, local 0) writes slot 0 first: the translator must not clobber local 0.
        let body = I.get(1) + I.get(0)
        XCTAssertEqual(try runBody([.i32, .i64], [.i64, .i32], body, [.i32(UInt32(7)), .i64(UInt64(9))]), [.i64(UInt64(9)), .i32(UInt32(7))])
    }

    func testLoopWithFusedCompareAndBranch() throws {
        // sum = 0; i = 0; loop { sum += i; i += 1; br_if (i < n) }
        let body = I.loop + I.get(1) + I.get(2) + [0x6A] + I.set(1) + I.get(2) + I.i32(1) + [0x6A] + I.tee(2)
            + I.get(0) + [0x48] + I.brIf(0) + I.end + I.get(1)
        XCTAssertEqual(try runBody([.i32], [.i32], locals: [.i32, .i32], body, [.i32(UInt32(100))]), [.i32(UInt32(4950))])
    }

    func testBrIfCarryingValuesOutOfBlock() throws {
        // block (result i32) { i32.const 7 ; local.get 0 ; br_if 0 ; drop ; i32.const 9 } => 7 or 9
        let body = I.block(.i32) + I.i32(7) + I.get(0) + I.brIf(0) + I.drop + I.i32(9) + I.end
        XCTAssertEqual(try runBody([.i32], [.i32], body, [.i32(UInt32(1))]), [.i32(UInt32(7))])
        XCTAssertEqual(try runBody([.i32], [.i32], body, [.i32(UInt32(0))]), [.i32(UInt32(9))])
    }

    func testBrTableWithValues() throws {
        // Three nested blocks; br_table picks the depth; each exit adds a distinct constant.
        let body = I.block(.i32) + I.block(.i32) + I.block(.i32) + I.i32(1) + I.get(0) + [0x0E, 0x02, 0x00, 0x01, 0x02]
            + I.end + I.i32(10) + [0x6A] + I.end + I.i32(100) + [0x6A] + I.end
        let expected: [UInt32: UInt32] = [0: 111, 1: 101, 2: 1, 7: 1]
        for (index, value) in expected {
            XCTAssertEqual(try runBody([.i32], [.i32], body, [.i32(index)]), [.i32(value)], "index \(index)")
        }
    }

    func testSelectAndDeadCodeAfterReturn() throws {
        let body = I.get(0) + I.get(1) + I.get(2) + I.select + I.ret + I.i64(1) + I.drop + I.unreachable
        XCTAssertEqual(try runBody([.i32, .i32, .i32], [.i32], body, [.i32(UInt32(4)), .i32(UInt32(5)), .i32(UInt32(0))]), [.i32(UInt32(5))])
    }
}

/// Superinstructions must keep WebAssembly's 32-bit address arithmetic: the address operand
/// wraps around 2^32 before the (64-bit) offset is added.
final class FusionTests: XCTestCase {
    func module() throws -> Instance {
        var builder = ModuleBuilder()
        builder.memory = (1, nil)
        builder.data = [(4, [0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88])]
        builder.function("addImm", [.i32], [.i32], I.get(0) + I.i32(8) + [0x6A] + I.load(0x28))           // load (x + 8)
        builder.function("add", [.i32, .i32], [.i32], I.get(0) + I.get(1) + [0x6A] + I.load(0x2D, offset: 1))  // load8_u (x + y) offset 1
        builder.function("scaled", [.i32], [.i32], I.get(0) + I.i32(2) + [0x74] + I.load(0x28, offset: 4))   // load ((x << 2)) offset 4
        builder.function("scaledAdd", [.i32], [.i32], I.get(0) + I.i32(2) + [0x74] + I.i32(-4) + [0x6A] + I.load(0x28))
        builder.function("store", [.i32, .i32], [.i32], I.get(0) + I.i32(16) + [0x6A] + I.get(1) + I.store(0x36)
            + I.i32(12) + I.load(0x28, offset: 4))
        return try builder.instantiate()
    }

    func call(_ instance: Instance, _ name: String, _ arguments: UInt32...) throws -> UInt32 {
        guard case .i32(let value) = try instance.function(name)!.call(arguments.map { .i32($0) })[0] else { return 0 }
        return value
    }

    func testFusedAddressesWrapAt32Bits() throws {
        let instance = try module()
        XCTAssertEqual(try call(instance, "addImm", 0xFFFF_FFFC), 0x4433_2211, "0xFFFFFFFC + 8 wraps to 4")
        XCTAssertEqual(try call(instance, "add", 0xFFFF_FFFF, 5), 0x22, "(0xFFFFFFFF + 5) wraps to 4, + offset 1 = byte 5")
        XCTAssertEqual(try call(instance, "scaled", 0x4000_0000), 0x4433_2211, "0x40000000 << 2 wraps to 0, + offset 4")
        XCTAssertEqual(try call(instance, "scaledAdd", 2), 0x4433_2211, "(2 << 2) - 4 = 4")
        XCTAssertEqual(trapKind { try self.call(instance, "addImm", 65530) }, .memoryOutOfBounds)
        XCTAssertEqual(try call(instance, "store", 0, 0xDEAD_BEEF), 0xDEAD_BEEF)
        XCTAssertEqual(trapKind { try self.call(instance, "store", 65520, 1) }, .memoryOutOfBounds)
    }

    func testFusedI64BranchesAndHoistedConstants() throws {
        // sum = 0; i = 0; loop { sum += i * 3 (constant from a prologue slot); i += 1; br_if i != n (i64) }
        let body = I.loop + I.get(1) + I.get(2) + I.i64(3) + [0x7E] + [0x7C] + I.set(1)
            + I.get(2) + I.i64(1) + [0x7C] + I.tee(2) + I.get(0) + [0x52] + I.brIf(0) + I.end + I.get(1)
        let result = try runBody([.i64], [.i64], locals: [.i64, .i64], body, [.i64(UInt64(1000))])
        XCTAssertEqual(result, [.i64(UInt64(3 * 999 * 1000 / 2))])
        // A large unsigned i64 compared with an immediate that does not fit 32 bits.
        let compare = I.get(0) + I.i64(0x1_0000_0000) + [0x54] + I.if(.i64) + I.i64(1) + I.else + I.i64(2) + I.end   // i64.lt_u
        XCTAssertEqual(try runBody([.i64], [.i64], compare, [.i64(UInt64(0xFFFF_FFFF))]), [.i64(UInt64(1))])
        XCTAssertEqual(try runBody([.i64], [.i64], compare, [.i64(UInt64(0x1_0000_0000))]), [.i64(UInt64(2))])
    }
}

final class CallTests: XCTestCase {
    func testRecursionAndCallStackExhaustion() throws {
        var builder = ModuleBuilder()
        // fib(n) = n < 2 ? n : fib(n-1) + fib(n-2)
        builder.function("fib", [.i32], [.i32], I.get(0) + I.i32(2) + [0x48] + I.if(.i32) + I.get(0) + I.else
            + I.get(0) + I.i32(1) + [0x6B] + I.call(0) + I.get(0) + I.i32(2) + [0x6B] + I.call(0) + [0x6A] + I.end)
        builder.function("forever", [], [], I.call(1))
        let instance = try builder.instantiate()
        XCTAssertEqual(try instance.function("fib")!.call([.i32(UInt32(20))]), [.i32(UInt32(6765))])
        do {
            try instance.function("forever")!.call()
            XCTFail("infinite recursion returned")
        } catch let trap as Trap {
            XCTAssertEqual(trap.kind, .callStackExhausted)
            XCTAssertEqual(trap.function, "forever")
        }
        // The runtime stays usable after exhaustion.
        XCTAssertEqual(try instance.function("fib")!.call([.i32(UInt32(10))]), [.i32(UInt32(55))])
    }

    func testCallIndirectChecksSignatureAndBounds() throws {
        var builder = ModuleBuilder()
        builder.function(nil, [], [.i32], I.i32(42))
        builder.function(nil, [], [.i64], I.i64(1))
        let typeIndex = builder.typeIndex(FunctionType(parameters: [], results: [.i32]))
        builder.function("dispatch", [.i32], [.i32], I.get(0) + [0x11] + leb(UInt64(typeIndex)) + [0x00])
        builder.table = (4, [0, 1])
        let dispatch = try builder.instantiate().function("dispatch")!
        XCTAssertEqual(try dispatch.call([.i32(UInt32(0))]), [.i32(UInt32(42))])
        XCTAssertEqual(trapKind { try dispatch.call([.i32(UInt32(1))]) }, .indirectCallTypeMismatch)
        XCTAssertEqual(trapKind { try dispatch.call([.i32(UInt32(2))]) }, .uninitializedElement)
        XCTAssertEqual(trapKind { try dispatch.call([.i32(UInt32(4))]) }, .undefinedElement)
    }

    func testTrapNamesFunctionAndCallStack() throws {
        var builder = ModuleBuilder()
        builder.function("inner", [], [], I.unreachable)
        builder.function("outer", [], [], I.call(0))
        do {
            try builder.instantiate().function("outer")!.call()
            XCTFail("no trap")
        } catch let trap as Trap {
            XCTAssertEqual(trap.kind, .unreachable)
            XCTAssertEqual(trap.function, "inner")
            XCTAssertEqual(trap.backtrace, ["inner", "outer"])
        }
    }

    func testHostErrorBecomesTrapAndRuntimeContinues() throws {
        var builder = ModuleBuilder()
        builder.importFunction("env", "fail", [], [])
        builder.function("go", [], [], I.call(0))
        var imports = Imports()
        struct Boom: Error {}
        imports.define(module: "env", name: "fail", HostFunction(name: "env.fail", type: FunctionType(parameters: [], results: [])) { _ in
            throw Trap(.host("guest aborted: boom"))
        })
        let instance = try builder.instantiate(imports: imports)
        XCTAssertEqual(trapKind { try instance.function("go")!.call() }, .host("guest aborted: boom"))
        XCTAssertEqual(trapKind { try instance.function("go")!.call() }, .host("guest aborted: boom"))
    }

    func testLinkErrorsNameTheImport() throws {
        var builder = ModuleBuilder()
        builder.importFunction("env", "missing", [.i32], [])
        builder.function("go", [], [], [])
        XCTAssertThrowsError(try builder.instantiate()) { error in
            XCTAssertTrue("\(error)".contains("unknown import \"env\".\"missing\""), "\(error)")
        }
        var imports = Imports()
        imports.define(module: "env", name: "missing", HostFunction(name: "x", type: FunctionType(parameters: [.i64], results: [])) { _ in })
        XCTAssertThrowsError(try builder.instantiate(imports: imports)) { error in
            XCTAssertTrue("\(error)".contains("incompatible import type"), "\(error)")
        }
    }

    func testArgumentTypesAreChecked() throws {
        var builder = ModuleBuilder()
        builder.function("f", [.i32], [], [])
        let function = try builder.instantiate().function("f")!
        XCTAssertThrowsError(try function.call([.i64(UInt64(1))]))
        XCTAssertThrowsError(try function.call([]))
    }
}
