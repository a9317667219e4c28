import NXEngine
import NXHost
import XCTest

final class DBFunctionTests: XCTestCase {
    func testSetGetExistsDeleteRoundTrip() throws {
        let host = try HostHarness()
        let key = try host.put("user:1")
        let value = try host.put("alice")
        XCTAssertEqual(try host.call("db_set", i32(key.0), i32(key.1), i32(value.0), i32(value.1)), 0)
        XCTAssertEqual(try host.store.get(Array("user:1".utf8)), Array("alice".utf8), "the value is in the store")
        let out = try host.buffer(16)
        XCTAssertEqual(try host.call("db_get", i32(key.0), i32(key.1), i32(out.0), i32(out.1)), 5)
        XCTAssertEqual(try host.read(out.0, 5), Array("alice".utf8))
        XCTAssertEqual(try host.call("db_exists", i32(key.0), i32(key.1)), 1)
        XCTAssertEqual(try host.call("db_delete", i32(key.0), i32(key.1)), 0)
        XCTAssertEqual(try host.call("db_exists", i32(key.0), i32(key.1)), 0)
        XCTAssertEqual(try host.call("db_get", i32(key.0), i32(key.1), i32(out.0), i32(out.1)), NXCode.notFound.rawValue)
        XCTAssertEqual(try host.call("db_delete", i32(key.0), i32(key.1)), 0, "deleting a missing key succeeds")
        XCTAssertNil(try host.store.get(Array("user:1".utf8)))
    }

    func testBufferTooSmallLeavesMemoryUntouched() throws {
        let host = try HostHarness()
        try host.store.put(Array("k".utf8), Array("0123456789".utf8))
        let key = try host.put("k")
        let out = try host.buffer(8)
        XCTAssertEqual(try host.call("db_get", i32(key.0), i32(key.1), i32(out.0), i32(9)), NXCode.bufferTooSmall.rawValue)
        XCTAssertEqual(try host.read(out.0, 8), [UInt8](repeating: 0xEE, count: 8))
        XCTAssertEqual(try host.call("db_get", i32(key.0), i32(key.1), i32(out.0), i32(10)), 10, "an exact fit works")
    }

    func testLimitsAndReservedNamespace() throws {
        let host = try HostHarness()
        let big = try host.put([UInt8](repeating: 0x61, count: 1025))
        let value = try host.put("v")
        XCTAssertEqual(try host.call("db_set", i32(big.0), i32(big.1), i32(value.0), i32(value.1)), NXCode.internal.rawValue)
        XCTAssertTrue(host.logLines.contains { $0.contains("key of 1025 bytes exceeds the limit of 1024 bytes") }, "\(host.logLines)")
        let okKey = try host.put([UInt8](repeating: 0x62, count: 1024))
        XCTAssertEqual(try host.call("db_set", i32(okKey.0), i32(okKey.1), i32(value.0), i32(value.1)), 0, "1024 bytes is allowed")
        let hugeValue = try host.put([UInt8](repeating: 0, count: (1 << 20) + 1))
        XCTAssertEqual(try host.call("db_set", i32(okKey.0), i32(okKey.1), i32(hugeValue.0), i32(hugeValue.1)), NXCode.internal.rawValue)
        XCTAssertEqual(try host.store.get([UInt8](repeating: 0x62, count: 1024)), Array("v".utf8), "a refused write changes nothing")

        let reserved = try host.put("__nx/node-id")
        let out = try host.buffer(32)
        XCTAssertEqual(try host.call("db_set", i32(reserved.0), i32(reserved.1), i32(value.0), i32(value.1)), NXCode.reservedKey.rawValue)
        XCTAssertEqual(try host.call("db_get", i32(reserved.0), i32(reserved.1), i32(out.0), i32(out.1)), NXCode.reservedKey.rawValue)
        XCTAssertEqual(try host.call("db_exists", i32(reserved.0), i32(reserved.1)), NXCode.reservedKey.rawValue)
        XCTAssertEqual(try host.call("db_delete", i32(reserved.0), i32(reserved.1)), NXCode.reservedKey.rawValue)
        let reservedPrefix = try host.put("__nx/")
        XCTAssertEqual(try host.call("db_scan", i32(reservedPrefix.0), i32(reservedPrefix.1), i64(0), i32(0), i32(out.0), i32(out.1)),
                       NXCode.reservedKey.rawValue)
    }

    func testReservedKeysAreInvisibleToScans() throws {
        let host = try HostHarness()
        try host.store.put(Array("__nx/secret".utf8), Array("x".utf8))
        try host.store.put(Array("a".utf8), Array("1".utf8))
        try host.store.put(Array("z".utf8), Array("2".utf8))
        let empty = try host.put([])
        let out = try host.buffer(256)
        let written = try host.call("db_scan", i32(empty.0), i32(0), i64(0), i32(0), i32(out.0), i32(out.1))
        XCTAssertGreaterThan(written, 0)
        let rows = decodeRows(try host.read(out.0, Int(written)), values: true)
        XCTAssertEqual(rows.map(\.0), ["a", "z"])
        XCTAssertEqual(rows.map(\.1), ["1", "2"])
    }

