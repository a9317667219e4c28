// nx-bench-store: the nine workloads of ../shared/bench/kv-workloads.md against NXStore, printed
// next to the anchor figures (LevelDB, LMDB, SQLite, RocksDB measured on this machine kind) and
// the goals of issue 5.
//
//   nx-bench-store [--n N] [--dir PATH]
//
// N defaults to 1,000,000 (the anchors' N); smaller N is for smoke runs (the anchors and goals
// are then only indicative). Store files go to PATH (default ./nx-store-bench), removed at the
// end. NXStore configuration: defaults (durability .none with a 1 MiB user-space append buffer
// flushed by write(2); close writes the buffer out and a hint file, no fsync), `.always`
// (one fdatasync per put) for fillsync; compaction = `Store.merge()`.
import Foundation
import Glibc
import NXStore

// MARK: - Generators (kv-workloads.md "Common definitions")

struct SplitMix64 {
    var s: UInt64
    @inline(__always) mutating func next() -> UInt64 {
        s &+= 0x9E37_79B9_7F4A_7C15
        var z = s
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Reusable buffers for key(i), missing(i) and value(i, ver).
struct Gen {
    let key = UnsafeMutableRawPointer.allocate(byteCount: 32, alignment: 8)
    let value = UnsafeMutableRawPointer.allocate(byteCount: 104, alignment: 8)

    init() {
        for (j, c) in "user:".utf8.enumerated() { key.storeBytes(of: c, toByteOffset: j, as: UInt8.self) }
        key.storeBytes(of: UInt8(ascii: "x"), toByteOffset: 21, as: UInt8.self)
    }

    /// key(i) = "user:" + 16 zero-padded digits (21 bytes); missing(i) = key(i) + "x".
    @inline(__always) func key(_ i: Int, missing: Bool = false) -> UnsafeRawBufferPointer {
        var x = UInt64(i)
        var j = 20
        while j >= 5 {
            key.storeBytes(of: UInt8(truncatingIfNeeded: 48 &+ x % 10), toByteOffset: j, as: UInt8.self)
            x /= 10
            j -= 1
        }
        return UnsafeRawBufferPointer(start: key, count: missing ? 22 : 21)
    }

    /// value(i, ver): the first 100 bytes of 13 outputs of the stream with seed (i << 8) | ver.
    @inline(__always) func value(_ i: Int, _ ver: Int) -> UnsafeRawBufferPointer {
        var r = SplitMix64(s: UInt64(i) << 8 | UInt64(ver))
        for w in 0..<13 { value.storeBytes(of: r.next().littleEndian, toByteOffset: w * 8, as: UInt64.self) }
        return UnsafeRawBufferPointer(start: value, count: 100)
    }
}

func perm(_ n: Int, _ seed: UInt64) -> [Int32] {
    var p = [Int32](unsafeUninitializedCapacity: n) { b, c in
        for i in 0..<n { b[i] = Int32(i) }
        c = n
    }
    var r = SplitMix64(s: seed)
    p.withUnsafeMutableBufferPointer { b in
        var i = n - 1
        while i >= 1 {
            let j = Int(r.next() % UInt64(i + 1))
            b.swapAt(i, j)
            i -= 1
        }
    }
    return p
}

struct Uniform {
    var r: SplitMix64
    let n: UInt64
    init(_ n: Int, _ seed: UInt64) { r = SplitMix64(s: seed); self.n = UInt64(n) }
    @inline(__always) mutating func next() -> Int { Int(r.next() % n) }
}

func hex(_ b: UnsafeRawBufferPointer, _ count: Int) -> String {
    b.prefix(count).map { String(format: "%02x", $0) }.joined()
}

/// The test vectors of kv-workloads.md; aborts on any mismatch.
func checkGenerators() {
    let g = Gen()
    var failures: [String] = []
    func expect(_ what: String, _ got: String, _ want: String) { if got != want { failures.append("\(what): got \(got), want \(want)") } }
    expect("key(0)", String(decoding: g.key(0), as: UTF8.self), "user:0000000000000000")
    expect("missing(42)", String(decoding: g.key(42, missing: true), as: UTF8.self), "user:0000000000000042x")
    expect("value(0,0)", hex(g.value(0, 0), 32), "afcd1d7b39a820e2f465b9a16a9e786e4f450980185dc406ec814c72a8b88bf8")
    expect("value(123456,1)", hex(g.value(123456, 1), 32), "ff4f3b81d2c1d691c974367592d8b264ed0020dc4d84b827c4870466c67e4e96")
    func permVector(_ n: Int, _ s: UInt64) -> String { let p = perm(n, s); return "\(p.prefix(5).map(String.init).joined(separator: " ")) last \(p.last!)" }
    expect("perm(1000000,1)", permVector(1_000_000, 1), "138944 149948 282349 207290 358500 last 822465")
    expect("perm(10000,2)", permVector(10_000, 2), "1649 4327 8176 8811 7448 last 8110")
    expect("perm(1000000,5)", permVector(1_000_000, 5), "212614 996307 742723 335702 872847 last 358618")
    func uniformVector(_ s: UInt64) -> String { var u = Uniform(1_000_000, s); return (0..<5).map { _ in String(u.next()) }.joined(separator: " ") }
    expect("uniform(1000000,3)", uniformVector(3), "139053 111561 937729 485647 833366")
    expect("uniform(1000000,4)", uniformVector(4), "603978 136304 977247 679582 82041")
    if !failures.isEmpty {
        print("generator test vectors FAILED:\n  " + failures.joined(separator: "\n  "))
        exit(1)
    }
    print("generators match the test vectors of kv-workloads.md")
}

// MARK: - Harness

var sink: UInt64 = 0
@inline(never) func consume(_ x: UInt64) { sink &+= x }

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

func fail(_ message: String) -> Never {
    print("FAILED: \(message)")
    exit(1)
}

func must<T>(_ what: String, _ body: () throws -> T) -> T {
    do { return try body() } catch { fail("\(what): \(error)") }
}

/// Sum of st_size (and st_blocks * 512) of every regular file under `path`.
func diskUsage(_ path: String) -> (size: Int, allocated: Int) {
    var size = 0, allocated = 0
    guard let e = FileManager.default.enumerator(atPath: path) else { return (0, 0) }
    for case let name as String in e {
        var st = stat()
        if lstat(path + "/" + name, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG {
            size += Int(st.st_size)
            allocated += Int(st.st_blocks) * 512
        }
    }
    return (size, allocated)
}

/// The disk's durable small-write rate: 5,000 x (pwrite 130 bytes + fdatasync) appended into
/// a preallocated (zero-filled, synced) file, the best case of what a store can do per put.
func diskCeiling(_ path: String) -> Double {
    let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
    if fd < 0 { fail("open \(path)") }
    defer { close(fd); unlink(path) }
    let zeros = [UInt8](repeating: 0, count: 2 << 20)
    _ = zeros.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, 0) }
    fsync(fd)
    let record = [UInt8](repeating: 7, count: 130)
    let t0 = now()
    for k in 0..<5000 {
        _ = record.withUnsafeBytes { pwrite(fd, $0.baseAddress!, 130, off_t(k * 130)) }
        fdatasync(fd)
    }
    return 5000 / (now() - t0)
}

/// Reads back 10,000 keys key(uniform(n, seed)) and compares them with value(i, ver).
func verify(_ s: Store, n: Int, ver: Int, seed: UInt64, _ what: String) {
    let g = Gen()
    var u = Uniform(n, seed)
    for _ in 0..<10_000 {
        let i = u.next()
        let expected = [UInt8](g.value(i, ver))
        let got = must("verify get") { try s.get(g.key(i)) }
        if got != expected { fail("\(what): verification of key(\(i)) failed") }
    }
}

let args = CommandLine.arguments
var n = 1_000_000
var base = FileManager.default.currentDirectoryPath + "/nx-store-bench"
var i = 1
while i < args.count {
    switch args[i] {
    case "--n":
        i += 1
        guard i < args.count, let value = Int(args[i]) else { fail("--n needs a whole number of keys (at least 10000)") }
        n = value
    case "--dir":
        i += 1
        guard i < args.count else { fail("--dir needs a path") }
        base = args[i]
    default: print("usage: nx-bench-store [--n N] [--dir PATH]"); exit(2)
    }
    i += 1
}
guard n >= 10_000 else { fail("--n must be at least 10000") }
checkGenerators()
try? FileManager.default.removeItem(atPath: base)
must("mkdir") { try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true) }
print("N = \(n), store files under \(base)")
let g = Gen()
let payload = Double(21 + 100) / 1e6

