import Glibc
import NXCrypto
import XCTest
@testable import NXNet

/// Multi-node tests over real UDP sockets on loopback (ephemeral ports).
final class TransportTests: XCTestCase {
    private var nodes: [TestNode] = []

    override func tearDown() {
        for node in nodes { node.stop(leave: false) }
        nodes.removeAll()
        super.tearDown()
    }

    @discardableResult
    private func node(id: NodeId = .random(), key: ClusterKey? = testKey, encrypt: Bool = false, listen: String = "127.0.0.1:0",
                      seeds: [SocketAddress] = [], configure: (inout TransportConfiguration) -> Void = { _ in }) throws -> TestNode {
        let n = try TestNode(id: id, key: key, encrypt: encrypt, listen: listen, seeds: seeds, configure: configure)
        nodes.append(n)
        return n
    }

    /// Starts `count` nodes, all seeded with the first one's address, and waits until everyone
    /// sees everyone; returns the nodes and the convergence time.
    private func cluster(_ count: Int, key: ClusterKey? = testKey, encrypt: Bool = false,
                         configure: (inout TransportConfiguration) -> Void = { _ in }) throws -> ([TestNode], Double) {
        let first = try node(key: key, encrypt: encrypt, configure: configure)
        var all = [first]
        for _ in 1..<count { all.append(try node(key: key, encrypt: encrypt, seeds: [first.address], configure: configure)) }
        let ids = Set(all.map { $0.id })
        let time = waitUntil(timeout: 5) { all.allSatisfy { $0.memberIds() == ids.subtracting([$0.id]) } }
        XCTAssertNotNil(time, "cluster of \(count) did not converge: \(all.map { $0.memberIds().count })")
        return (all, time ?? .infinity)
    }

    func testFiveNodesDiscoverEachOtherFromOneSeed() throws {
        let (all, time) = try cluster(5)
        print("NXNet: 5 nodes converged from one seed in \(String(format: "%.3f", time)) s")
        XCTAssertLessThan(time, 2.0)
        for n in all {
            XCTAssertEqual(n.transport.members().count, 4)
            XCTAssertTrue(n.transport.members().allSatisfy { $0.state == .alive && $0.address.isLoopback })
            let joins = n.inbox.membershipChanges.filter { $0.kind == .joined }
            XCTAssertEqual(Set(joins.map { $0.member.id }), Set(all.map { $0.id }).subtracting([n.id]), "one join event per peer")
        }
        // The views agree on addresses.
        for a in all {
            for m in a.transport.members() {
                XCTAssertEqual(m.address, all.first { $0.id == m.id }!.address)
            }
        }
    }

    func testMessagesBroadcastAndSample() throws {
        let (all, _) = try cluster(4)
        let a = all[0]
        try a.transport.send(Array("hello".utf8), to: all[1].id)
        XCTAssertNotNil(waitUntil(timeout: 2) { all[1].inbox.count == 1 })
        XCTAssertEqual(all[1].inbox.received.first?.payload, Array("hello".utf8))
        XCTAssertEqual(all[1].inbox.received.first?.from, a.id)
        // Reply to the sender.
        try all[1].transport.send([1, 2, 3], to: a.id)
        XCTAssertNotNil(waitUntil(timeout: 2) { a.inbox.count == 1 })
        let everyone = a.transport.broadcast([9])
        XCTAssertEqual(Set(everyone), Set(all.dropFirst().map { $0.id }))
        let two = a.transport.broadcast([8], fanout: 2)
        XCTAssertEqual(two.count, 2)
        XCTAssertNotNil(waitUntil(timeout: 2) {
            all.dropFirst().allSatisfy { n in n.inbox.received.contains { $0.payload == [9] } }
                && all.dropFirst().filter { n in n.inbox.received.contains { $0.payload == [8] } }.count == 2
        })
        XCTAssertEqual(Set(a.transport.sample(fanout: 2)).count, 2)
        XCTAssertEqual(Set(a.transport.sample(fanout: 10)), Set(all.dropFirst().map { $0.id }))
        XCTAssertThrowsError(try a.transport.send([1], to: NodeId.random())) { error in
            guard case TransportError.unknownPeer = error else { return XCTFail("\(error)") }
        }
        let stats = a.transport.statistics
        XCTAssertGreaterThan(stats.datagramsSent, 0)
        XCTAssertGreaterThan(stats.datagramsAccepted, 0)
        XCTAssertEqual(stats.totalDrops, 0, "\(stats)")
    }

