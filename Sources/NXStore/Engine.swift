import Glibc

/// The store's state and every operation that runs inside one critical section. `Store`
/// keeps it behind an `UnsafeMutablePointer` and holds its mutex around each call, so hot
/// fields are plain memory accesses (no class-property exclusivity checks or retains).
/// Anything that must release the mutex part-way (group commit, merge, chunked hint writes)
/// is driven from `Store` as a sequence of such calls.
struct Engine {
    /// Segments open at once (the 24-bit slot field of `RecordLocation` would allow more).
    static let maxSlots = 1 << 14
    /// The append buffer, written with one write(2) when full; larger records bypass it.
    ///
    /// (Measured alternative: writing whole 2 MiB regions aligned to the file offset makes
    /// the page cache use 2 MiB folios and map segments with 2 MiB pages, +15% scans; but on
    /// this VM freshly allocated 2 MiB folios are cold host memory, which halved fill and
    /// overwrite throughput. Same for transparent huge pages under the index.)
    static let bufferCapacity = 1 << 20

    let directory: String
    let options: StoreOptions
    let crc = CRC32C.shared
    var tree = BTree()

    /// Per slot: base of the segment mapping.
    let bases: UnsafeMutablePointer<UnsafeRawPointer?>
    /// Per slot: bytes of records that are the latest version of a live key.
    let live: UnsafeMutablePointer<Int>
    /// Every segment, sorted by id (log order).
    var segments: [SegmentInfo] = []
    var freeSlots: [Int] = []
    private var nextSlot = 0

    // The active segment; the hot fields are copies of `active`'s.
    var active: SegmentInfo?
    var activeSlot = -1
    var activeFd: Int32 = -1
    var activeBaseSeq: UInt64 = 0
    /// Bytes the active segment's mapping can hold.
    var activeCapacity = 0
    /// Bytes of the active segment already in the file; the append buffer holds the bytes
    /// from `fileEnd` to `fileEnd + bufferUsed`. A record is read from the buffer iff it
    /// starts at or after `fileEnd` (records are never split between file and buffer).
    var fileEnd = 0
    let buffer: UnsafeMutableRawPointer
    var bufferUsed = 0

    /// Where the next record goes.
    @inline(__always) var appendOffset: Int { fileEnd &+ bufferUsed }
    /// Durable modes: the active file is extended with zeros ahead of its data, up to here, so
    /// that appends overwrite allocated blocks and an fdatasync has no file-size change to
    /// journal (1.3-1.4x more fdatasyncs per second on this ext4 disk). Trimmed on rotation and
    /// close; after a crash recovery removes the zero tail.
    var allocatedEnd = 0
    static let preallocationChunk = 2 << 20
    /// Zeros to preallocate with (durable modes); process-wide, from calloc, so untouched
    /// pages of it cost nothing.
    private let zeros: UnsafeRawPointer?
    private static let zeroChunk = UnsafeRawPointer(calloc(1, Engine.preallocationChunk)!)
    /// The key being visited by `scan` (a prefix plus an inline suffix).
    let scanArena: UnsafeMutableRawPointer

    var lastSeq: UInt64 = 0
    /// Record bytes in all segments (sizes minus headers), including the append buffer.
    var recordBytes = 0
    var liveTotal = 0

    // Durability.
    var syncedSeq: UInt64 = 0
    var syncRunning = false
    var syncsInFlight = 0
    var deferredCloses: [Int32] = []
    /// `.none` mode: paths of rotated segments not yet fdatasynced, and whether new file names
    /// await a directory sync (both settled by `sync()`, which reopens the files: descriptors
    /// stay bounded).
    var unsynced: [String] = []
    var directoryDirty = false
    var fsyncCount = 0
    var durableWrites = 0
    var writersWaiting = 0
    var lastSyncCovered = 0
    /// A group-commit leader is waiting for more writers (they wake it when they queue).
    var gathering = false

    // Merge.
    var merging = false
    var mergeCancel = false
    var mergeCount = 0
    var lastMergeError: String?
    var autoMergeScheduled = false

    var hintDirty = true
    var closed = false
    /// Set when a durability failure makes further writes unsafe.
    var failure: String?
    var lockFD: Int32 = -1
    var sink: UInt64 = 0

