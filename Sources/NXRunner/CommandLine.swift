import Foundation
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
    /// `--durability` / `NX_DURABILITY`: none, group or always (default: none; group with sync).
    public var durability: DurabilityChoice?

    // Cluster (sync) settings: sync is enabled by `listen`.
    /// `--listen` / `NX_LISTEN`: the UDP address of this node, e.g. `127.0.0.1:7001`.
    public var listen: String?
    /// `--peer` (repeatable) / `NX_PEERS` (comma-separated): seed nodes.
    public var peers: [String] = []
    /// `--cluster-key-file` / `NX_CLUSTER_KEY_FILE`: shared secret authenticating datagrams.
    public var clusterKeyFile: String?
    /// `--encrypt` / `NX_ENCRYPT=1`: encrypt datagrams too.
    public var encrypt = false
    /// `--allow-node` (repeatable) / `NX_ALLOW_NODES`: accept only these node ids (hex).
    public var allowNodes: [String] = []
    /// `--wait-before-run` / `NX_WAIT_BEFORE_RUN`: let the node join before the guest runs.
    public var waitBeforeRun: Duration = .zero
    /// `--settle-for` / `NX_SETTLE_FOR`: keep replicating after the guest returns.
    public var settleFor: Duration = .zero
    /// `--print-<crdt> KEY` (repeatable): values to print after the settle window, in order.
    public var prints: [PrintRequest] = []
    /// `--simulated-loss` / `NX_SIMULATED_LOSS`: drop this fraction of outgoing datagrams (experiments).
    public var simulatedLoss: Double = 0

    public init(modulePath: String) { self.modulePath = modulePath }

    /// The module id: the override, else the file name without its extension.
    public var effectiveModuleID: String {
        if let moduleID { return moduleID }
        let name = modulePath.split(separator: "/").last.map(String.init) ?? modulePath
        return name.hasSuffix(".wasm") ? String(name.dropLast(5)) : name
    }
}

/// The store's durability mode, as chosen on the command line.
public enum DurabilityChoice: String, Equatable, Sendable {
    case none, group, always
}

/// A CRDT value to print after the settle window.
public struct PrintRequest: Equatable, Sendable {
    public enum Kind: String, Equatable, Sendable, CaseIterable {
        case gcounter, pncounter, lwwRegister = "lww-register", lwwMap = "lww-map", orset, rga
    }
    public var kind: Kind
    public var key: String
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
          --durability MODE       NX_DURABILITY       none (default), group or always (fdatasync);
                                                      group by default when sync is on
          --help, --version

        cluster options (sync is on when --listen is given):
          --listen ADDR           NX_LISTEN           UDP address of this node, e.g. 127.0.0.1:7001 or [::1]:7001
          --peer ADDR             NX_PEERS            seed node (repeatable; the variable is comma-separated)
          --cluster-key-file F    NX_CLUSTER_KEY_FILE shared secret: every datagram is authenticated
          --encrypt               NX_ENCRYPT=1        also encrypt datagrams (ChaCha20-Poly1305)
          --allow-node HEX        NX_ALLOW_NODES      accept only these node ids (repeatable / comma-separated)
          --wait-before-run D     NX_WAIT_BEFORE_RUN  join the cluster for D (e.g. 1s, 500ms) before running
          --settle-for D          NX_SETTLE_FOR       keep replicating for D after the guest returns
                                                      (SIGINT/SIGTERM end it early and shut down cleanly)
          --print-gcounter KEY, --print-pncounter KEY, --print-lww-register KEY,
          --print-lww-map KEY, --print-orset KEY, --print-rga KEY
                                                      print a converged value after the settle window

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
        var repeated: [String: [String]] = [:]
        var prints: [PrintRequest] = []
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
            if booleanFlags.contains(name) {
                flags[name] = "1"
                continue
            }
            var value: String
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            } else {
                guard index < arguments.count else { throw UsageError(message: "--\(name) needs a value") }
                value = arguments[index]
                index += 1
            }
            if name.hasPrefix("print-"), let kind = PrintRequest.Kind(rawValue: String(name.dropFirst(6))) {
                prints.append(PrintRequest(kind: kind, key: value))
            } else if repeatableFlags.contains(name) {
                repeated[name, default: []].append(value)
            } else {
                guard knownFlags.contains(name) else { throw UsageError(message: "unknown option --\(name)") }
                flags[name] = value
            }
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
        if let text = setting("durability", "NX_DURABILITY") {
            guard let durability = DurabilityChoice(rawValue: text) else { throw UsageError(message: "unknown durability \(text) (none, group, always)") }
            configuration.durability = durability
        }
        try parseCluster(into: &configuration, setting: setting, repeated: repeated, prints: prints, environment: environment)
        return .run(configuration)
    }

    static func parseCluster(into configuration: inout RunnerConfiguration, setting: (String, String) -> String?,
                             repeated: [String: [String]], prints: [PrintRequest], environment: [String: String]) throws(UsageError) {
        func list(_ flag: String, _ variable: String) -> [String] {
            repeated[flag] ?? (environment[variable]?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } ?? [])
        }
        configuration.listen = setting("listen", "NX_LISTEN")
        configuration.peers = list("peer", "NX_PEERS")
        configuration.allowNodes = list("allow-node", "NX_ALLOW_NODES")
        configuration.clusterKeyFile = setting("cluster-key-file", "NX_CLUSTER_KEY_FILE")
        configuration.encrypt = setting("encrypt", "NX_ENCRYPT").map { $0 == "1" || $0 == "true" } ?? false
        configuration.prints = prints
        for (flag, variable) in [("wait-before-run", "NX_WAIT_BEFORE_RUN"), ("settle-for", "NX_SETTLE_FOR")] {
            guard let text = setting(flag, variable) else { continue }
            guard let duration = parseDuration(text) else { throw UsageError(message: "cannot parse --\(flag) \(text) (e.g. 2s, 500ms, 1m)") }
            if flag == "settle-for" { configuration.settleFor = duration } else { configuration.waitBeforeRun = duration }
        }
        if let text = setting("simulated-loss", "NX_SIMULATED_LOSS") {
            guard let loss = Double(text), (0...1).contains(loss) else { throw UsageError(message: "--simulated-loss takes a fraction between 0 and 1") }
            configuration.simulatedLoss = loss
        }
        if configuration.listen == nil {
            let clusterOnly = !configuration.peers.isEmpty || configuration.clusterKeyFile != nil || configuration.encrypt
                || !configuration.prints.isEmpty || configuration.settleFor > .zero || configuration.waitBeforeRun > .zero
            if clusterOnly { throw UsageError(message: "cluster options need --listen ADDR") }
        }
        if configuration.encrypt && configuration.clusterKeyFile == nil {
            throw UsageError(message: "--encrypt needs --cluster-key-file")
        }
    }

    /// `2s`, `500ms`, `1.5s`, `1m`, or a plain number of seconds.
    static func parseDuration(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            guard let value = Double(text.dropLast(suffix.count)), value >= 0 else { return nil }
            return .milliseconds(Int64((value * scale * 1000).rounded()))
        }
        guard let seconds = Double(text), seconds >= 0 else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }

    static let knownFlags: Set<String> = ["datastore-path", "log-level", "log-format", "invoke", "module-id", "durability",
                                          "listen", "cluster-key-file", "wait-before-run", "settle-for", "simulated-loss"]
    static let repeatableFlags: Set<String> = ["peer", "allow-node"]
    static let booleanFlags: Set<String> = ["encrypt"]
}
