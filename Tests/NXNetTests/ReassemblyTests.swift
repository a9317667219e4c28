import XCTest
@testable import NXNet

final class ReassemblyTests: XCTestCase {
    let sender = NodeId.random()
    let recipient = NodeId.random()
    let source = SocketAddress(ipv4: 127, 0, 0, 1, port: 9000)
    let second: UInt64 = 1_000_000_000

    /// The fragments of `payload` as (header, body) pairs, cut as the transport cuts them.
    private func fragments(_ payload: [UInt8], messageId: UInt32 = 1, session: UInt64 = 1, from: NodeId? = nil,
                           kind: MessageKind = .data, chunk: Int = 1200) -> [(DatagramHeader, [UInt8])] {
        let plan = FragmentLayout.plan(total: payload.count, maximumChunk: chunk)
        return (0..<plan.count).map { i in
            let h = DatagramHeader(kind: kind, sender: from ?? sender, recipient: recipient, session: session, counter: UInt64(i + 1),
                                   timestamp: 0, messageId: messageId, fragmentIndex: UInt16(i), fragmentCount: UInt16(plan.count),
                                   totalLength: UInt32(payload.count))
            return (h, Array(payload[FragmentLayout.range(total: payload.count, count: plan.count, index: i)]))
        }
    }

    func testReorderedDuplicatedFragmentsReassembleExactlyOnce() {
        let payload = pseudoRandomBytes(1 << 20, seed: 21)
        var rng = SplitMix64(seed: 3)
        var deliveries = fragments(payload)
        deliveries += deliveries.filter { _ in rng.next() % 10 == 0 }  // ~10% duplicated
        deliveries.shuffle(using: &rng)
        let r = Reassembler(limits: ReassemblyLimits())
        var completed: [[UInt8]] = []
        var duplicates = 0
        for (h, body) in deliveries {
            switch r.accept(h, body: body, source: source, now: 1) {
            case let .complete(kind, p):
                XCTAssertEqual(kind, .data)
                completed.append(p)
            case .dropped(.duplicateFragment): duplicates += 1
            case .incomplete: break
            case let .dropped(reason): XCTFail("unexpected drop \(reason)")
            }
        }
        XCTAssertEqual(completed.count, 1)
        XCTAssertEqual(completed.first, payload)
        XCTAssertEqual(duplicates, deliveries.count - fragments(payload).count)
        XCTAssertEqual(r.totalBytes, 0, "memory released after completion")
        XCTAssertEqual(r.pendingCount, 0)
    }

    func testLostFragmentsAreReportedAsMissingRangesThenCompleteAfterRetransmission() {
        let payload = pseudoRandomBytes(100 * 1200 + 5, seed: 22)
        let all = fragments(payload)
        let lost: Set<Int> = [0, 1, 2, 50, 99, 100]
        let limits = ReassemblyLimits()
        let r = Reassembler(limits: limits)
        for (i, (h, body)) in all.enumerated() where !lost.contains(i) {
            XCTAssertEqual(r.accept(h, body: body, source: source, now: 1), .incomplete)
        }
        XCTAssertTrue(r.dueNacks(now: 1, maximumRanges: 256).isEmpty, "no nack before the no-progress delay")
        let due = r.dueNacks(now: 1 + nanoseconds(limits.nackDelay), maximumRanges: 256)
        XCTAssertEqual(due.count, 1)
        XCTAssertEqual(due.first?.missing, [0..<3, 50..<51, 99..<101])
        XCTAssertEqual(due.first?.source, source)
        XCTAssertTrue(r.dueNacks(now: 2 + nanoseconds(limits.nackDelay), maximumRanges: 256).isEmpty, "nacks are paced")
        XCTAssertEqual(r.dueNacks(now: 2 + nanoseconds(limits.nackDelay + limits.nackInterval), maximumRanges: 256).count, 1)
        XCTAssertEqual(r.dueNacks(now: 10 * second, maximumRanges: 2).first?.missing.count, 2, "range count is capped")
        var result: [UInt8]? = nil
        for i in lost.sorted() {
            if case let .complete(_, p) = r.accept(all[i].0, body: all[i].1, source: source, now: 2) { result = p }
        }
        XCTAssertEqual(result, payload)
        // A late retransmitted fragment of the completed message does not start a new one.
        XCTAssertEqual(r.accept(all[5].0, body: all[5].1, source: source, now: 3), .dropped(.duplicateFragment))
        XCTAssertEqual(r.pendingCount, 0)
    }

    func testPerPeerBudget() {
        var limits = ReassemblyLimits()
        limits.perPeerBytes = 3 << 20
        limits.globalBytes = 100 << 20
        let r = Reassembler(limits: limits)
        let twoMiB = pseudoRandomBytes(2 << 20, seed: 23)
        let a = fragments(twoMiB, messageId: 1)
        let b = fragments(twoMiB, messageId: 2)
        XCTAssertEqual(r.accept(a[0].0, body: a[0].1, source: source, now: 1), .incomplete)
        XCTAssertEqual(r.bytes(of: sender), 2 << 20)
        XCTAssertEqual(r.accept(b[0].0, body: b[0].1, source: source, now: 1), .dropped(.reassemblyBudgetExceeded))
        // Another peer has its own budget.
        let other = NodeId.random()
        let c = fragments(twoMiB, messageId: 1, from: other)
        XCTAssertEqual(r.accept(c[0].0, body: c[0].1, source: source, now: 1), .incomplete)
        // Completing the first message frees its budget.
        var done = false
        for (h, body) in a.dropFirst() {
            if case .complete = r.accept(h, body: body, source: source, now: 2) { done = true }
        }
        XCTAssertTrue(done)
        XCTAssertEqual(r.bytes(of: sender), 0)
        XCTAssertEqual(r.accept(b[0].0, body: b[0].1, source: source, now: 3), .incomplete)
    }

