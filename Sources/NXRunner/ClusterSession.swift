import Dispatch
import Foundation
import NXCluster
import NXHost
import NXNet
import NXStore
import NXSync

#if canImport(Glibc)
import Glibc
#endif

/// The cluster side of one `nxrun --listen` run: the node, the windows before and after the
/// guest runs, shutdown on SIGINT/SIGTERM, and the `--print-*` values.
final class ClusterSession {
    let node: ClusterNode
    private let configuration: RunnerConfiguration
    private let shutdown = ShutdownSignal()
    private let logger: GuestLogger

    /// Builds and starts the node over `store`.
    init(store: Store, configuration: RunnerConfiguration, logger: GuestLogger) throws {
        self.configuration = configuration
        self.logger = logger
        var options = ClusterOptions(listen: configuration.listen ?? "")
        options.seeds = configuration.peers
        options.encrypt = configuration.encrypt
        options.simulatedLoss = configuration.simulatedLoss
        if let path = configuration.clusterKeyFile {
            do {
                options.clusterKey = try ClusterKey(contentsOfFile: path)
            } catch {
                throw RunnerError("cluster key \(path): \(error)")
            }
        }
        if !configuration.allowNodes.isEmpty {
            options.allowlist = Set(try configuration.allowNodes.map { text in
                guard let id = NXNet.NodeId(hex: text) else { throw RunnerError("--allow-node \(text): not a 32-digit hex node id") }
                return id
            })
        }
        node = try ClusterNode(store: store, options: options)
        try node.start()
        if let warning = node.securityWarning { logger.log(.warn, module: "nxrun", warning) }
        logger.log(.info, module: "nxrun", "node \(node.engine.localNode) listening on \(node.address ?? options.listen)"
            + (options.seeds.isEmpty ? "" : ", seeds \(options.seeds.joined(separator: ", "))"))
    }

    /// The window before the guest runs; false when a signal asked to stop.
    func waitBeforeRun() -> Bool {
        !shutdown.wait(for: configuration.waitBeforeRun)
    }

    /// The window after the guest returned: the settle time, or (without one) until the
    /// guest's operations have been pushed, at most one second.
    func settle() {
        guard !shutdown.received else { return }
        if configuration.settleFor > .zero {
            _ = shutdown.wait(for: configuration.settleFor)
            return
        }
        let deadline = ContinuousClock.now + .seconds(1)
        while node.engine.pushQueueCount > 0 && ContinuousClock.now < deadline && !shutdown.wait(for: .milliseconds(10)) {}
    }

    /// The first SIGINT/SIGTERM that arrived, if any.
    var signalNumber: Int32? { shutdown.signalNumber }

    /// Stops the node (announcing departure); the store is closed by the caller afterwards.
    func stop() {
        node.stop(leave: true)
        shutdown.uninstall()
        let sync = node.engine.statistics
        logger.log(.debug, module: "nxrun", "sync: \(sync.localOperations) local ops, \(sync.remoteOperationsApplied) remote ops applied, "
            + "\(sync.duplicateOperations) duplicates, \(sync.malformedMessages) malformed messages, "
            + "\(sync.stateTransfersCompleted) state transfers; transport: \(node.transport.statistics)")
    }

    /// The `--print-*` lines, in command-line order.
    func printedValues() throws -> [String] {
        try configuration.prints.map { request in
            "\(request.key) = \(try value(of: request))"
        }
    }

    private func value(of request: PrintRequest) throws -> String {
        let engine = node.engine
        let key = Array(request.key.utf8)
        switch request.kind {
        case .gcounter: return String(try engine.gcounterValue(key))
        case .pncounter: return String(try engine.pncounterValue(key))
        case .lwwRegister: return try engine.lwwGet(key).map(Self.text) ?? "<unset>"
        case .lwwMap:
            let entries = try engine.lwwMapEntries(key).map { "\(Self.text($0.field))=\(Self.text($0.value))" }
            return "{" + entries.joined(separator: ", ") + "}"
        case .orset: return "[" + (try engine.orsetElements(key)).map(Self.text).joined(separator: ", ") + "]"
        case .rga: return "[" + (try engine.rgaValues(key)).map(Self.text).joined(separator: ", ") + "]"
        }
    }

    /// Bytes as text: UTF-8, with invalid sequences replaced.
    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}

/// SIGINT/SIGTERM as an event the session waits on. While installed, the signals do not kill
/// the process: the first one ends the current wait (and the run, after the guest returns);
/// a second one exits at once (the store is crash-safe, so nothing acknowledged is lost).
final class ShutdownSignal: @unchecked Sendable {
    private let semaphore = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var count = 0
    private var first: Int32?
    private var sources: [DispatchSourceSignal] = []

    init() {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.signalled(number) }
            source.resume()
            sources.append(source)
        }
    }

    var received: Bool { lock.withLock { count > 0 } }
    var signalNumber: Int32? { lock.withLock { first } }

    /// Waits for `duration` or a signal; true if a signal arrived (now or before).
    func wait(for duration: Duration) -> Bool {
        if received { return true }
        guard duration > .zero else { return false }
        let (seconds, attoseconds) = duration.components
        let nanoseconds = Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000)
        if semaphore.wait(timeout: .now() + .nanoseconds(nanoseconds)) == .success {
            semaphore.signal() // keep it signalled for later waits
            return true
        }
        return received
    }

    /// Restores the default signal dispositions.
    func uninstall() {
        for source in sources { source.cancel() }
        sources = []
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }

    private func signalled(_ number: Int32) {
        let isFirst = lock.withLock {
            count += 1
            if count == 1 { first = number }
            return count == 1
        }
        if isFirst {
            FileHandle.standardError.write(Data("nxrun: \(number == SIGINT ? "SIGINT" : "SIGTERM") received, shutting down\n".utf8))
            semaphore.signal()
        } else {
            FileHandle.standardError.write(Data("nxrun: second signal, exiting now\n".utf8))
            _exit(128 + number)
        }
    }
}