    func testCrashedNodeIsDetectedDeadByAllAndRejoinsAfterRestart() throws {
        let (all, _) = try cluster(4)
        let victim = all[3]
        let survivors = Array(all[0..<3])
        let victimId = victim.id
        let victimAddress = victim.address
        victim.stop(leave: false)
        let detection = waitUntil(timeout: 6) { survivors.allSatisfy { !$0.memberIds().contains(victimId) } }
        XCTAssertNotNil(detection, "crashed node not declared dead by everyone")
        print("NXNet: crashed node declared dead by all 3 survivors in \(String(format: "%.3f", detection ?? -1)) s")
        for s in survivors {
            XCTAssertEqual(s.transport.allMembers().first { $0.id == victimId }?.state, .dead)
            XCTAssertTrue(s.inbox.membershipChanges.contains { $0.kind == .failed && $0.member.id == victimId }
                          || s.inbox.membershipChanges.contains { $0.kind == .suspected && $0.member.id == victimId })
            XCTAssertEqual(s.transport.members().count, 2, "survivors still see each other")
        }
        // Restart: same NodeId, same port, new session; seeded with one survivor.
        let restarted = try node(id: victimId, listen: victimAddress.description, seeds: [survivors[0].address])
        XCTAssertNotEqual(restarted.transport.sessionId, victim.transport.sessionId)
        let rejoin = waitUntil(timeout: 5) {
            survivors.allSatisfy { $0.memberIds().contains(victimId) } && restarted.memberIds().count == 3
        }
        XCTAssertNotNil(rejoin, "restarted node did not rejoin: \(survivors.map { $0.memberIds().contains(victimId) })")
        print("NXNet: restarted node rejoined everywhere in \(String(format: "%.3f", rejoin ?? -1)) s")
        for s in survivors {
            // The restart outranks every incarnation of the previous run.
            let seen = s.transport.members().first { $0.id == victimId }?.incarnation ?? 0
            XCTAssertGreaterThanOrEqual(seen, restarted.transport.initialIncarnation)
            XCTAssertGreaterThan(restarted.transport.initialIncarnation, victim.transport.incarnation)
            XCTAssertTrue(s.inbox.membershipChanges.contains { $0.kind == .joined && $0.member.id == victimId && $0.previousState == .dead })
        }
        try survivors[1].transport.send([42], to: victimId)
        XCTAssertNotNil(waitUntil(timeout: 2) { restarted.inbox.received.contains { $0.payload == [42] } })
    }

    func testGracefulLeaveIsSeenQuickly() throws {
        let (all, _) = try cluster(3)
        let leaver = all[2]
        leaver.stop(leave: true)
        let time = waitUntil(timeout: 1) { all[0..<2].allSatisfy { !$0.memberIds().contains(leaver.id) } }
        XCTAssertNotNil(time)
        for n in all[0..<2] {
            XCTAssertEqual(n.transport.allMembers().first { $0.id == leaver.id }?.state, .left)
        }
        XCTAssertThrowsError(try leaver.transport.send([1], to: all[0].id)) { XCTAssertEqual($0 as? TransportError, .notRunning) }
        XCTAssertThrowsError(try leaver.transport.start(listen: "127.0.0.1:0")) { XCTAssertEqual($0 as? TransportError, .alreadyStarted) }
    }

