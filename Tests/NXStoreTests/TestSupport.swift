import Foundation
import Glibc
import XCTest
@testable import NXStore

/// A fresh directory under the system temp dir; removed by `removeTree`.
func makeTempDir(_ name: String) -> String {
    let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
    var template = Array("\(base)/nxstore-\(name)-XXXXXX".utf8CString)
    let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    precondition(p != nil, "mkdtemp failed")
    return String(cString: p!)
}

func removeTree(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

func b(_ s: String) -> [UInt8] { Array(s.utf8) }

/// splitmix64, as in the benchmark workloads.
struct TestRng {
    var s: UInt64
    init(_ seed: UInt64) { s = seed }
    mutating func next() -> UInt64 {
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func bytes(_ n: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        var x: UInt64 = 0
        for i in 0..<n {
            if i % 8 == 0 { x = next() }
            out[i] = UInt8(truncatingIfNeeded: x >> ((i % 8) * 8))
        }
        return out
    }
}

/// Segment files of a store directory, in log order.
func segmentFiles(_ dir: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).filter { $0.hasSuffix(".seg") }.sorted()
}

func readFile(_ path: String) -> [UInt8] { [UInt8](FileManager.default.contents(atPath: path) ?? Data()) }

func writeFile(_ path: String, _ bytes: [UInt8]) {
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
}

/// Offsets of the records of a segment file (parsed with the store's own format code).
func recordOffsets(_ bytes: [UInt8]) -> [Int] {
    var out: [Int] = []
    bytes.withUnsafeBytes { buf in
        var off = SegmentHeader.size
        while off < buf.count {
            guard case let .record(r) = RecordFormat.parse(buf.baseAddress!, at: off, end: buf.count, verify: true,
                                                           crc: CRC32C.shared) else { break }
            out.append(off)
            off += r.size
        }
    }
    return out
}

/// Every pair of the store, in key order.
func allPairs(_ s: Store) throws -> [(key: [UInt8], value: [UInt8])] {
    try s.scan(prefix: [], limit: Int.max)
}

/// Directory holding the build products (the test bundle and the executables).
func productsDirectory(containing name: String) -> String? {
    var candidates: [String] = []
    if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
        candidates.append((exe as NSString).deletingLastPathComponent)
    }
    candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().path)
    candidates.append(Bundle.main.bundleURL.path)
    candidates.append((CommandLine.arguments[0] as NSString).deletingLastPathComponent)
    for c in candidates where FileManager.default.isExecutableFile(atPath: c + "/" + name) { return c }
    return nil
}
