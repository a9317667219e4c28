import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Multi-process clusters on loopback: real `nxrun` processes running the distributed
/// examples (Fixtures/examples), talking UDP to each other.
final class ClusterProcessTests: XCTestCase {
    static let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/examples")
    var directory: URL!
    var binary: URL!
    var nodes: [NodeProcess] = []

    override func setUpWithError() throws {
        // The test target depends on the nxrun product, so SwiftPM builds it next to the tests.
        binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("nxrun")
        if !FileManager.default.isExecutableFile(atPath: binary.path) {
            binary = Bundle(for: ClusterProcessTests.self).bundleURL.deletingLastPathComponent().appendingPathComponent("nxrun")
        }
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw XCTSkip("nxrun executable not found next to the tests (\(binary.path))")
        }
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("nx-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        for node in nodes where node.process.isRunning { node.kill(SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: - Helpers

    func module(_ example: String) -> String { Self.examples.appendingPathComponent("\(example)/\(example).wasm").path }

    func makeKey(_ name: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        var bytes = [UInt8](repeating: 0, count: 32)
        for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255) }
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    /// Starts one node of a cluster whose nodes listen on `ports`; node `index` has every
    /// other port as a seed.
    @discardableResult
    func start(_ name: String, _ example: String, ports: [Int], index: Int, wait: String, settle: String,
               print: [String], key: String?, environment: [String: String], extra: [String] = []) throws -> NodeProcess {
        var arguments = [module(example), "--listen", "127.0.0.1:\(ports[index])", "--datastore-path",
                         directory.appendingPathComponent("data-\(name)").path,
                         "--wait-before-run", wait, "--settle-for", settle, "--log-level", "debug"]
        for (other, port) in ports.enumerated() where other != index { arguments += ["--peer", "127.0.0.1:\(port)"] }
        if let key { arguments += ["--cluster-key-file", key] }
        arguments += print + extra
        let node = try NodeProcess(name, binary: binary, arguments: arguments, environment: environment, directory: directory)
        nodes.append(node)
        return node
    }

    func assertExit(_ node: NodeProcess, _ expected: Int32 = 0, timeout: Double = 30, file: StaticString = #filePath, line: UInt = #line) {
        let status = node.wait(timeout: timeout, file: file, line: line)
        XCTAssertEqual(status, expected, "\(node.name) exit status; log:\n\(node.standardError)", file: file, line: line)
    }

    func assertPrinted(_ node: NodeProcess, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        let key = String(expected.prefix { $0 != " " })
        XCTAssertEqual(node.printed(key), expected, "\(node.name); log:\n\(node.standardError)", file: file, line: line)
    }

    // MARK: - Tests

    /// Every CRDT converges on three nodes; two of the clusters also encrypt. The writes are
    /// staggered a second apart where the outcome depends on order (LWW winners, the sequence).
    func testEveryCRDTConvergesOnThreeNodes() throws {
        let key = try makeKey("cluster.key")
        struct Case {
            var example: String, print: String, extra: [String], environments: [[String: String]], expected: String
        }
        let cases = [
            Case(example: "counter", print: "--print-gcounter", extra: [],
                 environments: [["NX_INCREMENT": "1"], ["NX_INCREMENT": "2"], ["NX_INCREMENT": "3"]], expected: "counter:visits = 6"),
            Case(example: "inventory", print: "--print-pncounter", extra: [],
                 environments: [["NX_DELTA": "+10"], ["NX_DELTA": "-3"], ["NX_DELTA": "5"]], expected: "inventory:sku-1 = 12"),
            Case(example: "status", print: "--print-lww-register", extra: ["--encrypt"],
                 environments: [["NX_STATUS": "online"], ["NX_STATUS": "away"], ["NX_STATUS": "busy"]], expected: "status:user-1 = busy"),
            Case(example: "tags", print: "--print-orset", extra: [],
                 environments: [["NX_ADD": "red,blue"], ["NX_ADD": "green", "NX_REMOVE": "blue"], ["NX_ADD": "yellow"]],
                 expected: "tags:item-1 = [green, red, yellow]"),
            Case(example: "settings", print: "--print-lww-map", extra: [],
                 environments: [["NX_SET": "theme=dark,lang=en,region=eu"], ["NX_SET": "theme=light"], ["NX_SET": "lang=de", "NX_REMOVE": "region"]],
                 expected: "settings:service-a = {lang=de, theme=light}"),
            Case(example: "comments", print: "--print-rga", extra: ["--encrypt"],
                 environments: [["NX_COMMENT": "alice: draft ready"], ["NX_COMMENT": "bob: reviewed"], ["NX_COMMENT": "carol: approved"]],
                 expected: "comments:doc-1 = [alice: draft ready, bob: reviewed, carol: approved]"),
        ]
        let ports = freeUDPPorts(3 * cases.count)
        var started: [(NodeProcess, String)] = []
        for (number, test) in cases.enumerated() {
            let clusterPorts = Array(ports[(3 * number)..<(3 * number + 3)])
            // Counters write concurrently; the others one second apart, all printing at ~5 s.
            let staggered = !test.example.hasSuffix("counter") && test.example != "inventory"
            for index in 0..<3 {
                let wait = staggered ? index + 1 : 1
                let node = try start("\(test.example)\(index + 1)", test.example, ports: clusterPorts, index: index,
                                     wait: "\(wait)s", settle: "\(5 - wait)s", print: [test.print, String(test.expected.prefix { $0 != " " })],
                                     key: key, environment: test.environments[index], extra: test.extra)
                started.append((node, test.expected))
            }
        }
        for (node, expected) in started {
            assertExit(node)
            assertPrinted(node, expected)
            XCTAssertFalse(node.standardError.contains("cluster is OPEN"), "a keyed node does not warn")
        }
    }

