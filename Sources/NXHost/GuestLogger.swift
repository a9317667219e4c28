#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes guest logs, guest events and host diagnostics as single lines, in text or JSON.
/// Thread-safe: the sync layer logs from its own thread.
public final class GuestLogger: @unchecked Sendable {
    public enum Level: Int, Comparable, Sendable, CaseIterable {
        case error, warn, info, debug, trace

        public init?(name: String) {
            guard let level = Level.allCases.first(where: { "\($0)" == name.lowercased() }) else { return nil }
            self = level
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public enum Format: String, Sendable {
        case text, json
    }

    public let level: Level
    public let format: Format
    private let sink: (String) -> Void
    private var mutex = pthread_mutex_t()

    /// A logger writing to `sink` (default: standard error).
    public init(level: Level = .info, format: Format = .text, sink: ((String) -> Void)? = nil) {
        self.level = level
        self.format = format
        self.sink = sink ?? { line in fputs(line + "\n", stderr) }
        pthread_mutex_init(&mutex, nil)
    }

    deinit { pthread_mutex_destroy(&mutex) }

    public func isEnabled(_ level: Level) -> Bool { level <= self.level }

    /// Logs `message` at `level`, tagged with the module (or component) and extra fields.
    public func log(_ level: Level, module: String, _ message: String, fields: [(String, String)] = []) {
        guard isEnabled(level) else { return }
        let line: String
        switch format {
        case .text:
            let extra = fields.map { " \($0.0)=\($0.1)" }.joined()
            line = "\(GuestLogger.timestamp()) \("\(level)".uppercased()) [\(module)] \(message)\(extra)"
        case .json:
            var object = "{\"ts\":\"\(GuestLogger.timestamp())\",\"level\":\"\(level)\",\"module\":\(GuestLogger.quote(module)),\"msg\":\(GuestLogger.quote(message))"
            for (name, value) in fields { object += ",\(GuestLogger.quote(name)):\(GuestLogger.quote(value))" }
            line = object + "}"
        }
        pthread_mutex_lock(&mutex)
        sink(line)
        pthread_mutex_unlock(&mutex)
    }

    /// UTC time with milliseconds, ISO 8601.
    static func timestamp() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        var seconds = time_t(time.tv_sec)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(time.tv_nsec / 1_000_000), 3))Z"
    }

    /// A JSON string literal.
    static func quote(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
