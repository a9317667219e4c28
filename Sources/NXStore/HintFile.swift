import Glibc

/// The hint file `index.hint`: a checkpoint of the whole index (key -> record location) in key
/// order, so that opening a store maps one compact file and bulk-builds the B+tree instead of
/// reading every record.
///
///     header, 48 bytes:
///       0  magic "NXSTHNT1"           8  u32 version (1)       12  u32 segment count
///      16  u64 last sequence number at the checkpoint
///      24  u64 checkpoint segment major   32 u32 checkpoint segment minor   36 u32 reserved
///      40  u64 checkpoint offset (records before it in the checkpoint segment are covered)
///     segment table, 24 bytes per segment, every segment up to the checkpoint segment in order:
///       u64 major, u32 minor, u32 flags (1 = merge output), u64 file size covered
///     entries, in strictly increasing key order:
///       varint shared prefix length with the previous key, varint suffix length, suffix bytes,
///       varint value length,
///       u8 tag: low 6 bits record header size; high 2 bits location mode
///         0 = explicit: varint segment table index, varint record offset
///         1 = same segment as the previous entry: varint record offset
///         2 = contiguous: same segment, offset = previous offset + previous record size
///     trailer, 20 bytes: u64 entry count, u32 CRC-32C of every byte before it (entry count
///       included), magic "NXSTHEND"
///
/// The file is valid only if the store's segments up to the checkpoint segment are exactly the
/// table's, with the same sizes (the checkpoint segment may have grown). Opening then replays
/// only the records after the checkpoint. A hint may be written in chunks while writers run
/// (after a merge): entries are then taken at different moments, and only locations before
/// the checkpoint are written; replaying everything after the checkpoint makes the result
/// exact either way.
enum HintFile {
    static let name = "index.hint"
    static let tmpName = "index.hint.tmp"
    static let magic: UInt64 = 0x3154_4E48_5453_584E  // "NXSTHNT1"
    static let endMagic: UInt64 = 0x444E_4548_5453_584E  // "NXSTHEND"
    static let version: UInt32 = 1
    static let headerSize = 48
    static let segmentEntrySize = 24
    static let trailerSize = 20
}

/// A reason not to use a hint file (the log is replayed instead).
struct HintRejection: Error {
    var reason: String
}

/// Streams a hint file to `index.hint.tmp` and renames it into place.
struct HintWriter {
    private let fd: Int32
    private let tmpPath: String
    private let finalPath: String
    private let directory: String
    private let crc = CRC32C.shared
    private let buffer: UnsafeMutableRawPointer
    private static let capacity = 1 << 20
    private var used = 0
    private var crcState: UInt32 = 0xFFFF_FFFF
    private var fileOffset = 0
    private let prevKey: UnsafeMutableRawPointer
    private var prevLength = 0
    private var prevSlot = -1
    private var prevEnd = 0
    private(set) var entries = 0
    /// slot -> segment table index, or -1 for segments after the checkpoint.
    private var slotIndex: [Int32]
    private let checkpointSlot: Int
    private let checkpointOffset: Int

