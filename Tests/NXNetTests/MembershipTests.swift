import XCTest
@testable import NXNet

/// The SWIM state machine driven directly (no sockets, explicit time).
final class MembershipTests: XCTestCase {
    let me = NodeId(high: 1, low: 1)
    let ms: UInt64 = 1_000_000
    var config = MembershipConfiguration()

    private func addr(_ port: UInt16) -> SocketAddress { SocketAddress(ipv4: 127, 0, 0, 1, port: port) }

    private func make(allowed: @escaping (NodeId) -> Bool = { _ in true }) -> Membership {
        Membership(selfId: me, incarnation: 100, config: config, maximumBodyBytes: 1200, seed: 1, isAllowed: allowed)
    }

    /// Adds `n` alive members (ports 9001...) through a sync from the first of them.
    private func populate(_ m: Membership, _ n: Int, now: UInt64 = 0) -> [NodeId] {
        let ids = (0..<n).map { NodeId(high: 2, low: UInt64($0)) }
        let entries = ids.enumerated().map { GossipEntry(id: $1, incarnation: 10, state: .alive, address: addr(UInt16(9001 + $0))) }
        m.handle(.sync(incarnation: 10, replyWanted: false, entries: entries), from: ids[0], source: addr(9001), now: now)
        m.outbox.removeAll()
        m.changes.removeAll()
        return ids
    }

    private func state(_ m: Membership, _ id: NodeId) -> MemberState? {
        m.allRecords().first { $0.id == id }?.state
    }

    func testStartPingsSeedsWithAZeroRecipient() {
        let m = make()
        m.start(seeds: [addr(7001), addr(7002)], now: 0)
        let pings = m.outbox.filter { if case .ping = $0.message { return true } else { return false } }
        XCTAssertEqual(Set(pings.map { $0.address }), [addr(7001), addr(7002)])
        XCTAssertTrue(pings.allSatisfy { $0.recipient == .zero })
        m.outbox.removeAll()
        m.tick(now: 100 * ms)
        XCTAssertTrue(m.outbox.isEmpty, "seeds are re-pinged only every seedInterval")
        m.tick(now: 500 * ms)
        XCTAssertEqual(m.outbox.count, 2)
        // Once a seed is a live member it is no longer pinged as a seed.
        let seedNode = NodeId(high: 3, low: 3)
        m.handle(.ack(incarnation: 1, seq: 1, gossip: []), from: seedNode, source: addr(7001), now: 600 * ms)
        m.outbox.removeAll()
        m.tick(now: 1100 * ms)
        let seedPings = m.outbox.filter { $0.recipient == .zero }
        XCTAssertEqual(seedPings.map { $0.address }, [addr(7002)])
    }

    func testPingFromAStrangerAddsItAnswersAndSyncs() {
        let m = make()
        let x = NodeId(high: 5, low: 5)
        m.handle(.ping(incarnation: 42, seq: 9, gossip: []), from: x, source: addr(8000), now: 0)
        XCTAssertEqual(m.members().map { $0.id }, [x])
        XCTAssertEqual(m.members().first?.address, addr(8000))
        XCTAssertEqual(m.changes.map { $0.kind }, [.joined])
        XCTAssertTrue(m.outbox.contains { if case .ack(_, 9, _) = $0.message { return $0.recipient == x && $0.address == addr(8000) } else { return false } })
        XCTAssertTrue(m.outbox.contains { if case .sync(_, false, _) = $0.message { return $0.recipient == x } else { return false } })
    }