    func testNodesWithoutTheKeyCannotJoin() throws {
        let (all, _) = try cluster(3)
        let wrongKey = try node(key: otherKey, seeds: [all[0].address])
        let noKey = try node(key: nil, seeds: [all[0].address])
        XCTAssertTrue(noKey.transport.isOpen)
        XCTAssertNotNil(noKey.transport.securityWarning)
        XCTAssertTrue(noKey.transport.securityWarning!.contains("OPEN"))
        XCTAssertFalse(all[0].transport.isOpen)
        XCTAssertNil(all[0].transport.securityWarning)
        XCTAssertNotNil(waitUntil(timeout: 3) {
            let s = all[0].transport.statistics
            return s.drops(.unauthenticated) >= 2 && s.drops(.securityModeMismatch) >= 2
        }, "seed did not see the intruders' join attempts: \(all[0].transport.statistics)")
        pause(0.5)
        let members = Set(all.map { $0.id })
        for n in all { XCTAssertEqual(n.memberIds(), members.subtracting([n.id]), "an intruder got in") }
        XCTAssertTrue(wrongKey.memberIds().isEmpty)
        XCTAssertTrue(noKey.memberIds().isEmpty)
        XCTAssertEqual(wrongKey.transport.statistics.datagramsAccepted, 0)
        XCTAssertEqual(noKey.transport.statistics.datagramsAccepted, 0)
        XCTAssertTrue(all.allSatisfy { $0.inbox.count == 0 })
    }

    func testAllowlistDropsOtherNodes() throws {
        let trustedId = NodeId.random()
        let first = try node { $0.allowlist = [trustedId] }
        let trusted = try node(id: trustedId, seeds: [first.address])
        let outsider = try node(seeds: [first.address, trusted.address])
        XCTAssertNotNil(waitUntil(timeout: 3) { first.memberIds() == [trustedId] && first.transport.statistics.drops(.notAllowed) > 0 })
        // The outsider hears of first through trusted, but first ignores everything it sends.
        XCTAssertNotNil(waitUntil(timeout: 3) { outsider.memberIds().contains(first.id) })
        pause(0.5)
        XCTAssertEqual(first.memberIds(), [trustedId])
        try outsider.transport.send([7], to: first.id)
        try trusted.transport.send([8], to: first.id)
        XCTAssertNotNil(waitUntil(timeout: 2) { first.inbox.received.contains { $0.payload == [8] } })
        pause(0.2)
        XCTAssertFalse(first.inbox.received.contains { $0.payload == [7] })
    }

    func testGarbageFromAStrangerChangesNothing() throws {
        let (all, _) = try cluster(3)
        let target = all[0]
        let before = target.transport.statistics
        let stranger = try RawPeer()
        var rng = SplitMix64(seed: 99)
        var sent = 0
        for length in [0, 1, 3, 4, 5, 40, 79, 80, 81, 200, 1296, 1600, 3000] {
            var junk = pseudoRandomBytes(length, seed: rng.next())
            stranger.send(junk, to: target.address); sent += 1
            if length >= 4 {
                junk.replaceSubrange(0..<4, with: Wire.magic)
                stranger.send(junk, to: target.address); sent += 1
            }
        }
        // Well-formed datagrams from a stranger without the key (several kinds), and a keyed one
        // with the wrong key claiming to be a member.
        let open = DatagramCodec(key: nil, encrypt: false)
        let wrong = DatagramCodec(key: otherKey, encrypt: false)
        for kind in MessageKind.allCases {
            let h = makeHeader(kind: kind, sender: .random(), recipient: target.id, counter: UInt64(kind.rawValue), total: 3)
            stranger.send(open.seal(h, body: [1, 2, 3]), to: target.address); sent += 1
            var spoof = h
            spoof.sender = all[1].id
            stranger.send(wrong.seal(spoof, body: [1, 2, 3]), to: target.address); sent += 1
        }
        let arrived = waitUntil(timeout: 3) {
            target.transport.statistics.datagramsReceived - before.datagramsReceived >= UInt64(sent)
        }
        XCTAssertNotNil(arrived, "not all junk arrived")
        let after = target.transport.statistics
        XCTAssertEqual(after.totalDrops - before.totalDrops, UInt64(sent), "every junk datagram is dropped and counted: \(after)")
        for reason in [DropReason.truncated, .badMagic, .oversized, .securityModeMismatch, .unauthenticated] {
            XCTAssertGreaterThan(after.drops(reason), before.drops(reason), "\(reason)")
        }
        XCTAssertEqual(target.memberIds(), Set(all.dropFirst().map { $0.id }))
        XCTAssertEqual(target.inbox.count, 0)
        // Still working.
        try all[1].transport.send([5], to: target.id)
        XCTAssertNotNil(waitUntil(timeout: 2) { target.inbox.count == 1 })
    }