    /// A node killed with SIGKILL keeps what it wrote; restarted (same datastore, same node
    /// id) it catches up on what was written while it was down. A node started late catches
    /// up on everything written before it joined.
    func testKilledNodeRestartsWithItsStateAndCatchesUp() throws {
        let key = try makeKey("cluster.key")
        let ports = freeUDPPorts(4)
        let counter = ["--print-gcounter", "counter:visits"]
        let a = try start("a", "counter", ports: ports, index: 0, wait: "500ms", settle: "11s", print: counter, key: key,
                          environment: ["NX_INCREMENT": "1"])
        let b = try start("b", "counter", ports: ports, index: 1, wait: "500ms", settle: "11s", print: counter, key: key,
                          environment: ["NX_INCREMENT": "2"])
        let c = try start("c", "counter", ports: ports, index: 2, wait: "500ms", settle: "60s", print: counter, key: key,
                          environment: ["NX_INCREMENT": "4"])
        try waitFor("c to run its module", timeout: 10) { c.standardError.contains("added 4 to counter:visits") }
        Thread.sleep(forTimeInterval: 1.5)
        c.kill(SIGKILL)
        XCTAssertEqual(c.wait(timeout: 5), SIGKILL, "terminated by the signal")
        XCTAssertNil(c.printed("counter:visits"), "killed before printing")

        // Written while c is down, by a node that joins late: it must also see a, b and c's writes.
        let late = try start("late", "counter", ports: ports, index: 3, wait: "1s", settle: "2s", print: counter, key: key,
                             environment: ["NX_INCREMENT": "8"])
        assertExit(late)
        assertPrinted(late, "counter:visits = 15")

        // c again: same datastore and address, only reading.
        let restarted = try start("c", "counter", ports: ports, index: 2, wait: "500ms", settle: "3s", print: counter, key: key,
                                  environment: ["NX_INCREMENT": "0"])
        assertExit(restarted)
        assertPrinted(restarted, "counter:visits = 15")
        XCTAssertNotNil(c.nodeID)
        XCTAssertEqual(restarted.nodeID, c.nodeID, "the node id is kept in the datastore")
        for node in [a, b] {
            assertExit(node)
            assertPrinted(node, "counter:visits = 15")
        }
    }

