import Foundation
import NXRunner
import NXStore
import XCTest

/// nxrun's behaviour, in process (through `Runner`) and as a real process.
final class RunnerTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("nx-runner-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func fixture(_ path: String) -> String { RunnerTests.fixtures.appendingPathComponent(path).path }

    /// Runs nxrun in process; returns (status, stdout lines, stderr lines).
    func nxrun(_ arguments: [String], environment: [String: String] = [:]) -> (Int32, [String], [String]) {
        var out: [String] = []
        var err: [String] = []
        var runner = Runner()
        runner.standardOutput = { out.append($0) }
        runner.standardError = { err.append($0) }
        runner.environment = environment
        let status = runner.main(arguments)
        return (status, out, err)
    }

    func testRunsAModuleAndPersistsItsData() throws {
        let store = directory.appendingPathComponent("data").path
        let (status, out, err) = nxrun(["--invoke", "run", fixture("host/kv.wasm"), "--datastore-path", store])
        XCTAssertEqual(status, 0, "\(err)")
        XCTAssertEqual(out, ["i32:5"])
        for expected in 1...3 {
            let (_, bumped, _) = nxrun(["run", fixture("host/kv.wasm"), "--invoke=bump", "--datastore-path", store])
            XCTAssertEqual(bumped, ["i32:\(expected)"], "the count survives between runs")
        }
        let opened = try Store.open(path: store)
        defer { try? opened.close() }
        XCTAssertEqual(try opened.get(Array("greeting".utf8)), Array("hello".utf8))
    }

    func testEnvironmentVariablesConfigureAndFlagsWin() throws {
        let fromEnvironment = directory.appendingPathComponent("env").path
        let fromFlag = directory.appendingPathComponent("flag").path
        XCTAssertEqual(nxrun([fixture("host/kv.wasm")], environment: ["NX_DATASTORE_PATH": fromEnvironment]).0, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: fromEnvironment))
        XCTAssertEqual(nxrun([fixture("host/kv.wasm"), "--datastore-path", fromFlag], environment: ["NX_DATASTORE_PATH": fromEnvironment]).0, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: fromFlag))
        let (status, _, err) = nxrun([fixture("host/kv.wasm")], environment: ["NX_LOG_LEVEL": "loud", "NX_DATASTORE_PATH": fromFlag])
        XCTAssertEqual(status, 2)
        XCTAssertTrue(err[0].contains("unknown log level loud"), "\(err)")
    }

    func testTrapReportsKindFunctionAndExitsNonZero() {
        let (status, _, err) = nxrun([fixture("host/trap.wasm"), "--datastore-path", directory.path])
        XCTAssertEqual(status, 1)
        XCTAssertTrue(err.contains { $0.contains("INFO [trap] about to fail") }, "guest logs go to stderr with the module id: \(err)")
        XCTAssertTrue(err.last!.contains("trap: unreachable in function explode"), "\(err)")
        XCTAssertTrue(err.last!.contains("explode <- middle <- run"), "\(err)")
    }

    func testBadInputGivesOneLineErrors() throws {
        var (status, _, err) = nxrun([directory.appendingPathComponent("missing.wasm").path])
        XCTAssertEqual(status, 1)
        XCTAssertEqual(err.count, 1)
        XCTAssertTrue(err[0].hasSuffix("missing.wasm: no such file"), err[0])

        let malformed = directory.appendingPathComponent("bad.wasm")
        try Data([0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01]).write(to: malformed)
        (status, _, err) = nxrun([malformed.path])
        XCTAssertEqual(status, 1)
        XCTAssertEqual(err.count, 1)
        XCTAssertTrue(err[0].contains("malformed module") && err[0].contains("type section, offset"), err[0])

        (status, _, err) = nxrun([fixture("host/unknown_import.wasm")])
        XCTAssertEqual(status, 1)
        XCTAssertEqual(err, ["nxrun: \(fixture("host/unknown_import.wasm")): link error: unknown import \"nx\".\"db_teleport\""])

        (status, _, err) = nxrun(["--frobnicate", "x", fixture("host/kv.wasm")])
        XCTAssertEqual(status, 2)
        XCTAssertTrue(err[0].contains("unknown option --frobnicate"))
    }

    func testDatastoreIsLockedAgainstASecondOpener() throws {
        let store = directory.appendingPathComponent("locked").path
        let holder = try Store.open(path: store)
        defer { try? holder.close() }
        let (status, _, err) = nxrun([fixture("host/kv.wasm"), "--datastore-path", store])
        XCTAssertEqual(status, 1)
        XCTAssertTrue(err[0].contains("datastore \(store)"), "\(err)")
        XCTAssertNil(try holder.get(Array("greeting".utf8)), "nothing was written")
    }

    func testPureModulesDoNotCreateADatastore() {
        let store = directory.appendingPathComponent("unused").path
        let (status, out, _) = nxrun(["--invoke", "fib", fixture("engine/fib.wasm"), "10", "--datastore-path", store])
        XCTAssertEqual(status, 0)
        XCTAssertEqual(out, ["i32:55"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: store))
    }

    func testTheExecutableExitsWithTheSameStatuses() throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("nxrun")
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip("nxrun executable not built next to the tests (\(binary.path)); run `swift build` first")
        }
        func run(_ arguments: [String]) throws -> (Int32, String) {
            let process = Process()
            process.executableURL = binary
            process.arguments = arguments
            process.currentDirectoryURL = directory
            let errors = Pipe()
            process.standardError = errors
            process.standardOutput = Pipe()
            try process.run()
            process.waitUntilExit()
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            return (process.terminationStatus, text)
        }
        XCTAssertEqual(try run([fixture("host/kv.wasm")]).0, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("nx-data").path), "default ./nx-data")
        let (trapStatus, trapText) = try run([fixture("host/trap.wasm")])
        XCTAssertEqual(trapStatus, 1)
        XCTAssertTrue(trapText.contains("unreachable in function explode"), trapText)
        XCTAssertEqual(try run(["nope.wasm"]).0, 1)
        XCTAssertEqual(try run(["--help"]).0, 0)
        XCTAssertEqual(try run([]).0, 2)
    }
}
