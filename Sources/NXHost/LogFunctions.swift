import NXEngine

/// The logging family.
enum LogFunctions {
    /// host_log_v2(msg_ptr, msg_len) -> 0, or ERR_INTERNAL when the message is not in guest
    /// memory (the contract's one exception to trapping on bad pointers). Messages over 8 KiB
    /// are cut at 8 KiB.
    static func log(_ context: HostContext, _ call: HostCall) throws {
        guard let memory = call.memory else { return call.setResult(NXCode.internal.rawValue) }
        let length = call.i32(1)
        let shown = min(length, UInt32(NXLimits.maxLogMessageBytes))
        guard let bytes = try? memory.bytes(at: UInt64(call.i32(0)), count: UInt64(length)) else {
            return call.setResult(NXCode.internal.rawValue)
        }
        var message = String(decoding: UnsafeMutableRawBufferPointer(rebasing: bytes[0..<Int(shown)]), as: UTF8.self)
        if shown < length { message += " [truncated: \(length) bytes, limit \(NXLimits.maxLogMessageBytes)]" }
        context.logger.log(.info, module: context.moduleID, message)
        call.setResult(NXCode.ok.rawValue)
    }
}