    func testGlobalBudget() {
        var limits = ReassemblyLimits()
        limits.perPeerBytes = 10 << 20
        limits.globalBytes = 5 << 20
        let r = Reassembler(limits: limits)
        let twoMiB = pseudoRandomBytes(2 << 20, seed: 24)
        var accepted = 0
        var refused = 0
        for _ in 0..<4 {
            let f = fragments(twoMiB, from: NodeId.random())
            switch r.accept(f[0].0, body: f[0].1, source: source, now: 1) {
            case .incomplete: accepted += 1
            case .dropped(.reassemblyBudgetExceeded): refused += 1
            default: XCTFail()
            }
        }
        XCTAssertEqual(accepted, 2)
        XCTAssertEqual(refused, 2)
        XCTAssertLessThanOrEqual(r.totalBytes, 5 << 20)
    }

    func testIncompleteMessagesExpireAndReleaseMemory() {
        var limits = ReassemblyLimits()
        limits.timeout = 2
        let r = Reassembler(limits: limits)
        let f = fragments(pseudoRandomBytes(50_000, seed: 25))
        XCTAssertEqual(r.accept(f[0].0, body: f[0].1, source: source, now: 1), .incomplete)
        XCTAssertEqual(r.accept(f[1].0, body: f[1].1, source: source, now: second), .incomplete)
        XCTAssertEqual(r.expire(now: 2 * second), 0, "not yet: the timeout counts from the first fragment")
        XCTAssertEqual(r.expire(now: 2 * second + 1), 1)
        XCTAssertEqual(r.totalBytes, 0)
        XCTAssertEqual(r.pendingCount, 0)
        // Late fragments of the expired message are duplicates for a while, not a new message.
        XCTAssertEqual(r.accept(f[2].0, body: f[2].1, source: source, now: 2 * second + 2), .dropped(.duplicateFragment))
    }

    func testMismatchedFragmentsOfOneMessageAreDropped() {
        let r = Reassembler(limits: ReassemblyLimits())
        let f = fragments(pseudoRandomBytes(5000, seed: 26))
        XCTAssertEqual(r.accept(f[0].0, body: f[0].1, source: source, now: 1), .incomplete)
        var wrongKind = f[1].0
        wrongKind.kind = .sync
        XCTAssertEqual(r.accept(wrongKind, body: f[1].1, source: source, now: 1), .dropped(.fragmentMismatch))
        let g = fragments(pseudoRandomBytes(6000, seed: 27))  // same message id, other layout
        XCTAssertEqual(r.accept(g[1].0, body: g[1].1, source: source, now: 1), .dropped(.fragmentMismatch))
    }

    func testDiscardForgetsAPeersMessages() {
        let r = Reassembler(limits: ReassemblyLimits())
        let f = fragments(pseudoRandomBytes(5000, seed: 28))
        _ = r.accept(f[0].0, body: f[0].1, source: source, now: 1)
        XCTAssertGreaterThan(r.totalBytes, 0)
        r.discard(sender: sender, now: 2)
        XCTAssertEqual(r.totalBytes, 0)
        XCTAssertEqual(r.pendingCount, 0)
    }

    func testRetransmitCacheBoundsAndOwnership() {
        let cache = RetransmitCache(maximumBytes: 10_000, lifetimeSeconds: 1)
        let peer = NodeId.random()
        func entry(_ size: Int, expires: UInt64 = 2 * second) -> RetransmitCache.Entry {
            RetransmitCache.Entry(kind: .data, payload: [UInt8](repeating: 1, count: size), recipient: peer, address: source,
                                  fragmentCount: 5, expiresAt: expires)
        }
        cache.insert(messageId: 1, entry(4000))
        cache.insert(messageId: 2, entry(4000))
        cache.insert(messageId: 3, entry(4000))
        XCTAssertEqual(cache.byteCount, 8000, "the oldest message was evicted to stay within the budget")
        XCTAssertTrue(cache.lookupForRetransmit(messageId: 1, requester: peer, now: 0) == nil)
        XCTAssertEqual(cache.lookupForRetransmit(messageId: 2, requester: peer, now: 0)?.payload.count, 4000)
        XCTAssertTrue(cache.lookupForRetransmit(messageId: 2, requester: NodeId.random(), now: 0) == nil, "only the recipient may ask")
        for _ in 0..<RetransmitCache.maximumRounds { XCTAssertTrue(cache.lookupForRetransmit(messageId: 3, requester: peer, now: 0) != nil) }
        XCTAssertTrue(cache.lookupForRetransmit(messageId: 3, requester: peer, now: 0) == nil, "rounds are bounded")
        XCTAssertTrue(cache.lookupForRetransmit(messageId: 2, requester: peer, now: 3 * second) == nil, "expired")
        cache.expire(now: 3 * second)
        XCTAssertEqual(cache.byteCount, 0)
    }
}
