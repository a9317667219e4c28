/// An unknown RGA element id: the parent of an insert or the target of a delete. The host
/// maps it to ERR_NOT_FOUND.
public enum ReplicationLookupError: Error, Equatable, Sendable {
    case notFound
}

/// A message for the transport to deliver to one peer.
public struct Outbound: Equatable, Sendable {
    public var to: NodeId
    public var payload: [UInt8]

    public init(to: NodeId, payload: [UInt8]) {
        self.to = to
        self.payload = payload
    }
}

/// A live cluster member, as the transport's membership layer reports it.
public struct SyncPeer: Equatable, Sendable {
    public var id: NodeId
    /// The peer's transport address (e.g. "10.0.0.2:7400"); shown to guests by `net_peers`.
    public var address: String

    public init(id: NodeId, address: String) {
        self.id = id
        self.address = address
    }
}

/// Tunables of the sync engine. Every queue the engine keeps has an explicit bound here; what
/// happens at the bound is documented with it. All times are milliseconds of the clock the
/// transport passes to `handle`/`tick` (any monotonic clock).
public struct SyncConfiguration: Sendable {
    // MARK: Push

    /// Peers each batch of new local operations is pushed to (chosen at random per batch).
    public var fanout = 3
    /// How many times a pushed operation is forwarded onward: a node receiving it with a hop
    /// count below this pushes the operations that were new to it to `fanout` random peers
    /// (other than the sender). 0 = only the origin pushes; anti-entropy does the rest.
    public var forwardHops = 1
    /// Soft size of ops messages: operations are batched up to this; a larger operation is
    /// sent alone. Keep it under the transport's datagram payload so that small operations
    /// need no fragmentation.
    public var targetMessageBytes = 1100
    /// Bound of the queue of local operations waiting to be pushed. When full the oldest are
    /// dropped from the queue (they stay in the op log; anti-entropy delivers them).
    public var maxPushQueueOps = 10_000
    public var maxPushQueueBytes = 16 << 20

    // MARK: Anti-entropy

    /// Every this often `tick` sends a digest to `antiEntropyPeers` random peers.
    public var antiEntropyIntervalMs: UInt64 = 200
    public var antiEntropyPeers = 1
    /// Bytes of operations one digest reply may carry (in messages of `targetMessageBytes`);
    /// the rest follows in later rounds. This is the backpressure of anti-entropy.
    public var antiEntropyReplyBytes = 256 << 10
    /// Most origins in one digest; with more, digests cover a rotating window of origins.
    public var maxDigestOrigins = 4096

    // MARK: Causal buffer

    /// Received operations that cannot apply yet (an earlier operation of the same origin is
    /// missing, or an RGA parent/target has not arrived) wait here. At the bound, the
    /// operation furthest from its turn (largest distance to its origin's applied sequence) is
    /// dropped, the arrival included; an operation that applies at once always gets through.
    /// Dropped operations are fetched again by anti-entropy.
    public var maxBufferedOps = 10_000
    public var maxBufferedBytes = 64 << 20
    /// Buffered operations older than this are discarded on `tick` (refetched if still needed).
    public var bufferedOpTTLMs: UInt64 = 60_000

    // MARK: Op log

    /// Operations retained per origin; older ones are deleted. A peer that needs deleted
    /// operations gets a state transfer instead.
    public var maxLogOpsPerOrigin = 100_000
    /// Encoded bytes retained per origin.
    public var maxLogBytesPerOrigin = 64 << 20
    /// Encoded bytes retained over all origins (the origin with the most bytes is trimmed).
    public var maxLogBytesTotal = 512 << 20

    // MARK: State transfer

    /// Records per state chunk are collected up to this many bytes (a single larger record is
    /// sent alone).
    public var stateChunkBytes = 64 << 10
    /// A state request unanswered for this long is sent again ...
    public var stateRequestTimeoutMs: UInt64 = 1000
    /// ... this many times, then the transfer is abandoned (a later digest starts a new one).
    public var stateRequestRetries = 8
    /// Bytes of state chunks served per second to all peers together (a token bucket with one
    /// second of burst); requests over budget are ignored and retried by the requester.
    public var stateServeBytesPerSecond = 8 << 20

    // MARK: State cache

    /// CRDT keys kept decoded in memory (the least recently used are dropped; they are
    /// reloaded from the store when next used).
    public var maxCachedKeys = 4096
    /// Approximate bytes of decoded state kept in memory.
    public var maxCachedBytes = 256 << 20

    // MARK: Identity, clocks, randomness

    /// The identity to persist when the store has none yet; nil = 16 bytes from /dev/urandom.
    public var newNodeID: NodeId?
    /// Seed of the peer-choice PRNG; nil = from /dev/urandom.
    public var randomSeed: UInt64?
    /// Wall clock (Unix ms) for LWW timestamps; nil = CLOCK_REALTIME.
    public var wallClock: (@Sendable () -> UInt64)?

    public init() {}
}

/// Counters of what the engine did, for logs, benchmarks and tests.
public struct SyncStatistics: Equatable, Sendable {
    /// Local operations committed.
    public var localOperations = 0
    /// Remote operations applied.
    public var remoteOperationsApplied = 0
    /// Received operations that were already applied (duplicates, resends).
    public var duplicateOperations = 0
    /// Received operations that had to wait in the causal buffer (an earlier operation of
    /// their origin or their RGA dependency was missing).
    public var bufferedOperations = 0
    /// Operations dropped, or evicted, because the causal buffer was full.
    public var bufferOverflowDrops = 0
    /// Buffered operations discarded by the TTL.
    public var bufferExpired = 0
    /// Messages that failed to decode or validate (dropped).
    public var malformedMessages = 0
    /// Messages handled (including malformed ones).
    public var messagesReceived = 0
    /// Messages returned for sending, and their bytes.
    public var messagesSent = 0
    public var bytesSent = 0
    /// Local operations dropped from the full push queue (still in the log).
    public var pushQueueDrops = 0
    /// Digests sent / received.
    public var digestsSent = 0
    public var digestsReceived = 0
    /// Operations sent in answer to digests.
    public var antiEntropyOperationsSent = 0
    /// Log entries deleted by the retention limits.
    public var logEntriesTrimmed = 0
    /// State transfers started / completed / abandoned as the receiver.
    public var stateTransfersStarted = 0
    public var stateTransfersCompleted = 0
    public var stateTransfersAbandoned = 0
    /// State chunks served / received, and requests ignored for the serve budget.
    public var stateChunksServed = 0
    public var stateChunksReceived = 0
    public var stateRequestsDeferred = 0
    /// Store writes that failed while applying remote data (the data is refetched later).
    public var storeErrors = 0
    /// The last such error.
    public var lastError: String?

    public init() {}
}
