import NXEngine

/// The time family.
enum TimeFunctions {
    /// time_now() -> Unix time in milliseconds.
    static func now(_ context: HostContext, _ call: HostCall) throws {
        call.setResult(Clock.unixMilliseconds())
    }

    /// time_monotonic() -> milliseconds since the runtime started this module (never decreases).
    static func monotonic(_ context: HostContext, _ call: HostCall) throws {
        call.setResult(Clock.monotonicMilliseconds() &- context.monotonicOrigin)
    }
}
