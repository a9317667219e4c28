import XCTest
@testable import NXSync

final class GCounterTests: XCTestCase {
    func testValueIsSumOfSlotsAndApplyIsIdempotent() throws {
        var c = GCounter()
        let t1 = try c.total(afterAdding: 5, at: node(1))
        XCTAssertEqual(t1, 5)
        XCTAssertTrue(c.apply(node: node(1), total: t1))
        XCTAssertFalse(c.apply(node: node(1), total: t1), "re-applying the same total changes nothing")
        XCTAssertTrue(c.apply(node: node(2), total: 7))
        XCTAssertFalse(c.apply(node: node(2), total: 3), "a stale (lower) total is ignored")
        XCTAssertEqual(c.value, 12)
        XCTAssertEqual(try c.total(afterAdding: 4, at: node(1)), 9)
    }

    func testMergeIsPointwiseMaximum() {
        var a = GCounter(), b = GCounter()
        a.apply(node: node(1), total: 10)
        a.apply(node: node(2), total: 1)
        b.apply(node: node(2), total: 6)
        b.apply(node: node(3), total: 2)
        var ab = a
        ab.merge(b)
        XCTAssertEqual(ab.slots, [node(1): 10, node(2): 6, node(3): 2])
        XCTAssertEqual(ab.value, 18)
        XCTAssertFalse(ab.merge(a), "merging what is already included changes nothing")
    }

    func testOverflowThrowsAndValueSaturates() {
        var c = GCounter()
        c.apply(node: node(1), total: .max - 1)
        XCTAssertThrowsError(try c.total(afterAdding: 2, at: node(1))) { error in
            XCTAssertEqual(error as? CRDTError, .counterOverflow(current: .max - 1, delta: 2))
        }
        c.apply(node: node(2), total: 10)
        XCTAssertEqual(c.value, .max)
    }

    func testEncodingRoundTripsAndIsCanonical() throws {
        var a = GCounter(), b = GCounter()
        a.apply(node: node(2), total: 300)
        a.apply(node: node(1), total: 1)
        b.apply(node: node(1), total: 1)
        b.apply(node: node(2), total: 300)
        XCTAssertEqual(a.encode(), b.encode(), "insertion order does not change the encoding")
        XCTAssertEqual(a.encode().first, 1, "version byte")
        XCTAssertEqual(try GCounter(decoding: a.encode()), a)
        // Slots out of order are rejected (non-canonical).
        var w = ByteWriter()
        w.u8(1); w.varint(2); w.node(node(2)); w.varint(1); w.node(node(1)); w.varint(1)
        XCTAssertThrowsError(try GCounter(decoding: w.bytes))
        XCTAssertThrowsError(try GCounter(decoding: [2, 0]), "unknown version")
    }
}

final class PNCounterTests: XCTestCase {
    func testIncrementsAndDecrements() throws {
        var c = PNCounter()
        var t = try c.totals(afterAdding: 10, at: node(1))
        c.apply(node: node(1), positive: t.positive, negative: t.negative)
        t = try c.totals(afterAdding: -25, at: node(1))
        XCTAssertEqual(t.positive, 10)
        XCTAssertEqual(t.negative, 25)
        c.apply(node: node(1), positive: t.positive, negative: t.negative)
        XCTAssertEqual(c.value, -15)
        var d = PNCounter()
        d.apply(node: node(2), positive: 4, negative: 0)
        c.merge(d)
        XCTAssertEqual(c.value, -11)
        XCTAssertEqual(try PNCounter(decoding: c.encode()), c)
    }

    func testExtremeDeltas() throws {
        var c = PNCounter()
        let t = try c.totals(afterAdding: .min, at: node(1))
        XCTAssertEqual(t.negative, UInt64(Int64.max) + 1)
        c.apply(node: node(1), positive: t.positive, negative: t.negative)
        XCTAssertEqual(c.value, .min)
        c.apply(node: node(2), positive: 0, negative: 5)
        XCTAssertEqual(c.value, .min, "clamped to Int64.min")
        var d = PNCounter()
        d.apply(node: node(3), positive: .max, negative: 0)
        XCTAssertEqual(d.value, .max, "clamped to Int64.max")
    }
}

