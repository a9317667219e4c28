import NXCrypto
import NXEngine
import NXHost
import XCTest

final class TimeCryptoSystemTests: XCTestCase {
    func testClocks() throws {
        let host = try HostHarness()
        let before = UInt64(Date().timeIntervalSince1970 * 1000)
        let now = try host.call64("time_now")
        let after = UInt64(Date().timeIntervalSince1970 * 1000)
        XCTAssertTrue((before...after).contains(now), "\(before) <= \(now) <= \(after)")
        let first = try host.call64("time_monotonic")
        usleep(20_000)
        let second = try host.call64("time_monotonic")
        XCTAssertGreaterThanOrEqual(second - first, 15)
    }

    func testRandomBytes() throws {
        let host = try HostHarness()
        let a = try host.buffer(64, fill: 0)
        let b = try host.buffer(64, fill: 0)
        XCTAssertEqual(try host.call("random_bytes", i32(a.0), i32(a.1)), 64)
        XCTAssertEqual(try host.call("random_bytes", i32(b.0), i32(b.1)), 64)
        XCTAssertNotEqual(try host.read(a.0, 64), try host.read(b.0, 64))
        XCTAssertNotEqual(try host.read(a.0, 64), [UInt8](repeating: 0, count: 64))
        XCTAssertEqual(try host.call("random_bytes", i32(a.0), i32((1 << 20) + 1)), NXCode.internal.rawValue)
    }

