import Glibc

/// Cold metadata of one segment file. Hot per-segment data (mapping base, live bytes) lives in
/// `Engine.bases` / `Engine.live`, indexed by `slot`.
final class SegmentInfo {
    let id: SegmentID
    /// Current path (a merge output carries a `.tmp` name until the merge commits it).
    var path: String
    /// Open descriptor, or -1 once the segment is immutable (reads go through the mapping).
    var fd: Int32
    /// Read-only shared mapping of `mapSize` bytes.
    let base: UnsafeRawPointer
    let mapSize: Int
    /// Bytes in the file (for the active segment: not counting the append buffer).
    var size: Int
    let baseSeq: UInt64
    let isMergeOutput: Bool
    let slot: Int
    /// Opened read-write and mapped with room to grow (the segment recovery may append to).
    var appendable = false

    init(id: SegmentID, path: String, fd: Int32, base: UnsafeRawPointer, mapSize: Int, size: Int,
         baseSeq: UInt64, isMergeOutput: Bool, slot: Int) {
        self.id = id
        self.path = path
        self.fd = fd
        self.base = base
        self.mapSize = mapSize
        self.size = size
        self.baseSeq = baseSeq
        self.isMergeOutput = isMergeOutput
        self.slot = slot
    }

    var fileName: String { id.fileName }

    /// Creates a segment file with its header and maps it with room for `capacity` bytes.
    /// The caller registers it with the engine (which assigns `slot`).
    static func create(path: String, id: SegmentID, isMergeOutput: Bool, baseSeq: UInt64, capacity: Int,
                       slot: Int, crc: CRC32C) throws -> SegmentInfo {
        let fd = try FileIO.open(path, O_RDWR | O_CREAT | O_EXCL)
        do {
            var header = (UInt64(0), UInt64(0), UInt64(0), UInt64(0), UInt64(0))
            try withUnsafeMutableBytes(of: &header) { h in
                SegmentHeader(id: id, kind: isMergeOutput ? SegmentHeader.kindMerge : SegmentHeader.kindLog,
                              baseSeq: baseSeq).encode(into: h.baseAddress!, crc: crc)
                try FileIO.pwriteAll(fd, h.baseAddress!, SegmentHeader.size, at: 0, path: path)
            }
            let mapSize = (max(capacity, SegmentHeader.size) + 4095) & ~4095
            let base = try FileIO.mapReadOnly(fd, size: mapSize, path: path)
            let s = SegmentInfo(id: id, path: path, fd: fd, base: base, mapSize: mapSize, size: SegmentHeader.size,
                                baseSeq: baseSeq, isMergeOutput: isMergeOutput, slot: slot)
            s.appendable = true
            return s
        } catch {
            FileIO.close(fd)
            _ = Glibc.unlink(path)
            throw error
        }
    }
}

/// The lock file `LOCK`: an exclusive `flock` held for the life of the open store, with the
/// holder's PID written into it for the error message of a second opener. A lock held by a
/// crashed process disappears with the process.
enum LockFile {
    static let name = "LOCK"

    static func acquire(directory: String) throws -> Int32 {
        let path = directory + "/" + name
        let fd = try FileIO.open(path, O_RDWR | O_CREAT)
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let err = errno
            var buf = [UInt8](repeating: 0, count: 32)
            let n = buf.withUnsafeMutableBytes { Glibc.pread(fd, $0.baseAddress!, 31, 0) }
            FileIO.close(fd)
            if err == EWOULDBLOCK {
                let text = String(decoding: buf.prefix(max(0, n)), as: UTF8.self)
                let pid = Int32(text.split(whereSeparator: { $0 == "\n" || $0 == " " }).first ?? "")
                throw StoreError.locked(path: directory, holderPID: pid)
            }
            throw StoreError.io(operation: "flock", path: path, errno: err)
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        try text.withUnsafeBytes { try FileIO.pwriteAll(fd, $0.baseAddress!, $0.count, at: 0, path: path) }
        return fd
    }

    static func release(_ fd: Int32) {
        if fd >= 0 { FileIO.close(fd) }
    }
}