struct Row {
    var name: String
    var nx: String
    var goal: String
    var met: Bool?
    var anchors: [String]  // leveldb, lmdb, sqlite, rocksdb
}
var rows: [Row] = []
var extraLines: [String] = []
func fmtInt(_ x: Double) -> String {
    let v = Int(x.rounded())
    var s = String(v)
    var out = ""
    while s.count > 3 { out = "," + s.suffix(3) + out; s = String(s.dropLast(3)) }
    return s + out
}
func mb(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }

// 1. fillseq
do {
    let dir = base + "/fillseq"
    let s = must("open fillseq") { try Store.open(path: dir) }
    let t0 = now()
    for i in 0..<n { must("put") { try s.put(g.key(i), g.value(i, 0)) } }
    let t = now() - t0
    must("close") { try s.close() }
    let r = must("reopen") { try Store.open(path: dir) }
    verify(r, n: n, ver: 0, seed: 99, "fillseq")
    must("close") { try r.close() }
    try? FileManager.default.removeItem(atPath: dir)
    let ops = Double(n) / t
    rows.append(Row(name: "fillseq, ops/s (MB/s)", nx: "\(fmtInt(ops)) (\(String(format: "%.1f", ops * payload)) MB/s)",
                    goal: ">= 1.5M", met: ops >= 1_500_000,
                    anchors: ["757,339", "4,899,870", "1,107,840", "376,326"]))
}

