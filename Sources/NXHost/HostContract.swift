/// Constants of the `nx` host API contract (`host-api.txt`): error codes and limits.

/// Return codes of the host functions (negative values are errors).
public enum NXCode: Int32, Sendable {
    case ok = 0
    case notFound = -1
    case bufferTooSmall = -2
    case `internal` = -3
    case reservedKey = -4
    case syncDisabled = -5
}

/// Resource limits every host function enforces.
public enum NXLimits {
    public static let maxKeyBytes = 1024
    public static let maxValueBytes = 1 << 20
    /// Output buffers larger than this are treated as this large.
    public static let maxOutputBytes = 10 << 20
    public static let maxRandomBytes = 1 << 20
    public static let maxLogMessageBytes = 8 << 10
    /// Keys under this prefix belong to the runtime: invisible and unwritable for guests.
    public static let reservedPrefix: [UInt8] = Array("__nx/".utf8)
}

extension Collection<UInt8> {
    /// Whether these bytes begin with the runtime's reserved `__nx/` prefix.
    var isReservedKey: Bool { starts(with: NXLimits.reservedPrefix) }
}