final class LWWRegisterTests: XCTestCase {
    func testHigherTimestampWinsThenNodeId() {
        var r = LWWRegister()
        XCTAssertTrue(r.apply(LWWEntry(stamp: LWWStamp(timestamp: 10, node: node(1)), value: bytes("a"))))
        XCTAssertFalse(r.apply(LWWEntry(stamp: LWWStamp(timestamp: 9, node: node(9)), value: bytes("old"))))
        XCTAssertTrue(r.apply(LWWEntry(stamp: LWWStamp(timestamp: 10, node: node(2)), value: bytes("b"))),
                      "equal timestamps: the higher NodeId wins")
        XCTAssertFalse(r.apply(LWWEntry(stamp: LWWStamp(timestamp: 10, node: node(1)), value: bytes("a"))))
        XCTAssertEqual(r.value, bytes("b"))
    }

    func testLocalWritesStayMonotonicWithinOneMillisecond() {
        var r = LWWRegister()
        let now: UInt64 = 1000
        var previous: UInt64?
        for i in 0..<5 {
            let ts = r.nextTimestamp(now: now)
            if let p = previous { XCTAssertGreaterThan(ts, p) }
            previous = ts
            XCTAssertTrue(r.apply(LWWEntry(stamp: LWWStamp(timestamp: ts, node: node(1)), value: [UInt8(i)])))
        }
        XCTAssertEqual(r.value, [4], "the last of five writes in the same millisecond wins")
        // A winner from a clock far ahead is still beaten by the next local write.
        r.apply(LWWEntry(stamp: LWWStamp(timestamp: 50_000, node: node(9)), value: bytes("future")))
        let ts = r.nextTimestamp(now: now)
        XCTAssertEqual(ts, 50_001)
        XCTAssertTrue(r.apply(LWWEntry(stamp: LWWStamp(timestamp: ts, node: node(1)), value: bytes("mine"))))
    }

    func testMergeCommutesEvenForEqualStamps() throws {
        var a = LWWRegister(), b = LWWRegister()
        a.apply(LWWEntry(stamp: LWWStamp(timestamp: 5, node: node(1)), value: bytes("x")))
        b.apply(LWWEntry(stamp: LWWStamp(timestamp: 5, node: node(1)), value: bytes("y")))
        var ab = a, ba = b
        ab.merge(b)
        ba.merge(a)
        XCTAssertEqual(ab, ba)
        XCTAssertEqual(ab.value, bytes("y"))
        XCTAssertEqual(try LWWRegister(decoding: ab.encode()), ab)
        XCTAssertEqual(try LWWRegister(decoding: LWWRegister().encode()), LWWRegister())
    }
}

final class LWWMapTests: XCTestCase {
    func testSetRemoveAndNoResurrection() throws {
        var m = LWWMap()
        m.apply(field: bytes("theme"), LWWEntry(stamp: LWWStamp(timestamp: 10, node: node(1)), value: bytes("dark")))
        m.apply(field: bytes("region"), LWWEntry(stamp: LWWStamp(timestamp: 11, node: node(1)), value: bytes("eu")))
        m.apply(field: bytes("region"), LWWEntry(stamp: LWWStamp(timestamp: 20, node: node(2)), value: nil))
        XCTAssertNil(m.get(bytes("region")))
        // An older write arriving late does not bring the field back.
        XCTAssertFalse(m.apply(field: bytes("region"), LWWEntry(stamp: LWWStamp(timestamp: 15, node: node(3)), value: bytes("us"))))
        XCTAssertNil(m.get(bytes("region")))
        // A newer one does.
        XCTAssertTrue(m.apply(field: bytes("region"), LWWEntry(stamp: LWWStamp(timestamp: 21, node: node(3)), value: bytes("ap"))))
        XCTAssertEqual(m.get(bytes("region")), bytes("ap"))
        XCTAssertEqual(m.entries.map { text($0.field) }, ["region", "theme"])
        XCTAssertEqual(try LWWMap(decoding: m.encode()), m)
    }