    init(directory: String, options: StoreOptions) {
        self.directory = directory
        self.options = options
        bases = .allocate(capacity: Engine.maxSlots)
        bases.initialize(repeating: nil, count: Engine.maxSlots)
        live = .allocate(capacity: Engine.maxSlots)
        live.initialize(repeating: 0, count: Engine.maxSlots)
        buffer = .allocate(byteCount: Engine.bufferCapacity, alignment: 64)
        scanArena = .allocate(byteCount: Page.maxPrefix + Page.maxInlineKey + 64, alignment: 16)
        zeros = options.durability.isDurable ? Engine.zeroChunk : nil
    }

    /// Unmaps and closes everything and frees memory (also after a failed open).
    mutating func releaseResources() {
        for s in segments {
            FileIO.unmap(s.base, size: s.mapSize)
            if s.fd >= 0 { FileIO.close(s.fd) }
        }
        segments = []
        for fd in deferredCloses { FileIO.close(fd) }
        deferredCloses = []
        unsynced = []
        tree.destroy()
        buffer.deallocate()
        scanArena.deallocate()
        bases.deallocate()
        live.deallocate()
        LockFile.release(lockFD)
        lockFD = -1
    }

    // MARK: - Segments

    mutating func allocateSlot() throws -> Int {
        if let s = freeSlots.popLast() { return s }
        guard nextSlot < Engine.maxSlots else {
            throw StoreError.io(operation: "create segment (more than \(Engine.maxSlots) segments)", path: directory, errno: EMFILE)
        }
        nextSlot += 1
        return nextSlot - 1
    }

    /// Adds a segment to the table (sorted by id) and its hot fields.
    mutating func register(_ s: SegmentInfo) {
        bases[s.slot] = s.base
        live[s.slot] = 0
        let i = segments.firstIndex { s.id < $0.id } ?? segments.count
        segments.insert(s, at: i)
    }

    /// Removes a segment: unmaps it, closes its descriptor, frees its slot (file left alone).
    mutating func unregister(_ s: SegmentInfo) {
        segments.removeAll { $0 === s }
        FileIO.unmap(s.base, size: s.mapSize)
        if s.fd >= 0 { closeOrDefer(s.fd); s.fd = -1 }
        bases[s.slot] = nil
        live[s.slot] = 0
        freeSlots.append(s.slot)
    }

    /// Closes a descriptor now, or once no fdatasync outside the mutex may still use it.
    mutating func closeOrDefer(_ fd: Int32) {
        if syncsInFlight == 0 { FileIO.close(fd) } else { deferredCloses.append(fd) }
    }

    mutating func closeDeferredIfIdle() {
        if syncsInFlight == 0 && !deferredCloses.isEmpty {
            for fd in deferredCloses { FileIO.close(fd) }
            deferredCloses = []
        }
    }

    mutating func makeActive(_ s: SegmentInfo) {
        active = s
        activeSlot = s.slot
        activeFd = s.fd
        activeBaseSeq = s.baseSeq
        activeCapacity = s.mapSize
        fileEnd = s.size
        allocatedEnd = s.size
        bufferUsed = 0
    }

    func path(of name: String) -> String { directory + "/" + name }

    /// Starts a new log segment after the current one (which becomes immutable). In durable
    /// modes the old segment is fdatasynced first, so every acknowledged-or-waiting write in it
    /// is durable, and the directory is synced so the new file's name is.
    mutating func rotate(minCapacity: Int) throws {
        try flush()
        guard let old = active else { throw StoreError.closed }
        try trimPreallocation()
        if options.durability.isDurable {
            try FileIO.fdatasync(activeFd, path: old.path)
            fsyncCount += 1
            syncedSeq = lastSeq
        }
        old.size = fileEnd
        let id = SegmentID(major: old.id.major + 1, minor: 0)
        let slot = try allocateSlot()
        let seg: SegmentInfo
        do {
            seg = try SegmentInfo.create(path: path(of: id.fileName), id: id, isMergeOutput: false,
                                         baseSeq: lastSeq + 1,
                                         capacity: max(options.segmentSizeLimit, SegmentHeader.size + minCapacity),
                                         slot: slot, crc: crc)
        } catch {
            freeSlots.append(slot)
            throw error
        }
        closeOrDefer(old.fd)
        old.fd = -1
        if !options.durability.isDurable {
            unsynced.append(old.path)
            directoryDirty = true
        }
        register(seg)
        makeActive(seg)
        if options.durability.isDurable { try FileIO.syncDirectory(directory) }
    }