    /// Nodes without the cluster key, or with another key, can neither join nor inject: the
    /// keyed nodes drop their datagrams and count why.
    func testNodesWithoutTheKeyCannotJoinOrInject() throws {
        let key = try makeKey("cluster.key")
        let otherKey = try makeKey("other.key")
        let ports = freeUDPPorts(4)
        let counter = ["--print-gcounter", "counter:visits"]
        let members = try (0..<2).map { index in
            try start("member\(index)", "counter", ports: ports, index: index, wait: "1s", settle: "3s", print: counter, key: key,
                      environment: ["NX_INCREMENT": "\(index + 1)"])
        }
        let open = try start("open", "counter", ports: ports, index: 2, wait: "1s", settle: "3s", print: counter, key: nil,
                             environment: ["NX_INCREMENT": "100"])
        let foreign = try start("foreign", "counter", ports: ports, index: 3, wait: "1s", settle: "3s", print: counter, key: otherKey,
                                environment: ["NX_INCREMENT": "1000"])
        for node in members {
            assertExit(node)
            assertPrinted(node, "counter:visits = 3")
            XCTAssertGreaterThan(node.transportCounter("securityModeMismatch") ?? 0, 0, "datagrams of the keyless node: \(node.standardError)")
            XCTAssertGreaterThan(node.transportCounter("unauthenticated") ?? 0, 0, "datagrams under another key: \(node.standardError)")
        }
        assertExit(open)
        assertPrinted(open, "counter:visits = 100")
        XCTAssertTrue(open.standardError.contains("WARNING: the nx cluster is OPEN"), "a node without a key warns loudly")
        assertExit(foreign)
        assertPrinted(foreign, "counter:visits = 1000")
    }

    /// Garbage datagrams from a stranger (random bytes, our magic with nonsense after it,
    /// truncated and oversized datagrams) are dropped and counted; even an open cluster's
    /// state does not change and the nodes keep working.
    func testGarbageDatagramsChangeNothing() throws {
        let ports = freeUDPPorts(2)
        let counter = ["--print-gcounter", "counter:visits"]
        let cluster = try (0..<2).map { index in
            try start("node\(index)", "counter", ports: ports, index: index, wait: "1s", settle: "3s", print: counter, key: nil,
                      environment: ["NX_INCREMENT": "\(index + 1)"])
        }
        let sender = DatagramSender()
        defer { sender.close() }
        var generator = SystemRandomNumberGenerator()
        let magic: [UInt8] = [0x4E, 0x58, 0x6E, 0x74]
        let deadline = Date().addingTimeInterval(3)
        var sent = 0
        while Date() < deadline {
            let size = Int.random(in: 0...1400, using: &generator)
            let random = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            var datagrams = [random, magic + random, magic + [1] + random, Array((magic + [1] + random).prefix(Int.random(in: 0...12)))]
            if sent % 50 == 0 { datagrams.append(magic + [1] + [UInt8](repeating: 0xFF, count: 60_000)) }
            for datagram in datagrams {
                for port in ports { sender.send(datagram, to: port) }
                sent += 1
            }
            usleep(2_000)
        }
        XCTAssertGreaterThan(sent, 500)
        for node in cluster {
            assertExit(node)
            assertPrinted(node, "counter:visits = 3")
            XCTAssertGreaterThan(node.transportDrops, 400, "garbage is dropped and counted: \(node.standardError)")
        }
    }

    /// SIGTERM during the settle window ends it: the node prints, closes the datastore and
    /// exits 0; the data is there for the next run. SIGTERM before the guest ran exits 143.
    func testSignalEndsTheSettleWindowCleanly() throws {
        let ports = freeUDPPorts(1)
        let counter = ["--print-gcounter", "counter:visits"]
        let node = try start("solo", "counter", ports: ports, index: 0, wait: "0s", settle: "60s", print: counter, key: nil,
                             environment: ["NX_INCREMENT": "5"])
        try waitFor("the module to run", timeout: 10) { node.standardError.contains("added 5 to counter:visits") }
        node.kill(SIGTERM)
        assertExit(node, 0, timeout: 5)
        assertPrinted(node, "counter:visits = 5")
        XCTAssertTrue(node.standardError.contains("SIGTERM received"), node.standardError)

        let again = try start("solo", "counter", ports: ports, index: 0, wait: "60s", settle: "0s", print: counter, key: nil,
                              environment: ["NX_INCREMENT": "5"])
        try waitFor("the node to start", timeout: 10) { again.nodeID != nil }
        again.kill(SIGINT)
        assertExit(again, 128 + SIGINT, timeout: 5)
        XCTAssertFalse(again.standardError.contains("added 5"), "the module did not run")

        let reader = try start("solo", "counter", ports: ports, index: 0, wait: "0s", settle: "0s", print: counter, key: nil,
                               environment: ["NX_INCREMENT": "0"])
        assertExit(reader)
        assertPrinted(reader, "counter:visits = 5")
    }

    func waitFor(_ what: String, timeout: Double, _ condition: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !condition() {
            guard Date() < deadline else { throw TimedOut(what: what) }
            usleep(20_000)
        }
    }
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}