    func testEntriesAreInFieldByteOrderWithoutTombstones() {
        var m = LWWMap()
        for (i, f) in ["b", "a", "ab", "", "z"].enumerated() {
            m.apply(field: bytes(f), LWWEntry(stamp: LWWStamp(timestamp: UInt64(i), node: node(1)), value: bytes("v\(f)")))
        }
        m.apply(field: bytes("z"), LWWEntry(stamp: LWWStamp(timestamp: 99, node: node(1)), value: nil))
        XCTAssertEqual(m.entries.map { text($0.field) }, ["", "a", "ab", "b"])
        XCTAssertEqual(m.fields.count, 5, "the tombstone is kept")
    }
}

final class ORSetTests: XCTestCase {
    func testAddRemoveAndReAdd() {
        var s = ORSet()
        s.add(bytes("blue"), tag: OpId(origin: node(1), seq: 1))
        XCTAssertTrue(s.contains(bytes("blue")))
        let observed = s.observedTags(bytes("blue"))
        XCTAssertEqual(observed, [OpId(origin: node(1), seq: 1)])
        s.remove(bytes("blue"), observed: observed)
        XCTAssertFalse(s.contains(bytes("blue")))
        XCTAssertEqual(s.observedTags(bytes("blue")), [])
        s.add(bytes("blue"), tag: OpId(origin: node(1), seq: 3))
        XCTAssertTrue(s.contains(bytes("blue")))
    }

    func testConcurrentUnobservedAddSurvivesRemove() {
        // Node 1 added "x"; node 2 observed that add and removes; concurrently node 3 adds "x".
        var replica = ORSet()
        replica.add(bytes("x"), tag: OpId(origin: node(1), seq: 1))
        let removeTags = replica.observedTags(bytes("x"))
        replica.add(bytes("x"), tag: OpId(origin: node(3), seq: 7))  // concurrent add arrives
        replica.remove(bytes("x"), observed: removeTags)
        XCTAssertTrue(replica.contains(bytes("x")), "the add the remover had not observed survives")
        // A re-add by node 1 concurrent with a remove that observed its older tag survives too.
        var other = ORSet()
        other.add(bytes("y"), tag: OpId(origin: node(1), seq: 2))
        let old = other.observedTags(bytes("y"))
        other.add(bytes("y"), tag: OpId(origin: node(1), seq: 9))
        other.remove(bytes("y"), observed: old)
        XCTAssertTrue(other.contains(bytes("y")))
    }

    func testRemoveBeforeItsAddIsATombstone() {
        var s = ORSet()
        s.remove(bytes("x"), observed: [OpId(origin: node(1), seq: 4)])
        XCTAssertFalse(s.contains(bytes("x")))
        s.add(bytes("x"), tag: OpId(origin: node(1), seq: 4))
        XCTAssertFalse(s.contains(bytes("x")), "the add the remove observed stays removed")
        s.add(bytes("x"), tag: OpId(origin: node(2), seq: 1))
        XCTAssertTrue(s.contains(bytes("x")))
        XCTAssertEqual(s.observedTags(bytes("x")), [OpId(origin: node(2), seq: 1)])
    }

    func testElementsInByteOrderAndEncoding() throws {
        var s = ORSet()
        for (i, e) in ["pear", "apple", "fig", ""].enumerated() { s.add(bytes(e), tag: OpId(origin: node(1), seq: UInt64(i + 1))) }
        s.remove(bytes("fig"), observed: s.observedTags(bytes("fig")))
        XCTAssertEqual(s.visibleElements.map(text), ["", "apple", "pear"])
        XCTAssertEqual(try ORSet(decoding: s.encode()), s)
        let (e, t) = try ORSet.decodeRecord(s.encodeRecord(bytes("fig"))!)
        XCTAssertEqual(e, bytes("fig"))
        XCTAssertEqual(t[node(1)], ORSet.Tags(added: 3, removed: 3))
    }
}

final class RGATests: XCTestCase {
    func id(_ n: UInt64, _ s: UInt64) -> OpId { OpId(origin: node(n), seq: s) }

    /// Inserts locally the way the engine does (Lamport above everything known).
    @discardableResult
    func localInsert(_ r: inout RGA, _ id: OpId, after parent: OpId?, _ v: String) -> OpId {
        r.insert(id: id, parent: parent, lamport: r.nextLamport, value: bytes(v))
        return id
    }

