import NXEngine
import NXSync

/// The CRDT family: replicated state. Every function returns ERR_SYNC_DISABLED when the
/// runtime runs without sync. Keys are at most 1 KiB, values 1 MiB.
enum CRDTFunctions {
    /// The replicated state and guest memory, or nil after setting ERR_SYNC_DISABLED.
    static func begin(_ context: HostContext, _ call: HostCall, _ function: String) throws -> (ReplicatedState, GuestMemory)? {
        guard let state = context.replication else {
            call.setResult(NXCode.syncDisabled.rawValue)
            return nil
        }
        return (state, try GuestMemory(call, function))
    }

    /// Reads argument pair (`index`, `index + 1`) as a key; nil after setting an error code.
    static func key(_ memory: GuestMemory, _ call: HostCall, _ index: Int, _ context: HostContext, what: String = "key",
                    limit: Int = NXLimits.maxKeyBytes) throws -> [UInt8]? {
        let bytes = try memory.array(call.i32(index), call.i32(index + 1))
        if let code = HostChecks.length(bytes, limit: limit, what: what, context, memory.function) {
            call.setResult(code)
            return nil
        }
        return bytes
    }

    /// Runs a replication operation; unknown ids map to ERR_NOT_FOUND, failures to ERR_INTERNAL.
    static func run(_ context: HostContext, _ call: HostCall, _ function: String, _ body: () throws -> Int32) throws {
        do {
            call.setResult(try body())
        } catch let trap as Trap {
            throw trap
        } catch ReplicationLookupError.notFound {
            call.setResult(NXCode.notFound.rawValue)
        } catch {
            context.logger.log(.error, module: context.moduleID, "\(function): \(error) (ERR_INTERNAL)")
            call.setResult(NXCode.internal.rawValue)
        }
    }

    // MARK: Counters

    static func gcounterInc(_ context: HostContext, _ call: HostCall) throws {
        guard let (state, memory) = try begin(context, call, "nx.crdt_gcounter_inc"),
              let key = try key(memory, call, 0, context) else { return }
        let delta = call.i64(2)
        try run(context, call, memory.function) {
            try state.gcounterIncrement(key, by: delta)
            return NXCode.ok.rawValue
        }
    }

    static func gcounterValue(_ context: HostContext, _ call: HostCall) throws {
        guard let (state, memory) = try begin(context, call, "nx.crdt_gcounter_value"),
              let key = try key(memory, call, 0, context) else { return }
        let out = (call.i32(2), call.i32(3))
        try run(context, call, memory.function) {
            let value = try state.gcounterValue(key)
            return try memory.write(out.0, out.1, withUnsafeBytes(of: value.littleEndian) { Array($0) })
        }
    }

    static func pncounterInc(_ context: HostContext, _ call: HostCall) throws {
        try pncounterAdd(context, call, "nx.crdt_pncounter_inc", negate: false)
    }

    static func pncounterDec(_ context: HostContext, _ call: HostCall) throws {
        try pncounterAdd(context, call, "nx.crdt_pncounter_dec", negate: true)
    }

    static func pncounterAdd(_ context: HostContext, _ call: HostCall, _ function: String, negate: Bool) throws {
        guard let (state, memory) = try begin(context, call, function), let key = try key(memory, call, 0, context) else { return }
        // The delta is a u64; an i64 counter cannot move by more than Int64.max in one step.
        guard call.i64(2) <= UInt64(Int64.max) else {
            context.logger.log(.warn, module: context.moduleID, "\(function): delta \(call.i64(2)) exceeds \(Int64.max) (ERR_INTERNAL)")
            return call.setResult(NXCode.internal.rawValue)
        }
        let delta = Int64(call.i64(2))
        try run(context, call, function) {
            try state.pncounterAdd(key, negate ? -delta : delta)
            return NXCode.ok.rawValue
        }
    }

    static func pncounterValue(_ context: HostContext, _ call: HostCall) throws {
        guard let (state, memory) = try begin(context, call, "nx.crdt_pncounter_value"),
              let key = try key(memory, call, 0, context) else { return }
        let out = (call.i32(2), call.i32(3))
        try run(context, call, memory.function) {
            let value = try state.pncounterValue(key)
            return try memory.write(out.0, out.1, withUnsafeBytes(of: value.littleEndian) { Array($0) })
        }
    }

    // MARK: LWW-Register

