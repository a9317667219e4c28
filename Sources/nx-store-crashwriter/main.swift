// Child process for NXStore's crash and lock tests.
//
//   nx-store-crashwriter write <dir> <always|group|none> <seed> <threads> <journal> [--merge] [--segment BYTES]
//       Opens the store and lets <threads> threads write random puts, deletes and batches to
//       disjoint key ranges ("t<thread>/..."), forever, until killed. Before each operation a
//       thread appends an INTENT record with the operation's full contents to <journal>; after
//       the store acknowledges it, an ACK record. With --merge another thread merges in a loop.
//       The parent SIGKILLs the process at a random moment, then checks that the store holds,
//       per thread, exactly the acknowledged operations, plus possibly the one in flight.
//   nx-store-crashwriter hold-lock <dir>
//       Opens the store, prints "ready <pid>" and sleeps until killed.
//
// Journal record: u8 kind (1 intent, 2 ack), u32 thread, u32 op index, u32 payload length,
// payload (intent only): u32 op count, then per op u8 (1 put, 2 delete), u32 key length, key,
// u32 value length, value. Little-endian; written with one write(2) each.
import Foundation
import Glibc
import NXStore

struct SplitMix {
    var s: UInt64
    mutating func next() -> UInt64 {
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

final class Journal: @unchecked Sendable {
    let fd: Int32
    init(path: String) {
        fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if fd < 0 { fatal("cannot open journal \(path): errno \(errno)") }
    }
    func record(kind: UInt8, thread: Int, op: Int, payload: [UInt8]) {
        var b: [UInt8] = [kind]
        for v in [UInt32(thread), UInt32(op), UInt32(payload.count)] { withUnsafeBytes(of: v.littleEndian) { b += $0 } }
        b += payload
        let n = b.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) }
        if n != b.count { fatal("journal write failed") }
    }
}

func fatal(_ message: String) -> Never {
    FileHandle.standardError.write(("nx-store-crashwriter: " + message + "\n").data(using: .utf8)!)
    exit(2)
}

func u32(_ v: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(v).littleEndian) { Array($0) } }

func runWriter(store: Store, journal: Journal, thread: Int, seed: UInt64) {
    var rng = SplitMix(s: seed &+ UInt64(thread) &* 0x1000_0000_0001)
    var op = 0
    while true {
        var batch = WriteBatch()
        var payload: [UInt8] = []
        let count = rng.below(4) == 0 ? 2 + rng.below(8) : 1
        payload += u32(count)
        var single: (del: Bool, key: [UInt8], value: [UInt8])?
        for _ in 0..<count {
            let key = Array("t\(thread)/k\(rng.below(200))".utf8)
            if rng.below(5) == 0 {
                payload += [2] + u32(key.count) + key + u32(0)
                batch.delete(key)
                single = (true, key, [])
            } else {
                let len = rng.below(50) == 0 ? 60_000 + rng.below(100_000) : rng.below(1500)
                var value = [UInt8](repeating: 0, count: len)
                var x = rng.next()
                for i in 0..<len {
                    if i % 8 == 0 { x = rng.next() }
                    value[i] = UInt8(truncatingIfNeeded: x >> ((i % 8) * 8))
                }
                payload += [1] + u32(key.count) + key + u32(value.count) + value
                batch.put(key, value)
                single = (false, key, value)
            }
        }
        journal.record(kind: 1, thread: thread, op: op, payload: payload)
        do {
            if count == 1, let s = single {
                if s.del { try store.delete(s.key) } else { try store.put(s.key, s.value) }
            } else {
                try store.write(batch)
            }
        } catch {
            fatal("thread \(thread) op \(op): \(error)")
        }
        journal.record(kind: 2, thread: thread, op: op, payload: [])
        op += 1
    }
}

let args = CommandLine.arguments
guard args.count >= 3 else { fatal("usage: write <dir> <mode> <seed> <threads> <journal> [--merge] [--segment N] | hold-lock <dir>") }
switch args[1] {
case "hold-lock":
    do {
        let store = try Store.open(path: args[2])
        print("ready \(getpid())")
        fflush(stdout)
        while true { sleep(1); _ = store }
    } catch {
        print("error \(error)")
        exit(3)
    }
case "write":
    guard args.count >= 7, let seed = UInt64(args[4]), let threads = Int(args[5]) else { fatal("bad arguments") }
    var options = StoreOptions()
    switch args[3] {
    case "always": options.durability = .always
    case "group": options.durability = .group(maxWait: .microseconds(200))
    case "none": options.durability = .none
    default: fatal("unknown durability \(args[3])")
    }
    options.mergeGarbageRatio = nil
    let merge = args.contains("--merge")
    if let i = args.firstIndex(of: "--segment"), i + 1 < args.count, let n = Int(args[i + 1]) { options.segmentSizeLimit = n }
    let store: Store
    do { store = try Store.open(path: args[2], options: options) } catch { fatal("open: \(error)") }
    let journal = Journal(path: args[6])
    for t in 0..<threads {
        Thread.detachNewThread { runWriter(store: store, journal: journal, thread: t, seed: seed) }
    }
    if merge {
        Thread.detachNewThread {
            while true {
                do { try store.merge() } catch { fatal("merge: \(error)") }
                usleep(2000)
            }
        }
    }
    print("ready \(getpid())")
    fflush(stdout)
    while true { sleep(1) }
default:
    fatal("unknown command \(args[1])")
}
