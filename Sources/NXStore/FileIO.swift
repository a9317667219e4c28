import Glibc

/// Thin wrappers over the system calls the store uses. Each throws `StoreError.io` naming the
/// operation and the path, and retries on EINTR.
enum FileIO {
    static func ioError(_ op: String, _ path: String, _ err: Int32 = errno) -> StoreError {
        .io(operation: op, path: path, errno: err)
    }

    static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws -> Int32 {
        while true {
            let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
            if fd >= 0 { return fd }
            if errno != EINTR { throw ioError("open", path) }
        }
    }

    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Writes all bytes at `offset`; a short write (e.g. ENOSPC part-way) throws.
    static func pwriteAll(_ fd: Int32, _ p: UnsafeRawPointer, _ count: Int, at offset: Int, path: String) throws {
        var done = 0
        while done < count {
            let n = Glibc.pwrite(fd, p + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError("write", path)
            }
            if n == 0 { throw ioError("write", path, EIO) }
            done += n
        }
    }

    /// Reads exactly `count` bytes at `offset` (fewer only at end of file; returns how many).
    static func preadFully(_ fd: Int32, _ p: UnsafeMutableRawPointer, _ count: Int, at offset: Int, path: String) throws -> Int {
        var done = 0
        while done < count {
            let n = Glibc.pread(fd, p + done, count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw ioError("read", path)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    static func fdatasync(_ fd: Int32, path: String) throws {
        while Glibc.fdatasync(fd) != 0 {
            if errno != EINTR { throw ioError("fdatasync", path) }
        }
    }

    static func fsync(_ fd: Int32, path: String) throws {
        while Glibc.fsync(fd) != 0 {
            if errno != EINTR { throw ioError("fsync", path) }
        }
    }

    static func fileSize(_ fd: Int32, path: String) throws -> Int {
        var st = stat()
        if fstat(fd, &st) != 0 { throw ioError("fstat", path) }
        return Int(st.st_size)
    }

    static func truncate(_ fd: Int32, to size: Int, path: String) throws {
        while ftruncate(fd, off_t(size)) != 0 {
            if errno != EINTR { throw ioError("ftruncate", path) }
        }
    }

    /// Maps `size` bytes of `fd` read-only and shared. Pages past the end of the file become
    /// readable as the file grows, which lets the active segment be mapped once at its maximum
    /// size; the store never reads past the bytes it has written.
    static func mapReadOnly(_ fd: Int32, size: Int, path: String) throws -> UnsafeRawPointer {
        let p = mmap(nil, max(size, 1), PROT_READ, MAP_SHARED, fd, 0)
        if p == MAP_FAILED || p == nil { throw ioError("mmap", path) }
        return UnsafeRawPointer(p!)
    }

    static func unmap(_ p: UnsafeRawPointer, size: Int) {
        _ = munmap(UnsafeMutableRawPointer(mutating: p), max(size, 1))
    }

    static func rename(_ from: String, _ to: String) throws {
        if Glibc.rename(from, to) != 0 { throw ioError("rename to \(to)", from) }
    }

    static func unlink(_ path: String) throws {
        if Glibc.unlink(path) != 0 && errno != ENOENT { throw ioError("unlink", path) }
    }

    /// Creates `path` and missing parents.
    static func makeDirectories(_ path: String) throws {
        var st = stat()
        if stat(path, &st) == 0 {
            if (st.st_mode & S_IFMT) == S_IFDIR { return }
            throw ioError("mkdir (a non-directory exists)", path, ENOTDIR)
        }
        let parent = parentDirectory(path)
        if !parent.isEmpty && parent != path { try makeDirectories(parent) }
        if mkdir(path, 0o755) != 0 && errno != EEXIST { throw ioError("mkdir", path) }
    }

    static func parentDirectory(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        guard let slash = p.lastIndex(of: "/") else { return "" }
        if slash == p.startIndex { return "/" }
        return String(p[..<slash])
    }

    /// Names of the entries of a directory (without "." and "..").
    static func listDirectory(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw ioError("opendir", path) }
        defer { closedir(dir) }
        var names: [String] = []
        while let ent = readdir(dir) {
            let name = withUnsafePointer(to: &ent.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// fsync on the directory so that created, renamed and removed names are durable.
    static func syncDirectory(_ path: String) throws {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try fsync(fd, path: path)
    }

    /// Writes a whole file (used for small side files).
    static func writeFile(_ path: String, _ bytes: UnsafeRawBufferPointer) throws {
        let fd = try open(path, O_WRONLY | O_CREAT | O_TRUNC)
        defer { close(fd) }
        if let base = bytes.baseAddress { try pwriteAll(fd, base, bytes.count, at: 0, path: path) }
    }
}
