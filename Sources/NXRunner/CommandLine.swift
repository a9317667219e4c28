import NXHost

/// What `nxrun` was asked to do.
public enum RunnerCommand: Equatable {
    case run(RunnerConfiguration)
    case spectest(paths: [String], verbose: Bool)
    case compileStats(path: String)
    case disassemble(function: String, path: String)
    case help
    case version
}

/// Settings of one module run. Every flag has an `NX_*` environment variable; flags win.
public struct RunnerConfiguration: Equatable, Sendable {
    public var modulePath: String
    /// `--datastore-path` / `NX_DATASTORE_PATH`; created if missing.
    public var datastorePath = "./nx-data"
    /// `--log-level` / `NX_LOG_LEVEL`: error, warn, info, debug, trace.
    public var logLevel: GuestLogger.Level = .info
    /// `--log-format` / `NX_LOG_FORMAT`: text or json.
    public var logFormat: GuestLogger.Format = .text
    /// `--invoke` / `NX_INVOKE`: the export to call instead of `run`/`_start`; its results are printed.
    public var invoke: String?
    public var invokeArguments: [String] = []
    /// `--module-id` / `NX_MODULE_ID`: what `module_id` returns (default: the file name without `.wasm`).
    public var moduleID: String?

    public init(modulePath: String) { self.modulePath = modulePath }

    /// The module id: the override, else the file name without its extension.
    public var effectiveModuleID: String {
        if let moduleID { return moduleID }
        let name = modulePath.split(separator: "/").last.map(String.init) ?? modulePath
        return name.hasSuffix(".wasm") ? String(name.dropLast(5)) : name
    }
}

/// A command line that cannot be understood; printed with the usage text, exit status 2.
public struct UsageError: Error, CustomStringConvertible, Equatable {
    public var message: String
    public var description: String { message }
}

public enum CommandLineParser {
    public static let usage = """
        usage: nxrun [run] MODULE.wasm [options] [--invoke NAME [ARGS...]]
               nxrun spectest [--verbose] PATH...
               nxrun --compile-stats MODULE.wasm
               nxrun --disassemble FUNCTION MODULE.wasm

        Runs MODULE's exported `run` (or `_start`) with the `nx` host API. With --invoke, calls
        export NAME with ARGS (parsed by its parameter types) and prints each result as
        TYPE:VALUE (integers as unsigned bit patterns).

        options (each also read from the environment variable shown; flags win):
          --datastore-path PATH   NX_DATASTORE_PATH   datastore directory (default ./nx-data)
          --log-level LEVEL       NX_LOG_LEVEL        error, warn, info (default), debug, trace
          --log-format FORMAT     NX_LOG_FORMAT       text (default) or json
          --module-id ID          NX_MODULE_ID        identity returned by module_id
          --invoke NAME           NX_INVOKE           export to call instead of run/_start
          --help, --version

        `spectest` runs WebAssembly spec-suite command lists (wast2json output) and exits
        non-zero on any failure. `--compile-stats` times decoding, validation and translation.
        Exit status: 0 success, 1 error or trap, 2 usage error.
        """

    /// Parses `arguments` (without the program name).
    public static func parse(_ arguments: [String], environment: [String: String] = [:]) throws(UsageError) -> RunnerCommand {
        var arguments = arguments
        switch arguments.first {
        case "spectest":
            let rest = arguments.dropFirst()
            let paths = rest.filter { $0 != "--verbose" && $0 != "-v" }
            guard !paths.isEmpty else { throw UsageError(message: "spectest needs at least one path") }
            return .spectest(paths: Array(paths), verbose: rest.count != paths.count)
        case "--compile-stats":
            guard arguments.count == 2 else { throw UsageError(message: "--compile-stats takes one module") }
            return .compileStats(path: arguments[1])
        case "--disassemble":
            guard arguments.count == 3 else { throw UsageError(message: "--disassemble takes a function name and a module") }
            return .disassemble(function: arguments[1], path: arguments[2])
        case "run":
            arguments.removeFirst()
        default:
            break
        }
        return try parseRun(arguments, environment: environment)
    }

    static func parseRun(_ arguments: [String], environment: [String: String]) throws(UsageError) -> RunnerCommand {
        var flags: [String: String] = [:]
        var positionals: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument == "--help" || argument == "-h" { return .help }
            if argument == "--version" { return .version }
            guard argument.hasPrefix("--"), Double(argument) == nil else {
                positionals.append(argument)
                continue
            }
            var name = String(argument.dropFirst(2))
            var value: String
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            } else {
                guard index < arguments.count else { throw UsageError(message: "--\(name) needs a value") }
                value = arguments[index]
                index += 1
            }
            guard knownFlags.contains(name) else { throw UsageError(message: "unknown option --\(name)") }
            flags[name] = value
        }
        func setting(_ flag: String, _ variable: String) -> String? { flags[flag] ?? environment[variable] }

        guard let module = positionals.first(where: { $0.hasSuffix(".wasm") }) ?? positionals.first else {
            throw UsageError(message: "no module given")
        }
        var configuration = RunnerConfiguration(modulePath: module)
        var rest = positionals
        rest.remove(at: rest.firstIndex(of: module)!)
        configuration.invokeArguments = rest
        configuration.invoke = setting("invoke", "NX_INVOKE")
        if configuration.invoke == nil && !rest.isEmpty {
            throw UsageError(message: "unexpected arguments \(rest.joined(separator: " ")) (arguments are for --invoke)")
        }
        if let path = setting("datastore-path", "NX_DATASTORE_PATH") { configuration.datastorePath = path }
        if let text = setting("log-level", "NX_LOG_LEVEL") {
            guard let level = GuestLogger.Level(name: text) else {
                throw UsageError(message: "unknown log level \(text) (error, warn, info, debug, trace)")
            }
            configuration.logLevel = level
        }
        if let text = setting("log-format", "NX_LOG_FORMAT") {
            guard let format = GuestLogger.Format(rawValue: text) else { throw UsageError(message: "unknown log format \(text) (text, json)") }
            configuration.logFormat = format
        }
        configuration.moduleID = setting("module-id", "NX_MODULE_ID")
        return .run(configuration)
    }

    static let knownFlags: Set<String> = ["datastore-path", "log-level", "log-format", "invoke", "module-id"]
}