    func testReplayedAndStaleDatagramsAreDroppedEndToEnd() throws {
        let target = try node()
        let attacker = try RawPeer()
        let codec = DatagramCodec(key: testKey, encrypt: false)
        let insider = NodeId.random()
        let fresh = codec.seal(makeHeader(sender: insider, recipient: target.id, session: 5, counter: 1, total: 2), body: [1, 1])
        attacker.send(fresh, to: target.address)
        XCTAssertNotNil(waitUntil(timeout: 2) { target.inbox.count == 1 })
        attacker.send(fresh, to: target.address)
        XCTAssertNotNil(waitUntil(timeout: 2) { target.transport.statistics.drops(.replayed) == 1 })
        // Old timestamp (beyond the default 60 s maximum age).
        let old = codec.seal(makeHeader(sender: insider, recipient: target.id, session: 6, counter: 1,
                                        timestamp: Clock.wallMilliseconds() - 120_000, total: 2), body: [2, 2])
        attacker.send(old, to: target.address)
        XCTAssertNotNil(waitUntil(timeout: 2) { target.transport.statistics.drops(.stale) == 1 })
        // Addressed to another node.
        let elsewhere = codec.seal(makeHeader(sender: insider, recipient: .random(), session: 5, counter: 2, total: 2), body: [3, 3])
        attacker.send(elsewhere, to: target.address)
        XCTAssertNotNil(waitUntil(timeout: 2) { target.transport.statistics.drops(.misdirected) == 1 })
        pause(0.1)
        XCTAssertEqual(target.inbox.count, 1, "only the fresh datagram was delivered")
    }

    func testOldSessionDatagramReplayedAfterSenderRestart() throws {
        let receiver = try node()
        let tap = try RawPeer()
        let tapAddress = try tap.socket.localAddress()
        let senderId = NodeId.random()
        // The tap is listed as a seed, so it captures the sender's real (authenticated) join pings.
        var sender = try node(id: senderId, seeds: [receiver.address, tapAddress])
        XCTAssertNotNil(waitUntil(timeout: 3) { receiver.memberIds() == [senderId] })
        guard let captured = tap.receive(timeout: 2) else { return XCTFail("no datagram captured") }
        let oldSession = sender.transport.sessionId
        captured.withUnsafeBytes { bytes in
            guard case let .success(d) = DatagramCodec(key: testKey, encrypt: false).open(bytes, maximumMessageBytes: 1 << 20) else {
                return XCTFail("captured datagram does not open")
            }
            XCTAssertEqual(d.header.session, oldSession)
            XCTAssertEqual(d.header.kind, .ping)
        }
        // First delivery (the receiver never saw this one): accepted once.
        let acceptedBefore = receiver.transport.statistics.datagramsAccepted
        tap.send(captured, to: receiver.address)
        XCTAssertNotNil(waitUntil(timeout: 2) { receiver.transport.statistics.datagramsAccepted > acceptedBefore })
        XCTAssertEqual(receiver.transport.statistics.drops(.replayed), 0)
        // The sender restarts (same id and port, new session) and keeps talking.
        let senderAddress = sender.address
        sender.stop(leave: false)
        sender = try node(id: senderId, listen: senderAddress.description, seeds: [receiver.address])
        XCTAssertNotEqual(sender.transport.sessionId, oldSession)
        XCTAssertNotNil(waitUntil(timeout: 3) { sender.memberIds() == [receiver.id] })
        try sender.transport.send([78], to: receiver.id)
        XCTAssertNotNil(waitUntil(timeout: 2) { receiver.inbox.received.contains { $0.payload == [78] } })
        // Replaying the old session's datagram is rejected.
        tap.send(captured, to: receiver.address)
        XCTAssertNotNil(waitUntil(timeout: 2) { receiver.transport.statistics.drops(.replayed) == 1 })
    }