    /// Rotates when `size` more bytes would overflow the active segment.
    @inline(__always)
    mutating func ensureRoom(_ size: Int) throws {
        let end = appendOffset
        if end + size > activeCapacity || (end + size > options.segmentSizeLimit && end > SegmentHeader.size) {
            try rotate(minCapacity: size)
        }
    }

    /// Hands the append buffer to the OS. On failure the file is cut back to its previous end
    /// and the buffer kept, so the index never points at bytes that are neither in the file
    /// nor in the buffer.
    mutating func flush() throws {
        if bufferUsed == 0 { return }
        try writeAtEnd(buffer, bufferUsed)
        fileEnd += bufferUsed
        active!.size = fileEnd
        bufferUsed = 0
    }

    /// Writes bytes at `fileEnd` (preallocating in durable modes); on failure cuts the file
    /// back to `fileEnd`.
    private mutating func writeAtEnd(_ p: UnsafeRawPointer, _ n: Int) throws {
        do {
            if let z = zeros, fileEnd + n > allocatedEnd {
                let target = (fileEnd + n + Engine.preallocationChunk - 1) / Engine.preallocationChunk * Engine.preallocationChunk
                while allocatedEnd < target {
                    let len = min(Engine.preallocationChunk, target - allocatedEnd)
                    try FileIO.pwriteAll(activeFd, z, len, at: allocatedEnd, path: active!.path)
                    allocatedEnd += len
                }
            }
            try FileIO.pwriteAll(activeFd, p, n, at: fileEnd, path: active!.path)
        } catch {
            _ = ftruncate(activeFd, off_t(fileEnd))
            allocatedEnd = fileEnd
            throw error
        }
    }

    /// Cuts preallocated zeros off the active file (before it becomes immutable or closes).
    mutating func trimPreallocation() throws {
        if allocatedEnd > fileEnd {
            try FileIO.truncate(activeFd, to: fileEnd, path: active!.path)
            allocatedEnd = fileEnd
        }
    }

    // MARK: - Writing

    /// Appends one standalone record (put or tombstone) with sequence number `seq`.
    @inline(__always)
    mutating func append(flags: UInt8, seq: UInt64, key: UnsafeRawPointer, keyLength: Int,
                         value: UnsafeRawPointer?, valueLength: Int) throws -> RecordLocation {
        var size = RecordFormat.headerSize(seqDelta: seq &- activeBaseSeq, keyLength: keyLength, valueLength: valueLength)
            + keyLength + valueLength
        let end = appendOffset
        if end + size > activeCapacity || (end + size > options.segmentSizeLimit && end > SegmentHeader.size) {
            try rotate(minCapacity: size)
            size = RecordFormat.headerSize(seqDelta: seq &- activeBaseSeq, keyLength: keyLength, valueLength: valueLength)
                + keyLength + valueLength
        }
        if size > Engine.bufferCapacity - bufferUsed {
            try flush()
            if size > Engine.bufferCapacity {
                let tmp = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
                defer { tmp.deallocate() }
                let r = RecordFormat.encode(at: tmp, flags: flags, seqDelta: seq &- activeBaseSeq, key: key, keyLength: keyLength,
                                            value: value, valueLength: valueLength, crc: crc)
                let off = try writeDirect(tmp, r.size)
                return RecordLocation(slot: activeSlot, headerSize: r.header, recordOffset: off, keyLength: keyLength,
                                      valueLength: valueLength)
            }
        }
        let off = appendOffset
        let r = RecordFormat.encode(at: buffer + bufferUsed, flags: flags, seqDelta: seq &- activeBaseSeq,
                                    key: key, keyLength: keyLength, value: value, valueLength: valueLength, crc: crc)
        bufferUsed &+= r.size
        recordBytes &+= r.size
        return RecordLocation(slot: activeSlot, headerSize: r.header, recordOffset: off, keyLength: keyLength,
                              valueLength: valueLength)
    }