// 2. fillsync
do {
    let dir = base + "/fillsync"
    let s = must("open fillsync") { try Store.open(path: dir, options: StoreOptions(durability: .always)) }
    let p = perm(10_000, 2)
    let t0 = now()
    for k in 0..<10_000 { let i = Int(p[k]); must("put") { try s.put(g.key(i), g.value(i, 0)) } }
    let t = now() - t0
    let syncs = s.statistics().fsyncCount
    if syncs != 10_000 { fail("fillsync issued \(syncs) fdatasyncs for 10,000 puts") }
    must("close") { try s.close() }
    let r = must("reopen") { try Store.open(path: dir) }
    verify(r, n: 10_000, ver: 0, seed: 99, "fillsync")
    must("close") { try r.close() }
    let ceiling = diskCeiling(dir + "/ceiling.test")
    try? FileManager.default.removeItem(atPath: dir)
    let ops = 10_000 / t
    extraLines.append(String(format: "fillsync peer in the same run: pwrite(130 B) + fdatasync into preallocated space (the disk's ceiling): %@/s; fillsync = %.0f%% of it",
                             fmtInt(ceiling), 100 * ops / ceiling))
    rows.append(Row(name: "fillsync (10k durable puts), ops/s", nx: fmtInt(ops), goal: ">= 6k", met: ops >= 6000,
                    anchors: ["6,566", "4,696", "7,567", "6,771"]))
}

// 3. fillrandom
let mainDir = base + "/main"
var store = must("open main") { try Store.open(path: mainDir) }
do {
    let p = perm(n, 1)
    let t0 = now()
    for k in 0..<n { let i = Int(p[k]); must("put") { try store.put(g.key(i), g.value(i, 0)) } }
    let t = now() - t0
    let ops = Double(n) / t
    rows.append(Row(name: "fillrandom, ops/s (MB/s)", nx: "\(fmtInt(ops)) (\(String(format: "%.1f", ops * payload)) MB/s)",
                    goal: ">= 1M", met: ops >= 1_000_000, anchors: ["460,958", "206,240", "76,215", "157,533"]))
}

