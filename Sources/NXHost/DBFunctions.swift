import NXEngine
import NXStore

/// The database family: the module's local key/value store (not replicated).
///
/// Keys and values are read from and written to guest memory in place. Keys under `__nx/`
/// are rejected (ERR_RESERVED_KEY) and never listed; a key over 1 KiB or a value over 1 MiB
/// is refused with ERR_INTERNAL and a logged warning naming the limit.
enum DBFunctions {
    /// db_get(key_ptr, key_len, out_ptr, out_cap) -> value length | ERR_NOT_FOUND | ERR_BUFFER_TOO_SMALL
    static func get(_ context: HostContext, _ call: HostCall) throws {
        let memory = try GuestMemory(call, "nx.db_get")
        let key = try memory.bytes(call.i32(0), call.i32(1))
        if let code = HostChecks.key(key, context, "nx.db_get") { return call.setResult(code) }
        let output = try memory.output(call.i32(2), call.i32(3))
        let result = try HostChecks.store(context, "nx.db_get") {
            try context.datastore("nx.db_get").withValue(UnsafeRawBufferPointer(key)) { value -> Int32 in
                guard value.count <= output.count else { return NXCode.bufferTooSmall.rawValue }
                if value.count > 0 { output.copyMemory(from: value) }
                return Int32(value.count)
            } ?? NXCode.notFound.rawValue
        }
        call.setResult(result)
    }

    /// db_set(key_ptr, key_len, val_ptr, val_len) -> 0
    static func set(_ context: HostContext, _ call: HostCall) throws {
        let memory = try GuestMemory(call, "nx.db_set")
        let key = try memory.bytes(call.i32(0), call.i32(1))
        let value = try memory.bytes(call.i32(2), call.i32(3))
        if let code = HostChecks.key(key, context, "nx.db_set") ?? HostChecks.value(value, context, "nx.db_set") {
            return call.setResult(code)
        }
        call.setResult(try HostChecks.store(context, "nx.db_set") {
            try context.datastore("nx.db_set").put(UnsafeRawBufferPointer(key), UnsafeRawBufferPointer(value))
            return NXCode.ok.rawValue
        })
    }

    /// db_delete(key_ptr, key_len) -> 0, also when the key did not exist
    static func delete(_ context: HostContext, _ call: HostCall) throws {
        let memory = try GuestMemory(call, "nx.db_delete")
        let key = try memory.bytes(call.i32(0), call.i32(1))
        if let code = HostChecks.key(key, context, "nx.db_delete") { return call.setResult(code) }
        call.setResult(try HostChecks.store(context, "nx.db_delete") {
            try context.datastore("nx.db_delete").delete(UnsafeRawBufferPointer(key))
            return NXCode.ok.rawValue
        })
    }

    /// db_exists(key_ptr, key_len) -> 1 | 0
    static func exists(_ context: HostContext, _ call: HostCall) throws {
        let memory = try GuestMemory(call, "nx.db_exists")
        let key = try memory.bytes(call.i32(0), call.i32(1))
        if let code = HostChecks.key(key, context, "nx.db_exists") { return call.setResult(code) }
        call.setResult(try HostChecks.store(context, "nx.db_exists") {
            try context.datastore("nx.db_exists").exists(UnsafeRawBufferPointer(key)) ? 1 : 0
        })
    }

    /// db_scan(prefix_ptr, prefix_len, cursor: u64, limit, out_ptr, out_cap): rows after
    /// skipping `cursor` visible rows.
    static func scan(_ context: HostContext, _ call: HostCall) throws {
        try page(context, call, "nx.db_scan", values: true, offset: call.i64(2), after: nil, limit: call.i32(3),
                 out: (call.i32(4), call.i32(5)))
    }

    /// db_scan_after(prefix_ptr, prefix_len, start_after_ptr, start_after_len, limit, out_ptr, out_cap):
    /// rows strictly after `start_after` (empty: from the first row).
    static func scanAfter(_ context: HostContext, _ call: HostCall) throws {
        try page(context, call, "nx.db_scan_after", values: true, offset: 0, after: (call.i32(2), call.i32(3)),
                 limit: call.i32(4), out: (call.i32(5), call.i32(6)))
    }

    /// db_keys(prefix_ptr, prefix_len, cursor: u64, limit, out_ptr, out_cap)
    static func keys(_ context: HostContext, _ call: HostCall) throws {
        try page(context, call, "nx.db_keys", values: false, offset: call.i64(2), after: nil, limit: call.i32(3),
                 out: (call.i32(4), call.i32(5)))
    }

    /// db_keys_after(prefix_ptr, prefix_len, start_after_ptr, start_after_len, limit, out_ptr, out_cap)
    static func keysAfter(_ context: HostContext, _ call: HostCall) throws {
        try page(context, call, "nx.db_keys_after", values: false, offset: 0, after: (call.i32(2), call.i32(3)),
                 limit: call.i32(4), out: (call.i32(5), call.i32(6)))
    }