    func testScanEncodingAndBothCursorStyles() throws {
        let host = try HostHarness()
        for index in 0..<10 { try host.store.put(Array("user:\(index)".utf8), Array("v\(index)".utf8)) }
        try host.store.put(Array("other".utf8), Array("no".utf8))
        let prefix = try host.put("user:")
        let out = try host.buffer(1024)
        // Offset cursor: skip 3 rows, take 4.
        var written = try host.call("db_scan", i32(prefix.0), i32(prefix.1), i64(3), i32(4), i32(out.0), i32(out.1))
        XCTAssertEqual(decodeRows(try host.read(out.0, Int(written)), values: true).map(\.0), ["user:3", "user:4", "user:5", "user:6"])
        XCTAssertEqual(written, 4 + 4 * (8 + 6 + 2), "u32 count, then u32 key_len, u32 value_len, key, value per row")
        // Key cursor: rows strictly after user:6.
        let after = try host.put("user:6")
        written = try host.call("db_scan_after", i32(prefix.0), i32(prefix.1), i32(after.0), i32(after.1), i32(0), i32(out.0), i32(out.1))
        XCTAssertEqual(decodeRows(try host.read(out.0, Int(written)), values: true).map(\.0), ["user:7", "user:8", "user:9"])
        // Keys only.
        written = try host.call("db_keys", i32(prefix.0), i32(prefix.1), i64(8), i32(0), i32(out.0), i32(out.1))
        XCTAssertEqual(decodeRows(try host.read(out.0, Int(written)), values: false).map(\.0), ["user:8", "user:9"])
        written = try host.call("db_keys_after", i32(prefix.0), i32(prefix.1), i32(after.0), i32(after.1), i32(1), i32(out.0), i32(out.1))
        XCTAssertEqual(decodeRows(try host.read(out.0, Int(written)), values: false).map(\.0), ["user:7"])
        // Past the end: an empty page.
        written = try host.call("db_scan", i32(prefix.0), i32(prefix.1), i64(10), i32(0), i32(out.0), i32(out.1))
        XCTAssertEqual(written, 4)
        XCTAssertEqual(try host.read(out.0, 4), [0, 0, 0, 0])
        // A start_after outside the prefix is refused.
        let outside = try host.put("other")
        XCTAssertEqual(try host.call("db_scan_after", i32(prefix.0), i32(prefix.1), i32(outside.0), i32(outside.1), i32(0), i32(out.0), i32(out.1)),
                       NXCode.internal.rawValue)
    }

    func testPagesStopAtTheBufferAndPaginateToTheEnd() throws {
        let host = try HostHarness()
        for index in 0..<50 { try host.store.put(Array("k\(String(format: "%02d", index))".utf8), [UInt8](repeating: 0x41, count: 100)) }
        let prefix = try host.put("k")
        let out = try host.buffer(400)
        var seen: [String] = []
        var cursor: (UInt32, UInt32) = (0, 0)
        while true {
            let written = try host.call("db_scan_after", i32(prefix.0), i32(prefix.1), i32(cursor.0), i32(cursor.1), i32(0), i32(out.0), i32(out.1))
            XCTAssertGreaterThan(written, 0)
            let rows = decodeRows(try host.read(out.0, Int(written)), values: true)
            if rows.isEmpty { break }
            XCTAssertLessThanOrEqual(rows.count, 3, "a 400-byte page holds three 111-byte rows")
            seen += rows.map(\.0)
            cursor = try host.put(rows.last!.0)
        }
        XCTAssertEqual(seen, (0..<50).map { "k\(String(format: "%02d", $0))" })
        let tiny = try host.buffer(50)
        XCTAssertEqual(try host.call("db_scan", i32(prefix.0), i32(prefix.1), i64(0), i32(0), i32(tiny.0), i32(tiny.1)),
                       NXCode.bufferTooSmall.rawValue, "not even one row fits")
        XCTAssertEqual(try host.read(tiny.0, 50), [UInt8](repeating: 0xEE, count: 50))
    }

    func testOutOfBoundsPointersTrapAndChangeNothing() throws {
        let host = try HostHarness()
        let value = try host.put("v")
        let memoryEnd = UInt32(host.memory.byteCount)
        do {
            try host.call("db_set", i32(memoryEnd - 2), i32(8), i32(value.0), i32(value.1))
            XCTFail("no trap")
        } catch let trap as Trap {
            XCTAssertEqual(trap.kind, .memoryOutOfBounds)
            XCTAssertTrue("\(trap)".contains("nx.db_set"), "\(trap)")
        }
        XCTAssertEqual(host.store.statistics().liveKeys, 0)
        let key = try host.put("k")
        XCTAssertThrowsError(try host.call("db_get", i32(key.0), i32(key.1), i32(memoryEnd - 4), i32(100)))
    }
}
