import Foundation
import Glibc

/// An append-only, log-structured key/value store (Bitcask-style) with an ordered in-memory
/// index.
///
/// Data lives in segment files that are only appended to; the newest version of each key is
/// found through a B+tree index held in memory (keys and record locations, no values). A hint
/// file written on close and after a merge lets `open` rebuild the index without reading the
/// log. Keys and values are arbitrary bytes; keys order byte-lexicographically.
///
/// Thread safety: every method may be called from any thread. One mutex covers the index and
/// the append path; it is not held while an fdatasync for `.always`/`.group` runs or while a
/// merge copies records. Closures passed to `withValue` and `visit` run with the mutex held and
/// must not call back into the store.
///
/// Durability: see `Durability` for the exact guarantee of each mode. In every mode a
/// `write(_:)` batch is atomic, also across crashes.
///
/// Files in the store directory: segments `<major:16 hex>-<minor:8 hex>.seg` (format in
/// `RecordFormat`), the hint file `index.hint` (format in `HintFile`), the lock file `LOCK`,
/// transient `*.tmp` files of an unfinished merge or hint write (deleted on open), and
/// `*.damaged-<offset>` copies of bytes cut off by a repair.
public final class Store: @unchecked Sendable {
    private let mutex = Mutex()
    private let e: UnsafeMutablePointer<Engine>
    /// The store directory.
    public let path: String
    /// The options the store was opened with.
    public let options: StoreOptions
    /// What opening the store found (torn tail, repairs, hint use).
    public let recoveryReport: RecoveryReport
    private let maxKey: Int
    private let maxValue: Int
    private let mode: Int  // 0 none, 1 always, 2 group
    private let groupWaitNanoseconds: UInt64
    private var released = false

    private init(path: String, options: StoreOptions, engine: UnsafeMutablePointer<Engine>, report: RecoveryReport) {
        self.path = path
        self.options = options
        e = engine
        recoveryReport = report
        maxKey = options.maxKeySize
        maxValue = options.maxValueSize
        switch options.durability {
        case .none:
            mode = 0
            groupWaitNanoseconds = 0
        case .always:
            mode = 1
            groupWaitNanoseconds = 0
        case let .group(wait):
            mode = 2
            let (s, a) = wait.components
            groupWaitNanoseconds = UInt64(max(0, s)) * 1_000_000_000 + UInt64(max(0, a / 1_000_000_000))
        }
    }

    /// Opens the store in directory `path`, creating the directory if needed.
    ///
    /// Takes the directory's lock file (throws `StoreError.locked` with the holder's PID if
    /// another process, or another open `Store` in this process, holds it), loads the index from
    /// the hint file or by replaying the log, truncates a torn tail of the last segment, and
    /// throws `StoreError.corrupt` (file, offset, reason) for damage anywhere else unless
    /// `options.repair` is set. Details are in `recoveryReport`.
    public static func open(path: String, options: StoreOptions = .init()) throws -> Store {
        let (engine, report) = try Engine.open(directory: path, options: options)
        return Store(path: path, options: options, engine: engine, report: report)
    }

    deinit {
        try? close()
        e.deinitialize(count: 1)
        e.deallocate()
    }

    /// Flushes buffered writes to the OS (and in durable modes makes them durable), writes a
    /// hint file if the index changed, releases files, memory and the lock. Waits for a running
    /// merge to stop at its next chunk (a stopped merge leaves a consistent store). Further
    /// calls throw `StoreError.closed`; closing twice is allowed. The store is closed even
    /// when an error is thrown.
    public func close() throws {
        mutex.lock()
        defer { mutex.unlock() }
        if e.pointee.closed { return }
        e.pointee.mergeCancel = true
        while e.pointee.merging || e.pointee.syncRunning || e.pointee.syncsInFlight > 0 { mutex.wait() }
        var firstError: Error?
        do {
            try e.pointee.flush()
            try e.pointee.trimPreallocation()
            if mode != 0 { try FileIO.fdatasync(e.pointee.activeFd, path: e.pointee.active!.path) }
            if options.writeHintOnClose && e.pointee.hintDirty && e.pointee.failure == nil { try e.pointee.writeHint() }
        } catch {
            firstError = error
        }
        e.pointee.closed = true
        e.pointee.releaseResources()
        mutex.broadcast()
        if let err = firstError { throw err }
    }

