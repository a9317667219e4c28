import Glibc
import XCTest
@testable import NXNet

/// Polls `condition` every 10 ms until it holds or `timeout` seconds pass; returns the time
/// it took (seconds) or nil on timeout.
@discardableResult
func waitUntil(timeout: Double, _ condition: () -> Bool) -> Double? {
    let start = Clock.monotonicNanoseconds()
    let deadline = start + UInt64(timeout * 1e9)
    while true {
        if condition() { return Double(Clock.monotonicNanoseconds() - start) / 1e9 }
        if Clock.monotonicNanoseconds() >= deadline { return nil }
        usleep(10_000)
    }
}

/// Sleeps for `seconds`.
func pause(_ seconds: Double) {
    usleep(UInt32(seconds * 1e6))
}

/// Deterministic pseudo-random bytes.
func pseudoRandomBytes(_ count: Int, seed: UInt64) -> [UInt8] {
    var rng = SplitMix64(seed: seed)
    var out = [UInt8](repeating: 0, count: count)
    var i = 0
    while i < count {
        let v = rng.next()
        for b in 0..<8 where i + b < count { out[i + b] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(b))) }
        i += 8
    }
    return out
}

/// Thread-safe collector of delivered messages and membership changes.
final class Inbox: @unchecked Sendable {
    private let lock = NSLockLike()
    private var messages: [(payload: [UInt8], from: NodeId)] = []
    private var changes: [MembershipChange] = []

    func add(_ payload: [UInt8], from: NodeId) { lock.sync { messages.append((payload, from)) } }
    func add(_ change: MembershipChange) { lock.sync { changes.append(change) } }
    var received: [(payload: [UInt8], from: NodeId)] { lock.sync { messages } }
    var membershipChanges: [MembershipChange] { lock.sync { changes } }
    var count: Int { lock.sync { messages.count } }
}

/// A tiny mutex for test helpers (keeps tests independent of Foundation).
final class NSLockLike: @unchecked Sendable {
    private var m = pthread_mutex_t()
    init() { pthread_mutex_init(&m, nil) }
    deinit { pthread_mutex_destroy(&m) }
    func sync<R>(_ body: () -> R) -> R {
        pthread_mutex_lock(&m)
        defer { pthread_mutex_unlock(&m) }
        return body()
    }
}

/// A running test node: transport plus what it received.
final class TestNode {
    let transport: Transport
    let inbox = Inbox()
    var id: NodeId { transport.nodeId }
    var address: SocketAddress { transport.localAddress! }

    init(id: NodeId = .random(), key: ClusterKey? = nil, encrypt: Bool = false, listen: String = "127.0.0.1:0",
         seeds: [SocketAddress] = [], configure: (inout TransportConfiguration) -> Void = { _ in }) throws {
        var config = TransportConfiguration(nodeId: id, clusterKey: key, encrypt: encrypt)
        configure(&config)
        transport = try Transport(configuration: config)
        let inbox = self.inbox
        transport.onMessage = { payload, from in inbox.add(payload, from: from) }
        transport.onMembershipChange = { change in inbox.add(change) }
        try transport.start(listen: try SocketAddress(listen), seeds: seeds)
    }

    func memberIds() -> Set<NodeId> { Set(transport.members().map { $0.id }) }

    func stop(leave: Bool = true) { transport.stop(leave: leave) }
}

/// A raw UDP socket for sending hand-made datagrams (a stranger, or a replaying attacker).
final class RawPeer {
    let socket: UDPSocket
    init(family: SocketAddress.Family = .ipv4) throws {
        socket = try UDPSocket(bind: family == .ipv4 ? SocketAddress("127.0.0.1:0") : SocketAddress("[::1]:0"), bufferBytes: 1 << 20)
    }

    func send(_ bytes: [UInt8], to address: SocketAddress) {
        let rc = bytes.withUnsafeBytes { socket.send($0, to: address) }
        XCTAssertEqual(rc, 0, "raw send failed: \(errnoDescription(rc))")
    }

    /// Receives one datagram within `timeout` seconds.
    func receive(timeout: Double) -> [UInt8]? {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 16)
        defer { buffer.deallocate() }
        let deadline = Clock.monotonicNanoseconds() + UInt64(timeout * 1e9)
        while Clock.monotonicNanoseconds() < deadline {
            if socket.waitReadable(timeoutMilliseconds: 10), let (n, _) = socket.receive(into: buffer) {
                return Array(buffer[0..<min(n, buffer.count)])
            }
        }
        return nil
    }
}

let testKey = try! ClusterKey(material: Array("nx test cluster key material 0123456789".utf8))
let otherKey = try! ClusterKey(material: Array("a different cluster key, same length!!!".utf8))

/// A header for hand-made datagrams.
func makeHeader(kind: MessageKind = .data, sender: NodeId, recipient: NodeId, session: UInt64 = 42, counter: UInt64 = 1,
                timestamp: UInt64 = Clock.wallMilliseconds(), total: Int) -> DatagramHeader {
    DatagramHeader(kind: kind, sender: sender, recipient: recipient, session: session, counter: counter, timestamp: timestamp,
                   messageId: 7, fragmentIndex: 0, fragmentCount: 1, totalLength: UInt32(total))
}