    /// Writes encoded records larger than the append buffer straight to the file (the buffer
    /// must be empty); returns their offset.
    mutating func writeDirect(_ bytes: UnsafeRawPointer, _ size: Int) throws -> Int {
        precondition(bufferUsed == 0, "direct write with a non-empty append buffer")
        let off = fileEnd
        try writeAtEnd(bytes, size)
        fileEnd += size
        active!.size = fileEnd
        recordBytes += size
        return off
    }

    /// Index update for a put whose record is at `loc`.
    @inline(__always)
    mutating func applyPut(_ key: UnsafeRawPointer, _ klen: Int, _ loc: RecordLocation) {
        let size = loc.recordSize(keyLength: klen)
        live[loc.slot] &+= size
        liveTotal &+= size
        if let old = tree.upsert(key, klen, loc) {
            let os = old.recordSize(keyLength: klen)
            live[old.slot] &-= os
            liveTotal &-= os
        }
    }

    /// Index update for a delete.
    @inline(__always)
    mutating func applyDelete(_ key: UnsafeRawPointer, _ klen: Int) {
        if let old = tree.remove(key, klen) {
            let os = old.recordSize(keyLength: klen)
            live[old.slot] &-= os
            liveTotal &-= os
        }
    }

    mutating func checkWritable() throws {
        if closed { throw StoreError.closed }
        if let f = failure { throw StoreError.failed(f) }
    }

    /// put: append + index; returns the sequence number.
    @inline(__always)
    mutating func put(_ key: UnsafeRawPointer, _ klen: Int, _ value: UnsafeRawPointer?, _ vlen: Int) throws -> UInt64 {
        try checkWritable()
        let seq = lastSeq &+ 1
        let loc = try append(flags: 0, seq: seq, key: key, keyLength: klen, value: value, valueLength: vlen)
        lastSeq = seq
        hintDirty = true
        applyPut(key, klen, loc)
        return seq
    }

    /// delete: a tombstone is appended only when the key exists.
    mutating func delete(_ key: UnsafeRawPointer, _ klen: Int) throws -> UInt64? {
        try checkWritable()
        guard tree.find(key, klen) != nil else { return nil }
        let seq = lastSeq &+ 1
        _ = try append(flags: RecordFormat.flagTombstone, seq: seq, key: key, keyLength: klen, value: nil, valueLength: 0)
        lastSeq = seq
        hintDirty = true
        applyDelete(key, klen)
        return seq
    }

    /// Appends a batch as one contiguous run of records sharing one sequence number, then
    /// applies it to the index. Nothing is applied if the append fails.
    mutating func write(_ ops: [WriteBatch.Op]) throws -> UInt64? {
        try checkWritable()
        if ops.isEmpty { return nil }
        let seq = lastSeq &+ 1
        func total(_ base: UInt64) -> Int {
            var t = 0
            for op in ops {
                switch op {
                case let .put(k, v): t += RecordFormat.headerSize(seqDelta: seq &- base, keyLength: k.count, valueLength: v.count) + k.count + v.count
                case let .delete(k): t += RecordFormat.headerSize(seqDelta: seq &- base, keyLength: k.count, valueLength: 0) + k.count
                }
            }
            return t
        }
        var size = total(activeBaseSeq)
        if size > Limits.maxBatchBytes { throw StoreError.batchTooLarge(size: size, limit: Limits.maxBatchBytes) }
        try ensureRoom(size)
        size = total(activeBaseSeq)
        let delta = seq &- activeBaseSeq
        let slot = activeSlot
        // Encode into the buffer when it fits, else into a temporary run written directly.
        let direct = size > Engine.bufferCapacity
        if size > Engine.bufferCapacity - bufferUsed { try flush() }
        let start = appendOffset
        let tmp: UnsafeMutableRawPointer = direct ? .allocate(byteCount: size, alignment: 16) : buffer + bufferUsed
        defer { if direct { tmp.deallocate() } }
        var locs: [RecordLocation] = []
        locs.reserveCapacity(ops.count)
        var off = 0
        for (i, op) in ops.enumerated() {
            let flags = RecordFormat.flagBatch | (i == ops.count - 1 ? RecordFormat.flagBatchEnd : 0)
            let r: (size: Int, header: Int)
            switch op {
            case let .put(k, v):
                r = k.withUnsafeBytes { kb in v.withUnsafeBytes { vb in
                    RecordFormat.encode(at: tmp + off, flags: flags, seqDelta: delta, key: kb.baseAddress, keyLength: kb.count,
                                        value: vb.baseAddress, valueLength: vb.count, crc: crc)
                } }
                locs.append(RecordLocation(slot: slot, headerSize: r.header, recordOffset: start + off, keyLength: k.count,
                                           valueLength: v.count))
            case let .delete(k):
                r = k.withUnsafeBytes { kb in
                    RecordFormat.encode(at: tmp + off, flags: flags | RecordFormat.flagTombstone, seqDelta: delta,
                                        key: kb.baseAddress, keyLength: kb.count, value: nil, valueLength: 0, crc: crc)
                }
                locs.append(RecordLocation(slot: slot, headerSize: r.header, recordOffset: start + off, keyLength: k.count,
                                           valueLength: 0))
            }
            off += r.size
        }
        if direct {
            _ = try writeDirect(tmp, size)
        } else {
            bufferUsed += size
            recordBytes += size
        }
        lastSeq = seq
        hintDirty = true
        for (i, op) in ops.enumerated() {
            switch op {
            case let .put(k, _): k.withUnsafeBytes { applyPut(Engine.nonNil($0), $0.count, locs[i]) }
            case let .delete(k): k.withUnsafeBytes { applyDelete(Engine.nonNil($0), $0.count) }
            }
        }
        return seq
    }

