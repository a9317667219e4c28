import Glibc

/// A pthread mutex. Used for short critical sections only (no I/O and no callbacks while held).
final class Lock: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inline(__always) func lock() { pthread_mutex_lock(mutex) }
    @inline(__always) func unlock() { pthread_mutex_unlock(mutex) }

    @inline(__always) func withLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body()
    }
}

/// A pthread read/write lock: many concurrent senders (readers) use the socket while `stop`
/// (the writer) waits for them before closing the descriptor, so a send never hits a closed or
/// reused file descriptor.
final class ReadWriteLock: @unchecked Sendable {
    private let rw: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        rw = .allocate(capacity: 1)
        pthread_rwlock_init(rw, nil)
    }

    deinit {
        pthread_rwlock_destroy(rw)
        rw.deallocate()
    }

    @inline(__always) func withReadLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_rwlock_rdlock(rw)
        defer { pthread_rwlock_unlock(rw) }
        return try body()
    }

    @inline(__always) func withWriteLock<R>(_ body: () throws -> R) rethrows -> R {
        pthread_rwlock_wrlock(rw)
        defer { pthread_rwlock_unlock(rw) }
        return try body()
    }
}

/// Clocks used by the transport. Timers use the monotonic clock; datagram timestamps (checked
/// against a maximum age by other nodes) use the wall clock.
enum Clock {
    /// Monotonic time in nanoseconds.
    static func monotonicNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Wall-clock time in milliseconds since the Unix epoch.
    static func wallMilliseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return UInt64(max(0, ts.tv_sec)) &* 1000 &+ UInt64(ts.tv_nsec / 1_000_000)
    }
}

/// Converts seconds (configuration values) to nanoseconds, clamping negatives to zero.
@inline(__always) func nanoseconds(_ seconds: Double) -> UInt64 {
    seconds <= 0 ? 0 : UInt64(seconds * 1e9)
}

/// Converts seconds to milliseconds, clamping negatives to zero.
@inline(__always) func milliseconds(_ seconds: Double) -> UInt64 {
    seconds <= 0 ? 0 : UInt64(seconds * 1e3)
}

/// Lower-case hexadecimal of `bytes`.
func hexString<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
    let digits: [Character] = Array("0123456789abcdef")
    var s = ""
    for b in bytes {
        s.append(digits[Int(b >> 4)])
        s.append(digits[Int(b & 15)])
    }
    return s
}

/// The text of `errno` code `code` (e.g. "Address already in use").
func errnoDescription(_ code: Int32) -> String {
    String(cString: strerror(code))
}
