import Foundation
import NXSpec
import XCTest

/// Runs the official WebAssembly 2.0 spec suite (wast2json form) from `../shared/wasm-testsuite`.
final class SpecSuiteTests: XCTestCase {
    static let suite: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent("../shared/wasm-testsuite/wasm-2.0/json").standardized.path
    }()

    func testWholeSuitePasses() throws {
        guard FileManager.default.fileExists(atPath: Self.suite) else {
            throw XCTSkip("spec suite not found at \(Self.suite); skipping (it is provided next to the project in CI)")
        }
        var options = SpecRunner.Options()
        var failures: [String] = []
        options.verbose = true
        options.output = { line in if line.hasPrefix("  ") { failures.append(line) } }
        let summary = try SpecRunner(options: options).run(paths: [Self.suite])
        XCTAssertEqual(summary.failed, 0, failures.prefix(20).joined(separator: "\n"))
        // 54,006 commands in all; only the 1,091 text-format assert_malformed modules may be skipped.
        XCTAssertGreaterThanOrEqual(summary.passed, 52_915, "every binary command, SIMD included, must pass")
        XCTAssertLessThanOrEqual(summary.skipped, 1_091)
        for script in summary.scripts {
            for reason in script.skipReasons.keys {
                XCTAssertTrue(reason.hasPrefix("text-format"), "\(script.name): unexpected skip \(reason)")
            }
        }
    }

    func testRunnerReportsFailures() throws {
        // A script whose assertion is wrong must fail: the runner is not allowed to pass everything.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("nx-spec-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // (module (func (export "f") (result i32) i32.const 1))
        let module: [UInt8] = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 6, 1, 4, 0, 65, 1, 11]
        try Data(module).write(to: directory.appendingPathComponent("t.0.wasm"))
        let script = """
            {"source_filename": "t.wast", "commands": [
             {"type": "module", "line": 1, "filename": "t.0.wasm"},
             {"type": "assert_return", "line": 2, "action": {"type": "invoke", "field": "f", "args": []}, "expected": [{"type": "i32", "value": "1"}]},
             {"type": "assert_return", "line": 3, "action": {"type": "invoke", "field": "f", "args": []}, "expected": [{"type": "i32", "value": "2"}]},
             {"type": "assert_trap", "line": 4, "action": {"type": "invoke", "field": "f", "args": []}, "text": "unreachable"}]}
            """
        try Data(script.utf8).write(to: directory.appendingPathComponent("t.json"))
        var options = SpecRunner.Options()
        options.output = { _ in }
        let result = SpecRunner(options: options).runScript(directory.appendingPathComponent("t.json").path)
        XCTAssertEqual(result.passed, 2)
        XCTAssertEqual(result.failed, 2)
        XCTAssertTrue(result.failures[0].contains("t.wast:3"), result.failures[0])
    }
}
