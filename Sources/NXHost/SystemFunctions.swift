import NXEngine

/// The system family: environment, identity, capabilities, events and abort.
enum SystemFunctions {
    /// env_get(key_ptr, key_len, out_ptr, out_cap) -> value length | ERR_NOT_FOUND.
    /// Only uppercase names starting with NX_ or NUMAX_ are visible (`EnvironmentPolicy`).
    static func envGet(_ context: HostContext, _ call: HostCall) throws {
        let memory = try GuestMemory(call, "nx.env_get")
        let name = String(decoding: try memory.bytes(call.i32(0), call.i32(1)), as: UTF8.self)
        guard EnvironmentPolicy.allows(name), let value = context.environment[name] else {
            return call.setResult(NXCode.notFound.rawValue)
        }
        call.setResult(try memory.write(call.i32(2), call.i32(3), Array(value.utf8)))
    }

    /// module_id(out_ptr, out_cap) -> length of the module identifier.
    static func moduleID(_ context: HostContext, _ call: HostCall) throws {
        let memory = try GuestMemory(call, "nx.module_id")
        call.setResult(try memory.write(call.i32(0), call.i32(1), Array(context.moduleID.utf8)))
    }

    /// host_capabilities(out_ptr, out_cap) -> capability names separated by "\n".
    static func hostCapabilities(_ context: HostContext, _ call: HostCall) throws {
        let memory = try GuestMemory(call, "nx.host_capabilities")
        call.setResult(try memory.write(call.i32(0), call.i32(1), Array(context.capabilities.joined(separator: "\n").utf8)))
    }

    /// event_emit(name_ptr, name_len, payload_ptr, payload_len) -> 0; the event is logged as a
    /// structured line. Names must be non-empty ASCII letters, digits, `_ - . :`.
    static func eventEmit(_ context: HostContext, _ call: HostCall) throws {
        let memory = try GuestMemory(call, "nx.event_emit")
        let name = try memory.bytes(call.i32(0), call.i32(1))
        let payload = try memory.bytes(call.i32(2), call.i32(3))
        guard isValidEventName(name) else {
            context.logger.log(.warn, module: context.moduleID,
                               "nx.event_emit: invalid event name (non-empty ASCII letters, digits, _ - . : required) (ERR_INTERNAL)")
            return call.setResult(NXCode.internal.rawValue)
        }
        let text = String(decoding: payload, as: UTF8.self)
        let printable = text.utf8.elementsEqual(payload) ? text : payload.map { String($0, radix: 16) }.joined()
        context.logger.log(.info, module: context.moduleID, "event",
                           fields: [("event", String(decoding: name, as: UTF8.self)), ("payload", printable)])
        call.setResult(NXCode.ok.rawValue)
    }

    static func isValidEventName(_ name: UnsafeMutableRawBufferPointer) -> Bool {
        !name.isEmpty && name.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || "_-.:".utf8.contains(byte)
        }
    }

    /// abort(msg_ptr, msg_len): ends the guest with a trap carrying its message.
    static func abort(_ context: HostContext, _ call: HostCall) throws {
        let memory = try GuestMemory(call, "nx.abort")
        let length = min(call.i32(1), UInt32(NXLimits.maxLogMessageBytes))
        let message = String(decoding: try memory.bytes(call.i32(0), length), as: UTF8.self)
        throw Trap(.host("guest aborted: \(message)"))
    }
}
