// swift-tools-version:6.0
// nx: a pure-Swift WebAssembly runtime with a local log-structured store and CRDT sync.
// No package dependencies by design: everything above the toolchain is our own code.
import PackageDescription

/// The interpreter's dispatch loop is a `switch` over an exhaustive opcode enum. These LLVM
/// flags let tail duplication copy the dispatch sequence into every case, which turns the
/// switch into direct threading (see ../shared/design/interpreter-dispatch.md).
let threadedDispatch: [SwiftSetting] = [
    .unsafeFlags(["-Xllvm", "-tail-dup-pred-size=1000", "-Xllvm", "-tail-dup-succ-size=1000"]),
]

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
        // The command-line runner that composes everything.
        .executableTarget(name: "nxrun", dependencies: ["NXEngine", "NXSpec"]),

        .testTarget(name: "NXWasmTests", dependencies: ["NXWasm"]),
        .testTarget(name: "NXEngineTests", dependencies: ["NXEngine"]),
        .testTarget(name: "NXSpecTests", dependencies: ["NXSpec"]),
    ],
    swiftLanguageModes: [.v5]
)
