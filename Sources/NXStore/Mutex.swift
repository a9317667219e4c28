import Glibc

/// A pthread mutex with one condition variable (monotonic clock) for the store's waits:
/// group-commit followers, close waiting for a merge or an fsync in flight.
final class Mutex: @unchecked Sendable {
    private let m: UnsafeMutablePointer<pthread_mutex_t>
    private let c: UnsafeMutablePointer<pthread_cond_t>

    init() {
        m = .allocate(capacity: 1)
        c = .allocate(capacity: 1)
        pthread_mutex_init(m, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(c, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(c)
        pthread_mutex_destroy(m)
        c.deallocate()
        m.deallocate()
    }

    @inline(__always) func lock() { pthread_mutex_lock(m) }
    @inline(__always) func unlock() { pthread_mutex_unlock(m) }

    /// Waits for a broadcast (the mutex must be held).
    func wait() { pthread_cond_wait(c, m) }

    /// Waits for a broadcast or until the monotonic clock reaches `deadline` nanoseconds.
    func wait(untilNanoseconds deadline: UInt64) {
        var ts = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
        pthread_cond_timedwait(c, m, &ts)
    }

    func broadcast() { pthread_cond_broadcast(c) }

    /// The monotonic clock in nanoseconds.
    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