// 4. reopen (close + open + first get); the size after fillrandom is measured in between.
do {
    let t0 = now()
    must("close") { try store.close() }
    let t1 = now()
    let size = diskUsage(mainDir)
    let t2 = now()
    store = must("open") { try Store.open(path: mainDir) }
    guard let v = must("get", { try store.get(g.key(n / 2)) }), v.count == 100 else { fail("reopen: key(N/2) missing") }
    let t3 = now()
    let closeMs = (t1 - t0) * 1000, openMs = (t3 - t2) * 1000
    rows.append(Row(name: "size after fillrandom (closed)", nx: "\(mb(size.size)) (allocated \(mb(size.allocated)))",
                    goal: "-", met: nil, anchors: ["119.4 MB", "213.6 MB", "150.1 MB", "118.2 MB"]))
    let hint = store.recoveryReport.usedHintFile ? "hint file" : "log replay"
    rows.append(Row(name: "reopen: close + open + 1st get",
                    nx: String(format: "%.1f ms (%.1f + %.1f, %@)", closeMs + openMs, closeMs, openMs, hint),
                    goal: "<= 150 ms", met: closeMs + openMs <= 150,
                    anchors: ["17.5 ms (1.1 + 16.4)", "2.8 ms (2.7 + 0.1)", "2.2 ms (1.8 + 0.4)", "314.1 ms (7.1 + 307.0)"]))
    verify(store, n: n, ver: 0, seed: 99, "fillrandom after reopen")
}

// 5. readrandom: zero-copy read into a caller buffer (how the runtime copies into guest memory).
let out = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 16)
do {
    var u = Uniform(n, 3)
    let t0 = now()
    for _ in 0..<n {
        let i = u.next()
        let got = must("get") {
            try store.withValue(g.key(i)) { v -> Int in
                out.copyMemory(from: v.baseAddress!, byteCount: v.count)
                return v.count
            }
        }
        if got != 100 { fail("readrandom: key(\(i)) returned \(String(describing: got))") }
    }
    let t = now() - t0
    consume(out.load(as: UInt64.self))
    let ops = Double(n) / t
    rows.append(Row(name: "readrandom, ops/s", nx: fmtInt(ops), goal: ">= 1M", met: ops >= 1_000_000,
                    anchors: ["486,467", "984,184", "202,694", "149,839"]))
}

// 6. readmissing
do {
    var u = Uniform(n, 4)
    let t0 = now()
    for _ in 0..<100_000 {
        let i = u.next()
        let got = must("get") { try store.withValue(g.key(i, missing: true)) { $0.count } }
        if got != nil { fail("readmissing: missing(\(i)) was found") }
    }
    let t = now() - t0
    let ops = 100_000 / t
    rows.append(Row(name: "readmissing, ops/s", nx: fmtInt(ops), goal: ">= 1.5M", met: ops >= 1_500_000,
                    anchors: ["627,331", "1,035,400", "207,906", "119,504"]))
}

// 7. scanprefix
do {
    var d = 0
    while pow(10, Double(d + 1)) <= Double(n / 100) { d += 1 }
    let p10 = Int(pow(10, Double(d)))
    let start = (n / p10 / 2) * p10
    let prefix = Array(g.key(start).prefix(21 - d))
    let t0 = now()
    for _ in 0..<100 {
        var count = 0
        must("visit") {
            try store.visit(prefix: prefix, after: nil) { _, v in
                out.copyMemory(from: v.baseAddress!, byteCount: v.count)
                count += 1
                return true
            }
        }
        consume(out.load(as: UInt64.self))
        if count != p10 { fail("scanprefix yielded \(count) pairs, expected \(p10)") }
    }
    let t = now() - t0
    let scans = 100 / t
    rows.append(Row(name: "scanprefix (\(fmtInt(Double(p10))) keys), scans/s",
                    nx: String(format: "%@ (%.2f M keys/s)", fmtInt(scans), scans * Double(p10) / 1e6),
                    goal: ">= 5k", met: scans >= 5000,
                    anchors: ["2,028.5 (20.28 M keys/s)", "9,445.8 (94.46 M keys/s)", "1,147.2 (11.47 M keys/s)", "749.0 (7.49 M keys/s)"]))
}

