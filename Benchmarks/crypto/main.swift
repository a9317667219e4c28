// nx-bench-crypto: throughput of NXCrypto next to a reference measured in the same run.
//
// References (through `python3`, when installed): hashlib.sha256 and hmac.digest (OpenSSL),
// the `blake3` package (the official Rust implementation) and the `cryptography` package's
// ChaCha20Poly1305 (OpenSSL). Each cell runs batches of at least 0.3 s on a monotonic clock and
// reports the median of three batches. MB/s means 10^6 bytes per second. At 64 bytes the
// Python figures include the interpreter's per-call overhead, which dominates there.
//
// Usage: .build/release/nx-bench-crypto [--quick] [--only PREFIX]
//        (--quick: 0.05 s batches; --only: algorithms whose name starts with PREFIX)
//        nx-bench-crypto --profile sha256|blake3|chacha N   (N one-MiB calls, no timing or
//        reference; for `valgrind --tool=callgrind`)

import Foundation
import NXCrypto
#if canImport(Glibc)
import Glibc
#endif

let minimumBatchSeconds = CommandLine.arguments.contains("--quick") ? 0.05 : 0.3
let sizes = [1 << 20, 64]

/// Monotonic nanoseconds.
func now() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

/// Folds every result into this, printed at the end, so no work can be optimised away.
var sink: UInt8 = 0

/// Median MB/s over three batches of `body`, each batch running for at least the minimum time.
func measure(bytesPerCall: Int, _ body: () -> UInt8) -> Double {
    var iterations = 1
    var elapsed: UInt64 = 0
    let minimumNanos = UInt64(minimumBatchSeconds * 1e9)
    func batch() -> UInt64 {
        let start = now()
        for _ in 0..<iterations { sink ^= body() }
        return now() - start
    }
    // Calibrate: grow the batch until it runs long enough.
    while true {
        elapsed = batch()
        if elapsed >= minimumNanos { break }
        let scaled = Double(iterations) * Double(minimumNanos) * 1.1 / Double(max(elapsed, 1))
        iterations = elapsed < 1_000_000 ? iterations * 10 : max(iterations * 2, Int(scaled))
    }
    var rates = [elapsed, batch(), batch()].map { Double(bytesPerCall * iterations) / (Double($0) / 1e9) / 1e6 }
    rates.sort()
    return rates[1]
}

/// Deterministic, non-trivial input bytes.
func input(_ count: Int) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 7) }
}

struct Cell {
    let algorithm: String
    let size: Int
    let ours: Double
    var key: String { "\(algorithm)/\(size)" }
}

let key32 = [UInt8](0..<32)
let nonce12 = [UInt8](repeating: 0, count: 12)

let onlyPrefix = CommandLine.arguments.firstIndex(of: "--only").flatMap {
    CommandLine.arguments.count > $0 + 1 ? CommandLine.arguments[$0 + 1] : nil
}

func runOurs() -> [Cell] {
    var cells: [Cell] = []
    func add(_ algorithm: String, _ size: Int, _ body: () -> UInt8) {
        guard algorithm.hasPrefix(onlyPrefix ?? "") else { return }
        cells.append(Cell(algorithm: algorithm, size: size, ours: measure(bytesPerCall: size, body)))
    }
    for size in sizes {
        let data = input(size)
        add("SHA-256", size) { SHA256.hash(data)[0] }
        add("HMAC-SHA256", size) { HMACSHA256.authenticate(key: key32, message: data)[0] }
        add("BLAKE3", size) { BLAKE3.hash(data)[0] }
        add("BLAKE3-keyed", size) { BLAKE3.keyedHash(key: key32, data)[0] }
        add("ChaCha20-Poly1305 seal", size) { ChaCha20Poly1305.seal(key: key32, nonce: nonce12, plaintext: data, aad: []).tag[0] }
        let sealed = ChaCha20Poly1305.seal(key: key32, nonce: nonce12, plaintext: data, aad: [])
        add("ChaCha20-Poly1305 open", size) {
            let plain = try? ChaCha20Poly1305.open(key: key32, nonce: nonce12, ciphertext: sealed.ciphertext, tag: sealed.tag, aad: [])
            return plain?.first ?? 0
        }
    }
    return cells
}

/// The same cells measured in Python, printed as one JSON object {"Algorithm/size": MB/s}.
/// A missing package yields {"Algorithm/error": "..."} for its algorithms.
let pythonReference = #"""
import sys, time, json
batch = float(sys.argv[1]); sizes = [int(s) for s in sys.argv[2].split(",")]; only = sys.argv[3]
key = bytes(range(32)); nonce = bytes(12)
def data(n): return bytes((i * 131 + 7) & 0xff for i in range(n))
def measure(fn, n):
    iters = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(iters): fn()
        dt = time.perf_counter() - t0
        if dt >= batch: break
        iters = iters * 10 if dt < 0.001 else max(iters * 2, int(iters * batch * 1.1 / dt))
    rates = [n * iters / dt / 1e6]
    for _ in range(2):
        t0 = time.perf_counter()
        for _ in range(iters): fn()
        rates.append(n * iters / (time.perf_counter() - t0) / 1e6)
    return sorted(rates)[1]
out = {}
def run(name, make):
    if not name.startswith(only): return
    try:
        for n in sizes:
            out[f"{name}/{n}"] = measure(make(data(n)), n)
    except Exception as e:
        out[f"{name}/error"] = f"{type(e).__name__}: {e}"