    func testHashesMatchTheCryptoModuleAndKnownVectors() throws {
        let host = try HostHarness()
        let input = try host.put("abc")
        let out = try host.buffer(32)
        XCTAssertEqual(try host.call("hash_sha256", i32(input.0), i32(input.1), i32(out.0), i32(out.1)), 32)
        XCTAssertEqual(try host.read(out.0, 32).map { String(format: "%02x", $0) }.joined(),
                       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(try host.call("hash_blake3", i32(input.0), i32(input.1), i32(out.0), i32(out.1)), 32)
        XCTAssertEqual(try host.read(out.0, 32), BLAKE3.hash(Array("abc".utf8)))
        let small = try host.buffer(31)
        XCTAssertEqual(try host.call("hash_sha256", i32(input.0), i32(input.1), i32(small.0), i32(small.1)), NXCode.bufferTooSmall.rawValue)
        XCTAssertEqual(try host.read(small.0, 31), [UInt8](repeating: 0xEE, count: 31))
    }

    func testEnvironmentPolicy() throws {
        let host = try HostHarness(environment: ["NX_MODE": "prod", "NUMAX_X1": "y", "HOME": "/root", "NX_lower": "no"])
        let out = try host.buffer(32)
        func get(_ name: String) throws -> Int32 {
            let key = try host.put(name)
            return try host.call("env_get", i32(key.0), i32(key.1), i32(out.0), i32(out.1))
        }
        XCTAssertEqual(try get("NX_MODE"), 4)
        XCTAssertEqual(try host.read(out.0, 4), Array("prod".utf8))
        XCTAssertEqual(try get("NUMAX_X1"), 1)
        XCTAssertEqual(try get("HOME"), NXCode.notFound.rawValue, "only NX_/NUMAX_ names are visible")
        XCTAssertEqual(try get("NX_lower"), NXCode.notFound.rawValue, "only uppercase names are visible")
        XCTAssertEqual(try get("NX_UNSET"), NXCode.notFound.rawValue)
    }

    func testModuleIdentityAndCapabilities() throws {
        let host = try HostHarness()
        let out = try host.buffer(64)
        let length = try host.call("module_id", i32(out.0), i32(out.1))
        XCTAssertEqual(String(decoding: try host.read(out.0, Int(length)), as: UTF8.self), "hostcalls")
        let capabilities = try host.call("host_capabilities", i32(out.0), i32(out.1))
        XCTAssertEqual(String(decoding: try host.read(out.0, Int(capabilities)), as: UTF8.self), "db\ntime\ncrypto\nsystem\nlog")
    }

    func testEventsAreValidatedAndLogged() throws {
        let host = try HostHarness()
        let name = try host.put("order.created:v1")
        let payload = try host.put("{\"id\":7}")
        XCTAssertEqual(try host.call("event_emit", i32(name.0), i32(name.1), i32(payload.0), i32(payload.1)), 0)
        XCTAssertTrue(host.logLines.contains { $0.contains("event=order.created:v1") && $0.contains("payload={\"id\":7}") }, "\(host.logLines)")
        for bad in ["", "has space", "ümlaut", "slash/"] {
            let badName = try host.put(bad)
            XCTAssertEqual(try host.call("event_emit", i32(badName.0), i32(badName.1), i32(payload.0), i32(payload.1)),
                           NXCode.internal.rawValue, "event name \"\(bad)\"")
        }
    }

    func testAbortTrapsWithTheGuestMessage() throws {
        let host = try HostHarness()
        let message = try host.put("invariant violated")
        do {
            try host.call("abort", i32(message.0), i32(message.1))
            XCTFail("abort returned")
        } catch let trap as Trap {
            XCTAssertEqual(trap.kind, .host("guest aborted: invariant violated"))
        }
    }

    func testLogging() throws {
        let host = try HostHarness()
        let message = try host.put("Hello from WASM!")
        XCTAssertEqual(try host.call("host_log_v2", i32(message.0), i32(message.1)), 0)
        XCTAssertTrue(host.logLines.contains { $0.hasSuffix("INFO [hostcalls] Hello from WASM!") }, "\(host.logLines)")
        XCTAssertEqual(try host.call("host_log_v2", i32(UInt32(host.memory.byteCount) - 2), i32(10)), NXCode.internal.rawValue,
                       "an unreadable message is an error code, not a trap (contract)")
        let long = try host.put([UInt8](repeating: 0x78, count: 9000))
        XCTAssertEqual(try host.call("host_log_v2", i32(long.0), i32(long.1)), 0)
        XCTAssertTrue(host.logLines.contains { $0.contains("[truncated: 9000 bytes, limit 8192]") })
    }

    func testCRDTAndNetFunctionsNeedSync() throws {
        let host = try HostHarness()
        let key = try host.put("k")
        let out = try host.buffer(16)
        let code = NXCode.syncDisabled.rawValue
        XCTAssertEqual(try host.call("crdt_gcounter_inc", i32(key.0), i32(key.1), i64(1)), code)
        XCTAssertEqual(try host.call("crdt_gcounter_value", i32(key.0), i32(key.1), i32(out.0), i32(out.1)), code)
        XCTAssertEqual(try host.call("crdt_pncounter_dec", i32(key.0), i32(key.1), i64(1)), code)
        XCTAssertEqual(try host.call("crdt_lww_set", i32(key.0), i32(key.1), i32(key.0), i32(key.1)), code)
        XCTAssertEqual(try host.call("crdt_lww_map_entries", i32(key.0), i32(key.1), i32(out.0), i32(out.1)), code)
        XCTAssertEqual(try host.call("crdt_orset_add", i32(key.0), i32(key.1), i32(key.0), i32(key.1)), code)
        XCTAssertEqual(try host.call("crdt_rga_values", i32(key.0), i32(key.1), i32(out.0), i32(out.1)), code)
        XCTAssertEqual(try host.call("crdt_rga_entries", i32(key.0), i32(key.1), i32(out.0), i32(out.1)), code)
        XCTAssertEqual(try host.read(out.0, 16), [UInt8](repeating: 0xEE, count: 16), "nothing is written without sync")
        XCTAssertEqual(try host.call("net_node_id", i32(out.0), i32(out.1)), code)
        XCTAssertEqual(try host.call("net_peers", i32(out.0), i32(out.1)), code)
    }

    func testEveryContractFunctionIsInTheTable() {
        let names = ["db_get", "db_set", "db_delete", "db_exists", "db_scan", "db_scan_after", "db_keys", "db_keys_after",
                     "crdt_gcounter_inc", "crdt_gcounter_value", "crdt_pncounter_inc", "crdt_pncounter_dec", "crdt_pncounter_value",
                     "crdt_lww_set", "crdt_lww_get", "crdt_lww_map_set", "crdt_lww_map_remove", "crdt_lww_map_get",
                     "crdt_lww_map_contains", "crdt_lww_map_entries", "crdt_orset_add", "crdt_orset_remove", "crdt_orset_contains",
                     "crdt_orset_elements", "crdt_rga_insert", "crdt_rga_delete", "crdt_rga_values", "time_now", "time_monotonic",
                     "random_bytes", "hash_sha256", "hash_blake3", "env_get", "module_id", "abort", "host_capabilities",
                     "event_emit", "net_node_id", "net_peers", "host_log_v2"]
        let extensions = ["crdt_rga_entries"]
        XCTAssertEqual(Set(NXHostTable.entries.map(\.name)), Set(names + extensions))
        XCTAssertEqual(NXHostTable.entries.map(\.id), HostFunctionID.allCases, "table rows follow the stable numbering")
        // Extensions are appended: the contract's functions keep the ids they had before.
        XCTAssertEqual(HostFunctionID.hostLogV2.rawValue, names.count - 1)
        XCTAssertEqual(HostFunctionID.crdtRGAEntries.rawValue, names.count)
        XCTAssertEqual(NXHostTable.entry(named: "crdt_rga_entries")?.family, .crdt)
    }
}