    /// Starts a hint covering `segments` (all segments up to and including the checkpoint
    /// segment, in order; the last one is covered up to `checkpointOffset`).
    init(directory: String, segments: [SegmentInfo], checkpointOffset: Int, lastSeq: UInt64) throws {
        self.directory = directory
        tmpPath = directory + "/" + HintFile.tmpName
        finalPath = directory + "/" + HintFile.name
        _ = Glibc.unlink(tmpPath)
        fd = try FileIO.open(tmpPath, O_WRONLY | O_CREAT | O_TRUNC)
        buffer = .allocate(byteCount: HintWriter.capacity, alignment: 16)
        prevKey = .allocate(byteCount: Limits.maxKeySize + 8, alignment: 16)
        let cp = segments.last!
        checkpointSlot = cp.slot
        self.checkpointOffset = checkpointOffset
        slotIndex = Array(repeating: -1, count: (segments.map(\.slot).max() ?? 0) + 1)
        let h = buffer
        h.storeBytes(of: HintFile.magic.littleEndian, toByteOffset: 0, as: UInt64.self)
        h.storeBytes(of: HintFile.version.littleEndian, toByteOffset: 8, as: UInt32.self)
        h.storeBytes(of: UInt32(segments.count).littleEndian, toByteOffset: 12, as: UInt32.self)
        h.storeBytes(of: lastSeq.littleEndian, toByteOffset: 16, as: UInt64.self)
        h.storeBytes(of: cp.id.major.littleEndian, toByteOffset: 24, as: UInt64.self)
        h.storeBytes(of: cp.id.minor.littleEndian, toByteOffset: 32, as: UInt32.self)
        h.storeBytes(of: UInt32(0), toByteOffset: 36, as: UInt32.self)
        h.storeBytes(of: UInt64(checkpointOffset).littleEndian, toByteOffset: 40, as: UInt64.self)
        used = HintFile.headerSize
        for (i, s) in segments.enumerated() {
            let p = buffer + used
            p.storeBytes(of: s.id.major.littleEndian, as: UInt64.self)
            p.storeBytes(of: s.id.minor.littleEndian, toByteOffset: 8, as: UInt32.self)
            p.storeBytes(of: UInt32(s.isMergeOutput ? 1 : 0).littleEndian, toByteOffset: 12, as: UInt32.self)
            let size = s === cp ? checkpointOffset : s.size
            p.storeBytes(of: UInt64(size).littleEndian, toByteOffset: 16, as: UInt64.self)
            used += HintFile.segmentEntrySize
            slotIndex[s.slot] = Int32(i)
            if used > HintWriter.capacity - 64 { try flushBuffer() }
        }
    }

    private mutating func flushBuffer() throws {
        crcState = crc.update(crcState, buffer, used)
        do {
            try FileIO.pwriteAll(fd, buffer, used, at: fileOffset, path: tmpPath)
        } catch {
            abandon()
            throw error
        }
        fileOffset += used
        used = 0
    }

    /// Adds the next entry (keys must come in strictly increasing order). Locations after the
    /// checkpoint are skipped: replay restores them.
    /// `shared`: the common prefix length with the previously added key if the caller knows
    /// it, else -1.
    @inline(__always)
    mutating func add(_ key: UnsafeRawPointer, _ klen: Int, _ loc: RecordLocation, shared known: Int = -1) throws {
        let slot = loc.slot
        let off = loc.recordOffset(keyLength: klen)
        guard slot < slotIndex.count, slotIndex[slot] >= 0, slot != checkpointSlot || off < checkpointOffset else { return }
        if used &+ klen &+ 40 > HintWriter.capacity { try flushBuffer() }
        let shared = entries == 0 ? 0 : known >= 0 ? known : Bytes.commonPrefix(prevKey, prevLength, key, klen)
        let p = buffer + used
        var i = HintWriter.varint(UInt64(shared), p)
        i &+= HintWriter.varint(UInt64(klen &- shared), p + i)
        if klen > shared {
            Engine.smallCopy(p + i, key + shared, klen &- shared)
            Engine.smallCopy(prevKey + shared, key + shared, klen &- shared)
        }
        i &+= klen &- shared
        i &+= HintWriter.varint(UInt64(loc.valueLength), p + i)
        if slot == prevSlot && off == prevEnd {
            p.storeBytes(of: UInt8(truncatingIfNeeded: loc.headerSize | 2 << 6), toByteOffset: i, as: UInt8.self)
            i &+= 1
        } else if slot == prevSlot {
            p.storeBytes(of: UInt8(truncatingIfNeeded: loc.headerSize | 1 << 6), toByteOffset: i, as: UInt8.self)
            i &+= 1
            i &+= HintWriter.varint(UInt64(off), p + i)
        } else {
            p.storeBytes(of: UInt8(truncatingIfNeeded: loc.headerSize), toByteOffset: i, as: UInt8.self)
            i &+= 1
            i &+= HintWriter.varint(UInt64(slotIndex[slot]), p + i)
            i &+= HintWriter.varint(UInt64(off), p + i)
        }
        used &+= i
        prevLength = klen
        prevSlot = slot
        prevEnd = off &+ loc.recordSize(keyLength: klen)
        entries &+= 1
    }