    func testPrecedenceRules() {
        let m = make()
        let x = NodeId(high: 6, low: 6)
        let via = NodeId(high: 7, low: 7)
        func gossip(_ inc: UInt64, _ s: MemberState) {
            m.handle(.ack(incarnation: 1, seq: 999, gossip: [GossipEntry(id: x, incarnation: inc, state: s, address: addr(8100))]),
                     from: via, source: addr(8200), now: 0)
        }
        gossip(5, .alive); XCTAssertEqual(state(m, x), .alive)
        gossip(5, .suspect); XCTAssertEqual(state(m, x), .suspect)
        gossip(5, .alive); XCTAssertEqual(state(m, x), .suspect, "alive needs a higher incarnation to clear suspicion")
        gossip(4, .alive); XCTAssertEqual(state(m, x), .suspect)
        gossip(6, .alive); XCTAssertEqual(state(m, x), .alive)
        gossip(6, .dead); XCTAssertEqual(state(m, x), .dead)
        gossip(6, .alive); XCTAssertEqual(state(m, x), .dead, "a dead member stays dead at its incarnation")
        gossip(6, .suspect); XCTAssertEqual(state(m, x), .dead)
        gossip(7, .alive); XCTAssertEqual(state(m, x), .alive, "rejoin with a higher incarnation")
        gossip(7, .left); XCTAssertEqual(state(m, x), .left)
        let kinds = m.changes.filter { $0.member.id == x }.map { $0.kind }
        XCTAssertEqual(kinds, [.joined, .suspected, .recovered, .failed, .joined, .left])
    }

    func testSuspicionAboutThisNodeIsRefuted() {
        let m = make()
        let ids = populate(m, 2)
        m.handle(.ack(incarnation: 10, seq: 1, gossip: [GossipEntry(id: me, incarnation: 100, state: .suspect, address: addr(1))]),
                 from: ids[0], source: addr(9001), now: 0)
        XCTAssertEqual(m.incarnation, 101)
        // Dead at a higher incarnation: refuted above it.
        m.handle(.ack(incarnation: 10, seq: 1, gossip: [GossipEntry(id: me, incarnation: 150, state: .dead, address: addr(1))]),
                 from: ids[0], source: addr(9001), now: 0)
        XCTAssertEqual(m.incarnation, 151)
        // Stale suspicion (older incarnation) changes nothing.
        m.handle(.ack(incarnation: 10, seq: 1, gossip: [GossipEntry(id: me, incarnation: 140, state: .suspect, address: addr(1))]),
                 from: ids[0], source: addr(9001), now: 0)
        XCTAssertEqual(m.incarnation, 151)
        // The next message carries the new incarnation and the refutation entry.
        m.handle(.ping(incarnation: 10, seq: 5, gossip: []), from: ids[1], source: addr(9002), now: 0)
        guard case let .ack(inc, _, gossip)? = m.outbox.last?.message else { return XCTFail("no ack") }
        XCTAssertEqual(inc, 151)
        XCTAssertTrue(gossip.contains { $0.id == me && $0.state == .alive && $0.incarnation == 151 })
    }

    func testUnansweredProbeLeadsToIndirectProbesSuspicionAndDeath() {
        config.indirectChecks = 3
        let m = make()
        let ids = populate(m, 5)
        m.start(seeds: [], now: 0)
        guard case let .ping(_, seq, _)? = m.outbox.first?.message else { return XCTFail("no probe") }
        let target = m.outbox[0].recipient
        m.outbox.removeAll()
        m.tick(now: 79 * ms)
        XCTAssertTrue(m.outbox.isEmpty)
        m.tick(now: 80 * ms)
        let requests = m.outbox.compactMap { out -> NodeId? in
            if case let .pingRequest(_, s, t, _, _) = out.message, s == seq, t == target { return out.recipient }
            return nil
        }
        XCTAssertEqual(requests.count, 3)
        XCTAssertFalse(requests.contains(target))
        XCTAssertEqual(Set(requests).count, 3)
        m.tick(now: 200 * ms)
        XCTAssertEqual(state(m, target), .suspect)
        XCTAssertEqual(m.changes.last?.kind, .suspected)
        // Suspicion timeout for n = 6: 4 × max(1, log10 6) × 0.2 s = 0.8 s.
        m.tick(now: 999 * ms)
        XCTAssertEqual(state(m, target), .suspect)
        m.tick(now: 1001 * ms)
        XCTAssertEqual(state(m, target), .dead)
        XCTAssertEqual(m.changes.last?.kind, .failed)
        XCTAssertFalse(m.members().contains { $0.id == target })
        XCTAssertEqual(m.members().count, ids.count - 1)
    }

