import Foundation
import NXEngine
import NXSpec
import NXWasm

/// `nxrun`: runs a WebAssembly module, calls an export, or runs the spec test suite.
let usage = """
    usage: nxrun [run] MODULE.wasm [--invoke NAME [ARGS...]]
           nxrun --invoke NAME [ARGS...] MODULE.wasm
           nxrun spectest [--verbose] PATH...
           nxrun --compile-stats MODULE.wasm

    Runs MODULE's exported `run` (or `_start`), or with --invoke calls export NAME with ARGS
    (parsed according to its parameter types) and prints each result as TYPE:VALUE (integers as
    unsigned bit patterns).
    `spectest` runs wast2json command lists (files or directories) and exits non-zero on any failure.
    `--compile-stats` times decoding, validation and translation of every function, with MB/s.
    """

func fail(_ message: String, code: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("nxrun: \(message)\n".utf8))
    exit(code)
}

func runSpecTests(_ arguments: [String]) -> Never {
    var options = SpecRunner.Options()
    var paths: [String] = []
    for argument in arguments {
        if argument == "--verbose" || argument == "-v" { options.verbose = true } else { paths.append(argument) }
    }
    guard !paths.isEmpty else { fail("spectest needs at least one path\n\(usage)", code: 2) }
    do {
        let summary = try SpecRunner(options: options).run(paths: paths)
        exit(summary.failed == 0 ? 0 : 1)
    } catch {
        fail("\(error)")
    }
}

/// Parses a command-line argument as a value of `type`.
func parseArgument(_ text: String, as type: ValueType) -> Value? {
    switch type {
    case .i32:
        if let value = Int32(text) { return .i32(value) }
        return UInt32(text).map { .i32($0) }
    case .i64:
        if let value = Int64(text) { return .i64(value) }
        return UInt64(text).map { .i64($0) }
    case .f32: return Float(text).map { .f32($0) }
    case .f64: return Double(text).map { .f64($0) }
    default: return nil
    }
}

func runModule(path: String, export requested: String?, arguments: [String]) -> Never {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    let runtime = Runtime()
    let instance: Instance
    do {
        instance = try runtime.instantiate(try Runtime.load([UInt8](data)))
    } catch {
        fail("\(path): \(error)")
    }
    let name = requested ?? (instance.function("run") != nil ? "run" : "_start")
    guard let function = instance.function(name) else { fail("\(path) has no exported function \"\(name)\"") }
    let parameters = function.type.parameters
    guard parameters.count == arguments.count else {
        fail("\(name) takes \(parameters.count) argument(s) \(function.type), got \(arguments.count)", code: 2)
    }
    var values: [Value] = []
    for (text, type) in zip(arguments, parameters) {
        guard let value = parseArgument(text, as: type) else { fail("cannot parse \"\(text)\" as \(type)", code: 2) }
        values.append(value)
    }
    do {
        let results = try function.call(values)
        if requested != nil { for result in results { print(result) } }
        exit(0)
    } catch {
        fail("\(error)")
    }
}

/// Times each load phase of a module, translating every function eagerly.
func compileStats(path: String) -> Never {
    guard let data = FileManager.default.contents(atPath: path) else { fail("cannot read \(path)") }
    let bytes = [UInt8](data)
    let clock = ContinuousClock()
    func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
    do {
        var module: Module?
        let decode = try clock.measure { module = try ModuleDecoder.decode(bytes) }
        let validate = try clock.measure { try ModuleValidator.validate(module!) }
        let runtime = Runtime()
        var instance: Instance?
        let instantiate = try clock.measure { instance = try runtime.instantiate(module!) }
        let translate = try clock.measure { try instance!.translateAll() }
        let megabytes = Double(bytes.count) / 1e6
        print("module: \(path) (\(String(format: "%.2f", megabytes)) MB, \(module!.bodies.count) functions)")
        for (name, duration) in [("decode", decode), ("validate", validate), ("instantiate", instantiate), ("translate", translate)] {
            print(String(format: "%@ %8.2f ms  %8.1f MB/s", name.padding(toLength: 12, withPad: " ", startingAt: 0), seconds(duration) * 1000, megabytes / seconds(duration)))
        }
        let total = seconds(decode + validate + instantiate + translate)
        print(String(format: "%@ %8.2f ms  %8.1f MB/s", "total".padding(toLength: 12, withPad: " ", startingAt: 0), total * 1000, megabytes / total))
        exit(0)
    } catch {
        fail("\(path): \(error)")
    }
}

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--compile-stats", arguments.count == 2 { compileStats(path: arguments[1]) }
if arguments.first == "--disassemble", arguments.count == 3 {
    // Development aid: the translated code of one exported function.
    guard let data = FileManager.default.contents(atPath: arguments[2]) else { fail("cannot read \(arguments[2])") }
    do {
        let instance = try Runtime().instantiate(try Runtime.load([UInt8](data)))
        print(try instance.disassemble(arguments[1]))
        exit(0)
    } catch {
        fail("\(error)")
    }
}
if arguments.first == "spectest" { runSpecTests(Array(arguments.dropFirst())) }
if arguments.first == "run" { arguments.removeFirst() }
var invoke: String?
var positionals: [String] = []
var index = 0
while index < arguments.count {
    let argument = arguments[index]
    switch argument {
    case "--help", "-h":
        print(usage)
        exit(0)
    case "--version":
        print("nxrun 0.1.0")
        exit(0)
    case "--invoke":
        guard index + 1 < arguments.count else { fail("--invoke needs a function name", code: 2) }
        invoke = arguments[index + 1]
        index += 1
    default:
        positionals.append(argument)
    }
    index += 1
}
guard let modulePath = positionals.first(where: { $0.hasSuffix(".wasm") }) ?? positionals.first else {
    fail("no module given\n\(usage)", code: 2)
}
var functionArguments = positionals
functionArguments.remove(at: functionArguments.firstIndex(of: modulePath)!)
runModule(path: modulePath, export: invoke, arguments: functionArguments)