import hashlib, hmac, ssl
out["_versions"] = f"python {sys.version.split()[0]}, {ssl.OPENSSL_VERSION}"
try:
    import blake3; out["_versions"] += f", blake3 {blake3.__version__}"
except Exception: pass
try:
    import cryptography; out["_versions"] += f", cryptography {cryptography.__version__}"
except Exception: pass
run("SHA-256", lambda d: (lambda: hashlib.sha256(d).digest()))
run("HMAC-SHA256", lambda d: (lambda: hmac.digest(key, d, "sha256")))
def blake3_plain(d):
    import blake3
    return lambda: blake3.blake3(d).digest()
def blake3_keyed(d):
    import blake3
    return lambda: blake3.blake3(d, key=key).digest()
run("BLAKE3", blake3_plain)
run("BLAKE3-keyed", blake3_keyed)
def seal(d):
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    c = ChaCha20Poly1305(key)
    return lambda: c.encrypt(nonce, d, b"")
def open_(d):
    from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
    c = ChaCha20Poly1305(key); ct = c.encrypt(nonce, d, b"")
    return lambda: c.decrypt(nonce, ct, b"")
run("ChaCha20-Poly1305 seal", seal)
run("ChaCha20-Poly1305 open", open_)
print(json.dumps(out))
"""#

/// Runs the Python reference; returns its results or a reason it is unavailable.
struct ReferenceUnavailable: Error { let reason: String }

func runReference() -> Result<[String: Any], ReferenceUnavailable> {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", pythonReference, String(minimumBatchSeconds), sizes.map(String.init).joined(separator: ","), onlyPrefix ?? ""]
    let stdout = Pipe(), stderr = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    do {
        try process.run()
    } catch {
        return .failure(ReferenceUnavailable(reason: "cannot start python3: \(error)"))
    }
    let output = stdout.fileHandleForReading.readDataToEndOfFile()
    let errors = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        let message = String(decoding: errors, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? "no output"
        return .failure(ReferenceUnavailable(reason: "python3 exited with status \(process.terminationStatus): \(message)"))
    }
    guard let json = try? JSONSerialization.jsonObject(with: output) as? [String: Any] else {
        return .failure(ReferenceUnavailable(reason: "unreadable reference output"))
    }
    return .success(json)
}

func pad(_ s: String, _ width: Int, right: Bool = false) -> String {
    let padding = String(repeating: " ", count: max(0, width - s.count))
    return right ? padding + s : s + padding
}

func sizeLabel(_ n: Int) -> String { n >= 1 << 20 ? "\(n >> 20) MiB" : "\(n) B" }

/// `--profile ALG N`: run only our implementation, for instruction counting under callgrind.
if let flag = CommandLine.arguments.firstIndex(of: "--profile") {
    let usage = "usage: nx-bench-crypto --profile sha256|blake3|chacha COUNT"
    let arguments = CommandLine.arguments
    guard arguments.count > flag + 2, let count = Int(arguments[flag + 2]), count > 0,
          ["sha256", "blake3", "chacha"].contains(arguments[flag + 1]) else {
        FileHandle.standardError.write(Data((usage + "\n").utf8))
        exit(2)
    }
    let data = input(1 << 20)
    for _ in 0..<count {
        switch arguments[flag + 1] {
        case "sha256": sink ^= SHA256.hash(data)[0]
        case "blake3": sink ^= BLAKE3.hash(data)[0]
        default: sink ^= ChaCha20Poly1305.seal(key: key32, nonce: nonce12, plaintext: data, aad: []).tag[0]
        }
    }
    print("sink \(sink)")
    exit(0)
}

let ours = runOurs()
let reference = runReference()

print("NXCrypto throughput (MB/s = 10^6 B/s, median of 3 batches >= \(minimumBatchSeconds) s, single thread)")
var versions = "python3 unavailable"
if case .success(let values) = reference, let text = values["_versions"] as? String { versions = text }
print("reference: hashlib/hmac (OpenSSL), blake3 (official Rust), cryptography (OpenSSL) via \(versions)")
print(pad("algorithm", 24) + pad("input", 8) + pad("ours MB/s", 12, right: true) + pad("ref MB/s", 12, right: true) + pad("ratio", 9, right: true))
print(String(repeating: "-", count: 65))
var unavailable: [String] = []
for cell in ours {
    var refText = "n/a", ratioText = "n/a"
    switch reference {
    case .success(let values):
        if let ref = values[cell.key] as? Double {
            refText = String(format: "%.1f", ref)
            ratioText = String(format: "%.2fx", cell.ours / ref)
        } else if let error = values["\(cell.algorithm)/error"] as? String {
            let note = "\(cell.algorithm): reference unavailable (\(error))"
            if !unavailable.contains(note) { unavailable.append(note) }
        }
    case .failure(let reason):
        let note = "reference unavailable: \(reason.reason)"
        if !unavailable.contains(note) { unavailable.append(note) }
    }
    print(pad(cell.algorithm, 24) + pad(sizeLabel(cell.size), 8) + pad(String(format: "%.1f", cell.ours), 12, right: true)
          + pad(refText, 12, right: true) + pad(ratioText, 9, right: true))
}
for note in unavailable { print(note) }
print("goals (1 MiB): SHA-256 >= 400 MB/s, BLAKE3 >= 1500 MB/s, ChaCha20-Poly1305 >= 500 MB/s")
print("(sink \(sink))")
