import Foundation
import NXEngine
import NXHost
import NXStore
import XCTest

/// Runs host functions through `Fixtures/host/hostcalls.wasm`, a real module that re-exports
/// every `nx` import, with a fresh datastore and a logger that records its lines.
final class HostHarness {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    let directory: URL
    let store: Store
    var lines: [String] = []
    let context: HostContext
    let instance: Instance
    let memory: Memory
    private var next: UInt32 = 1024

    init(environment: [String: String] = [:], replication: ReplicatedState? = nil) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("nx-host-\(UUID().uuidString)")
        store = try Store.open(path: directory.path)
        var captured: [String] = []
        let logger = GuestLogger(level: .debug, format: .text) { captured.append($0) }
        context = HostContext(store: store, moduleID: "hostcalls", logger: logger, environment: environment, replication: replication)
        let bytes = try [UInt8](Data(contentsOf: HostHarness.fixtures.appendingPathComponent("host/hostcalls.wasm")))
        instance = try Runtime().instantiate(try Runtime.load(bytes), imports: NXHostTable.imports(for: context))
        memory = instance.memory!
        linesProvider = { captured }
    }

    private var linesProvider: () -> [String] = { [] }
    var logLines: [String] { linesProvider() }

    deinit {
        try? store.close()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Copies `bytes` into guest memory and returns (pointer, length).
    func put(_ bytes: [UInt8]) throws -> (UInt32, UInt32) {
        let pointer = next
        try memory.write(bytes, at: UInt64(pointer))
        next += UInt32(bytes.count + 15) & ~15
        return (pointer, UInt32(bytes.count))
    }

    func put(_ text: String) throws -> (UInt32, UInt32) { try put(Array(text.utf8)) }

    /// Reserves `count` bytes filled with a marker byte, to detect writes.
    func buffer(_ count: Int, fill: UInt8 = 0xEE) throws -> (UInt32, UInt32) {
        try put([UInt8](repeating: fill, count: count))
    }

    func read(_ pointer: UInt32, _ count: Int) throws -> [UInt8] {
        try memory.read(at: UInt64(pointer), count: UInt64(count))
    }

    /// Calls host function `name` with i32/i64 arguments; returns its i32 result.
    @discardableResult
    func call(_ name: String, _ arguments: Value...) throws -> Int32 {
        let results = try instance.function(name)!.call(arguments)
        guard case .i32(let value)? = results.first else { return 0 }
        return Int32(bitPattern: value)
    }

    func call64(_ name: String) throws -> UInt64 {
        guard case .i64(let value)? = try instance.function(name)!.call().first else { return 0 }
        return value
    }
}

func i32(_ value: UInt32) -> Value { .i32(value) }
func i32(_ value: Int) -> Value { .i32(UInt32(truncatingIfNeeded: value)) }
func i64(_ value: UInt64) -> Value { .i64(value) }

/// Decodes `u32 count; {u32 klen, u32 vlen, key, value}*` (or keys only).
func decodeRows(_ bytes: [UInt8], values: Bool) -> [(String, String)] {
    func u32(_ offset: Int) -> Int { bytes[offset..<offset + 4].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) } }
    var rows: [(String, String)] = []
    var offset = 4
    for _ in 0..<u32(0) {
        let keyLength = u32(offset)
        let valueLength = values ? u32(offset + 4) : 0
        offset += values ? 8 : 4
        let key = String(decoding: bytes[offset..<offset + keyLength], as: UTF8.self)
        offset += keyLength
        let value = String(decoding: bytes[offset..<offset + valueLength], as: UTF8.self)
        offset += valueLength
        rows.append((key, value))
    }
    return rows
}

/// Decodes `u32 count; {u32 len, first, u32 len, second}*` (lww_map and rga entries), checking
/// that the bytes hold exactly `count` pairs.
func decodePairs(_ bytes: [UInt8]) -> [([UInt8], [UInt8])]? {
    var offset = 0
    func u32() -> Int? {
        guard bytes.count - offset >= 4 else { return nil }
        defer { offset += 4 }
        return bytes[offset..<offset + 4].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
    }
    func take() -> [UInt8]? {
        guard let length = u32(), bytes.count - offset >= length else { return nil }
        defer { offset += length }
        return Array(bytes[offset..<offset + length])
    }
    guard let count = u32() else { return nil }
    var pairs: [([UInt8], [UInt8])] = []
    for _ in 0..<count {
        guard let first = take(), let second = take() else { return nil }
        pairs.append((first, second))
    }
    return offset == bytes.count ? pairs : nil
}

/// Decodes `u32 count; {u32 len, bytes}*` (orset elements, rga values).
func decodeItems(_ bytes: [UInt8]) -> [[UInt8]] {
    func u32(_ offset: Int) -> Int { bytes[offset..<offset + 4].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) } }
    var items: [[UInt8]] = []
    var offset = 4
    for _ in 0..<u32(0) {
        let length = u32(offset)
        items.append(Array(bytes[offset + 4..<offset + 4 + length]))
        offset += 4 + length
    }
    return items
}
