import NXStore
import NXSync

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Everything the `nx` host functions of one running module need: its datastore, identity,
/// logger, environment, and (when sync is enabled) the replicated state.
public final class HostContext: @unchecked Sendable {
    /// The module's local key/value store; nil when the module imports no function that needs
    /// it (the runner then never creates or locks a datastore).
    public let store: Store?
    /// Returned by `module_id`; also tags the module's log lines.
    public let moduleID: String
    public let logger: GuestLogger
    /// The host environment `env_get` may read (filtered by `EnvironmentPolicy`).
    public let environment: [String: String]
    /// Replicated state, or nil when the runtime runs without sync (CRDT and net functions
    /// then return ERR_SYNC_DISABLED).
    public var replication: ReplicatedState?
    /// Start of `time_monotonic`.
    let monotonicOrigin: UInt64

    public init(store: Store?, moduleID: String, logger: GuestLogger, environment: [String: String],
                replication: ReplicatedState? = nil) {
        self.store = store
        self.moduleID = moduleID
        self.logger = logger
        self.environment = environment
        self.replication = replication
        monotonicOrigin = Clock.monotonicMilliseconds()
    }

    /// The store, or an error if this context was created without one.
    func datastore(_ function: String) throws -> Store {
        guard let store else { throw HostError("\(function): no datastore is open") }
        return store
    }

    /// Whether a module with these imports needs the datastore (database or CRDT functions).
    public static func needsDatastore(imports names: [String]) -> Bool {
        names.contains { $0.hasPrefix("db_") || $0.hasPrefix("crdt_") }
    }

    /// Capability names for `host_capabilities`.
    public var capabilities: [String] {
        var names = ["db", "time", "crypto", "system", "log"]
        if replication != nil { names += ["crdt", "net"] }
        return names
    }
}

/// Which host environment variables a guest may read: uppercase names starting with `NX_`
/// or `NUMAX_` (letters, digits, underscores). Anything else reads as unset.
public enum EnvironmentPolicy {
    public static func allows(_ name: String) -> Bool {
        guard name.hasPrefix("NX_") || name.hasPrefix("NUMAX_") else { return false }
        return name.utf8.allSatisfy { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_") }
    }
}

enum Clock {
    static func monotonicMilliseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1000 + UInt64(time.tv_nsec) / 1_000_000
    }

    static func unixMilliseconds() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UInt64(time.tv_sec) * 1000 + UInt64(time.tv_nsec) / 1_000_000
    }
}

/// The replicated state the CRDT and net host functions operate on (implemented by the sync
/// layer). Keys, fields, elements, values and ids are raw bytes.
public protocol ReplicatedState: AnyObject {
    func gcounterIncrement(_ key: [UInt8], by delta: UInt64) throws
    func gcounterValue(_ key: [UInt8]) throws -> UInt64
    func pncounterAdd(_ key: [UInt8], _ delta: Int64) throws
    func pncounterValue(_ key: [UInt8]) throws -> Int64
    func lwwSet(_ key: [UInt8], _ value: [UInt8]) throws
    func lwwGet(_ key: [UInt8]) throws -> [UInt8]?
    func lwwMapSet(_ key: [UInt8], field: [UInt8], value: [UInt8]) throws
    func lwwMapRemove(_ key: [UInt8], field: [UInt8]) throws
    func lwwMapGet(_ key: [UInt8], field: [UInt8]) throws -> [UInt8]?
    /// Visible entries in deterministic field order.
    func lwwMapEntries(_ key: [UInt8]) throws -> [(field: [UInt8], value: [UInt8])]
    func orsetAdd(_ key: [UInt8], _ element: [UInt8]) throws
    func orsetRemove(_ key: [UInt8], _ element: [UInt8]) throws
    func orsetContains(_ key: [UInt8], _ element: [UInt8]) throws -> Bool
    /// Visible elements in deterministic order.
    func orsetElements(_ key: [UInt8]) throws -> [[UInt8]]
    /// Inserts after `parent` (nil: at the head); returns the new element's id.
    func rgaInsert(_ key: [UInt8], after parent: [UInt8]?, value: [UInt8]) throws -> [UInt8]
    func rgaDelete(_ key: [UInt8], id: [UInt8]) throws
    /// Visible values in sequence order.
    func rgaValues(_ key: [UInt8]) throws -> [[UInt8]]
    /// Visible elements in sequence order with their ids (usable as `rgaInsert` parents and
    /// `rgaDelete` targets), ids and values read from one consistent state.
    func rgaEntries(_ key: [UInt8]) throws -> [(id: [UInt8], value: [UInt8])]
    var nodeID: [UInt8] { get }
    /// Live peers: address and node id.
    func peers() -> [(address: String, nodeID: [UInt8])]
}

/// The sync layer's engine is the replicated state the host functions use. (Unknown RGA
/// ids surface as `ReplicationLookupError.notFound`, which the host maps to ERR_NOT_FOUND.)
extension ReplicationEngine: ReplicatedState {}

/// A host-side failure with a message (mapped to ERR_INTERNAL and logged).
public struct HostError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