    static func lwwSet(_ context: HostContext, _ call: HostCall) throws {
        guard let (state, memory) = try begin(context, call, "nx.crdt_lww_set"), let key = try key(memory, call, 0, context),
              let value = try self.key(memory, call, 2, context, what: "value", limit: NXLimits.maxValueBytes) else { return }
        try run(context, call, memory.function) {
            try state.lwwSet(key, value)
            return NXCode.ok.rawValue
        }
    }

    static func lwwGet(_ context: HostContext, _ call: HostCall) throws {
        guard let (state, memory) = try begin(context, call, "nx.crdt_lww_get"), let key = try key(memory, call, 0, context) else { return }
        let out = (call.i32(2), call.i32(3))
        try run(context, call, memory.function) {
            guard let value = try state.lwwGet(key) else { return NXCode.notFound.rawValue }
            return try memory.write(out.0, out.1, value)
        }
    }

    // MARK: LWW-Map

    static func lwwMapSet(_ context: HostContext, _ call: HostCall) throws {
        guard let (state, memory) = try begin(context, call, "nx.crdt_lww_map_set"), let key = try key(memory, call, 0, context),
              let field = try self.key(memory, call, 2, context, what: "field"),
              let value = try self.key(memory, call, 4, context, what: "value", limit: NXLimits.maxValueBytes) else { return }
        try run(context, call, memory.function) {
            try state.lwwMapSet(key, field: field, value: value)
            return NXCode.ok.rawValue
        }
    }

    static func lwwMapRemove(_ context: HostContext, _ call: HostCall) throws {
        guard let (state, memory) = try begin(context, call, "nx.crdt_lww_map_remove"), let key = try key(memory, call, 0, context),
              let field = try self.key(memory, call, 2, context, what: "field") else { return }
        try run(context, call, memory.function) {
            try state.lwwMapRemove(key, field: field)
            return NXCode.ok.rawValue
        }
    }

    static func lwwMapGet(_ context: HostContext, _ call: HostCall) throws {
        guard let (state, memory) = try begin(context, call, "nx.crdt_lww_map_get"), let key = try key(memory, call, 0, context),
              let field = try self.key(memory, call, 2, context, what: "field") else { return }
        let out = (call.i32(4), call.i32(5))
        try run(context, call, memory.function) {
            guard let value = try state.lwwMapGet(key, field: field) else { return NXCode.notFound.rawValue }
            return try memory.write(out.0, out.1, value)
        }
    }

    static func lwwMapContains(_ context: HostContext, _ call: HostCall) throws {
        guard let (state, memory) = try begin(context, call, "nx.crdt_lww_map_contains"), let key = try key(memory, call, 0, context),
              let field = try self.key(memory, call, 2, context, what: "field") else { return }
        try run(context, call, memory.function) { try state.lwwMapGet(key, field: field) != nil ? 1 : 0 }
    }

    /// `u32 count` then per entry `u32 field_len, field, u32 value_len, value`.
    static func lwwMapEntries(_ context: HostContext, _ call: HostCall) throws {
        guard let (state, memory) = try begin(context, call, "nx.crdt_lww_map_entries"), let key = try key(memory, call, 0, context) else { return }
        let out = (call.i32(2), call.i32(3))
        try run(context, call, memory.function) {
            try writePairs(try state.lwwMapEntries(key).map { ($0.field, $0.value) }, memory, out)
        }
    }

    // MARK: ORSet

    static func orsetAdd(_ context: HostContext, _ call: HostCall) throws {
        guard let (state, memory) = try begin(context, call, "nx.crdt_orset_add"), let key = try key(memory, call, 0, context),
              let element = try self.key(memory, call, 2, context, what: "element", limit: NXLimits.maxValueBytes) else { return }
        try run(context, call, memory.function) {
            try state.orsetAdd(key, element)
            return NXCode.ok.rawValue
        }
    }

    static func orsetRemove(_ context: HostContext, _ call: HostCall) throws {
        guard let (state, memory) = try begin(context, call, "nx.crdt_orset_remove"), let key = try key(memory, call, 0, context),
              let element = try self.key(memory, call, 2, context, what: "element", limit: NXLimits.maxValueBytes) else { return }
        try run(context, call, memory.function) {
            try state.orsetRemove(key, element)
            return NXCode.ok.rawValue
        }
    }

    static func orsetContains(_ context: HostContext, _ call: HostCall) throws {
        guard let (state, memory) = try begin(context, call, "nx.crdt_orset_contains"), let key = try key(memory, call, 0, context),
              let element = try self.key(memory, call, 2, context, what: "element", limit: NXLimits.maxValueBytes) else { return }
        try run(context, call, memory.function) { try state.orsetContains(key, element) ? 1 : 0 }
    }