    @inline(__always)
    private static func varint(_ v: UInt64, _ p: UnsafeMutableRawPointer) -> Int {
        if v < 0x80 {
            p.storeBytes(of: UInt8(truncatingIfNeeded: v), as: UInt8.self)
            return 1
        }
        return RecordFormat.writeVarint(v, p)
    }

    /// Writes the trailer and renames the file into place (fsyncing file and directory when
    /// `durable`).
    mutating func finish(durable: Bool) throws {
        if used + HintFile.trailerSize > HintWriter.capacity { try flushBuffer() }
        buffer.storeBytes(of: UInt64(entries).littleEndian, toByteOffset: used, as: UInt64.self)
        used += 8
        crcState = crc.update(crcState, buffer, used)
        buffer.storeBytes(of: (~crcState).littleEndian, toByteOffset: used, as: UInt32.self)
        buffer.storeBytes(of: HintFile.endMagic.littleEndian, toByteOffset: used + 4, as: UInt64.self)
        used += 12
        do {
            try FileIO.pwriteAll(fd, buffer, used, at: fileOffset, path: tmpPath)
            if durable { try FileIO.fsync(fd, path: tmpPath) }
            try FileIO.rename(tmpPath, finalPath)
            if durable { try FileIO.syncDirectory(directory) }
        } catch {
            abandon()
            throw error
        }
        FileIO.close(fd)
        buffer.deallocate()
        prevKey.deallocate()
    }

    /// Deletes the partial file and frees memory.
    mutating func abandon() {
        FileIO.close(fd)
        _ = Glibc.unlink(tmpPath)
        buffer.deallocate()
        prevKey.deallocate()
    }
}

/// A batch of (key, location) pairs copied out of the index under the mutex, so that hint
/// writing and merging can work on them with the mutex released.
struct KeyChunk {
    var keys: [UInt8] = []
    var ends: [Int] = []
    var locs: [RecordLocation] = []
    /// The last key examined (resume strictly after it); nil when the scan reached the end.
    var resumeAfter: [UInt8]?

    var count: Int { locs.count }

    func withKey<R>(_ i: Int, _ body: (UnsafeRawPointer, Int) throws -> R) rethrows -> R {
        let start = i == 0 ? 0 : ends[i - 1]
        return try keys.withUnsafeBytes { try body(Engine.nonNil(UnsafeRawBufferPointer(rebasing: $0[start..<ends[i]])), ends[i] - start) }
    }
}

extension Engine {
    /// Writes a hint file of the whole index now (mutex held throughout).
    mutating func writeHint() throws {
        try flush()
        guard let cp = active else { return }
        var w = try HintWriter(directory: directory, segments: segments.filter { $0.id <= cp.id },
                               checkpointOffset: fileEnd, lastSeq: lastSeq)
        let key = UnsafeMutableRawPointer.allocate(byteCount: Limits.maxKeySize + 8, alignment: 16)
        defer { key.deallocate() }
        var leaf = tree.first()?.0
        while let l = leaf {
            let p = Page.prefixLength(l)
            if p > 0 { key.copyMemory(from: Page.prefix(l), byteCount: p) }
            var prev: (UnsafeRawPointer, Int)?
            for i in 0..<Page.count(l) {
                let (sp, sl) = Page.suffix(l, i)
                // Keys of one page share its prefix: compare suffixes only.
                let shared = prev.map { p &+ Bytes.commonPrefix($0.0, $0.1, sp, sl) } ?? -1
                if sl > 0 { Engine.smallCopy(key + p, sp, sl) }
                try w.add(key, p &+ sl, RecordLocation(Page.payload(l, i)), shared: shared)
                prev = (sp, sl)
            }
            leaf = Page.next(l)
        }
        try w.finish(durable: options.durability.isDurable)
        hintDirty = false
    }

