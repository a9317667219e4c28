import Glibc

/// Every failure the store reports. Messages name the file, the byte offset and the limit
/// involved, so that an operator can find the damage without a debugger.
public enum StoreError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A key is longer than `StoreOptions.maxKeySize`.
    case keyTooLarge(size: Int, limit: Int)
    /// A value is longer than `StoreOptions.maxValueSize`.
    case valueTooLarge(size: Int, limit: Int)
    /// A write batch's encoded size exceeds the largest record run the store accepts.
    case batchTooLarge(size: Int, limit: Int)
    /// A file's contents failed validation (checksum, header, impossible length) at `offset`.
    /// Opening refuses such a store unless `StoreOptions.repair` is set.
    case corrupt(file: String, offset: Int, reason: String)
    /// Another process (or another `Store` in this process) holds the directory's lock file.
    case locked(path: String, holderPID: Int32?)
    /// A system call failed; `errno` is the raw error number.
    case io(operation: String, path: String, errno: Int32)
    /// An option is out of range.
    case invalidOptions(String)
    /// The store was closed (or a previous fatal I/O error, see `failed`, closed it for writes).
    case closed
    /// A previous durability failure (e.g. fdatasync returned EIO) makes further writes unsafe;
    /// the store refuses writes until it is reopened (which re-validates the files).
    case failed(String)

    public var description: String {
        switch self {
        case let .keyTooLarge(size, limit):
            return "key of \(size) bytes exceeds the key size limit of \(limit) bytes"
        case let .valueTooLarge(size, limit):
            return "value of \(size) bytes exceeds the value size limit of \(limit) bytes"
        case let .batchTooLarge(size, limit):
            return "write batch of \(size) encoded bytes exceeds the batch limit of \(limit) bytes"
        case let .corrupt(file, offset, reason):
            return "corrupt store file \(file) at offset \(offset): \(reason)"
        case let .locked(path, pid):
            let who = pid.map { "process \($0)" } ?? "another process"
            return "store \(path) is locked by \(who) (lock file \(path)/LOCK)"
        case let .io(operation, path, err):
            return "\(operation) failed for \(path): \(String(cString: strerror(err))) (errno \(err))"
        case let .invalidOptions(message):
            return "invalid store options: \(message)"
        case .closed:
            return "the store is closed"
        case let .failed(message):
            return "the store refuses writes after an earlier failure: \(message)"
        }
    }
}
