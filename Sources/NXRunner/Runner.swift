import Foundation
import NXEngine
import NXHost
import NXSpec
import NXStore
import NXWasm

/// `nxrun` as a library: parses a command line and runs it, reporting through the given
/// output functions. The executable is a thin wrapper; tests call this directly.
public struct Runner {
    /// Where normal output (results of --invoke, spectest lines) goes.
    public var standardOutput: (String) -> Void = { print($0) }
    /// Where diagnostics and guest logs go.
    public var standardError: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
    public var environment: [String: String] = ProcessInfo.processInfo.environment

    public init() {}

    public static let version = "nxrun 0.2.0"

    /// Runs `arguments` (without the program name) and returns the exit status.
    public func main(_ arguments: [String]) -> Int32 {
        let command: RunnerCommand
        do {
            command = try CommandLineParser.parse(arguments, environment: environment)
        } catch {
            standardError("nxrun: \(error)\n\(CommandLineParser.usage)")
            return 2
        }
        switch command {
        case .help:
            standardOutput(CommandLineParser.usage)
            return 0
        case .version:
            standardOutput(Runner.version)
            return 0
        case .spectest(let paths, let verbose):
            return spectest(paths, verbose: verbose)
        case .compileStats(let path):
            return failing { try compileStats(path) }
        case .disassemble(let function, let path):
            return failing {
                let instance = try Runtime().instantiate(try Runtime.load(try readModule(path)))
                standardOutput(try instance.disassemble(function))
            }
        case .run(let configuration):
            return run(configuration)
        }
    }

    /// Runs one module with the `nx` host API; see `RunnerConfiguration`.
    public func run(_ configuration: RunnerConfiguration) -> Int32 {
        let logger = GuestLogger(level: configuration.logLevel, format: configuration.logFormat, sink: standardError)
        let moduleID = configuration.effectiveModuleID
        let module: Module
        do {
            module = try Runtime.load(try readModule(configuration.modulePath))
        } catch {
            standardError("nxrun: \(configuration.modulePath): \(error)")
            return 1
        }
        // The datastore is opened (created, locked) only for modules that use it, or to hold
        // the replicated state of a cluster node.
        var store: Store?
        let importNames = module.imports.filter { $0.module == NXHostTable.module }.map(\.name)
        if HostContext.needsDatastore(imports: importNames) || configuration.listen != nil {
            do {
                store = try Store.open(path: configuration.datastorePath, options: storeOptions(configuration))
            } catch {
                standardError("nxrun: datastore \(configuration.datastorePath): \(error)")
                return 1
            }
            if let report = store?.recoveryReport, !report.isClean {
                logger.log(.warn, module: "nxrun", "datastore recovered: \(report)")
            }
        }
        var status: Int32
        if let store, configuration.listen != nil {
            status = runClustered(module, configuration, store: store, logger: logger)
        } else {
            status = execute(module, configuration, HostContext(store: store, moduleID: moduleID, logger: logger, environment: environment))
        }
        do {
            try store?.close()
        } catch {
            standardError("nxrun: closing datastore \(configuration.datastorePath): \(error)")
            status = 1
        }
        return status
    }

    /// Durability as configured; a cluster node defaults to group commit, because what it
    /// acknowledged to peers must survive a crash.
    func storeOptions(_ configuration: RunnerConfiguration) -> StoreOptions {
        var options = StoreOptions()
        switch configuration.durability ?? (configuration.listen != nil ? .group : .none) {
        case .none: options.durability = .none
        case .group: options.durability = .group(maxWait: .microseconds(500))
        case .always: options.durability = .always
        }
        return options
    }

    /// Runs the module as a cluster node: join, wait, run, settle, print, leave.
    func runClustered(_ module: Module, _ configuration: RunnerConfiguration, store: Store, logger: GuestLogger) -> Int32 {
        let session: ClusterSession
        do {
            session = try ClusterSession(store: store, configuration: configuration, logger: logger)
        } catch {
            standardError("nxrun: cluster: \(error)")
            return 1
        }
        defer { session.stop() }
        // Stopped before the guest ran: the conventional 128 + signal number.
        guard session.waitBeforeRun() else { return 128 + (session.signalNumber ?? SIGINT) }
        let context = HostContext(store: store, moduleID: configuration.effectiveModuleID, logger: logger,
                                  environment: environment, replication: session.node.engine)
        var status = execute(module, configuration, context)
        session.settle()
        do {
            for line in try session.printedValues() { standardOutput(line) }
        } catch {
            standardError("nxrun: reading replicated state: \(error)")
            status = 1
        }
        // A signal during the settle window only shortens it: the run itself completed.
        return status
    }

