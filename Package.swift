// swift-tools-version:6.0
// nx: a pure-Swift WebAssembly runtime with a local log-structured store and CRDT sync.
// No package dependencies by design: everything above the toolchain is our own code.
import PackageDescription

#if canImport(Foundation)
import Foundation
#endif

/// The interpreter's dispatch loop is a `switch` over an exhaustive opcode enum. These LLVM
/// flags let tail duplication copy the dispatch sequence into every case, which turns the
/// switch into direct threading (see ../shared/design/interpreter-dispatch.md).
let threadedDispatch: [SwiftSetting] = [
    .unsafeFlags(["-Xllvm", "-tail-dup-pred-size=1000", "-Xllvm", "-tail-dup-succ-size=1000"]),
]

/// Code generation for vector-heavy targets (crypto).
///
/// Swift compiles for baseline x86-64 (SSE2) by default; there LLVM scalarises vector rotates,
/// the core of BLAKE3's and ChaCha20's SIMD lanes, and SHA-256 loses `rorx`/`andn`. When the
/// build host has AVX2 and BMI1/2 (every machine kind this project runs on) we let the compiler
/// use them; the binary then needs such a CPU, so build on the machine kind that runs it.
/// `NX_PORTABLE=1` builds for any x86-64 (correct, slower).
func hostVectorSettings() -> [SwiftSetting] {
    #if arch(x86_64) && os(Linux) && canImport(Foundation)
    if ProcessInfo.processInfo.environment["NX_PORTABLE"] == "1" { return [] }
    guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
    let flags = Set(flagsLine.split(separator: " ").map(String.init))
    guard flags.isSuperset(of: ["avx2", "bmi1", "bmi2"]) else { return [] }
    return [.unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mbmi", "-Xcc", "-mbmi2"])]
    #else
    return []
    #endif
}

let package = Package(
    name: "nx",
    products: [
        .executable(name: "nxrun", targets: ["nxrun"]),
        .library(name: "NXEngine", targets: ["NXEngine"]),
    ],
    targets: [
        // Layer 1: the WebAssembly binary format — decoder, module IR, validator.
        .target(name: "NXWasm"),
        // Layer 2: translation to register-based threaded code, the interpreter, embedding API.
        .target(name: "NXEngine", dependencies: ["NXWasm"], swiftSettings: threadedDispatch),
        // The spec-conformance runner (wast2json command lists), used by `nxrun spectest`.
        .target(name: "NXSpec", dependencies: ["NXEngine"]),
        // SHA-256, BLAKE3, HMAC-SHA256, ChaCha20-Poly1305: no dependency on any other module.
        .target(name: "NXCrypto", swiftSettings: hostVectorSettings()),
        // The log-structured key/value store: no dependency on the engine.
        .target(name: "NXStore"),
        // Child process of the store's crash test: writes and reports every acknowledged
        // write until the test SIGKILLs it.
        .executableTarget(name: "nx-store-crashwriter", dependencies: ["NXStore"]),
        // UDP transport: wire format, fragmentation, keyed-BLAKE3 authentication, replay
        // protection, optional encryption, SWIM membership.
        .target(name: "NXNet", dependencies: ["NXCrypto"]),
        // Replicated state: the six CRDTs, a durable op log, and a transport-independent sync
        // engine (digest anti-entropy, causal buffering, state transfer).
        .target(name: "NXSync", dependencies: ["NXStore", "NXCrypto"]),
        // The `nx` host API: one table of every host function, one file per family.
        .target(name: "NXHost", dependencies: ["NXEngine", "NXStore", "NXCrypto", "NXSync"]),
        // A cluster node: the sync engine on the UDP transport, driven by one serial queue.
        .target(name: "NXCluster", dependencies: ["NXSync", "NXNet", "NXStore"]),
        // nxrun as a library (command line, module runs), so tests drive it in-process.
        .target(name: "NXRunner", dependencies: ["NXEngine", "NXSpec", "NXHost", "NXStore", "NXCluster", "NXNet", "NXSync"]),
        // The command-line runner that composes everything.
        .executableTarget(name: "nxrun", dependencies: ["NXRunner"]),

        .testTarget(name: "NXWasmTests", dependencies: ["NXWasm"]),
        .testTarget(name: "NXEngineTests", dependencies: ["NXEngine"]),
        .testTarget(name: "NXSpecTests", dependencies: ["NXSpec"]),
        .testTarget(name: "NXCryptoTests", dependencies: ["NXCrypto"]),
        .testTarget(name: "NXStoreTests", dependencies: ["NXStore", "nx-store-crashwriter"]),
        .testTarget(name: "NXNetTests", dependencies: ["NXNet", "NXCrypto"]),
        .testTarget(name: "NXSyncTests", dependencies: ["NXSync", "NXStore", "NXCrypto"]),
        .testTarget(name: "NXHostTests", dependencies: ["NXHost", "NXEngine", "NXStore", "NXCrypto", "NXSync"]),
        .testTarget(name: "NXRunnerTests", dependencies: ["NXRunner", "NXStore"]),
        // Multi-process clusters: spawns the nxrun executable (built as a dependency).
        .testTarget(name: "NXClusterTests", dependencies: ["NXCluster", "NXNet", "NXSync", "NXStore", "nxrun"]),

        // Benchmarks (run with -c release; see README).
        .executableTarget(name: "nx-bench-crypto", dependencies: ["NXCrypto"], path: "Benchmarks/crypto"),
        .executableTarget(name: "nx-bench-store", dependencies: ["NXStore"], path: "Benchmarks/store"),
        .executableTarget(name: "nx-bench-net", dependencies: ["NXNet"], path: "Benchmarks/net"),
        .executableTarget(name: "nx-bench-sync", dependencies: ["NXSync", "NXStore"], path: "Benchmarks/sync"),
        .executableTarget(name: "nx-bench-cluster", dependencies: ["NXCluster", "NXSync", "NXStore"], path: "Benchmarks/cluster"),
    ],
    swiftLanguageModes: [.v5]
)