    func testInsertAfterLandsRightAfterParent() {
        var r = RGA()
        let a = localInsert(&r, id(1, 1), after: nil, "a")
        let b = localInsert(&r, id(1, 2), after: a, "b")
        localInsert(&r, id(1, 3), after: b, "c")
        XCTAssertEqual(r.values.map(text), ["a", "b", "c"], "appending after the own last element builds in order")
        localInsert(&r, id(2, 1), after: a, "x")
        XCTAssertEqual(r.values.map(text), ["a", "x", "b", "c"])
        localInsert(&r, id(1, 4), after: nil, "h")
        XCTAssertEqual(r.values.map(text), ["h", "a", "x", "b", "c"])
    }

    func testConcurrentSiblingsOrderedByLamportThenNode() {
        var base = RGA()
        let a = localInsert(&base, id(1, 1), after: nil, "a")
        // Two replicas insert after `a` concurrently with the same Lamport timestamp.
        var r1 = base, r2 = base
        let lamport = base.nextLamport
        r1.insert(id: id(1, 2), parent: a, lamport: lamport, value: bytes("from1"))
        r2.insert(id: id(2, 1), parent: a, lamport: lamport, value: bytes("from2"))
        r1.merge(r2)
        r2.merge(r1)
        XCTAssertEqual(r1, r2)
        XCTAssertEqual(r1.values.map(text), ["a", "from2", "from1"], "equal Lamport: higher NodeId first")
        // A later (higher Lamport) insert after `a` goes first among a's children.
        var r3 = r1
        localInsert(&r3, id(1, 3), after: a, "newest")
        XCTAssertEqual(r3.values.map(text), ["a", "newest", "from2", "from1"])
    }

    func testDeleteKeepsChildrenVisible() {
        var r = RGA()
        let a = localInsert(&r, id(1, 1), after: nil, "a")
        let b = localInsert(&r, id(1, 2), after: a, "b")
        localInsert(&r, id(1, 3), after: b, "c")
        XCTAssertTrue(r.delete(b))
        XCTAssertFalse(r.delete(b), "already deleted")
        XCTAssertEqual(r.values.map(text), ["a", "c"])
        localInsert(&r, id(1, 4), after: b, "after-deleted")
        XCTAssertEqual(r.values.map(text), ["a", "after-deleted", "c"], "a tombstone can still be a parent")
        XCTAssertEqual(r.elements[b]!.value, [], "tombstones drop their value")
    }

    func testCompactIdsResolve() {
        var r = RGA()
        let a = localInsert(&r, id(1, 77), after: nil, "a")
        let compact = RGA.compactId(of: a)
        XCTAssertEqual(compact.count, 16)
        XCTAssertEqual(r.resolve(compactId: compact), a)
        XCTAssertNil(r.resolve(compactId: Array(compact.dropLast())))
        XCTAssertNil(r.resolve(compactId: RGA.compactId(of: id(1, 78))))
        // Two origins sharing the first 8 bytes and a sequence: resolved to the lowest OpId.
        let twin = OpId(origin: NodeId(high: node(1).high, low: 999), seq: 77)
        r.insert(id: twin, parent: nil, lamport: 50, value: bytes("twin"))
        XCTAssertEqual(RGA.compactId(of: twin), compact)
        XCTAssertEqual(r.resolve(compactId: compact), min(a, twin))
    }

    func testOrphansStayInvisibleUntilTheirParentArrives() {
        var full = RGA()
        let a = localInsert(&full, id(1, 1), after: nil, "a")
        let b = localInsert(&full, id(2, 1), after: a, "b")
        var partial = RGA()
        partial.mergeElement(b, full.elements[b]!)
        XCTAssertEqual(partial.values, [])
        partial.mergeElement(a, full.elements[a]!)
        XCTAssertEqual(partial.values.map(text), ["a", "b"])
        XCTAssertEqual(partial, full)
    }

    func testEncodingRoundTrips() throws {
        var r = RGA()
        let a = localInsert(&r, id(1, 1), after: nil, "a")
        localInsert(&r, id(2, 5), after: a, "b")
        r.delete(a)
        let decoded = try RGA(decoding: r.encode())
        XCTAssertEqual(decoded, r)
        XCTAssertEqual(decoded.values, r.values)
        XCTAssertEqual(decoded.maxLamport, r.maxLamport)
        let e = try RGA.decodeRecord(r.encodeRecord(a)!)
        XCTAssertTrue(e.deleted)
    }
}
