import Glibc

/// Opening a store: lock, find the files, load the index from the hint file or replay the log,
/// truncate a torn tail, refuse (or, with `repair`, cut off) damage anywhere else.
extension Engine {
    /// Opens (creating if needed) the store in `directory`.
    static func open(directory: String, options: StoreOptions) throws -> (UnsafeMutablePointer<Engine>, RecoveryReport) {
        try options.validate()
        try FileIO.makeDirectories(directory)
        let lockFD = try LockFile.acquire(directory: directory)
        let e = UnsafeMutablePointer<Engine>.allocate(capacity: 1)
        e.initialize(to: Engine(directory: directory, options: options))
        e.pointee.lockFD = lockFD
        do {
            let report = try e.pointee.recover()
            return (e, report)
        } catch {
            e.pointee.releaseResources()
            e.deinitialize(count: 1)
            e.deallocate()
            throw error
        }
    }

    private mutating func recover() throws -> RecoveryReport {
        var report = RecoveryReport()
        var ids: [SegmentID] = []
        var hasHint = false
        for name in try FileIO.listDirectory(directory) {
            if name.hasSuffix(".tmp") {
                try FileIO.unlink(path(of: name))
                report.removedTemporaryFiles.append(name)
            } else if let id = SegmentID(fileName: name) {
                ids.append(id)
            } else if name == HintFile.name {
                hasHint = true
            }
        }
        ids.sort()
        try openSegments(ids, report: &report)
        report.segments = segments.count

        var replayFrom = (index: 0, offset: SegmentHeader.size)
        if hasHint {
            if options.repair {
                report.hintRejected = "repair requested: every record is re-read and verified"
            } else {
                do {
                    replayFrom = try loadHint()
                    report.usedHintFile = true
                } catch let r as HintRejection {
                    report.hintRejected = r.reason
                }
            }
            if !report.usedHintFile {
                // A rejected hint must not be trusted later (after new appends it could look valid).
                try FileIO.unlink(path(of: HintFile.name))
            }
        }
        for i in replayFrom.index..<segments.count {
            try replay(segments[i], from: i == replayFrom.index ? replayFrom.offset : SegmentHeader.size,
                       isLast: i == segments.count - 1, report: &report)
        }

        // The last log segment stays open for appends (unless it was opened read-only because
        // a torn segment after it was removed); everything else is read through maps.
        if let last = segments.last, !last.isMergeOutput, last.appendable {
            for s in segments where s !== last && s.fd >= 0 { FileIO.close(s.fd); s.fd = -1 }
            makeActive(last)
        } else {
            for s in segments where s.fd >= 0 { FileIO.close(s.fd); s.fd = -1 }
            let major = (segments.last?.id.major ?? 0) + 1
            let slot = try allocateSlot()
            let id = SegmentID(major: major, minor: 0)
            let seg = try SegmentInfo.create(path: path(of: id.fileName), id: id, isMergeOutput: false, baseSeq: lastSeq + 1,
                                             capacity: options.segmentSizeLimit, slot: slot, crc: crc)
            try FileIO.syncDirectory(directory)
            register(seg)
            makeActive(seg)
        }
        recordBytes = segments.reduce(0) { $0 + $1.size - SegmentHeader.size }
        liveTotal = segments.reduce(0) { $0 + live[$1.slot] }
        syncedSeq = lastSeq
        hintDirty = !report.usedHintFile || report.recordsReplayed > 0 || !report.isClean
        return report
    }

