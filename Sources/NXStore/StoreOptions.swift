/// When a write is on stable storage relative to the call that made it.
///
/// In every mode a write is visible to readers of the same `Store` as soon as the call returns,
/// and a write batch is atomic after any crash (all of its operations or none). In the durable
/// modes the active segment is preallocated with zeros (so that fdatasync has no size change to
/// journal) and, when it reaches `segmentSizeLimit`, trimmed and fdatasynced (with the mutex
/// held, once per segment) before the next one starts.
public enum Durability: Equatable, Sendable {
    /// No fsync on the write path. Writes are collected in a 1 MiB user-space append buffer and
    /// handed to the OS with `pwrite(2)` when the buffer fills, on `sync()`, on `merge()` and by
    /// `close()`. After `close()` returns everything is in the OS page cache (it survives a
    /// process crash afterwards, not a power failure). A process crash before that loses at
    /// most the buffered suffix of the log, never part of a batch (recovery truncates a torn
    /// tail). `sync()` makes everything written so far durable.
    case none
    /// Every write call (put, delete, write batch) returns only after its records were written
    /// to the file and an `fdatasync` that started after that write completed. Each call issues
    /// its own fdatasync, with the store's mutex released (readers and other writers proceed).
    case always
    /// Group commit: a write call returns once an `fdatasync` covering its records completed.
    /// At most one fdatasync runs at a time and the mutex is released while it runs; writers
    /// that arrive meanwhile append their records and wait, and the next fdatasync (started by
    /// one of them) covers all of them, so concurrent writers share fsyncs. When the previous
    /// fdatasync covered several writers, the writer starting the next one first waits up to
    /// `maxWait` for as many writers to queue; a lone writer never waits. A write therefore
    /// returns within `maxWait` plus two fdatasync durations (plus mutex contention).
    case group(maxWait: Duration)

    /// `.group` with a gathering delay given in microseconds.
    public static func group(maxWaitMicroseconds: Int) -> Durability {
        .group(maxWait: .microseconds(maxWaitMicroseconds))
    }

    var isDurable: Bool { self != .none }
}

/// Options fixed when a store is opened.
public struct StoreOptions: Sendable {
    /// See `Durability`. Default `.none`.
    public var durability: Durability = .none
    /// A segment (data file) is closed for appends and a new one started before a write would
    /// make it larger than this. A single record or batch larger than the limit gets a segment
    /// of its own. Range 4 KiB ... 2 GiB; default 256 MiB.
    public var segmentSizeLimit: Int = 256 << 20
    /// Largest key in bytes (range 1 ... 32767); default 4096. Empty keys are allowed.
    public var maxKeySize: Int = 4096
    /// Largest value in bytes (range 0 ... 1 GiB); default 64 MiB.
    public var maxValueSize: Int = 64 << 20
    /// Automatic merge: after a write, when garbage bytes (overwritten or deleted records and
    /// tombstones) make up at least this fraction of the store's data bytes and at least
    /// `mergeMinGarbageBytes`, a background merge starts. `nil` turns automatic merging off.
    /// Default 0.6.
    public var mergeGarbageRatio: Double? = 0.6
    /// Minimum garbage before an automatic merge starts; default 16 MiB.
    public var mergeMinGarbageBytes: Int = 16 << 20
    /// Opening a store whose files fail validation anywhere except a torn tail normally throws
    /// `StoreError.corrupt`. With `repair`, the damaged file is truncated at the damage (its
    /// bytes from there on are saved to `<segment>.damaged-<offset>` first), every record before
    /// it is kept, and `Store.recoveryReport.repairs` says what was dropped.
    public var repair: Bool = false
    /// Write a hint file (a checkpoint of the index) on close when the index changed, so that
    /// the next open does not replay the log. Default true.
    public var writeHintOnClose: Bool = true

    /// Default options.
    public init() {}

    /// Options with the given durability and defaults otherwise.
    public init(durability: Durability) { self.durability = durability }

    func validate() throws {
        guard (4096...(2 << 30)).contains(segmentSizeLimit) else {
            throw StoreError.invalidOptions("segmentSizeLimit \(segmentSizeLimit) is outside 4096...\(2 << 30)")
        }
        guard (1...Limits.maxKeySize).contains(maxKeySize) else {
            throw StoreError.invalidOptions("maxKeySize \(maxKeySize) is outside 1...\(Limits.maxKeySize)")
        }
        guard (0...Limits.maxValueSize).contains(maxValueSize) else {
            throw StoreError.invalidOptions("maxValueSize \(maxValueSize) is outside 0...\(Limits.maxValueSize)")
        }
        if let r = mergeGarbageRatio, !(r > 0 && r <= 1) {
            throw StoreError.invalidOptions("mergeGarbageRatio \(r) is outside (0, 1]")
        }
        if case let .group(wait) = durability, wait < .zero {
            throw StoreError.invalidOptions("group commit maxWait must not be negative")
        }
    }
}

/// Hard limits of the on-disk format and the index.
enum Limits {
    /// Keys are stored with a 15-bit length in index slots.
    static let maxKeySize = 32767
    /// Record offsets and value lengths are 32-bit in index entries.
    static let maxValueSize = 1 << 30
    /// Largest run of records written at once (a batch), so offsets stay below 4 GiB.
    static let maxBatchBytes = (1 << 30) + (64 << 20)
}