    // MARK: - Reads

    /// The value of `key`, or nil.
    public func get(_ key: [UInt8]) throws -> [UInt8]? {
        try key.withUnsafeBytes { try get($0) }
    }

    /// The value of `key`, or nil.
    public func get(_ key: UnsafeRawBufferPointer) throws -> [UInt8]? {
        try withValue(key) { [UInt8]($0) }
    }

    /// Calls `body` with the value of `key` in place (no copy: it points into the append
    /// buffer or a segment mapping) and returns its result, or nil when the key is absent.
    /// The bytes are valid only during `body`, which runs with the store's mutex held and must
    /// not call back into the store.
    @inline(__always)
    public func withValue<R>(_ key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        mutex.lock()
        defer { mutex.unlock() }
        let eng = e
        if eng.pointee.closed { throw StoreError.closed }
        let kp = Engine.nonNil(key)
        guard let p = eng.pointee.tree.find(kp, key.count) else { return nil }
        let loc = RecordLocation(p)
        let v = eng.pointee.valuePointer(loc)
        return try body(UnsafeRawBufferPointer(start: v, count: loc.valueCount))
    }

    /// `withValue` for an array key.
    public func withValue<R>(_ key: [UInt8], _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R? {
        try key.withUnsafeBytes { try withValue($0, body) }
    }

    /// Whether `key` has a value.
    public func exists(_ key: [UInt8]) throws -> Bool {
        try key.withUnsafeBytes { try exists($0) }
    }

    /// Whether `key` has a value.
    public func exists(_ key: UnsafeRawBufferPointer) throws -> Bool {
        mutex.lock()
        defer { mutex.unlock() }
        if e.pointee.closed { throw StoreError.closed }
        return e.pointee.tree.find(Engine.nonNil(key), key.count) != nil
    }

    // MARK: - Writes

    /// Stores `value` under `key` (replacing any previous value). Throws `keyTooLarge` /
    /// `valueTooLarge` beyond the configured limits. Returns according to the durability mode.
    public func put(_ key: [UInt8], _ value: [UInt8]) throws {
        try key.withUnsafeBytes { k in try value.withUnsafeBytes { v in try put(k, v) } }
    }

    /// Stores `value` under `key`.
    @inline(__always)
    public func put(_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws {
        if key.count > maxKey { throw StoreError.keyTooLarge(size: key.count, limit: maxKey) }
        if value.count > maxValue { throw StoreError.valueTooLarge(size: value.count, limit: maxValue) }
        mutex.lock()
        let seq: UInt64
        do {
            seq = try e.pointee.put(Engine.nonNil(key), key.count, value.baseAddress, value.count)
        } catch {
            mutex.unlock()
            throw error
        }
        try finishWrite(seq)
    }

    /// Deletes `key` (no error if absent).
    public func delete(_ key: [UInt8]) throws {
        try key.withUnsafeBytes { try delete($0) }
    }

    /// Deletes `key` (no error if absent).
    public func delete(_ key: UnsafeRawBufferPointer) throws {
        if key.count > maxKey { throw StoreError.keyTooLarge(size: key.count, limit: maxKey) }
        mutex.lock()
        let seq: UInt64?
        do {
            seq = try e.pointee.delete(Engine.nonNil(key), key.count)
        } catch {
            mutex.unlock()
            throw error
        }
        try finishWrite(seq)
    }

    /// Applies a batch atomically: all its operations become visible together (no reader sees
    /// part of it) and durable together according to the durability mode; after a crash either
    /// all or none of them are present.
    public func write(_ batch: WriteBatch) throws {
        for op in batch.ops {
            switch op {
            case let .put(k, v):
                if k.count > maxKey { throw StoreError.keyTooLarge(size: k.count, limit: maxKey) }
                if v.count > maxValue { throw StoreError.valueTooLarge(size: v.count, limit: maxValue) }
            case let .delete(k):
                if k.count > maxKey { throw StoreError.keyTooLarge(size: k.count, limit: maxKey) }
            }
        }
        mutex.lock()
        let seq: UInt64?
        do {
            seq = try e.pointee.write(batch.ops)
        } catch {
            mutex.unlock()
            throw error
        }
        try finishWrite(seq)
    }

    /// Called with the mutex held after a write appended sequence number `seq` (nil: nothing
    /// written); makes it durable per the mode and releases the mutex.
    @inline(__always)
    private func finishWrite(_ seq: UInt64?) throws {
        guard let seq, mode != 0 else {
            let merge = e.pointee.wantsAutoMerge
            if merge { e.pointee.autoMergeScheduled = true }
            mutex.unlock()
            if merge { startBackgroundMerge() }
            return
        }
        if mode == 1 { try syncAlways() } else { try syncGroup(seq) }
    }

    /// `.always`: write the buffer out and fdatasync it ourselves, outside the mutex.
    private func syncAlways() throws {
        do {
            try e.pointee.flush()
        } catch {
            mutex.unlock()
            throw error
        }
        let file = e.pointee.active!.path
        let failed = fdatasyncOutsideMutex(e.pointee.activeFd)
        if let err = failed {
            e.pointee.failure = "fdatasync of \(file) failed with errno \(err)"
        } else {
            e.pointee.durableWrites += 1
        }
        let merge = failed == nil && e.pointee.wantsAutoMerge
        if merge { e.pointee.autoMergeScheduled = true }
        mutex.broadcast()
        mutex.unlock()
        if let err = failed { throw StoreError.io(operation: "fdatasync", path: file, errno: err) }
        if merge { startBackgroundMerge() }
    }

    /// fdatasyncs `fd` with the mutex released (held on entry and again on return); while it
    /// runs, a rotation defers closing the descriptor (`syncsInFlight`). Returns the errno of
    /// a failure, nil on success.
    private func fdatasyncOutsideMutex(_ fd: Int32) -> Int32? {
        e.pointee.syncsInFlight += 1
        mutex.unlock()
        var rc: Int32
        repeat { rc = Glibc.fdatasync(fd) } while rc != 0 && errno == EINTR
        let err = errno
        mutex.lock()
        e.pointee.syncsInFlight -= 1
        e.pointee.fsyncCount += 1
        e.pointee.closeDeferredIfIdle()
        return rc == 0 ? nil : err
    }

    /// `.group`: wait until an fdatasync covering `seq` completed, leading one if none runs.
    private func syncGroup(_ seq: UInt64) throws {
        let eng = e
        eng.pointee.writersWaiting += 1
        if eng.pointee.gathering { mutex.broadcast() }
        var thrown: Error?
        while eng.pointee.syncedSeq < seq {
            if let f = eng.pointee.failure { thrown = StoreError.failed(f); break }
            if eng.pointee.syncRunning { mutex.wait(); continue }
            eng.pointee.syncRunning = true
            // Gather: when the previous fsync was shared, give concurrent writers up to maxWait
            // to append before starting this one.
            if groupWaitNanoseconds > 0 && eng.pointee.lastSyncCovered > 1 {
                let deadline = Mutex.now() + groupWaitNanoseconds
                eng.pointee.gathering = true
                while eng.pointee.writersWaiting < eng.pointee.lastSyncCovered && Mutex.now() < deadline {
                    mutex.wait(untilNanoseconds: deadline)
                }
                eng.pointee.gathering = false
            }
            do {
                try eng.pointee.flush()
            } catch {
                eng.pointee.syncRunning = false
                mutex.broadcast()
                thrown = error
                break
            }
            let target = eng.pointee.lastSeq
            let covered = eng.pointee.writersWaiting
            let file = eng.pointee.active!.path
            let failed = fdatasyncOutsideMutex(eng.pointee.activeFd)
            eng.pointee.syncRunning = false
            if let err = failed {
                eng.pointee.failure = "fdatasync of \(file) failed with errno \(err)"
                thrown = StoreError.io(operation: "fdatasync", path: file, errno: err)
            } else {
                if target > eng.pointee.syncedSeq { eng.pointee.syncedSeq = target }
                eng.pointee.lastSyncCovered = covered
            }
            mutex.broadcast()
            if thrown != nil { break }
        }
        eng.pointee.writersWaiting -= 1
        if thrown == nil { eng.pointee.durableWrites += 1 }
        let merge = thrown == nil && eng.pointee.wantsAutoMerge
        if merge { eng.pointee.autoMergeScheduled = true }
        mutex.unlock()
        if let t = thrown { throw t }
        if merge { startBackgroundMerge() }
    }

    /// Makes every write so far durable: writes the append buffer out and fdatasyncs the
    /// active segment, any segment rotated since the last sync (in `.none` mode), and the
    /// directory if files were created.
    public func sync() throws {
        mutex.lock()
        if e.pointee.closed { mutex.unlock(); throw StoreError.closed }
        do {
            try e.pointee.flush()
        } catch {
            mutex.unlock()
            throw error
        }
        let target = e.pointee.lastSeq
        let rotated = e.pointee.unsynced
        e.pointee.unsynced = []
        let activeFd = e.pointee.activeFd
        let activePath = e.pointee.active!.path
        let syncDir = e.pointee.directoryDirty
        e.pointee.directoryDirty = false
        e.pointee.syncsInFlight += 1
        mutex.unlock()
        var failure: Error?
        var synced = 1
        for p in rotated {
            // A segment a merge has deleted meanwhile needs no sync (its data is in fsynced outputs).
            let fd = Glibc.open(p, O_RDONLY | O_CLOEXEC)
            if fd < 0 {
                if errno != ENOENT { failure = failure ?? FileIO.ioError("open", p) }
                continue
            }
            do { try FileIO.fdatasync(fd, path: p) } catch { failure = failure ?? error }
            FileIO.close(fd)
            synced += 1
        }
        do { try FileIO.fdatasync(activeFd, path: activePath) } catch { failure = failure ?? error }
        if syncDir { do { try FileIO.syncDirectory(path) } catch { failure = failure ?? error } }
        mutex.lock()
        e.pointee.syncsInFlight -= 1
        e.pointee.fsyncCount += synced
        e.pointee.closeDeferredIfIdle()
        if failure == nil && target > e.pointee.syncedSeq { e.pointee.syncedSeq = target }
        mutex.broadcast()
        mutex.unlock()
        if let f = failure { throw f }
    }

    // MARK: - Scans

    /// Up to `limit` pairs whose key starts with `prefix` and is greater than `after` (if
    /// given), in byte-lexicographic key order. Pass the last key of a page as `after` to get
    /// the next page.
    public func scan(prefix: [UInt8], after: [UInt8]? = nil, limit: Int) throws -> [(key: [UInt8], value: [UInt8])] {
        var out: [(key: [UInt8], value: [UInt8])] = []
        try iterate(prefix: prefix, after: after, skip: 0, limit: limit) { k, v in
            out.append((key: [UInt8](k), value: [UInt8](v)))
            return true
        }
        return out
    }

    /// Up to `limit` keys starting with `prefix`, greater than `after` (if given), in order.
    public func keys(prefix: [UInt8], after: [UInt8]? = nil, limit: Int) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        try iterate(prefix: prefix, after: after, skip: 0, limit: limit, touchValues: false) { k, _ in
            out.append([UInt8](k))
            return true
        }
        return out
    }

    /// Offset-based page (compatibility API): skips the first `offset` matching pairs. Costs
    /// O(offset); prefer `scan(prefix:after:limit:)`.
    public func scan(prefix: [UInt8], offset: Int, limit: Int) throws -> [(key: [UInt8], value: [UInt8])] {
        var out: [(key: [UInt8], value: [UInt8])] = []
        try iterate(prefix: prefix, after: nil, skip: max(0, offset), limit: limit) { k, v in
            out.append((key: [UInt8](k), value: [UInt8](v)))
            return true
        }
        return out
    }

    /// Offset-based page of keys (compatibility API).
    public func keys(prefix: [UInt8], offset: Int, limit: Int) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        try iterate(prefix: prefix, after: nil, skip: max(0, offset), limit: limit, touchValues: false) { k, _ in
            out.append([UInt8](k))
            return true
        }
        return out
    }