// 8. overwrite
do {
    let p = perm(n, 5)
    let t0 = now()
    for k in 0..<n { let i = Int(p[k]); must("put") { try store.put(g.key(i), g.value(i, 1)) } }
    let t = now() - t0
    let ops = Double(n) / t
    rows.append(Row(name: "overwrite, ops/s (MB/s)", nx: "\(fmtInt(ops)) (\(String(format: "%.1f", ops * payload)) MB/s)",
                    goal: ">= 1M", met: ops >= 1_000_000, anchors: ["438,567", "162,800", "90,254", "169,111"]))
    verify(store, n: n, ver: 1, seed: 99, "overwrite")
}

// 8b. size / compact
do {
    must("close") { try store.close() }
    let before = diskUsage(mainDir)
    store = must("open") { try Store.open(path: mainDir) }
    let t0 = now()
    must("merge") { try store.merge() }
    let t = now() - t0
    must("close") { try store.close() }
    let after = diskUsage(mainDir)
    rows.append(Row(name: "size after overwrite (closed)", nx: "\(mb(before.size)) (allocated \(mb(before.allocated)))",
                    goal: "-", met: nil, anchors: ["177.8 MB", "214.0 MB", "150.4 MB", "181.6 MB"]))
    let limit = Int(140e6 * Double(n) / 1e6)
    rows.append(Row(name: "size after compact (time)", nx: String(format: "%@ (%.2f s)", mb(after.size), t),
                    goal: "<= \(mb(limit))", met: after.size <= limit,
                    anchors: ["115.6 MB (1.2 s)", "201.8 MB (0.1 s)", "132.3 MB (1.2 s)", "115.5 MB (1.1 s)"]))
    store = must("open") { try Store.open(path: mainDir) }
    verify(store, n: n, ver: 1, seed: 99, "after compaction")
    must("close") { try store.close() }
}

// Informational: the same random reads through get() -> [UInt8] (an allocation per call).
var extra = ""
do {
    store = must("open") { try Store.open(path: mainDir) }
    var u = Uniform(n, 3)
    let t0 = now()
    for _ in 0..<n {
        guard let v = must("get", { try store.get(g.key(u.next())) }) else { fail("get missed") }
        consume(UInt64(v.count))
    }
    let t = now() - t0
    must("close") { try store.close() }
    extra = "readrandom through get() -> [UInt8] (allocates per call): \(fmtInt(Double(n) / t)) ops/s"
}
try? FileManager.default.removeItem(atPath: base)

// MARK: - Report
let headers = ["workload", "nx (NXStore)", "goal", "", "leveldb", "lmdb", "sqlite", "rocksdb"]
var table = rows.map { r in [r.name, r.nx, r.goal, r.met.map { $0 ? "met" : "MISSED" } ?? ""] + r.anchors }
var widths = headers.map(\.count)
for row in table { for (j, c) in row.enumerated() { widths[j] = max(widths[j], c.count) } }
func line(_ cells: [String]) -> String {
    "| " + cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: " | ") + " |"
}
print("")
print(line(headers))
print("|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|")
for row in table { print(line(row)) }
table.removeAll()
print("")
for l in extraLines { print(l) }
print(extra)
print("NXStore configuration: StoreOptions() defaults; no-sync mode = durability .none: puts go to a 1 MiB user-space")
print("append buffer handed to the OS with pwrite(2) when full; close writes the buffer out and a hint file (index")
print("checkpoint), no fsync. fillsync: durability .always (pwrite + one fdatasync per put; the active segment is")
print("preallocated with zeros so fdatasync has no size change to journal). Compaction = Store.merge().")
print("anchors: kv-workloads.md (2026-11-21, this machine kind, N = 1,000,000; +-25% noise); goals: issue 5.")
if n != 1_000_000 { print("note: N = \(n), not the anchors' 1,000,000: comparisons are indicative only.") }
print("sink \(sink & 1)")