    /// A dereferenceable pointer for a possibly empty buffer.
    @inline(__always)
    static func nonNil(_ b: UnsafeRawBufferPointer) -> UnsafeRawPointer {
        b.baseAddress ?? UnsafeRawPointer(Engine.emptyBytes)
    }
    static let emptyBytes = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)

    // MARK: - Reading

    /// Where the value of a located record is: in the active segment's append buffer or in a
    /// segment mapping. (A value at or after `fileEnd` belongs to a buffered record: records
    /// are never split, and a flushed record's value ends at or before `fileEnd`; an empty
    /// value exactly at `fileEnd` maps to the buffer start, where zero bytes are read.)
    @inline(__always)
    func valuePointer(_ loc: RecordLocation) -> UnsafeRawPointer {
        let off = loc.valueOffset
        if loc.slot == activeSlot && off >= fileEnd { return UnsafeRawPointer(buffer + (off &- fileEnd)) }
        return bases[loc.slot].unsafelyUnwrapped + off
    }

    // MARK: - Statistics

    func statistics() -> StoreStatistics {
        var segs: [SegmentStatistics] = []
        var totalBytes = 0
        var liveBytes = 0
        var garbage = 0
        for s in segments {
            let bytes = s === active ? appendOffset : s.size
            let l = live[s.slot]
            let g = bytes - SegmentHeader.size - l
            segs.append(SegmentStatistics(fileName: s.fileName, bytes: bytes, liveBytes: l, garbageBytes: g,
                                          isActive: s === active, isMergeOutput: s.isMergeOutput))
            totalBytes += bytes
            liveBytes += l
            garbage += g
        }
        return StoreStatistics(liveKeys: tree.count, liveBytes: liveBytes, garbageBytes: garbage, totalBytes: totalBytes,
                               segments: segs, indexMemoryBytes: tree.memoryBytes, fsyncCount: fsyncCount,
                               durableWrites: durableWrites, mergeCount: mergeCount, lastSequence: lastSeq,
                               lastMergeError: lastMergeError)
    }

    /// Whether garbage crossed the automatic merge threshold.
    @inline(__always)
    var wantsAutoMerge: Bool {
        !merging && !autoMergeScheduled && garbageOverThreshold
    }

    /// Garbage is at least `mergeGarbageRatio` of the record bytes and `mergeMinGarbageBytes`.
    @inline(__always)
    var garbageOverThreshold: Bool {
        guard let ratio = options.mergeGarbageRatio, !closed else { return false }
        let garbage = recordBytes - liveTotal
        return garbage >= options.mergeMinGarbageBytes && Double(garbage) >= ratio * Double(recordBytes)
    }
}
