import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// One `nxrun` process of a test cluster, its output in files (a pipe could fill up and stall
/// the node) and helpers to wait for, kill and read it.
final class NodeProcess {
    let name: String
    let process = Process()
    let stdoutURL: URL
    let stderrURL: URL

    /// Starts `nxrun` with `arguments`, the environment variables `environment` only (plus PATH).
    init(_ name: String, binary: URL, arguments: [String], environment: [String: String], directory: URL) throws {
        self.name = name
        stdoutURL = directory.appendingPathComponent("\(name).out")
        stderrURL = directory.appendingPathComponent("\(name).err")
        FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process.executableURL = binary
        process.arguments = arguments
        process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { first, _ in first }
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        process.currentDirectoryURL = directory
        try process.run()
    }

    /// Waits for the process to exit, at most `timeout` seconds (then kills it and fails).
    @discardableResult
    func wait(timeout: Double, file: StaticString = #filePath, line: UInt = #line) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            XCTFail("\(name) still running after \(timeout) s; log:\n\(standardError)", file: file, line: line)
            kill(SIGKILL)
            process.waitUntilExit()
            return -1
        }
        return process.terminationStatus
    }

    func kill(_ signal: Int32) { Glibc.kill(process.processIdentifier, signal) }

    var standardOutput: String { (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "" }
    var standardError: String { (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "" }

    /// The last `KEY = ...` line nxrun printed for `--print-* KEY`.
    func printed(_ key: String) -> String? {
        standardOutput.split(separator: "\n").last { $0.hasPrefix("\(key) = ") }.map(String.init)
    }

    /// The node id nxrun logged at start ("node <hex> listening on ...").
    var nodeID: String? {
        guard let range = standardError.range(of: #"node [0-9a-f]{32} listening"#, options: .regularExpression) else { return nil }
        return String(standardError[range].dropFirst(5).prefix(32))
    }

    /// A counter from the transport summary logged at shutdown with --log-level debug, e.g.
    /// `unauthenticated` or `accepted`.
    func transportCounter(_ name: String) -> UInt64? {
        guard let range = standardError.range(of: "[ \\[]\(name)[ =][0-9]+", options: .regularExpression) else { return nil }
        return UInt64(standardError[range].drop { !$0.isNumber })
    }
}

extension NodeProcess {
    /// All datagrams the transport dropped (the sum of the `drops [...]` of its summary).
    var transportDrops: UInt64 {
        guard let start = standardError.range(of: "drops ["), let end = standardError[start.upperBound...].firstIndex(of: "]") else { return 0 }
        return standardError[start.upperBound..<end].split(separator: " ").compactMap { $0.split(separator: "=").last.flatMap { UInt64($0) } }.reduce(0, +)
    }
}

/// Loopback UDP ports that were free a moment ago: each is bound to port 0 by the kernel and
/// released, all at once so that the kernel hands out distinct ones.
func freeUDPPorts(_ count: Int) -> [Int] {
    var sockets: [Int32] = []
    var ports: [Int] = []
    for _ in 0..<count {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                _ = bind(fd, generic, length)
                _ = getsockname(fd, generic, &length)
            }
        }
        sockets.append(fd)
        ports.append(Int(UInt16(bigEndian: address.sin_port)))
    }
    for fd in sockets { close(fd) }
    return ports
}

/// Sends raw datagrams to a loopback port, as a stranger would.
struct DatagramSender {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)

    func send(_ bytes: [UInt8], to port: Int) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, 0, generic, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
    }

    func close() { Glibc.close(fd) }
}
