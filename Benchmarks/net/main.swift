// nx-bench-net: NXNet costs on this machine, each next to a peer measured in the same run.
//
//   swift build -c release && .build/release/nx-bench-net [--quick]
//
// 1. Codec: seal + open per datagram (open, keyed, encrypted) vs one keyed-BLAKE3 pass over
//    the same bytes (the least any authenticated format must do).
// 2. Loopback messages: small messages through two Transports vs raw sendto/recvfrom of
//    datagrams of the same size (the kernel's own cost).
// 3. 1 MiB messages: sequential transfers, MB/s.
// 4. Membership: 10 nodes converging from one seed; crash detection time.
import Glibc
import NXCrypto
import NXNet

let quick = CommandLine.arguments.contains("--quick")

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func format(_ v: Double, _ digits: Int = 2) -> String {
    guard v.isFinite else { return "\(v)" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(v) * scale).rounded()
    let whole = Int(scaled / scale)
    let frac = Int(scaled.truncatingRemainder(dividingBy: scale))
    var text = (v < 0 ? "-" : "") + "\(whole)"
    if digits > 0 {
        let f = String(frac)
        text += "." + String(repeating: "0", count: digits - f.count) + f
    }
    return text
}

/// A tiny mutex-protected counter shared with handler threads.
final class Counter: @unchecked Sendable {
    private var m = pthread_mutex_t()
    private var value = 0
    private var lastAt = 0.0
    init() { pthread_mutex_init(&m, nil) }
    func add() { pthread_mutex_lock(&m); value += 1; lastAt = now(); pthread_mutex_unlock(&m) }
    var snapshot: (count: Int, lastAt: Double) { pthread_mutex_lock(&m); defer { pthread_mutex_unlock(&m) }; return (value, lastAt) }
}

func waitFor(_ timeout: Double, _ condition: () -> Bool) -> Double? {
    let start = now()
    while now() - start < timeout {
        if condition() { return now() - start }
        usleep(1000)
    }
    return nil
}

// MARK: 1. Codec

func benchCodec() {
    print("== codec: seal + open per datagram (peer: one keyed BLAKE3 pass over the datagram)")
    let key = try! ClusterKey(material: Array(repeating: 7, count: 32))
    let sender = NodeId.random(), recipient = NodeId.random()
    for size in [64, 1200] {
        let body = [UInt8](repeating: 0xAB, count: size)
        let iterations = quick ? 20_000 : 200_000
        let datagramBytes = [UInt8](repeating: 1, count: Wire.headerByteCount + size)
        let macKey = [UInt8](repeating: 3, count: 32)
        var sink: UInt8 = 0
        var t0 = now()
        for _ in 0..<iterations { sink ^= BLAKE3.keyedHash(key: macKey, datagramBytes)[0] }
        let peer = (now() - t0) / Double(iterations) * 1e9
        for (name, codec) in [("open", DatagramCodec(key: nil, encrypt: false)), ("keyed", DatagramCodec(key: key, encrypt: false)),
                              ("encrypted", DatagramCodec(key: key, encrypt: true))] {
            t0 = now()
            for i in 0..<iterations {
                let h = DatagramHeader(kind: .data, sender: sender, recipient: recipient, session: 1, counter: UInt64(i), timestamp: 1,
                                       totalLength: UInt32(size))
                let d = codec.seal(h, body: body)
                if case let .success(o) = d.withUnsafeBytes({ codec.open($0, maximumMessageBytes: 1 << 20) }) { sink ^= o.body[0] }
            }
            let ns = (now() - t0) / Double(iterations) * 1e9
            print("  \(size) B \(name): \(format(ns, 0)) ns/datagram (seal+open); keyed BLAKE3 pass \(format(peer, 0)) ns; ratio \(format(ns / peer))x")
        }
        if sink == 0xFF { print("") }
    }
}

// MARK: 2. Small messages over loopback

func rawUDPBaseline(count: Int, size: Int) -> (rate: Double, delivered: Int) {
    func bound() -> (Int32, UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        var big: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, 4)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, 4)
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
        _ = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return (fd, UInt16(bigEndian: sin.sin_port))
    }
    let (rx, port) = bound()
    let (tx, _) = bound()
    let counter = Counter()
    final class Args { let fd: Int32; let counter: Counter; let expected: Int; init(_ f: Int32, _ c: Counter, _ e: Int) { fd = f; counter = c; expected = e } }
    let args = Unmanaged.passRetained(Args(rx, counter, count)).toOpaque()
    var tid = pthread_t()
    pthread_create(&tid, nil, { raw in
        let a = Unmanaged<Args>.fromOpaque(raw!).takeRetainedValue()
        var buf = [UInt8](repeating: 0, count: 65536)
        var pfd = pollfd(fd: a.fd, events: Int16(POLLIN), revents: 0)
        var received = 0
        while received < a.expected {
            guard poll(&pfd, 1, 200) > 0 else { break }
            while recv(a.fd, &buf, buf.count, Int32(MSG_DONTWAIT)) > 0 { received += 1; a.counter.add() }
        }
        return nil
    }, args)
    var dest = sockaddr_in()
    dest.sin_family = sa_family_t(AF_INET)
    dest.sin_port = port.bigEndian
    dest.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
    let payload = [UInt8](repeating: 9, count: size)
    let t0 = now()
    for _ in 0..<count {
        _ = withUnsafePointer(to: &dest) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            sendto(tx, payload, payload.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    }
    pthread_join(tid, nil)
    let s = counter.snapshot
    close(rx); close(tx)
    return (Double(s.count) / (s.lastAt - t0), s.count)
}