    func testLargePayloadsArriveIntact() throws {
        let (all, _) = try cluster(3)
        let oneMiB = pseudoRandomBytes(1 << 20, seed: 31)
        let fourMiB = pseudoRandomBytes(4 << 20, seed: 32)
        let start = Clock.monotonicNanoseconds()
        try all[0].transport.send(oneMiB, to: all[1].id)
        try all[0].transport.send(fourMiB, to: all[2].id)
        let arrived = waitUntil(timeout: 10) {
            all[1].inbox.received.contains { $0.payload.count == oneMiB.count } && all[2].inbox.received.contains { $0.payload.count == fourMiB.count }
        }
        XCTAssertNotNil(arrived, "large payloads missing: \(all[1].transport.statistics) / \(all[2].transport.statistics)")
        XCTAssertEqual(all[1].inbox.received.first { $0.payload.count == oneMiB.count }?.payload, oneMiB)
        XCTAssertEqual(all[2].inbox.received.first { $0.payload.count == fourMiB.count }?.payload, fourMiB)
        XCTAssertEqual(all[1].inbox.received.filter { $0.payload.count == oneMiB.count }.count, 1, "delivered once")
        let elapsed = Double(Clock.monotonicNanoseconds() - start) / 1e9
        print("NXNet: 1 MiB + 4 MiB sent and delivered in \(String(format: "%.3f", elapsed)) s (debug build); retransmitted fragments: \(all[0].transport.statistics.fragmentsRetransmitted)")
        XCTAssertThrowsError(try all[0].transport.send([UInt8](repeating: 0, count: (8 << 20) + 1), to: all[1].id)) { error in
            XCTAssertEqual(error as? TransportError, .messageTooLarge(size: (8 << 20) + 1, limit: 8 << 20))
        }
    }

    func testLargePayloadSurvivesTwentyPercentLossThroughNacks() throws {
        let (all, _) = try cluster(2) { $0.simulatedSendLoss = 0.2 }
        let payload = pseudoRandomBytes(1 << 20, seed: 33)
        try all[0].transport.send(payload, to: all[1].id)
        let arrived = waitUntil(timeout: 10) { all[1].inbox.received.contains { $0.payload.count == payload.count } }
        XCTAssertNotNil(arrived)
        XCTAssertEqual(all[1].inbox.received.first { $0.payload.count == payload.count }?.payload, payload)
        let s0 = all[0].transport.statistics
        let s1 = all[1].transport.statistics
        XCTAssertGreaterThan(s0.datagramsLostBySimulation, 100)
        XCTAssertGreaterThan(s1.nacksSent, 0)
        XCTAssertGreaterThan(s0.fragmentsRetransmitted, 0)
        print("NXNet: 1 MiB over 20% loss in \(String(format: "%.3f", arrived ?? -1)) s; nacks \(s1.nacksSent), retransmitted \(s0.fragmentsRetransmitted)")
    }

    func testMembershipIsStableUnderTwentyPercentLoss() throws {
        let (all, time) = try cluster(5) { $0.simulatedSendLoss = 0.2 }
        print("NXNet: 5 nodes with 20% datagram loss converged in \(String(format: "%.3f", time)) s")
        pause(3)
        let falseFailures = all.flatMap { $0.inbox.membershipChanges.filter { $0.kind == .failed } }
        XCTAssertTrue(falseFailures.isEmpty, "live nodes declared dead under loss: \(falseFailures)")
        let ids = Set(all.map { $0.id })
        XCTAssertTrue(all.allSatisfy { $0.memberIds() == ids.subtracting([$0.id]) })
        // A real crash is still detected under loss.
        let victim = all[4]
        victim.stop(leave: false)
        let detection = waitUntil(timeout: 8) { all[0..<4].allSatisfy { !$0.memberIds().contains(victim.id) } }
        XCTAssertNotNil(detection)
        print("NXNet: crash detected by all under 20% loss in \(String(format: "%.3f", detection ?? -1)) s")
    }