    /// Calls `body(key, value)` for every pair whose key starts with `prefix` (and is greater
    /// than `after`, if given), in key order, without copying; stops when `body` returns
    /// false. The buffers are valid only during the call; `body` runs with the mutex held and
    /// must not call back into the store.
    public func visit(prefix: [UInt8], after: [UInt8]?,
                      _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        try iterate(prefix: prefix, after: after, skip: 0, limit: Int.max, body)
    }

    private func iterate(prefix: [UInt8], after: [UInt8]?, skip: Int, limit: Int, touchValues: Bool = true,
                         _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Bool) throws {
        if limit <= 0 { return }
        mutex.lock()
        defer { mutex.unlock() }
        if e.pointee.closed { throw StoreError.closed }
        try e.pointee.scan(prefix: prefix, after: after, skip: skip, limit: limit, touchValues: touchValues, body)
    }

    // MARK: - Merge

    /// Compacts: rewrites the live records of every segment but the active one into new
    /// segments in key order, deletes the old ones and writes a hint file. Readers and writers
    /// keep working meanwhile (the mutex is taken per chunk of ~2,000 keys). Returns at once
    /// when older segments hold no garbage. If a merge is already running, waits for it and
    /// then merges. A crash at any point leaves a consistent store.
    public func merge() throws {
        mutex.lock()
        while e.pointee.merging && !e.pointee.closed { mutex.wait() }
        let plan: MergePlan?
        do {
            if e.pointee.closed { throw StoreError.closed }
            plan = try e.pointee.beginMerge()
        } catch {
            mutex.unlock()
            throw error
        }
        mutex.unlock()
        guard let plan else { return }
        try runMerge(plan)
    }

