import Glibc

/// Merge (compaction): every segment older than the active one is an input; the live records
/// among them are copied in key order into new segments `(k, 1...)` (k = the inputs' highest
/// major id), which sort after every input and before the active segment. Steps:
///
/// 1. (mutex) flush, rotate so that the active segment's records become an input, plan.
/// 2. repeatedly: (mutex) copy the next chunk of index entries that point into inputs;
///    (no mutex) verify each record's checksum and append it to an output file (`.seg.tmp`);
///    flush; (mutex) repoint each index entry that still points at the copied record.
/// 3. (no mutex) fdatasync the outputs, rename them to `.seg`, sync the directory.
/// 4. (mutex) delete the inputs, oldest first, while they hold no live record.
/// 5. write a hint file for the new layout (in chunks).
///
/// Crash safety follows from the file order: before step 3 completes, outputs are `.tmp`
/// files that recovery deletes; afterwards, replaying any remaining inputs followed by the
/// outputs (which repeat the latest values) gives the same state, and inputs are only deleted
/// oldest-first so a tombstone is never lost while an older put it hides remains.
final class MergePlan {
    let inputs: [SegmentInfo]
    /// Per slot: is it an input?
    let mask: UnsafeMutablePointer<Bool>
    let outputMajor: UInt64
    let firstMinor: UInt32
    let snapshotSeq: UInt64
    private let bySlot: [Int: SegmentInfo]

    init(inputs: [SegmentInfo], outputMajor: UInt64, firstMinor: UInt32, snapshotSeq: UInt64) {
        self.inputs = inputs
        self.outputMajor = outputMajor
        self.firstMinor = firstMinor
        self.snapshotSeq = snapshotSeq
        mask = .allocate(capacity: Engine.maxSlots)
        mask.initialize(repeating: false, count: Engine.maxSlots)
        for s in inputs { mask[s.slot] = true }
        bySlot = Dictionary(uniqueKeysWithValues: inputs.map { ($0.slot, $0) })
    }

    deinit { mask.deallocate() }

    func input(slot: Int) -> SegmentInfo? { bySlot[slot] }
}

/// Appends copied records to merge output files.
final class MergeWriter {
    private let directory: String
    private let plan: MergePlan
    private let limit: Int
    private let crc = CRC32C.shared
    private let buffer: UnsafeMutableRawPointer
    private static let capacity = 1 << 20
    private var used = 0
    private(set) var outputs: [SegmentInfo] = []
    /// File size of each output so far (flushed bytes).
    private(set) var sizes: [Int] = []
    /// Bytes in the current output's file.
    private var fileEnd = 0
    private var nextMinor: UInt32
    /// Creates and registers a new output segment (the store does this under its mutex).
    private let makeOutput: (SegmentID, String, Int) throws -> SegmentInfo

    init(directory: String, plan: MergePlan, limit: Int,
         makeOutput: @escaping (SegmentID, String, Int) throws -> SegmentInfo) {
        self.directory = directory
        self.plan = plan
        self.limit = limit
        self.makeOutput = makeOutput
        nextMinor = plan.firstMinor
        buffer = .allocate(byteCount: MergeWriter.capacity, alignment: 16)
    }

    deinit { buffer.deallocate() }

    private var current: SegmentInfo? { outputs.last }

    /// Appends a record with the key and value; returns its new location.
    func append(_ key: UnsafeRawPointer, _ klen: Int, _ value: UnsafeRawPointer, _ vlen: Int) throws -> RecordLocation {
        let size = RecordFormat.headerSize(seqDelta: 0, keyLength: klen, valueLength: vlen) + klen + vlen
        let end = fileEnd + used
        if current == nil || end + size > current!.mapSize || (end + size > limit && end > SegmentHeader.size) {
            try flush()
            let id = SegmentID(major: plan.outputMajor, minor: nextMinor)
            nextMinor += 1
            let seg = try makeOutput(id, directory + "/" + id.fileName + ".tmp", max(limit, SegmentHeader.size + size))
            outputs.append(seg)
            sizes.append(SegmentHeader.size)
            fileEnd = SegmentHeader.size
        }
        let seg = current!
        if size > MergeWriter.capacity - used {
            try flush()
            if size > MergeWriter.capacity {
                let tmp = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
                defer { tmp.deallocate() }
                let r = RecordFormat.encode(at: tmp, flags: 0, seqDelta: 0, key: key, keyLength: klen, value: value,
                                            valueLength: vlen, crc: crc)
                try FileIO.pwriteAll(seg.fd, tmp, size, at: fileEnd, path: seg.path)
                let off = fileEnd
                fileEnd += size
                sizes[sizes.count - 1] = fileEnd
                return RecordLocation(slot: seg.slot, headerSize: r.header, recordOffset: off, keyLength: klen, valueLength: vlen)
            }
        }
        let off = fileEnd + used
        let r = RecordFormat.encode(at: buffer + used, flags: 0, seqDelta: 0, key: key, keyLength: klen, value: value,
                                    valueLength: vlen, crc: crc)
        used += r.size
        return RecordLocation(slot: seg.slot, headerSize: r.header, recordOffset: off, keyLength: klen, valueLength: vlen)
    }

