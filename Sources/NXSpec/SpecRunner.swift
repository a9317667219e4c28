import Foundation
import NXEngine
import NXWasm

/// Runs the WebAssembly spec test suite in its `wast2json` form (one JSON command list per
/// script, with the modules it names) and reports per-script and total results.
public struct SpecRunner {
    public struct Options {
        /// Print each failure with its script line, expected and actual outcome.
        public var verbose = false
        /// Where per-script lines and failures go.
        public var output: (String) -> Void = { print($0) }
        public init() {}
    }

    /// Outcome counts of one script.
    public struct ScriptResult {
        public var name: String
        public var passed = 0
        public var failed = 0
        public var skipped = 0
        public var failures: [String] = []
        /// Why commands were skipped, with counts.
        public var skipReasons: [String: Int] = [:]
    }

    public struct Summary {
        public var scripts: [ScriptResult] = []
        public var passed: Int { scripts.reduce(0) { $0 + $1.passed } }
        public var failed: Int { scripts.reduce(0) { $0 + $1.failed } }
        public var skipped: Int { scripts.reduce(0) { $0 + $1.skipped } }
    }

    public let options: Options

    public init(options: Options = Options()) { self.options = options }

    /// The JSON command files under `paths` (files or directories), sorted by name.
    public static func scriptFiles(_ paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw SpecError("no such file or directory: \(path)")
            }
            if isDirectory.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".json") }
                files += names.sorted().map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        return files
    }

    /// Runs every script under `paths` and prints one line per script and a total line.
    public func run(paths: [String]) throws -> Summary {
        var summary = Summary()
        for file in try SpecRunner.scriptFiles(paths) {
            let result = runScript(file)
            summary.scripts.append(result)
            var line = "\(result.name): \(result.failed == 0 ? "passed" : "FAILED") (\(result.passed) passed, \(result.failed) failed, \(result.skipped) skipped)"
            if !result.skipReasons.isEmpty {
                line += " — skipped: " + result.skipReasons.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: "; ")
            }
            options.output(line)
            if options.verbose { for failure in result.failures { options.output("  \(failure)") } }
        }
        options.output("\(summary.passed) passed, \(summary.failed) failed, \(summary.skipped) skipped")
        return summary
    }

    /// Runs one script. Never throws: every problem is a failed command.
    public func runScript(_ path: String) -> ScriptResult {
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
        var result = ScriptResult(name: name)
        guard let data = FileManager.default.contents(atPath: path),
              let json = try? JSON.parse([UInt8](data)) as? [String: Any],
              let commands = json["commands"] as? [[String: Any]] else {
            result.failed += 1
            result.failures.append("cannot read command list \(path)")
            return result
        }
        var session = ScriptSession(directory: (path as NSString).deletingLastPathComponent)
        for command in commands {
            let line = command["line"] as? Int ?? 0
            switch session.execute(command) {
            case .passed: result.passed += 1
            case .skipped(let reason):
                result.skipped += 1
                result.skipReasons[reason, default: 0] += 1
            case .failed(let message):
                result.failed += 1
                result.failures.append("\(name).wast:\(line): \(command["type"] as? String ?? "?"): \(message)")
            }
        }
        return result
    }
}

/// The state of one script: its runtime, the `spectest` module, named and registered instances.
struct ScriptSession {
    enum Outcome {
        case passed
        case failed(String)
        case skipped(String)
    }

    let directory: String
    /// Eager translation, so that every function of the suite goes through the translator.
    let runtime: Runtime = {
        var configuration = Runtime.Configuration()
        configuration.lazyTranslation = false
        return Runtime(configuration: configuration)
    }()
    var imports = Imports()
    var current: Instance?
    var named: [String: Instance] = [:]

    init(directory: String) {
        self.directory = directory
        SpectestModule.define(in: &imports, runtime: runtime)
    }

    mutating func execute(_ command: [String: Any]) -> Outcome {
        let type = command["type"] as? String ?? ""
        switch type {
        case "module": return defineModule(command)
        case "register": return register(command)
        case "action": return runAction(command, expectation: nil)
        case "assert_return": return runAction(command, expectation: command["expected"] as? [[String: Any]] ?? [])
        case "assert_trap", "assert_exhaustion": return expectTrap(command)
        case "assert_invalid", "assert_malformed": return expectRejection(command)
        case "assert_unlinkable": return expectInstantiationFailure(command, trap: false)
        case "assert_uninstantiable": return expectInstantiationFailure(command, trap: true)
        default: return .failed("unknown command type \(type)")
        }
    }

    func loadModule(_ command: [String: Any]) throws -> Module {
        guard let file = command["filename"] as? String else { throw SpecError("command without a module file") }
        let path = (directory as NSString).appendingPathComponent(file)
        guard let data = FileManager.default.contents(atPath: path) else { throw SpecError("cannot read \(path)") }
        return try Runtime.load([UInt8](data))
    }

    mutating func defineModule(_ command: [String: Any]) -> Outcome {
        do {
            let instance = try runtime.instantiate(try loadModule(command), imports: imports)
            current = instance
            if let name = command["name"] as? String { named[name] = instance }
            return .passed
        } catch {
            current = nil
            return .failed("module \(command["filename"] ?? "?"): \(error)")
        }
    }

    mutating func register(_ command: [String: Any]) -> Outcome {
        guard let alias = command["as"] as? String else { return .failed("register without a name") }
        let instance = (command["name"] as? String).flatMap { named[$0] } ?? current
        guard let instance else { return .failed("register of a module that failed to load") }
        imports.define(module: alias, instance: instance)
        return .passed
    }