    /// Runs merges on a background thread while garbage stays over the threshold (writes
    /// that continued during a merge may have pushed it over again), at most 8 in a row.
    private func startBackgroundMerge() {
        let t = Thread { [self] in
            for _ in 0..<8 {
                do { try self.merge() } catch {
                    self.mutex.lock()
                    if !self.e.pointee.closed { self.e.pointee.lastMergeError = "\(error)" }
                    self.mutex.unlock()
                    break
                }
                self.mutex.lock()
                let again = self.e.pointee.garbageOverThreshold
                self.mutex.unlock()
                if !again { break }
            }
            self.mutex.lock()
            if !self.e.pointee.closed { self.e.pointee.autoMergeScheduled = false }
            self.mutex.unlock()
        }
        t.start()
    }

    private func runMerge(_ plan: MergePlan) throws {
        let writer = MergeWriter(directory: path, plan: plan, limit: options.segmentSizeLimit) { [self] id, file, capacity in
            mutex.lock()
            let slot: Int
            do { slot = try e.pointee.allocateSlot() } catch { mutex.unlock(); throw error }
            mutex.unlock()
            do {
                let seg = try SegmentInfo.create(path: file, id: id, isMergeOutput: true, baseSeq: plan.snapshotSeq,
                                                 capacity: capacity, slot: slot, crc: CRC32C.shared)
                mutex.lock()
                e.pointee.register(seg)
                mutex.unlock()
                return seg
            } catch {
                mutex.lock()
                e.pointee.freeSlot(slot)
                mutex.unlock()
                throw error
            }
        }
        var failure: Error?
        var cursor: [UInt8]?
        var cancelled = false
        while failure == nil {
            mutex.lock()
            if e.pointee.mergeCancel { cancelled = true; mutex.unlock(); break }
            let chunk = e.pointee.collect(after: cursor, max: 2048, scanLimit: 65536, filter: UnsafePointer(plan.mask))
            mutex.unlock()
            var newLocs: [RecordLocation] = []
            newLocs.reserveCapacity(chunk.count)
            do {
                for i in 0..<chunk.count {
                    let loc = chunk.locs[i]
                    try chunk.withKey(i) { k, kl in
                        newLocs.append(try writer.copy(from: plan.input(slot: loc.slot)!, loc, key: k, keyLength: kl))
                    }
                }
                try writer.flush()
            } catch {
                failure = error
                break
            }
            mutex.lock()
            e.pointee.installMerged(chunk, newLocs, outputs: writer.outputs, sizes: writer.sizes)
            mutex.unlock()
            guard let next = chunk.resumeAfter else { break }
            cursor = next
        }
        var committed = false
        do {
            try writer.commit()
            committed = true
        } catch {
            failure = failure ?? error
        }
        mutex.lock()
        do {
            try e.pointee.finishMerge(plan, outputs: writer.outputs, committed: committed)
        } catch {
            failure = failure ?? error
        }
        let writeHint = failure == nil && !cancelled && !e.pointee.mergeCancel
        mutex.unlock()
        if writeHint {
            do { try writeHintInChunks() } catch { failure = error }
        }
        mutex.lock()
        e.pointee.merging = false
        if failure == nil && !cancelled { e.pointee.mergeCount += 1 }
        if let f = failure { e.pointee.lastMergeError = "\(f)" }
        mutex.broadcast()
        mutex.unlock()
        if let f = failure { throw f }
    }