    /// Verifies the input record at `loc` (checksum, and that it is the record the index
    /// entry describes) and appends a copy; returns the copy's location.
    func copy(from seg: SegmentInfo, _ loc: RecordLocation, key: UnsafeRawPointer, keyLength kl: Int) throws -> RecordLocation {
        let off = loc.recordOffset(keyLength: kl)
        let r: RecordFormat.Parsed
        switch RecordFormat.parse(seg.base, at: off, end: seg.size, verify: true, crc: crc) {
        case let .record(p): r = p
        case let .truncated(why), let .invalid(why): throw StoreError.corrupt(file: seg.path, offset: off, reason: why)
        }
        guard r.keyLength == kl, r.headerSize == loc.headerSize, r.valueLength == loc.valueCount,
              memcmp(seg.base + off + r.headerSize, key, kl) == 0 else {
            throw StoreError.corrupt(file: seg.path, offset: off, reason: "record does not match the index entry")
        }
        return try append(key, kl, seg.base + off + r.headerSize + kl, r.valueLength)
    }

    /// Writes buffered records to the current output file.
    func flush() throws {
        guard used > 0, let seg = current else { return }
        try FileIO.pwriteAll(seg.fd, buffer, used, at: fileEnd, path: seg.path)
        fileEnd += used
        sizes[sizes.count - 1] = fileEnd
        used = 0
    }

    /// Makes the outputs durable and gives them their final names.
    func commit() throws {
        try flush()
        for s in outputs { try FileIO.fdatasync(s.fd, path: s.path) }
        for s in outputs { try FileIO.rename(s.path, directory + "/" + s.fileName) }
        if !outputs.isEmpty { try FileIO.syncDirectory(directory) }
    }
}

extension Engine {
    /// Step 1: returns nil when there is nothing to merge (no garbage in older segments).
    mutating func beginMerge() throws -> MergePlan? {
        try checkWritable()
        try flush()
        guard let act = active else { throw StoreError.closed }
        var inputs = segments.filter { $0 !== act }
        let activeGarbage = fileEnd - SegmentHeader.size - live[act.slot]
        let olderGarbage = inputs.reduce(0) { $0 + $1.size - SegmentHeader.size - live[$1.slot] }
        if olderGarbage + activeGarbage == 0 { return nil }
        if fileEnd > SegmentHeader.size {
            try rotate(minCapacity: 0)
            inputs = segments.filter { $0 !== active }
        }
        if inputs.isEmpty { return nil }
        let major = inputs.map(\.id.major).max()!
        let minor = segments.filter { $0.id.major == major }.map(\.id.minor).max()! + 1
        merging = true
        mergeCancel = false
        return MergePlan(inputs: inputs, outputMajor: major, firstMinor: minor, snapshotSeq: lastSeq)
    }

    /// Step 2 (mutex part): repoints entries still at their copied records; accounts the
    /// output bytes written since the last call.
    mutating func installMerged(_ chunk: KeyChunk, _ newLocs: [RecordLocation], outputs: [SegmentInfo], sizes: [Int]) {
        for i in 0..<newLocs.count {
            chunk.withKey(i) { k, kl in
                guard let p = tree.find(k, kl) else { return }
                let old = chunk.locs[i]
                guard RecordLocation(p) == old else { return }
                let new = newLocs[i]
                new.store(to: p)
                let os = old.recordSize(keyLength: kl), ns = new.recordSize(keyLength: kl)
                live[old.slot] -= os
                live[new.slot] += ns
                liveTotal += ns - os
            }
        }
        for (s, size) in zip(outputs, sizes) {
            recordBytes += size - s.size
            s.size = size
        }
    }

    /// Step 4: after a successful commit, deletes inputs oldest-first while they hold no live
    /// record (all of them unless the merge stopped early).
    mutating func finishMerge(_ plan: MergePlan, outputs: [SegmentInfo], committed: Bool) throws {
        for s in outputs where s.fd >= 0 {
            FileIO.close(s.fd)
            s.fd = -1
            if committed { s.path = path(of: s.fileName) }
        }
        hintDirty = true
        guard committed else { return }
        for s in plan.inputs {
            if live[s.slot] != 0 { break }
            try FileIO.unlink(s.path)
            recordBytes -= s.size - SegmentHeader.size
            unregister(s)
        }
    }
}
