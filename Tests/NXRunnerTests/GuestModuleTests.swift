import Foundation
import NXRunner
import NXStore
import XCTest

/// The guest modules built with the SDK (Fixtures/guests), run through nxrun's library code.
final class GuestModuleTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("nx-guests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func run(_ module: String, _ extra: [String] = []) -> (Int32, [String], [String]) {
        var out: [String] = []
        var err: [String] = []
        var runner = Runner()
        runner.standardOutput = { out.append($0) }
        runner.standardError = { err.append($0) }
        runner.environment = ["NX_TOUR": "1"]
        let path = RunnerTests.fixtures.appendingPathComponent("guests/\(module).wasm").path
        let status = runner.main([path, "--datastore-path", directory.appendingPathComponent("data").path] + extra)
        return (status, out, err)
    }

    /// Log lines without their timestamps.
    func messages(_ lines: [String]) -> [String] {
        lines.map { $0.split(separator: " ", maxSplits: 1).last.map(String.init) ?? $0 }
    }

    func testHelloInCAndInEmbeddedSwift() throws {
        for module in ["hello", "hello_swift"] {
            let (status, _, err) = run(module)
            XCTAssertEqual(status, 0, "\(err)")
            XCTAssertEqual(messages(err), ["INFO [\(module)] Starting module...", "INFO [\(module)] Counter: 0",
                                          "INFO [\(module)] Module completed!"])
        }
        let store = try Store.open(path: directory.appendingPathComponent("data").path)
        defer { try? store.close() }
        XCTAssertNil(try store.get(Array("counter".utf8)), "hello deletes the key it wrote")
    }

    func testCounterPersistsAcrossRuns() throws {
        for expected in 1...3 {
            let (status, _, err) = run("counter")
            XCTAssertEqual(status, 0, "\(err)")
            XCTAssertEqual(messages(err), ["INFO [counter] counter = \(expected)"])
        }
        let store = try Store.open(path: directory.appendingPathComponent("data").path)
        defer { try? store.close() }
        XCTAssertEqual(try store.get(Array("counter".utf8)), Array("3".utf8))
    }

    func testSDKToursPassEveryCheckAgainstTheRealHost() {
        for module in ["sdk_tour", "sdk_tour_swift"] {
            let (status, out, err) = run(module, ["--invoke", "run"])
            XCTAssertEqual(status, 0, "\(err.suffix(5))")
            XCTAssertEqual(out, ["i32:0"], "\(module) returns the first failed check's code: \(err.suffix(5))")
            XCTAssertTrue(err.last?.contains("checks passed") == true, "\(err.suffix(3))")
        }
    }

    func testGuestAbortAndOutOfBoundsPointersTrapCleanly() throws {
        var (status, _, err) = run("sdk_tour", ["--invoke", "abort_check"])
        XCTAssertEqual(status, 1)
        XCTAssertTrue(err.last?.contains("guest aborted:") == true, "\(err)")
        (status, _, err) = run("sdk_tour", ["--invoke", "oob_check"])
        XCTAssertEqual(status, 1)
        XCTAssertTrue(err.last?.contains("out of bounds memory access") == true, "\(err)")
        // The datastore is left intact and usable.
        XCTAssertEqual(run("counter").0, 0)
    }
}