    /// Copies up to `max` entries after `after` (from the start if nil) whose location passes
    /// `filter` (a per-slot flag array, nil = all), examining at most `scanLimit` entries.
    func collect(after: [UInt8]?, max: Int, scanLimit: Int, filter: UnsafePointer<Bool>?) -> KeyChunk {
        var chunk = KeyChunk()
        var pos: (UnsafeMutableRawPointer, Int)?
        if let a = after {
            pos = a.withUnsafeBytes { tree.seek(Engine.nonNil($0), $0.count, strictlyAfter: true) }
        } else {
            pos = tree.first()
        }
        var scanned = 0
        while let (leaf, i) = pos {
            let loc = RecordLocation(Page.payload(leaf, i))
            let p = Page.prefixLength(leaf)
            let (sp, sl) = Page.suffix(leaf, i)
            let take = filter.map { $0[loc.slot] } ?? true
            scanned += 1
            if take || scanned >= scanLimit {
                let start = chunk.keys.count
                chunk.keys.append(contentsOf: UnsafeRawBufferPointer(start: Page.prefix(leaf), count: p))
                chunk.keys.append(contentsOf: UnsafeRawBufferPointer(start: sp, count: sl))
                if take {
                    chunk.ends.append(chunk.keys.count)
                    chunk.locs.append(loc)
                }
                if chunk.count >= max || scanned >= scanLimit {
                    chunk.resumeAfter = Array(chunk.keys[start...])
                    if !take { chunk.keys.removeSubrange(start...) }
                    return chunk
                }
            }
            pos = i + 1 < Page.count(leaf) ? (leaf, i + 1) : Page.next(leaf).map { ($0, 0) }
        }
        return chunk
    }