    func testSmallDatagramPayloadSetting() throws {
        let (all, _) = try cluster(3) { $0.maximumDatagramPayload = 256 }
        let payload = pseudoRandomBytes(10_000, seed: 36)
        try all[0].transport.send(payload, to: all[1].id)
        XCTAssertNotNil(waitUntil(timeout: 2) { all[1].inbox.received.contains { $0.payload == payload } })
        XCTAssertGreaterThanOrEqual(all[0].transport.statistics.datagramsSent, 40)
        XCTAssertEqual(all[1].transport.statistics.totalDrops, 0)
    }

    func testIncompleteMessagesAreNackedExpiredAndBudgeted() throws {
        let target = try node { config in
            config.reassembly.timeout = 0.4
            config.reassembly.perPeerBytes = 100_000
        }
        let insider = NodeId.random()
        let tap = try RawPeer()
        let codec = DatagramCodec(key: testKey, encrypt: false)
        func fragment(messageId: UInt32, total: Int, counter: UInt64) -> [UInt8] {
            let count = FragmentLayout.plan(total: total, maximumChunk: 1200).count
            let h = DatagramHeader(kind: .data, sender: insider, recipient: target.id, session: 9, counter: counter,
                                   timestamp: Clock.wallMilliseconds(), messageId: messageId, fragmentIndex: 0,
                                   fragmentCount: UInt16(count), totalLength: UInt32(total))
            return codec.seal(h, body: pseudoRandomBytes(FragmentLayout.range(total: total, count: count, index: 0).count, seed: counter))
        }
        tap.send(fragment(messageId: 1, total: 5000, counter: 1), to: target.address)
        // The receiver asks the sender (at the datagram's source) for the missing fragments.
        guard let nackBytes = tap.receive(timeout: 2) else { return XCTFail("no nack received") }
        let nack = nackBytes.withUnsafeBytes { codec.open($0, maximumMessageBytes: 1 << 20) }
        guard case let .success(d) = nack else { return XCTFail("nack does not open") }
        XCTAssertEqual(d.header.kind, .nack)
        XCTAssertEqual(d.header.recipient, insider)
        XCTAssertEqual(ControlMessage.decode(kind: .nack, body: d.body), .nack(session: 9, messageId: 1, missing: [1..<5]))
        // Never completed: expires after the timeout, memory released.
        XCTAssertNotNil(waitUntil(timeout: 3) { target.transport.statistics.drops(.reassemblyExpired) == 1 })
        // Over the per-peer budget: refused at the first fragment.
        tap.send(fragment(messageId: 2, total: 200_000, counter: 2), to: target.address)
        XCTAssertNotNil(waitUntil(timeout: 2) { target.transport.statistics.drops(.reassemblyBudgetExceeded) == 1 })
        XCTAssertEqual(target.inbox.count, 0)
    }

    func testEncryptedCluster() throws {
        let (all, _) = try cluster(3, encrypt: true)
        let payload = pseudoRandomBytes(10_000, seed: 34)
        try all[0].transport.send(payload, to: all[2].id)
        XCTAssertNotNil(waitUntil(timeout: 3) { all[2].inbox.received.contains { $0.payload == payload } })
        XCTAssertEqual(all[2].transport.statistics.totalDrops, 0)
        // A keyed node that does not encrypt still interoperates (receivers accept both).
        let plain = try node(key: testKey, encrypt: false, seeds: [all[0].address])
        XCTAssertNotNil(waitUntil(timeout: 3) { plain.memberIds().count == 3 })
    }