    func testIndirectAckKeepsTheTargetAlive() {
        let m = make()
        _ = populate(m, 4)
        m.start(seeds: [], now: 0)
        guard case let .ping(_, seq, _)? = m.outbox.first?.message else { return XCTFail("no probe") }
        let target = m.outbox[0].recipient
        m.tick(now: 80 * ms)
        guard let helper = m.outbox.first(where: { if case .pingRequest = $0.message { return true } else { return false } }) else {
            return XCTFail("no indirect probe")
        }
        m.handle(.ack(incarnation: 10, seq: seq, gossip: []), from: helper.recipient, source: helper.address, now: 120 * ms)
        m.tick(now: 200 * ms)
        XCTAssertEqual(state(m, target), .alive)
    }

    func testPingRequestIsRelayed() {
        let m = make()
        let ids = populate(m, 2)
        let requester = ids[0]
        let target = ids[1]
        m.handle(.pingRequest(incarnation: 10, seq: 77, target: target, targetAddress: addr(9002), gossip: []),
                 from: requester, source: addr(9001), now: 0)
        guard let ping = m.outbox.last, case let .ping(_, relaySeq, _) = ping.message else { return XCTFail("no relayed ping") }
        XCTAssertEqual(ping.recipient, target)
        XCTAssertEqual(ping.address, addr(9002))
        m.outbox.removeAll()
        m.handle(.ack(incarnation: 10, seq: relaySeq, gossip: []), from: target, source: addr(9002), now: 10 * ms)
        guard let ack = m.outbox.last, case let .ack(_, seq, _) = ack.message else { return XCTFail("no relayed ack") }
        XCTAssertEqual(seq, 77)
        XCTAssertEqual(ack.recipient, requester)
    }

    func testLeaveAndStopProbing() {
        let m = make()
        let ids = populate(m, 3)
        m.handle(.leave(incarnation: 10), from: ids[2], source: addr(9003), now: 0)
        XCTAssertEqual(state(m, ids[2]), .left)
        XCTAssertEqual(m.changes.last?.kind, .left)
        let farewells = m.leave()
        XCTAssertEqual(Set(farewells.map { $0.recipient }), Set(ids[0..<2]))
        m.outbox.removeAll()
        m.tick(now: 10 * 1000 * ms)
        XCTAssertTrue(m.outbox.isEmpty, "a leaving node no longer probes")
    }

    func testGossipSpreadsUpdatesABoundedNumberOfTimes() {
        let m = make()
        let ids = populate(m, 3)
        let newcomer = NodeId(high: 9, low: 9)
        m.handle(.ack(incarnation: 10, seq: 1, gossip: [GossipEntry(id: newcomer, incarnation: 1, state: .alive, address: addr(9100))]),
                 from: ids[0], source: addr(9001), now: 0)
        var carried = 0
        for i in 0..<100 {
            m.outbox.removeAll()
            m.handle(.ping(incarnation: 10, seq: UInt32(i), gossip: []), from: ids[1], source: addr(9002), now: 0)
            if case let .ack(_, _, gossip)? = m.outbox.last?.message, gossip.contains(where: { $0.id == newcomer }) { carried += 1 }
        }
        // retransmitMultiplier × ceil(log2(n + 2)) with n = 4 live members: 4 × 3 = 12.
        XCTAssertEqual(carried, 12)
    }

    func testAllowlistExcludesOtherNodes() {
        let trusted = NodeId(high: 2, low: 0)
        let m = make(allowed: { $0 == trusted })
        let stranger = NodeId(high: 8, low: 8)
        m.handle(.ping(incarnation: 1, seq: 1, gossip: [GossipEntry(id: stranger, incarnation: 1, state: .alive, address: addr(9300))]),
                 from: trusted, source: addr(9001), now: 0)
        XCTAssertEqual(m.members().map { $0.id }, [trusted])
        m.handle(.ping(incarnation: 1, seq: 2, gossip: []), from: stranger, source: addr(9300), now: 0)
        XCTAssertEqual(m.members().map { $0.id }, [trusted])
    }

    func testDeadMembersAreForgottenAfterRetention() {
        config.deadRetention = 1
        let m = make()
        let ids = populate(m, 2)
        m.handle(.leave(incarnation: 10), from: ids[1], source: addr(9002), now: 0)
        m.tick(now: 500 * ms)
        XCTAssertEqual(state(m, ids[1]), .left)
        m.tick(now: 1200 * ms)
        XCTAssertNil(state(m, ids[1]))
    }
}
