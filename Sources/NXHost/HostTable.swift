import NXEngine
import NXWasm

/// The `nx` import table: every host function of the contract in one declarative list —
/// canonical name, WebAssembly signature, implementation — plus nx's extensions beyond the
/// contract (`crdt_rga_entries`). The implementations live in one file per family
/// (`DBFunctions.swift`, `CRDTFunctions.swift`, ...).
///
/// Numbering is stable: `HostFunctionID` cases are only ever appended, so ids recorded
/// anywhere (logs, metrics) keep their meaning across versions.
public enum HostFunctionID: Int, CaseIterable, Sendable {
    case dbGet, dbSet, dbDelete, dbExists, dbScan, dbScanAfter, dbKeys, dbKeysAfter
    case crdtGCounterInc, crdtGCounterValue, crdtPNCounterInc, crdtPNCounterDec, crdtPNCounterValue
    case crdtLWWSet, crdtLWWGet
    case crdtLWWMapSet, crdtLWWMapRemove, crdtLWWMapGet, crdtLWWMapContains, crdtLWWMapEntries
    case crdtORSetAdd, crdtORSetRemove, crdtORSetContains, crdtORSetElements
    case crdtRGAInsert, crdtRGADelete, crdtRGAValues
    case timeNow, timeMonotonic
    case randomBytes, hashSHA256, hashBLAKE3
    case envGet, moduleID, hostCapabilities, eventEmit, abort
    case netNodeID, netPeers
    case hostLogV2
    // nx extensions beyond the contract (host-api.txt), appended so the ids above keep their numbers.
    case crdtRGAEntries
}

/// The function families (one implementation file each).
public enum HostFamily: String, Sendable {
    case db, crdt, time, crypto, system, net, log
}

/// One row of the table.
public struct HostFunctionEntry: Sendable {
    public let id: HostFunctionID
    /// The import name in module `nx`.
    public let name: String
    public let family: HostFamily
    public let type: FunctionType
    let implementation: @Sendable (HostContext, HostCall) throws -> Void
}

public enum NXHostTable {
    /// The import module name.
    public static let module = "nx"

    private static func entry(_ id: HostFunctionID, _ name: String, _ family: HostFamily, _ parameters: [ValueType],
                              _ results: [ValueType], _ implementation: @escaping @Sendable (HostContext, HostCall) throws -> Void) -> HostFunctionEntry {
        HostFunctionEntry(id: id, name: name, family: family, type: FunctionType(parameters: parameters, results: results),
                          implementation: implementation)
    }

    private static func i32s(_ count: Int) -> [ValueType] { Array(repeating: .i32, count: count) }

