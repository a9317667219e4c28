/// A group of puts and deletes applied atomically by `Store.write(_:)`: after the call (and
/// after any crash) either all of them are visible and durable together, or none is.
/// Operations apply in order, so a later operation on the same key wins.
public struct WriteBatch: Sendable {
    enum Op: Sendable {
        case put([UInt8], [UInt8])
        case delete([UInt8])
    }

    private(set) var ops: [Op] = []

    /// An empty batch.
    public init() {}

    /// Adds a put of `value` under `key`.
    public mutating func put(_ key: [UInt8], _ value: [UInt8]) { ops.append(.put(key, value)) }

    /// Adds a delete of `key` (deleting an absent key is not an error).
    public mutating func delete(_ key: [UInt8]) { ops.append(.delete(key)) }

    /// Number of operations.
    public var count: Int { ops.count }

    /// Whether the batch has no operations.
    public var isEmpty: Bool { ops.isEmpty }

    /// Removes every operation.
    public mutating func removeAll() { ops.removeAll(keepingCapacity: true) }
}

/// Space accounting of one segment file.
public struct SegmentStatistics: Sendable {
    /// File name inside the store directory.
    public var fileName: String
    /// File size including bytes still in the append buffer.
    public var bytes: Int
    /// Bytes of records that are the latest version of a live key.
    public var liveBytes: Int
    /// Bytes of overwritten or deleted records, tombstones and batch records superseded.
    public var garbageBytes: Int
    /// The segment currently appended to.
    public var isActive: Bool
    /// Written by a merge.
    public var isMergeOutput: Bool
}

/// A snapshot of the store's counters.
public struct StoreStatistics: Sendable {
    /// Number of live keys.
    public var liveKeys: Int
    /// Sum of `SegmentStatistics.liveBytes`.
    public var liveBytes: Int
    /// Sum of `SegmentStatistics.garbageBytes`.
    public var garbageBytes: Int
    /// Sum of segment sizes.
    public var totalBytes: Int
    /// Per segment, in log order.
    public var segments: [SegmentStatistics]
    /// Memory reserved by the index pages.
    public var indexMemoryBytes: Int
    /// fdatasync calls issued for write durability (`always`, `group`, `sync()`, rotations).
    public var fsyncCount: Int
    /// Write calls acknowledged in a durable mode.
    public var durableWrites: Int
    /// Completed merges.
    public var mergeCount: Int
    /// Highest sequence number written.
    public var lastSequence: UInt64
    /// The error of the last background merge, if it failed.
    public var lastMergeError: String?
}

/// What `Store.open` found and did.
public struct RecoveryReport: Sendable, CustomStringConvertible {
    /// An incomplete record (or incomplete batch) at the end of the last segment, removed.
    public struct TornTail: Sendable, Equatable {
        /// Segment file name.
        public var file: String
        /// Offset where the incomplete record (or batch) began; the file now ends here.
        public var offset: Int
        /// Bytes cut off.
        public var bytesRemoved: Int
        /// What was wrong with the record at `offset`.
        public var reason: String
    }

    /// Damage dropped because `StoreOptions.repair` was set.
    public struct Repair: Sendable, Equatable {
        /// Segment file name.
        public var file: String
        /// Offset of the first damaged record (or of its batch); the file now ends here.
        public var offset: Int
        /// Bytes cut off.
        public var bytesDiscarded: Int
        /// Records with a valid checksum found in the discarded bytes by a resynchronising
        /// scan: records that were lost (a lower bound when the damage hides record starts).
        public var recordsDiscarded: Int
        /// Where the damage is and what it is.
        public var reason: String
        /// Where the discarded bytes were saved, if any were.
        public var savedTo: String?
    }

    /// Zero bytes after the last record of the last segment, removed: space a durable-mode
    /// store preallocated (expected after a crash), or blocks never written before a power
    /// failure. No record was cut.
    public struct ZeroTail: Sendable, Equatable {
        /// Segment file name.
        public var file: String
        /// End of the last record; the file now ends here.
        public var offset: Int
        /// Zero bytes cut off.
        public var bytesRemoved: Int
    }

    /// A torn record or batch at the end of the last segment, removed.
    public var tornTail: TornTail?
    /// Zeros after the last record of the last segment, removed.
    public var zeroTail: ZeroTail?
    /// Damage cut off because `StoreOptions.repair` was set (empty otherwise: damage throws).
    public var repairs: [Repair] = []
    /// The index came from the hint file (only records after its checkpoint were replayed).
    public var usedHintFile = false
    /// Why a present hint file was not used (it is then deleted and the log replayed).
    public var hintRejected: String?
    /// Segment files opened.
    public var segments = 0
    /// Records read from the log (all of them without a hint file, those after its checkpoint
    /// with one).
    public var recordsReplayed = 0
    /// Leftovers of an interrupted merge or hint write that were deleted.
    public var removedTemporaryFiles: [String] = []

    /// No record was cut off or dropped (a removed zero tail does not count).
    public var isClean: Bool { tornTail == nil && repairs.isEmpty }

    /// One line for logs.
    public var description: String {
        var parts = ["\(segments) segments", usedHintFile ? "index from hint file" : "log replayed",
                     "\(recordsReplayed) records replayed"]
        if let h = hintRejected { parts.append("hint rejected: \(h)") }
        if let z = zeroTail { parts.append("zero tail in \(z.file) at offset \(z.offset): \(z.bytesRemoved) bytes removed") }
        if let t = tornTail { parts.append("torn tail in \(t.file) at offset \(t.offset): \(t.bytesRemoved) bytes removed (\(t.reason))") }
        for r in repairs {
            parts.append("repaired \(r.file) at offset \(r.offset): \(r.bytesDiscarded) bytes, \(r.recordsDiscarded) records dropped (\(r.reason))")
        }
        if !removedTemporaryFiles.isEmpty { parts.append("removed \(removedTemporaryFiles.joined(separator: ", "))") }
        return parts.joined(separator: "; ")
    }
}