    func execute(_ module: Module, _ configuration: RunnerConfiguration, _ context: HostContext) -> Int32 {
        let path = configuration.modulePath
        do {
            let runtime = Runtime()
            let instance = try runtime.instantiate(module, imports: NXHostTable.imports(for: context))
            let name = configuration.invoke ?? (instance.function("run") != nil ? "run" : "_start")
            guard let function = instance.function(name) else {
                standardError("nxrun: \(path) has no exported function \"\(name)\"\(configuration.invoke == nil ? " (expected run or _start)" : "")")
                return 1
            }
            let arguments = try parseArguments(configuration.invokeArguments, for: function)
            let results = try function.call(arguments)
            if configuration.invoke != nil { for result in results { standardOutput("\(result)") } }
            return 0
        } catch let error as UsageError {
            standardError("nxrun: \(error)")
            return 2
        } catch let trap as Trap {
            standardError("nxrun: \(context.moduleID): \(trap)")
            return 1
        } catch {
            standardError("nxrun: \(path): \(error)")
            return 1
        }
    }

    func readModule(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot read the file" : "no such file"
            throw RunnerError("\(reason)")
        }
        return [UInt8](data)
    }

    /// Parses command-line arguments by the function's parameter types.
    func parseArguments(_ texts: [String], for function: Function) throws -> [Value] {
        let parameters = function.type.parameters
        guard parameters.count == texts.count else {
            throw UsageError(message: "\(function.name) takes \(parameters.count) argument(s) \(function.type), got \(texts.count)")
        }
        return try zip(texts, parameters).map { text, type in
            guard let value = Runner.parse(text, as: type) else { throw UsageError(message: "cannot parse \"\(text)\" as \(type)") }
            return value
        }
    }

    static func parse(_ text: String, as type: ValueType) -> Value? {
        switch type {
        case .i32: Int32(text).map { .i32($0) } ?? UInt32(text).map { .i32($0) }
        case .i64: Int64(text).map { .i64($0) } ?? UInt64(text).map { .i64($0) }
        case .f32: Float(text).map { .f32($0) }
        case .f64: Double(text).map { .f64($0) }
        default: nil
        }
    }

    func failing(_ body: () throws -> Void) -> Int32 {
        do {
            try body()
            return 0
        } catch {
            standardError("nxrun: \(error)")
            return 1
        }
    }

    func spectest(_ paths: [String], verbose: Bool) -> Int32 {
        var options = SpecRunner.Options()
        options.verbose = verbose
        options.output = standardOutput
        do {
            return try SpecRunner(options: options).run(paths: paths).failed == 0 ? 0 : 1
        } catch {
            standardError("nxrun: \(error)")
            return 1
        }
    }

    /// Times each load phase of a module, translating every function.
    func compileStats(_ path: String) throws {
        let bytes = try readModule(path)
        let clock = ContinuousClock()
        func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        }
        var module: Module?
        let decode = try clock.measure { module = try ModuleDecoder.decode(bytes) }
        let validate = try clock.measure { try ModuleValidator.validate(module!) }
        let runtime = Runtime()
        var instance: Instance?
        let instantiate = try clock.measure { instance = try runtime.instantiate(module!) }
        let translate = try clock.measure { try instance!.translateAll() }
        let megabytes = Double(bytes.count) / 1e6
        standardOutput("module: \(path) (\(String(format: "%.2f", megabytes)) MB, \(module!.bodies.count) functions)")
        let phases = [("decode", decode), ("validate", validate), ("instantiate", instantiate), ("translate", translate),
                      ("total", decode + validate + instantiate + translate)]
        for (name, duration) in phases {
            let padded = name.padding(toLength: 12, withPad: " ", startingAt: 0)
            standardOutput(padded + String(format: "%9.2f ms %9.1f MB/s", seconds(duration) * 1000, megabytes / seconds(duration)))
        }
    }
}

/// A runner failure with a one-line message.
public struct RunnerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