func makeTransport(seeds: [SocketAddress] = [], key: ClusterKey?, encrypt: Bool = false) -> Transport {
    var config = TransportConfiguration(nodeId: .random(), clusterKey: key, encrypt: encrypt)
    config.membership.syncInterval = 5
    let t = try! Transport(configuration: config)
    try! t.start(listen: SocketAddress("127.0.0.1:0"), seeds: seeds)
    return t
}

func benchMessages() {
    let count = quick ? 20_000 : 200_000
    let size = 100
    print("== loopback: \(count) messages of \(size) B, one sender thread, one receiving transport")
    let raw = rawUDPBaseline(count: count, size: size + 96)
    print("  peer raw UDP (\(size + 96) B datagrams): \(format(raw.rate / 1000, 1)) k datagrams/s delivered, loss \(format(100 * Double(count - raw.delivered) / Double(count), 1))%")
    let key = try! ClusterKey(material: Array(repeating: 7, count: 32))
    for (name, encrypt) in [("keyed", false), ("encrypted", true)] {
        let a = makeTransport(key: key, encrypt: encrypt)
        let b = makeTransport(seeds: [a.localAddress!], key: key, encrypt: encrypt)
        _ = waitFor(5) { a.members().count == 1 && b.members().count == 1 }
        let counter = Counter()
        b.onMessage = { _, _ in counter.add() }
        let payload = [UInt8](repeating: 5, count: size)
        let t0 = now()
        for _ in 0..<count { try? a.send(payload, to: b.nodeId) }
        let sendTime = now() - t0
        var last = -1
        _ = waitFor(30) { let c = counter.snapshot.count; defer { last = c }; return c == count || (c == last && now() - counter.snapshot.lastAt > 0.5) }
        let s = counter.snapshot
        let rate = Double(s.count) / (s.lastAt - t0)
        print("  NXNet \(name): \(format(rate / 1000, 1)) k messages/s delivered (send loop \(format(Double(count) / sendTime / 1000, 1)) k/s), loss \(format(100 * Double(count - s.count) / Double(count), 1))%; ratio to raw UDP \(format(rate / raw.rate))x")
        a.stop(); b.stop()
    }
}

// MARK: 3. Large messages

func benchLarge() {
    let key = try! ClusterKey(material: Array(repeating: 7, count: 32))
    let transfers = quick ? 5 : 20
    print("== 1 MiB messages: \(transfers) sequential transfers (keyed)")
    let a = makeTransport(key: key)
    let b = makeTransport(seeds: [a.localAddress!], key: key)
    _ = waitFor(5) { a.members().count == 1 && b.members().count == 1 }
    let counter = Counter()
    b.onMessage = { p, _ in if p.count == 1 << 20 { counter.add() } }
    let payload = [UInt8](repeating: 1, count: 1 << 20)
    let t0 = now()
    for i in 0..<transfers {
        try! a.send(payload, to: b.nodeId)
        _ = waitFor(10) { counter.snapshot.count == i + 1 }
    }
    let elapsed = now() - t0
    print("  \(counter.snapshot.count)/\(transfers) delivered, \(format(Double(transfers) / elapsed, 1)) MiB/s; fragments retransmitted \(a.statistics.fragmentsRetransmitted)")
    a.stop(); b.stop()
}

// MARK: 4. Membership

func benchMembership() {
    let n = 10
    print("== membership: \(n) nodes on loopback, default parameters")
    let key = try! ClusterKey(material: Array(repeating: 7, count: 32))
    let t0 = now()
    let first = makeTransport(key: key)
    var nodes = [first]
    for _ in 1..<n { nodes.append(makeTransport(seeds: [first.localAddress!], key: key)) }
    let started = now() - t0
    let converged = waitFor(10) { nodes.allSatisfy { $0.members().count == n - 1 } }
    print("  converged from one seed: \(converged.map { format($0, 3) + " s" } ?? "no") after the last start (starting took \(format(started, 3)) s)")
    let victim = nodes.removeLast()
    victim.stop(leave: false)
    let detected = waitFor(10) { nodes.allSatisfy { !$0.members().contains { $0.id == victim.nodeId } } }
    print("  crash declared dead by all \(n - 1): \(detected.map { format($0, 3) + " s" } ?? "no")")
    let perNode = nodes.map { Double($0.statistics.datagramsSent) }.reduce(0, +) / Double(nodes.count) / (now() - t0)
    print("  membership traffic: \(format(perNode, 1)) datagrams/s per node")
    for t in nodes { t.stop() }
}

benchCodec()
benchMessages()
benchLarge()
benchMembership()