    /// One page of a prefix listing, written straight from the store into guest memory:
    /// `u32 count` then per row `u32 key_len [u32 value_len] key [value]`, little-endian.
    /// The page holds up to `limit` rows (0: no row limit) and stops before the first row
    /// that does not fit; ERR_BUFFER_TOO_SMALL (nothing written) only when not even the count
    /// and the first row fit. Reserved keys are skipped.
    static func page(_ context: HostContext, _ call: HostCall, _ function: String, values: Bool, offset: UInt64,
                     after: (pointer: UInt32, length: UInt32)?, limit: UInt32, out: (pointer: UInt32, capacity: UInt32)) throws {
        let memory = try GuestMemory(call, function)
        let prefix = try memory.array(call.i32(0), call.i32(1))
        if let code = HostChecks.key(prefix, context, function) { return call.setResult(code) }
        var startAfter: [UInt8]?
        if let after, after.length > 0 {
            let key = try memory.array(after.pointer, after.length)
            guard key.starts(with: prefix) else {
                context.logger.log(.warn, module: context.moduleID, "\(function): start_after key is not under the prefix (ERR_INTERNAL)")
                return call.setResult(NXCode.internal.rawValue)
            }
            startAfter = key
        }
        let output = try memory.output(out.pointer, out.capacity)
        guard output.count >= 4 else { return call.setResult(NXCode.bufferTooSmall.rawValue) }
        var writer = OutputWriter(UnsafeMutableRawBufferPointer(rebasing: output[4...]))
        var skipped: UInt64 = 0
        var rows = 0
        var firstRowTooLarge = false
        let result = try HostChecks.store(context, function) { () -> Int32 in
            try context.datastore(function).visit(prefix: prefix, after: startAfter) { key, value in
                if key.isReservedKey { return true }
                if skipped < offset {
                    skipped += 1
                    return true
                }
                if limit != 0 && rows >= Int(limit) { return false }
                let size = (values ? 8 + value.count : 4) + key.count
                guard size <= writer.remaining else {
                    firstRowTooLarge = rows == 0
                    return false
                }
                writer.u32(key.count)
                if values { writer.u32(value.count) }
                writer.bytes(key)
                if values { writer.bytes(value) }
                rows += 1
                return true
            }
            return NXCode.ok.rawValue
        }
        guard result == NXCode.ok.rawValue else { return call.setResult(result) }
        if firstRowTooLarge { return call.setResult(NXCode.bufferTooSmall.rawValue) }
        output.storeBytes(of: UInt32(rows).littleEndian, as: UInt32.self)
        call.setResult(Int32(4 + writer.offset))
    }
}

/// Checks shared by the families: limits, the reserved namespace, store failures.
enum HostChecks {
    /// ERR_RESERVED_KEY for `__nx/` keys, ERR_INTERNAL (logged) for keys over the limit.
    static func key(_ key: some Collection<UInt8>, _ context: HostContext, _ function: String) -> Int32? {
        if key.count > NXLimits.maxKeyBytes {
            context.logger.log(.warn, module: context.moduleID,
                               "\(function): key of \(key.count) bytes exceeds the limit of \(NXLimits.maxKeyBytes) bytes (ERR_INTERNAL)")
            return NXCode.internal.rawValue
        }
        return key.isReservedKey ? NXCode.reservedKey.rawValue : nil
    }

    /// ERR_INTERNAL (logged) for keys over the limit, without the reserved-namespace rule
    /// (CRDT keys live in their own namespace).
    static func length(_ bytes: some Collection<UInt8>, limit: Int, what: String, _ context: HostContext, _ function: String) -> Int32? {
        guard bytes.count > limit else { return nil }
        context.logger.log(.warn, module: context.moduleID,
                           "\(function): \(what) of \(bytes.count) bytes exceeds the limit of \(limit) bytes (ERR_INTERNAL)")
        return NXCode.internal.rawValue
    }

    static func value(_ value: some Collection<UInt8>, _ context: HostContext, _ function: String) -> Int32? {
        length(value, limit: NXLimits.maxValueBytes, what: "value", context, function)
    }

    /// Runs a store operation; a store failure (I/O error, closed store) becomes ERR_INTERNAL
    /// and an error log line, never a crash.
    static func store(_ context: HostContext, _ function: String, _ body: () throws -> Int32) throws -> Int32 {
        do {
            return try body()
        } catch let trap as Trap {
            throw trap
        } catch {
            context.logger.log(.error, module: context.moduleID, "\(function): \(error) (ERR_INTERNAL)")
            return NXCode.internal.rawValue
        }
    }
}