    /// Opens, validates the header of, and maps every segment. A last segment shorter than a
    /// header, or all zeros, is a crash during its creation: it is removed and reported as a
    /// torn tail. A bad header elsewhere is corruption.
    private mutating func openSegments(_ ids: [SegmentID], report: inout RecoveryReport) throws {
        for (i, id) in ids.enumerated() {
            let isLast = i == ids.count - 1
            let p = path(of: id.fileName)
            let fd = try FileIO.open(p, isLast ? O_RDWR : O_RDONLY)
            var keep = false
            defer { if !keep { FileIO.close(fd) } }
            let size = try FileIO.fileSize(fd, path: p)
            var headerBytes = [UInt8](repeating: 0, count: SegmentHeader.size)
            let n = try headerBytes.withUnsafeMutableBytes { try FileIO.preadFully(fd, $0.baseAddress!, SegmentHeader.size, at: 0, path: p) }
            var header: SegmentHeader?
            var problem = "segment shorter than its \(SegmentHeader.size)-byte header"
            if n == SegmentHeader.size {
                switch headerBytes.withUnsafeBytes({ SegmentHeader.decode($0.baseAddress!, expected: id, crc: crc) }) {
                case let .success(h): header = h
                case let .failure(f): problem = f.reason
                }
            }
            guard let h = header else {
                // Created by a rotation that crashed before its 40-byte header was complete.
                if isLast, try n < SegmentHeader.size || Engine.allZero(fd: fd, from: 0, to: size, path: p) {
                    try FileIO.unlink(p)
                    report.tornTail = .init(file: id.fileName, offset: 0, bytesRemoved: size,
                                            reason: "segment created but its header never written (\(problem))")
                    continue
                }
                if options.repair {
                    let saved = p + ".damaged-0"
                    try FileIO.rename(p, saved)
                    report.repairs.append(.init(file: id.fileName, offset: 0, bytesDiscarded: size, recordsDiscarded: 0,
                                                reason: problem, savedTo: saved))
                    continue
                }
                throw StoreError.corrupt(file: p, offset: 0, reason: problem)
            }
            let mapSize = isLast && id.minor == 0 ? max(size, options.segmentSizeLimit) : size
            let rounded = (max(mapSize, SegmentHeader.size) + 4095) & ~4095
            let base = try FileIO.mapReadOnly(fd, size: rounded, path: p)
            let slot = try allocateSlot()
            keep = true
            let seg = SegmentInfo(id: id, path: p, fd: fd, base: base, mapSize: rounded, size: size, baseSeq: h.baseSeq,
                                  isMergeOutput: h.kind == SegmentHeader.kindMerge, slot: slot)
            seg.appendable = isLast && id.minor == 0
            register(seg)
        }
    }

    static func truncate(_ path: String, to size: Int) throws {
        while Glibc.truncate(path, off_t(size)) != 0 {
            if errno != EINTR { throw FileIO.ioError("truncate", path) }
        }
    }

    static func allZero(fd: Int32, from: Int, to end: Int, path: String) throws -> Bool {
        var buf = [UInt8](repeating: 0, count: 65536)
        var off = from
        while off < end {
            let want = min(buf.count, end - off)
            let n = try buf.withUnsafeMutableBytes { try FileIO.preadFully(fd, $0.baseAddress!, want, at: off, path: path) }
            if n == 0 { break }
            if buf[0..<n].contains(where: { $0 != 0 }) { return false }
            off += n
        }
        return true
    }

    /// Pending records of a batch whose last record has not been seen yet.
    private struct PendingOp {
        var offset: Int
        var parsed: RecordFormat.Parsed
    }

    /// Replays the records of `seg` from `start`, applying puts, tombstones and complete
    /// batches to the index.
    private mutating func replay(_ seg: SegmentInfo, from start: Int, isLast: Bool, report: inout RecoveryReport) throws {
        let base = seg.base
        let end = seg.size
        var off = start
        var pending: [PendingOp] = []
        var batchSeq: UInt64 = 0
        while off < end {
            switch RecordFormat.parse(base, at: off, end: end, verify: true, crc: crc) {
            case let .record(r):
                let seq = seg.baseSeq &+ r.seqDelta
                if seq > lastSeq { lastSeq = seq }
                if r.flags & RecordFormat.flagBatch != 0 {
                    if pending.isEmpty {
                        batchSeq = seq
                    } else if seq != batchSeq {
                        try damage(seg, cut: pending[0].offset, at: off, isLast: isLast, truncated: false,
                                   reason: "batch record with sequence number \(seq) inside batch \(batchSeq)", report: &report)
                        return
                    }
                    pending.append(PendingOp(offset: off, parsed: r))
                    if r.flags & RecordFormat.flagBatchEnd != 0 {
                        for op in pending { apply(seg, op.offset, op.parsed) }
                        report.recordsReplayed += pending.count
                        pending.removeAll(keepingCapacity: true)
                    }
                } else {
                    if !pending.isEmpty {
                        try damage(seg, cut: pending[0].offset, at: off, isLast: isLast, truncated: false,
                                   reason: "batch starting at offset \(pending[0].offset) interrupted by a standalone record",
                                   report: &report)
                        return
                    }
                    apply(seg, off, r)
                    report.recordsReplayed += 1
                }
                off += r.size
            case let .truncated(reason):
                try damage(seg, cut: pending.first?.offset ?? off, at: off, isLast: isLast, truncated: true,
                           reason: reason, report: &report)
                return
            case let .invalid(reason):
                try damage(seg, cut: pending.first?.offset ?? off, at: off, isLast: isLast, truncated: false,
                           reason: reason, report: &report)
                return
            }
        }
        if let first = pending.first {
            try damage(seg, cut: first.offset, at: first.offset, isLast: isLast, truncated: true,
                       reason: "batch without its last record", report: &report)
        }
    }