    /// The table, in `HostFunctionID` order.
    public static let entries: [HostFunctionEntry] = [
        entry(.dbGet, "db_get", .db, i32s(4), [.i32], DBFunctions.get),
        entry(.dbSet, "db_set", .db, i32s(4), [.i32], DBFunctions.set),
        entry(.dbDelete, "db_delete", .db, i32s(2), [.i32], DBFunctions.delete),
        entry(.dbExists, "db_exists", .db, i32s(2), [.i32], DBFunctions.exists),
        entry(.dbScan, "db_scan", .db, [.i32, .i32, .i64, .i32, .i32, .i32], [.i32], DBFunctions.scan),
        entry(.dbScanAfter, "db_scan_after", .db, i32s(7), [.i32], DBFunctions.scanAfter),
        entry(.dbKeys, "db_keys", .db, [.i32, .i32, .i64, .i32, .i32, .i32], [.i32], DBFunctions.keys),
        entry(.dbKeysAfter, "db_keys_after", .db, i32s(7), [.i32], DBFunctions.keysAfter),
        entry(.crdtGCounterInc, "crdt_gcounter_inc", .crdt, [.i32, .i32, .i64], [.i32], CRDTFunctions.gcounterInc),
        entry(.crdtGCounterValue, "crdt_gcounter_value", .crdt, i32s(4), [.i32], CRDTFunctions.gcounterValue),
        entry(.crdtPNCounterInc, "crdt_pncounter_inc", .crdt, [.i32, .i32, .i64], [.i32], CRDTFunctions.pncounterInc),
        entry(.crdtPNCounterDec, "crdt_pncounter_dec", .crdt, [.i32, .i32, .i64], [.i32], CRDTFunctions.pncounterDec),
        entry(.crdtPNCounterValue, "crdt_pncounter_value", .crdt, i32s(4), [.i32], CRDTFunctions.pncounterValue),
        entry(.crdtLWWSet, "crdt_lww_set", .crdt, i32s(4), [.i32], CRDTFunctions.lwwSet),
        entry(.crdtLWWGet, "crdt_lww_get", .crdt, i32s(4), [.i32], CRDTFunctions.lwwGet),
        entry(.crdtLWWMapSet, "crdt_lww_map_set", .crdt, i32s(6), [.i32], CRDTFunctions.lwwMapSet),
        entry(.crdtLWWMapRemove, "crdt_lww_map_remove", .crdt, i32s(4), [.i32], CRDTFunctions.lwwMapRemove),
        entry(.crdtLWWMapGet, "crdt_lww_map_get", .crdt, i32s(6), [.i32], CRDTFunctions.lwwMapGet),
        entry(.crdtLWWMapContains, "crdt_lww_map_contains", .crdt, i32s(4), [.i32], CRDTFunctions.lwwMapContains),
        entry(.crdtLWWMapEntries, "crdt_lww_map_entries", .crdt, i32s(4), [.i32], CRDTFunctions.lwwMapEntries),
        entry(.crdtORSetAdd, "crdt_orset_add", .crdt, i32s(4), [.i32], CRDTFunctions.orsetAdd),
        entry(.crdtORSetRemove, "crdt_orset_remove", .crdt, i32s(4), [.i32], CRDTFunctions.orsetRemove),
        entry(.crdtORSetContains, "crdt_orset_contains", .crdt, i32s(4), [.i32], CRDTFunctions.orsetContains),
        entry(.crdtORSetElements, "crdt_orset_elements", .crdt, i32s(4), [.i32], CRDTFunctions.orsetElements),
        entry(.crdtRGAInsert, "crdt_rga_insert", .crdt, i32s(8), [.i32], CRDTFunctions.rgaInsert),
        entry(.crdtRGADelete, "crdt_rga_delete", .crdt, i32s(4), [.i32], CRDTFunctions.rgaDelete),
        entry(.crdtRGAValues, "crdt_rga_values", .crdt, i32s(4), [.i32], CRDTFunctions.rgaValues),
        entry(.timeNow, "time_now", .time, [], [.i64], TimeFunctions.now),
        entry(.timeMonotonic, "time_monotonic", .time, [], [.i64], TimeFunctions.monotonic),
        entry(.randomBytes, "random_bytes", .crypto, i32s(2), [.i32], CryptoFunctions.randomBytes),
        entry(.hashSHA256, "hash_sha256", .crypto, i32s(4), [.i32], CryptoFunctions.sha256),
        entry(.hashBLAKE3, "hash_blake3", .crypto, i32s(4), [.i32], CryptoFunctions.blake3),
        entry(.envGet, "env_get", .system, i32s(4), [.i32], SystemFunctions.envGet),
        entry(.moduleID, "module_id", .system, i32s(2), [.i32], SystemFunctions.moduleID),
        entry(.hostCapabilities, "host_capabilities", .system, i32s(2), [.i32], SystemFunctions.hostCapabilities),
        entry(.eventEmit, "event_emit", .system, i32s(4), [.i32], SystemFunctions.eventEmit),
        entry(.abort, "abort", .system, i32s(2), [], SystemFunctions.abort),
        entry(.netNodeID, "net_node_id", .net, i32s(2), [.i32], NetFunctions.nodeID),
        entry(.netPeers, "net_peers", .net, i32s(2), [.i32], NetFunctions.peers),
        entry(.hostLogV2, "host_log_v2", .log, i32s(2), [.i32], LogFunctions.log),
        // nx extensions (not in the contract); rows stay in id order, so they come last.
        entry(.crdtRGAEntries, "crdt_rga_entries", .crdt, i32s(4), [.i32], CRDTFunctions.rgaEntries),
    ]

    /// The entry for an import name, if the table has it.
    public static func entry(named name: String) -> HostFunctionEntry? {
        entries.first { $0.name == name }
    }

    /// Imports binding every `nx` function to `context`.
    public static func imports(for context: HostContext) -> Imports {
        var imports = Imports()
        for entry in entries {
            let implementation = entry.implementation
            imports.define(module: module, name: entry.name,
                           HostFunction(name: "\(module).\(entry.name)", type: entry.type) { call in
                               try implementation(context, call)
                           })
        }
        return imports
    }
}
