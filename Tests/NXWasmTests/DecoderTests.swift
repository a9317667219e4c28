import NXWasm
import XCTest

let header: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]

func decodeError(_ bytes: [UInt8]) -> DecodeError? {
    do {
        _ = try ModuleDecoder.decode(bytes)
        return nil
    } catch {
        return error
    }
}

func validationError(_ bytes: [UInt8]) throws -> ValidationError? {
    let module = try ModuleDecoder.decode(bytes)
    do {
        try ModuleValidator.validate(module)
        return nil
    } catch {
        return error
    }
}

/// A module with one function of type [] -> results whose body is `code` (without the final end).
func moduleWithBody(_ code: [UInt8], results: [UInt8] = [], locals: [UInt8] = [0x00]) -> [UInt8] {
    let body = locals + code + [0x0B]
    return header
        + [0x01, UInt8(4 + results.count), 0x01, 0x60, 0x00, UInt8(results.count)] + results
        + [0x03, 0x02, 0x01, 0x00]
        + [0x0A, UInt8(body.count + 2), 0x01, UInt8(body.count)] + body
}

final class DecoderTests: XCTestCase {
    func testEmptyModuleDecodes() throws {
        let module = try ModuleDecoder.decode(header)
        XCTAssertTrue(module.types.isEmpty)
        XCTAssertTrue(module.bodies.isEmpty)
    }

    func testHeaderErrors() {
        XCTAssertEqual(decodeError([])?.message, "unexpected end")
        XCTAssertEqual(decodeError([0x00, 0x61, 0x73, 0x6E, 0x01, 0, 0, 0])?.message, "magic header not detected")
        XCTAssertTrue(decodeError([0x00, 0x61, 0x73, 0x6D, 0x02, 0, 0, 0])?.message.hasPrefix("unknown binary version") == true)
    }

    func testSectionErrorsNameSectionAndOffset() {
        // Type section declaring 2 entries but holding 1.
        let error = decodeError(header + [0x01, 0x04, 0x02, 0x60, 0x00, 0x00])
        XCTAssertEqual(error?.section, .type)
        XCTAssertEqual(error?.offset, 14)
        XCTAssertTrue(error?.description.contains("type section") == true, "\(String(describing: error))")
        XCTAssertTrue(decodeError(header + [0x0D, 0x00])?.message.hasPrefix("malformed section id") == true)
        // Out-of-order sections.
        let outOfOrder = decodeError(header + [0x03, 0x01, 0x00, 0x01, 0x01, 0x00])
        XCTAssertTrue(outOfOrder?.message.hasPrefix("unexpected content after last section") == true)
        // Section content longer than what its entries use.
        XCTAssertEqual(decodeError(header + [0x01, 0x02, 0x00, 0x00])?.message, "section size mismatch")
    }

    func testLEB128Limits() {
        // Function section count encoded in 6 bytes.
        XCTAssertEqual(decodeError(header + [0x03, 0x06, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00])?.message, "integer representation too long")
        // 5-byte u32 with unused bits set.
        XCTAssertEqual(decodeError(header + [0x03, 0x05, 0x80, 0x80, 0x80, 0x80, 0x10])?.message, "integer too large")
        // Signed: i32.const with a 5th byte that is not a sign extension.
        let badSigned = moduleWithBody([0x41, 0x80, 0x80, 0x80, 0x80, 0x70, 0x1A])
        XCTAssertNotNil(try? ModuleDecoder.decode(badSigned))
        XCTAssertEqual(try validationError(badSigned)?.message, "integer too large")
    }

    func testNamesMustBeUTF8() {
        let invalid = header + [0x00, 0x03, 0x02, 0xC0, 0x80]  // overlong encoding of NUL
        XCTAssertEqual(decodeError(invalid)?.message, "malformed UTF-8 encoding")
        let surrogate = header + [0x00, 0x04, 0x03, 0xED, 0xA0, 0x80]
        XCTAssertEqual(decodeError(surrogate)?.message, "malformed UTF-8 encoding")
    }

    func testFunctionAndCodeCountsMustAgree() {
        let bytes = header + [0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00]
        XCTAssertTrue(decodeError(bytes)?.message.hasPrefix("function and code section have inconsistent lengths") == true)
    }

    func testTooManyLocals() {
        let locals: [UInt8] = [0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F, 0x01, 0x7F]
        XCTAssertEqual(decodeError(moduleWithBody([], locals: locals))?.message, "too many locals")
    }

    func testAllEightElementSegmentEncodingsDecode() throws {
        // Types, one function, a table, then element segments with flags 0...7.
        var elements: [UInt8] = [0x08]
        elements += [0x00, 0x41, 0x00, 0x0B, 0x01, 0x00]                  // 0: active, table 0, func indices
        elements += [0x01, 0x00, 0x01, 0x00]                              // 1: passive, elemkind, indices
        elements += [0x02, 0x00, 0x41, 0x00, 0x0B, 0x00, 0x01, 0x00]      // 2: active table x, elemkind, indices
        elements += [0x03, 0x00, 0x01, 0x00]                              // 3: declarative, indices
        elements += [0x04, 0x41, 0x00, 0x0B, 0x01, 0xD2, 0x00, 0x0B]      // 4: active, expressions
        elements += [0x05, 0x70, 0x01, 0xD0, 0x70, 0x0B]                  // 5: passive, reftype, expressions
        elements += [0x06, 0x00, 0x41, 0x00, 0x0B, 0x70, 0x01, 0xD2, 0x00, 0x0B]  // 6: active table x, expressions
        elements += [0x07, 0x70, 0x01, 0xD2, 0x00, 0x0B]                  // 7: declarative, expressions
        let bytes = header + [0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x04, 0x04, 0x01, 0x70, 0x00, 0x01]
            + [0x09, UInt8(elements.count)] + elements + [0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B]
        let module = try ModuleDecoder.decode(bytes)
        try ModuleValidator.validate(module)
        XCTAssertEqual(module.elements.count, 8)
        XCTAssertEqual(module.elements.map { "\($0.mode)".components(separatedBy: "(")[0] },
                       ["active", "passive", "active", "declarative", "active", "passive", "active", "declarative"])
        XCTAssertEqual(module.elements[5].initializers, [.refNull(.funcref)])
    }