    /// Writes a hint file while writers keep running (the mutex is taken per chunk).
    private func writeHintInChunks() throws {
        mutex.lock()
        var writer: HintWriter
        do {
            try e.pointee.flush()
            let cp = e.pointee.active!
            writer = try HintWriter(directory: path, segments: e.pointee.segments.filter { $0.id <= cp.id },
                                    checkpointOffset: e.pointee.fileEnd, lastSeq: e.pointee.lastSeq)
        } catch {
            mutex.unlock()
            throw error
        }
        mutex.unlock()
        var cursor: [UInt8]?
        repeat {
            mutex.lock()
            if e.pointee.mergeCancel {
                mutex.unlock()
                writer.abandon()
                return
            }
            let chunk = e.pointee.collect(after: cursor, max: 8192, scanLimit: 8192, filter: nil)
            mutex.unlock()
            for i in 0..<chunk.count {
                try chunk.withKey(i) { k, kl in try writer.add(k, kl, chunk.locs[i]) }
            }
            cursor = chunk.resumeAfter
        } while cursor != nil
        try writer.finish(durable: mode != 0)
    }

    // MARK: - Statistics

    /// Live keys, live and garbage bytes per segment, fsync and merge counters.
    public func statistics() -> StoreStatistics {
        mutex.lock()
        defer { mutex.unlock() }
        if e.pointee.closed {
            return StoreStatistics(liveKeys: 0, liveBytes: 0, garbageBytes: 0, totalBytes: 0, segments: [],
                                   indexMemoryBytes: 0, fsyncCount: 0, durableWrites: 0, mergeCount: 0,
                                   lastSequence: 0, lastMergeError: nil)
        }
        return e.pointee.statistics()
    }

    /// Checks the index's internal invariants (tests).
    func checkIndex() -> String? {
        mutex.lock()
        defer { mutex.unlock() }
        return e.pointee.closed ? nil : e.pointee.tree.check()
    }
}