    @inline(__always)
    private mutating func apply(_ seg: SegmentInfo, _ off: Int, _ r: RecordFormat.Parsed) {
        let key = seg.base + off + r.headerSize
        if r.flags & RecordFormat.flagTombstone != 0 {
            applyDelete(key, r.keyLength)
        } else {
            applyPut(key, r.keyLength, RecordLocation(slot: seg.slot, headerSize: r.headerSize, recordOffset: off,
                                                      keyLength: r.keyLength,
                                                      valueLength: r.valueLength))
        }
    }

    /// Handles a record at `at` that failed validation; `cut` is where the file must end to
    /// drop it (the start of its batch, if it is inside one).
    ///
    /// In the last segment, damage that an interrupted append explains is removed and reported:
    /// nothing but zeros from `at` on (space preallocated by a durable-mode store, or blocks
    /// never written) is a zero tail; a record cut off by the end of the file, or a bad record
    /// (or incomplete batch) with no valid record anywhere after it, is a torn tail. Anything
    /// else is corruption: an error naming file and offset, or with `repair` a truncation that
    /// saves the dropped bytes and reports what was lost.
    private mutating func damage(_ seg: SegmentInfo, cut: Int, at: Int, isLast: Bool, truncated: Bool, reason: String,
                                 report: inout RecoveryReport) throws {
        let end = seg.size
        if isLast {
            let zeros = UnsafeRawBufferPointer(start: seg.base + at, count: end - at).allSatisfy { $0 == 0 }
            if zeros && cut == at {
                try Engine.truncate(seg.path, to: cut)
                seg.size = cut
                report.zeroTail = .init(file: seg.fileName, offset: cut, bytesRemoved: end - cut)
                return
            }
            if truncated || findRecords(seg.base, from: at + 1, to: end, stopAtFirst: true) == 0 {
                try Engine.truncate(seg.path, to: cut)
                seg.size = cut
                report.tornTail = .init(file: seg.fileName, offset: cut, bytesRemoved: end - cut, reason: reason)
                return
            }
        }
        guard options.repair else { throw StoreError.corrupt(file: seg.path, offset: at, reason: reason) }
        let saved = seg.path + ".damaged-\(cut)"
        try FileIO.writeFile(saved, UnsafeRawBufferPointer(start: seg.base + cut, count: end - cut))
        // The damaged record itself, valid records found after it, and complete records of
        // its batch before it.
        let lost = 1 + findRecords(seg.base, from: at + 1, to: end, stopAtFirst: false)
            + (cut < at ? findRecords(seg.base, from: cut, to: at, stopAtFirst: false) : 0)
        try Engine.truncate(seg.path, to: cut)
        seg.size = cut
        report.repairs.append(.init(file: seg.fileName, offset: cut, bytesDiscarded: end - cut, recordsDiscarded: lost,
                                    reason: "damage at offset \(at): \(reason)", savedTo: saved))
    }

    /// Counts records with a valid checksum in base[from..<end], resynchronising byte by byte
    /// after garbage; with `stopAtFirst`, 0 or 1. Offsets whose next 8 bytes are all zero are
    /// skipped: no valid record starts there (it would be the 8-byte empty record, whose
    /// checksum is not zero). The work is bounded: after 256 MiB of checksummed bytes the scan
    /// stops and, when looking for any record, reports one (the conservative answer).
    private func findRecords(_ base: UnsafeRawPointer, from: Int, to end: Int, stopAtFirst: Bool) -> Int {
        var off = from
        var found = 0
        var budget = 256 << 20
        while off < end {
            if budget <= 0 { return stopAtFirst ? 1 : found }
            if off + 8 <= end && base.loadUnaligned(fromByteOffset: off, as: UInt64.self) == 0 {
                // Jump over the zero run to 7 bytes before its end.
                var z = off + 8
                while z < end && base.load(fromByteOffset: z, as: UInt8.self) == 0 { z += 1 }
                off = max(off + 1, z - 7)
                continue
            }
            if case let .record(r) = RecordFormat.parse(base, at: off, end: end, verify: false, crc: crc) {
                budget -= r.size
                if case .record = RecordFormat.parse(base, at: off, end: end, verify: true, crc: crc) {
                    found += 1
                    if stopAtFirst { return found }
                    off += r.size
                    continue
                }
            }
            off += 1
        }
        return found
    }
}