    func instance(for action: [String: Any]) throws -> Instance {
        if let name = action["module"] as? String {
            guard let instance = named[name] else { throw SpecError("unknown module \(name)") }
            return instance
        }
        guard let current else { throw SpecError("no current module") }
        return current
    }

    /// Performs an `invoke` or `get` action.
    func perform(_ action: [String: Any]) throws -> [Value] {
        let instance = try instance(for: action)
        guard let field = action["field"] as? String else { throw SpecError("action without a field") }
        switch action["type"] as? String {
        case "invoke":
            guard let function = instance.function(field) else { throw SpecError("no exported function \"\(field)\"") }
            let arguments = try (action["args"] as? [[String: Any]] ?? []).map { json -> Value in
                guard let value = try SpecValue.parse(json).argument else { throw SpecError("argument is not a value") }
                return value
            }
            return try function.call(arguments)
        case "get":
            guard case .global(let global)? = instance.export(field) else { throw SpecError("no exported global \"\(field)\"") }
            return [global.value]
        default:
            throw SpecError("unknown action \(action["type"] ?? "?")")
        }
    }

    func runAction(_ command: [String: Any], expectation: [[String: Any]]?) -> Outcome {
        guard let action = command["action"] as? [String: Any] else { return .failed("command without an action") }
        do {
            let results = try perform(action)
            guard let expectation else { return .passed }
            let expected = try expectation.map(SpecValue.parse)
            guard expected.count == results.count,
                  zip(expected, results).allSatisfy({ $0.matches($1) }) else {
                return .failed("\(describe(action)): expected \(expected), got \(results)")
            }
            return .passed
        } catch {
            return .failed("\(describe(action)): \(error)")
        }
    }

    func expectTrap(_ command: [String: Any]) -> Outcome {
        guard let action = command["action"] as? [String: Any] else { return .failed("command without an action") }
        let text = command["text"] as? String ?? ""
        do {
            let results = try perform(action)
            return .failed("\(describe(action)): expected trap \"\(text)\", got \(results)")
        } catch let trap as Trap {
            let kind = trap.kind.description
            return text.hasPrefix(kind) ? .passed : .failed("\(describe(action)): expected trap \"\(text)\", got \"\(kind)\"")
        } catch {
            return .failed("\(describe(action)): expected trap \"\(text)\", got \(error)")
        }
    }

    func expectRejection(_ command: [String: Any]) -> Outcome {
        let text = command["text"] as? String ?? ""
        if command["module_type"] as? String == "text" {
            return .skipped("text-format modules (no text parser)")
        }
        do {
            _ = try loadModule(command)
            return .failed("module \(command["filename"] ?? "?") loaded, expected \"\(text)\"")
        } catch is DecodeError, is ValidationError {
            return .passed
        } catch {
            return .failed("module \(command["filename"] ?? "?"): unexpected error \(error)")
        }
    }

    func expectInstantiationFailure(_ command: [String: Any], trap: Bool) -> Outcome {
        let text = command["text"] as? String ?? ""
        do {
            let module = try loadModule(command)
            _ = try runtime.instantiate(module, imports: imports)
            return .failed("module \(command["filename"] ?? "?") instantiated, expected \"\(text)\"")
        } catch let error as Trap where trap {
            return text.hasPrefix(error.kind.description) ? .passed : .failed("expected \"\(text)\", got \(error)")
        } catch let error as LinkError where !trap {
            _ = error
            return .passed
        } catch {
            return .failed("module \(command["filename"] ?? "?"): expected \(trap ? "a trap" : "a link error") \"\(text)\", got \(error)")
        }
    }

    func describe(_ action: [String: Any]) -> String {
        let args = (action["args"] as? [[String: Any]] ?? []).map { "\($0["type"] ?? "?"):\($0["value"] ?? "?")" }
        return "\(action["field"] ?? "?")(\(args.joined(separator: ", ")))"
    }
}

/// The `spectest` host module every script may import (names and values from the spec
/// interpreter's `spectest.ml`).
enum SpectestModule {
    static func define(in imports: inout Imports, runtime: Runtime) {
        func printer(_ name: String, _ parameters: [ValueType]) {
            imports.define(module: "spectest", name: name,
                           HostFunction(name: "spectest.\(name)", type: FunctionType(parameters: parameters, results: [])) { _ in })
        }
        printer("print", [])
        printer("print_i32", [.i32])
        printer("print_i64", [.i64])
        printer("print_f32", [.f32])
        printer("print_f64", [.f64])
        printer("print_i32_f32", [.i32, .f32])
        printer("print_f64_f64", [.f64, .f64])
        let globals: [(String, Value)] = [
            ("global_i32", .i32(UInt32(666))), ("global_i64", .i64(UInt64(666))),
            ("global_f32", .f32(Float(666.6))), ("global_f64", .f64(Double(666.6))),
        ]
        for (name, value) in globals {
            if let global = try? runtime.createGlobal(GlobalType(valueType: value.type, isMutable: false), value: value) {
                imports.define(module: "spectest", name: name, .global(global))
            }
        }
        if let table = try? runtime.createTable(TableType(elementType: .funcref, limits: Limits(min: 10, max: 20))) {
            imports.define(module: "spectest", name: "table", .table(table))
        }
        if let memory = try? runtime.createMemory(MemoryType(limits: Limits(min: 1, max: 2))) {
            imports.define(module: "spectest", name: "memory", .memory(memory))
        }
    }
}