    func testIPv6Loopback() throws {
        guard (try? UDPSocket(bind: SocketAddress("[::1]:0"), bufferBytes: 65536)) != nil else {
            print("NXNet: skipping IPv6 loopback test: cannot bind [::1] on this machine")
            throw XCTSkip("IPv6 loopback unavailable")
        }
        let a = try node(listen: "[::1]:0")
        let b = try node(listen: "[::1]:0", seeds: [a.address])
        XCTAssertEqual(a.address.family, .ipv6)
        XCTAssertNotNil(waitUntil(timeout: 3) { a.memberIds() == [b.id] && b.memberIds() == [a.id] })
        XCTAssertEqual(a.transport.members().first?.address.description.hasPrefix("[::1]:"), true)
        try a.transport.send(pseudoRandomBytes(5000, seed: 35), to: b.id)
        XCTAssertNotNil(waitUntil(timeout: 2) { b.inbox.count == 1 })
    }

    func testDualStackWildcardReachesIPv4Peers() throws {
        guard (try? UDPSocket(bind: SocketAddress("[::]:0"), bufferBytes: 65536)) != nil else {
            throw XCTSkip("IPv6 unavailable: cannot bind [::]")
        }
        let v4 = try node(listen: "127.0.0.1:0")
        let dual = try node(listen: "[::]:0", seeds: [v4.address])
        XCTAssertNotNil(waitUntil(timeout: 3) { v4.memberIds() == [dual.id] && dual.memberIds() == [v4.id] })
        XCTAssertEqual(dual.transport.members().first?.address, v4.address, "IPv4-mapped sources are shown as IPv4")
    }

    func testHostnamesAndConfigurationErrors() throws {
        let t = try Transport(configuration: TransportConfiguration(nodeId: .random(), clusterKey: testKey))
        try t.start(listen: "localhost:0", seeds: ["localhost:9"])
        defer { t.stop() }
        XCTAssertTrue(t.localAddress!.isLoopback)
        XCTAssertNotEqual(t.localAddress!.port, 0)
        XCTAssertThrowsError(try Transport(configuration: TransportConfiguration(nodeId: .random(), clusterKey: nil, encrypt: true))) {
            XCTAssertTrue("\($0)".contains("encrypt requires a cluster key"), "\($0)")
        }
        var bad = TransportConfiguration(nodeId: .random())
        bad.membership.probeTimeout = 1
        XCTAssertThrowsError(try Transport(configuration: bad))
        bad = TransportConfiguration(nodeId: .random())
        bad.maximumDatagramPayload = 5000
        XCTAssertThrowsError(try Transport(configuration: bad))
        let busy = try Transport(configuration: TransportConfiguration(nodeId: .random()))
        XCTAssertThrowsError(try busy.start(listen: t.localAddress!.description)) { error in
            XCTAssertTrue("\(error)".contains("bind") && "\(error)".contains("in use"), "\(error)")
        }
        XCTAssertThrowsError(try busy.start(listen: "nonsense")) { XCTAssertTrue($0 is AddressError) }
        XCTAssertThrowsError(try busy.start(listen: "127.0.0.1:0", seeds: ["[::1]:7001"])) { error in
            XCTAssertTrue("\(error)".contains("[::1]:7001") && "\(error)".contains("cannot be reached"), "\(error)")
        }
        XCTAssertFalse(busy.isRunning)
    }

    func testHandlersMayCallBackIntoTheTransportAndStopFromAHandlerWorks() throws {
        let (all, _) = try cluster(2)
        let echo = all[1]
        echo.transport.onMessage = { [weak echo] payload, from in
            guard let echo else { return }
            try? echo.transport.send(payload.reversed(), to: from)
            if payload == [0] { echo.transport.stop(leave: true) }
        }
        try all[0].transport.send([1, 2, 3], to: echo.id)
        XCTAssertNotNil(waitUntil(timeout: 2) { all[0].inbox.received.contains { $0.payload == [3, 2, 1] } })
        try all[0].transport.send([0], to: echo.id)
        XCTAssertNotNil(waitUntil(timeout: 2) { !echo.transport.isRunning && all[0].memberIds().isEmpty })
    }
}