    func testNameSectionGivesFunctionNames() throws {
        // custom "name": subsection 1 (function names): 1 entry: 0 -> "main"
        let names: [UInt8] = [0x04] + Array("name".utf8) + [0x01, 0x07, 0x01, 0x00, 0x04] + Array("main".utf8)
        let bytes = moduleWithBody([]) + [0x00, UInt8(names.count)] + names
        let module = try ModuleDecoder.decode(bytes)
        XCTAssertEqual(module.displayName(ofFunction: 0), "main")
    }

    func testMalformedNameSectionIsIgnored() throws {
        let names: [UInt8] = [0x04] + Array("name".utf8) + [0x01, 0x7F]
        XCTAssertNoThrow(try ModuleDecoder.decode(moduleWithBody([]) + [0x00, UInt8(names.count)] + names))
    }
}

final class ValidatorTests: XCTestCase {
    func testTypeMismatchNamesFunctionAndOffset() throws {
        // i32.const 1 ; i64.const 1 ; i32.add
        let error = try validationError(moduleWithBody([0x41, 0x01, 0x42, 0x01, 0x6A, 0x1A]))
        XCTAssertTrue(error?.message.hasPrefix("type mismatch") == true)
        XCTAssertEqual(error?.context, "function 0 (func[0])")
        XCTAssertEqual(error?.offset, 27, "offset of the i32.add")
    }

    func testPolymorphicStackAfterUnreachable() throws {
        // unreachable ; i32.add ; drop — valid: operands come from the polymorphic bottom.
        XCTAssertNil(try validationError(moduleWithBody([0x00, 0x6A, 0x1A])))
        // unreachable ; i64.const 0 ; i32.add — invalid: a known i64 cannot be an i32 operand.
        XCTAssertNotNil(try validationError(moduleWithBody([0x00, 0x42, 0x00, 0x6A, 0x1A])))
    }

    func testBlocksResultsAndLabels() throws {
        // block (result i32) ; end — missing result.
        XCTAssertTrue(try validationError(moduleWithBody([0x02, 0x7F, 0x0B, 0x1A]))?.message.hasPrefix("type mismatch") == true)
        // br 1 outside of any block but the function: unknown label.
        XCTAssertTrue(try validationError(moduleWithBody([0x0C, 0x01]))?.message.hasPrefix("unknown label") == true)
        // if without else must not change the stack type: if (result i32) i32.const 1 end
        XCTAssertNotNil(try validationError(moduleWithBody([0x41, 0x01, 0x04, 0x7F, 0x41, 0x01, 0x0B, 0x1A])))
    }

    func testLocalsGlobalsAndMemory() throws {
        XCTAssertTrue(try validationError(moduleWithBody([0x20, 0x05, 0x1A]))?.message.hasPrefix("unknown local") == true)
        XCTAssertTrue(try validationError(moduleWithBody([0x23, 0x00, 0x1A]))?.message.hasPrefix("unknown global") == true)
        XCTAssertTrue(try validationError(moduleWithBody([0x41, 0x00, 0x28, 0x02, 0x00, 0x1A]))?.message.hasPrefix("unknown memory") == true)
    }

    func testAlignmentLimit() throws {
        // Memory, then i32.load with align 2^3 > 4 bytes.
        let body: [UInt8] = [0x00, 0x41, 0x00, 0x28, 0x03, 0x00, 0x1A, 0x0B]
        let bytes = header + [0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01]
            + [0x0A, UInt8(body.count + 2), 0x01, UInt8(body.count)] + body
        XCTAssertEqual(try validationError(bytes)?.message, "alignment must not be larger than natural")
    }

    func testRefFuncMustBeDeclared() throws {
        // ref.func 0 in a body without the function being exported or in an element segment.
        XCTAssertTrue(try validationError(moduleWithBody([0xD2, 0x00, 0x1A]))?.message.hasPrefix("undeclared function reference") == true)
    }

    func testStartFunctionType() throws {
        let bytes = header + [0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7F, 0x03, 0x02, 0x01, 0x00, 0x08, 0x01, 0x00]
            + [0x0A, 0x06, 0x01, 0x04, 0x00, 0x41, 0x00, 0x0B]
        XCTAssertTrue(try validationError(bytes)?.message.hasPrefix("start function") == true)
    }

    func testConstantExpressionsAndDuplicateExports() throws {
        // global i32 (i32.const 1 ; i32.const 2 ; i32.add)
        let global = header + [0x06, 0x09, 0x01, 0x7F, 0x00, 0x41, 0x01, 0x41, 0x02, 0x6A, 0x0B]
        XCTAssertEqual(try validationError(global)?.message, "constant expression required")
        let exports = header + [0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00]
            + [0x07, 0x09, 0x02, 0x01, 0x61, 0x00, 0x00, 0x01, 0x61, 0x00, 0x00]
            + [0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B]
        XCTAssertTrue(try validationError(exports)?.message.hasPrefix("duplicate export name") == true)
    }
}