    static func orsetElements(_ context: HostContext, _ call: HostCall) throws {
        guard let (state, memory) = try begin(context, call, "nx.crdt_orset_elements"), let key = try key(memory, call, 0, context) else { return }
        let out = (call.i32(2), call.i32(3))
        try run(context, call, memory.function) { try writeList(try state.orsetElements(key), memory, out) }
    }

    // MARK: RGA

    static func rgaInsert(_ context: HostContext, _ call: HostCall) throws {
        guard let (state, memory) = try begin(context, call, "nx.crdt_rga_insert"), let key = try key(memory, call, 0, context),
              let parent = try self.key(memory, call, 2, context, what: "parent id"),
              let value = try self.key(memory, call, 4, context, what: "value", limit: NXLimits.maxValueBytes) else { return }
        let idBuffer = try memory.output(call.i32(6), call.i32(7))
        // Check the id fits before inserting: the insert cannot be undone.
        guard idBuffer.count >= RGAIdentifiers.maxBytes else { return call.setResult(NXCode.bufferTooSmall.rawValue) }
        try run(context, call, memory.function) {
            let id = try state.rgaInsert(key, after: parent.isEmpty ? nil : parent, value: value)
            return try memory.write(call.i32(6), call.i32(7), id)
        }
    }

    static func rgaDelete(_ context: HostContext, _ call: HostCall) throws {
        guard let (state, memory) = try begin(context, call, "nx.crdt_rga_delete"), let key = try key(memory, call, 0, context),
              let id = try self.key(memory, call, 2, context, what: "id") else { return }
        try run(context, call, memory.function) {
            try state.rgaDelete(key, id: id)
            return NXCode.ok.rawValue
        }
    }

    static func rgaValues(_ context: HostContext, _ call: HostCall) throws {
        guard let (state, memory) = try begin(context, call, "nx.crdt_rga_values"), let key = try key(memory, call, 0, context) else { return }
        let out = (call.i32(2), call.i32(3))
        try run(context, call, memory.function) { try writeList(try state.rgaValues(key), memory, out) }
    }

    /// nx extension, not in the contract: the visible elements in sequence order with their
    /// ids, `u32 count` then per element `u32 id_len, id, u32 value_len, value` (the
    /// `crdt_lww_map_entries` shape, id in place of field). `crdt_rga_values` alone cannot
    /// name elements other nodes inserted, so a guest could not insert after, reply to or
    /// delete them; these ids are the ones `crdt_rga_insert`/`crdt_rga_delete` accept.
    static func rgaEntries(_ context: HostContext, _ call: HostCall) throws {
        guard let (state, memory) = try begin(context, call, "nx.crdt_rga_entries"), let key = try key(memory, call, 0, context) else { return }
        let out = (call.i32(2), call.i32(3))
        try run(context, call, memory.function) {
            try writePairs(try state.rgaEntries(key).map { ($0.id, $0.value) }, memory, out)
        }
    }

    /// `u32 count` then per pair `u32 first_len, first, u32 second_len, second`
    /// (lww_map entries: field, value; rga entries: id, value).
    static func writePairs(_ pairs: [([UInt8], [UInt8])], _ memory: GuestMemory, _ out: (UInt32, UInt32)) throws -> Int32 {
        let size = 4 + pairs.reduce(0) { $0 + 8 + $1.0.count + $1.1.count }
        return try memory.write(out.0, out.1, size: size) { buffer in
            var writer = OutputWriter(buffer)
            writer.u32(pairs.count)
            for (first, second) in pairs {
                writer.u32(first.count)
                writer.bytes(first)
                writer.u32(second.count)
                writer.bytes(second)
            }
        }
    }

    /// `u32 count` then per item `u32 len, bytes`.
    static func writeList(_ items: [[UInt8]], _ memory: GuestMemory, _ out: (UInt32, UInt32)) throws -> Int32 {
        let size = 4 + items.reduce(0) { $0 + 4 + $1.count }
        return try memory.write(out.0, out.1, size: size) { buffer in
            var writer = OutputWriter(buffer)
            writer.u32(items.count)
            for item in items {
                writer.u32(item.count)
                writer.bytes(item)
            }
        }
    }
}

/// RGA element ids as the host API exposes them.
public enum RGAIdentifiers {
    /// The largest id `crdt_rga_insert` writes; guests must offer at least this much room.
    public static let maxBytes = 16
}