    /// Loads the index from the hint file; returns where replay must continue
    /// (segment index, offset). Throws `HintRejection` when the file cannot be used.
    mutating func loadHint() throws -> (index: Int, offset: Int) {
        let p = path(of: HintFile.name)
        let fd: Int32
        do { fd = try FileIO.open(p, O_RDONLY) } catch { throw HintRejection(reason: "cannot open: \(error)") }
        defer { FileIO.close(fd) }
        let size = try FileIO.fileSize(fd, path: p)
        guard size >= HintFile.headerSize + HintFile.trailerSize else {
            throw HintRejection(reason: "\(p) is \(size) bytes, shorter than header and trailer")
        }
        let base = try FileIO.mapReadOnly(fd, size: size, path: p)
        defer { FileIO.unmap(base, size: size) }
        _ = madvise(UnsafeMutableRawPointer(mutating: base), size, MADV_SEQUENTIAL)
        func u64(_ o: Int) -> UInt64 { UInt64(littleEndian: base.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
        func u32(_ o: Int) -> UInt32 { UInt32(littleEndian: base.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
        let tail = size - HintFile.trailerSize
        guard u64(size - 8) == HintFile.endMagic else { throw HintRejection(reason: "\(p): missing end marker (incomplete file)") }
        let stored = u32(size - 12)
        let actual = crc.checksum(base, size - 12)
        guard stored == actual else { throw HintRejection(reason: "\(p): checksum mismatch over \(size - 12) bytes") }
        guard u64(0) == HintFile.magic, u32(8) == HintFile.version else { throw HintRejection(reason: "\(p): bad magic or version") }
        let segCount = Int(u32(12))
        let hintSeq = u64(16)
        let cpID = SegmentID(major: u64(24), minor: u32(32))
        let cpOffset = Int(truncatingIfNeeded: u64(40))
        guard HintFile.headerSize + segCount * HintFile.segmentEntrySize <= tail else {
            throw HintRejection(reason: "\(p): segment table runs past the end")
        }

        // The segments up to the checkpoint must be exactly the table's.
        let covered = segments.filter { $0.id <= cpID }
        guard covered.count == segCount, covered.last?.id == cpID else {
            throw HintRejection(reason: "segment files changed since the hint was written (\(covered.count) segments up to \(cpID), hint lists \(segCount))")
        }
        var slotOf = [Int](repeating: 0, count: segCount)
        var limitOf = [Int](repeating: 0, count: segCount)
        for i in 0..<segCount {
            let o = HintFile.headerSize + i * HintFile.segmentEntrySize
            let id = SegmentID(major: u64(o), minor: u32(o + 8))
            let sz = Int(truncatingIfNeeded: u64(o + 16))
            let s = covered[i]
            guard s.id == id else { throw HintRejection(reason: "hint lists segment \(id), directory has \(s.id)") }
            if id == cpID {
                guard sz == cpOffset, s.size >= cpOffset else {
                    throw HintRejection(reason: "segment \(id) is \(s.size) bytes, shorter than the hint's checkpoint \(cpOffset)")
                }
            } else {
                guard s.size == sz else { throw HintRejection(reason: "segment \(id) is \(s.size) bytes, the hint says \(sz)") }
            }
            slotOf[i] = s.slot
            limitOf[i] = sz
        }

        var builder = BTreeBuilder()
        var liveOf = [Int](repeating: 0, count: segCount)
        let key = UnsafeMutableRawPointer.allocate(byteCount: Limits.maxKeySize + 8, alignment: 16)
        defer { key.deallocate() }
        var keyLength = 0
        var prevSeg = -1
        var prevEnd = 0
        var pos = HintFile.headerSize + segCount * HintFile.segmentEntrySize
        var n = 0
        func reject(_ what: String) -> HintRejection {
            HintRejection(reason: "\(p): \(what) in entry \(n) at offset \(pos)")
        }
        do {
            while pos < tail {
                // Single-byte varints are the common case; `varint` falls back to the checked
                // decoder otherwise.
                @inline(__always) func varint() -> UInt64? {
                    if pos < tail {
                        let b = base.load(fromByteOffset: pos, as: UInt8.self)
                        if b < 0x80 { pos &+= 1; return UInt64(b) }
                    }
                    return RecordFormat.readVarint(base, &pos, tail)
                }
                guard let shared = varint(), let slen = varint() else { throw reject("bad key varint") }
                let sh = Int(truncatingIfNeeded: shared)
                let sl = Int(truncatingIfNeeded: slen)
                guard shared <= UInt64(keyLength), slen <= UInt64(Limits.maxKeySize), sh &+ sl <= Limits.maxKeySize,
                      pos &+ sl <= tail else { throw reject("impossible key lengths") }
                // Strictly increasing: the first differing byte must be larger, or the key longer.
                if n > 0 {
                    let greater = sl > 0 && (sh == keyLength || base.load(fromByteOffset: pos, as: UInt8.self) > key.load(fromByteOffset: sh, as: UInt8.self))
                    guard greater else { throw reject("keys out of order") }
                }
                if sl > 0 { Engine.smallCopy(key + sh, base + pos, sl) }
                pos &+= sl
                keyLength = sh &+ sl
                guard let vlen = varint(), vlen <= UInt64(Limits.maxValueSize), pos < tail else { throw reject("bad value length") }
                let tag = base.load(fromByteOffset: pos, as: UInt8.self)
                pos &+= 1
                let hdr = Int(tag & 63)
                var seg = prevSeg
                var off = prevEnd
                switch tag >> 6 {
                case 0:
                    guard let s = varint(), s < UInt64(segCount), let o = varint() else { throw reject("bad location") }
                    seg = Int(s)
                    off = Int(truncatingIfNeeded: o)
                case 1:
                    guard prevSeg >= 0, let o = varint() else { throw reject("bad location") }
                    off = Int(truncatingIfNeeded: o)
                case 2:
                    guard prevSeg >= 0 else { throw reject("contiguous location without a previous one") }
                default:
                    throw reject("bad location mode")
                }
                let vl = Int(vlen)
                let recSize = hdr &+ keyLength &+ vl
                guard hdr >= 8, off >= SegmentHeader.size, off <= limitOf[seg] &- recSize else {
                    throw reject("location outside segment \(covered[seg].id) (offset \(off), \(recSize) bytes)")
                }
                builder.add(key, keyLength, shared: sh,
                            RecordLocation(slot: slotOf[seg], headerSize: hdr, recordOffset: off, keyLength: keyLength,
                                           valueLength: vl))
                liveOf[seg] &+= recSize
                prevSeg = seg
                prevEnd = off &+ recSize
                n &+= 1
            }
            guard pos == tail, UInt64(n) == u64(tail) else { throw reject("entry count mismatch (trailer says \(u64(tail)))") }
        } catch {
            var discard = BTree()
            builder.install(into: &discard)
            discard.destroy()
            throw error
        }
        builder.install(into: &tree)
        for i in 0..<segCount { live[slotOf[i]] += liveOf[i] }
        if hintSeq > lastSeq { lastSeq = hintSeq }
        let index = segments.firstIndex { $0.id == cpID }!
        return (index, cpOffset)
    }
}
