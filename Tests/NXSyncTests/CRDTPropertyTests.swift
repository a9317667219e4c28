import XCTest
@testable import NXSync

/// A CRDT under property test: how a replica generates a random local operation from its state.
protocol PropertyCRDT: StoredCRDT {
    @discardableResult mutating func merge(_ other: Self) -> Bool
    static func randomBody(_ state: Self, id: OpId, now: UInt64, _ rng: inout SeededRandom) -> SyncOperation.Body?
}

extension GCounter: PropertyCRDT {
    static func randomBody(_ s: GCounter, id: OpId, now: UInt64, _ rng: inout SeededRandom) -> SyncOperation.Body? {
        .gcounter(total: s.slot(id.origin) + UInt64(1 + rng.below(5)))
    }
}

extension PNCounter: PropertyCRDT {
    static func randomBody(_ s: PNCounter, id: OpId, now: UInt64, _ rng: inout SeededRandom) -> SyncOperation.Body? {
        let delta = Int64(rng.below(11)) - 5
        guard delta != 0, let t = try? s.totals(afterAdding: delta, at: id.origin) else { return nil }
        return .pncounter(positive: t.positive, negative: t.negative)
    }
}

extension LWWRegister: PropertyCRDT {
    static func randomBody(_ s: LWWRegister, id: OpId, now: UInt64, _ rng: inout SeededRandom) -> SyncOperation.Body? {
        .lwwSet(timestamp: s.nextTimestamp(now: now), value: [UInt8(rng.below(4))])
    }
}

extension LWWMap: PropertyCRDT {
    static func randomBody(_ s: LWWMap, id: OpId, now: UInt64, _ rng: inout SeededRandom) -> SyncOperation.Body? {
        let field = [UInt8(ascii: "a") + UInt8(rng.below(4))]
        let ts = s.nextTimestamp(field: field, now: now)
        return rng.chance(0.7) ? .lwwMapSet(field: field, timestamp: ts, value: [UInt8(rng.below(8))])
            : .lwwMapRemove(field: field, timestamp: ts)
    }
}

extension ORSet: PropertyCRDT {
    static func randomBody(_ s: ORSet, id: OpId, now: UInt64, _ rng: inout SeededRandom) -> SyncOperation.Body? {
        let element = [UInt8(ascii: "p") + UInt8(rng.below(4))]
        if rng.chance(0.55) { return .orsetAdd(element: element) }
        let tags = s.observedTags(element)
        return tags.isEmpty ? nil : .orsetRemove(element: element, observed: tags)
    }
}

extension RGA: PropertyCRDT {
    static func randomBody(_ s: RGA, id: OpId, now: UInt64, _ rng: inout SeededRandom) -> SyncOperation.Body? {
        let all = s.elements.keys.sorted()
        if rng.chance(0.3), !all.isEmpty {
            let target = all[rng.below(all.count)]
            return s.elements[target]!.deleted ? nil : .rgaDelete(target: target)
        }
        // Parent: head, any element (tombstones included) or the own newest element.
        let parent: OpId?
        switch rng.below(3) {
        case 0: parent = nil
        case 1: parent = all.isEmpty ? nil : all[rng.below(all.count)]
        default: parent = all.filter { $0.origin == id.origin }.max()
        }
        return .rgaInsert(parent: parent, lamport: s.nextLamport, value: [UInt8(rng.below(256))])
    }
}

/// One simulated replica of a single CRDT.
struct PropertyReplica<T: PropertyCRDT> {
    var state = T()
    let node: NodeId
    var seq: UInt64 = 0
    var clockSkew: UInt64
    /// Operations in the order this replica applied them (a causal order).
    var log: [SyncOperation] = []
    var seen = Set<OpId>()

    mutating func apply(_ op: SyncOperation) {
        precondition(state.canApply(op), "delivery order violated a dependency")
        _ = state.apply(op)
        log.append(op)
        seen.insert(op.id)
    }
}

struct History<T: PropertyCRDT> {
    var replicas: [PropertyReplica<T>]
    /// Every operation in creation order.
    var ops: [SyncOperation] = []
    /// States seen along the way (inputs for the merge laws).
    var snapshots: [T] = []
}

/// Random local operations at random replicas interleaved with partial syncs (a replica
/// receives a prefix of what another applied, which keeps causal order).
func makeHistory<T: PropertyCRDT>(_ type: T.Type, seed: UInt64, replicas n: Int, steps: Int,
                                  afterLocal: (T, SyncOperation) -> Void = { _, _ in }) -> History<T> {
    var rng = SeededRandom(seed: seed)
    // Node ids in random order relative to replica index, so tie-breaks are not index-biased.
    var h = History<T>(replicas: (0..<n).map { i in
        PropertyReplica(node: NodeId(high: rng.next(), low: UInt64(i)), clockSkew: UInt64(rng.below(5)))
    })
    var now: UInt64 = 1000
    for _ in 0..<steps {
        now += UInt64(rng.below(2))  // often several operations within one millisecond
        let r = rng.below(n)
        if rng.chance(0.6) {
            let id = OpId(origin: h.replicas[r].node, seq: h.replicas[r].seq + 1)
            guard let body = T.randomBody(h.replicas[r].state, id: id, now: now + h.replicas[r].clockSkew, &rng) else { continue }
            let op = SyncOperation(id: id, key: bytes("k"), body: body)
            h.replicas[r].seq += 1
            h.replicas[r].apply(op)
            h.ops.append(op)
            afterLocal(h.replicas[r].state, op)
        } else {
            let s = rng.below(n)
            guard s != r else { continue }
            let missing = h.replicas[s].log.filter { !h.replicas[r].seen.contains($0.id) }
            for op in missing.prefix(rng.below(missing.count + 1)) { h.replicas[r].apply(op) }
        }
        if rng.chance(0.2) { h.snapshots.append(h.replicas[rng.below(n)].state) }
    }
    for r in h.replicas { h.snapshots.append(r.state) }
    return h
}

/// Applies `ops` to a fresh state in a random order that respects each origin's sequence and
/// the dependencies, re-applying some operations (duplicates) along the way.
func applyInRandomOrder<T: PropertyCRDT>(_ ops: [SyncOperation], _ rng: inout SeededRandom) -> T {
    var state = T()
    var remaining = ops
    var applied: [SyncOperation] = []
    var next: [NodeId: UInt64] = [:]
    while !remaining.isEmpty {
        let ready = remaining.indices.filter { i in
            let op = remaining[i]
            return op.id.seq == (next[op.id.origin] ?? 0) + 1 && state.canApply(op)
        }
        precondition(!ready.isEmpty, "no applicable operation: dependencies can never be met")
        let op = remaining.remove(at: ready[rng.below(ready.count)])
        _ = state.apply(op)
        next[op.id.origin] = op.id.seq
        applied.append(op)
        if rng.chance(0.2) {
            let before = state.encode()
            let again = applied[rng.below(applied.count)]
            _ = state.apply(again)
            XCTAssertEqual(state.encode(), before, "\(T.self): re-applying \(again.id) changed the state")
        }
    }
    return state
}

final class CRDTPropertyTests: XCTestCase {
    static let seeds: [UInt64] = Array(1...40)

    func checkLaws<T: PropertyCRDT>(_ type: T.Type, file: StaticString = #filePath, line: UInt = #line) {
        for seed in Self.seeds {
            let h = makeHistory(T.self, seed: seed, replicas: 2 + Int(seed % 3), steps: 80)
            var rng = SeededRandom(seed: seed &* 7919)
            // Merge laws on random triples of reachable states.
            for _ in 0..<20 {
                let a = h.snapshots[rng.below(h.snapshots.count)]
                let b = h.snapshots[rng.below(h.snapshots.count)]
                let c = h.snapshots[rng.below(h.snapshots.count)]
                var ab = a; ab.merge(b)
                var ba = b; ba.merge(a)
                XCTAssertEqual(ab.encode(), ba.encode(), "\(T.self) merge not commutative (seed \(seed))", file: file, line: line)
                var abc1 = ab; abc1.merge(c)
                var bc = b; bc.merge(c)
                var abc2 = a; abc2.merge(bc)
                XCTAssertEqual(abc1.encode(), abc2.encode(), "\(T.self) merge not associative (seed \(seed))", file: file, line: line)
                var aa = a; aa.merge(a)
                XCTAssertEqual(aa.encode(), a.encode(), "\(T.self) merge not idempotent (seed \(seed))", file: file, line: line)
                var abb = ab; abb.merge(b)
                XCTAssertEqual(abb.encode(), ab.encode(), "\(T.self) merge not idempotent (seed \(seed))", file: file, line: line)
            }
            // Any delivery order of all operations converges, to the merge of all replicas.
            var merged = T()
            for r in h.replicas.shuffled(using: &rng) { merged.merge(r.state) }
            let reference = applyInRandomOrder(h.ops, &rng) as T
            XCTAssertEqual(reference.encode(), merged.encode(), "\(T.self): ops and state merge disagree (seed \(seed))", file: file, line: line)
            for _ in 0..<3 {
                let other = applyInRandomOrder(h.ops, &rng) as T
                XCTAssertEqual(other.encode(), reference.encode(), "\(T.self): delivery order changed the result (seed \(seed))", file: file, line: line)
            }
            // Each replica catching up on what it missed (ops) reaches the same state too.
            for var r in h.replicas {
                for op in h.ops where !r.seen.contains(op.id) { r.apply(op) }
                XCTAssertEqual(r.state.encode(), reference.encode(), "\(T.self): catch-up diverged (seed \(seed))", file: file, line: line)
            }
            // The persisted records of the converged state rebuild it.
            XCTAssertEqual(try T.rebuiltFromRecords(reference).encode(), reference.encode(), file: file, line: line)
        }
    }

    func testGCounterLaws() { checkLaws(GCounter.self) }
    func testPNCounterLaws() { checkLaws(PNCounter.self) }
    func testLWWRegisterLaws() { checkLaws(LWWRegister.self) }
    func testLWWMapLaws() { checkLaws(LWWMap.self) }
    func testORSetLaws() { checkLaws(ORSet.self) }
    func testRGALaws() { checkLaws(RGA.self) }

    /// The RGA rules under random concurrent histories: a local insert lands right after its
    /// parent (or first, at the head); tombstoned parents keep their children visible.
    func testRGALocalInsertLandsRightAfterParent() {
        var checked = 0
        for seed in Self.seeds {
            _ = makeHistory(RGA.self, seed: seed, replicas: 3, steps: 120) { state, op in
                guard case let .rgaInsert(parent, _, _) = op.body else { return }
                let all = state.orderIncludingTombstones
                let at = all.firstIndex(of: op.id)!
                if let p = parent {
                    XCTAssertEqual(all[at - 1], p, "seed \(seed): insert after \(p) did not land right after it")
                } else {
                    XCTAssertEqual(at, 0, "seed \(seed): insert at the head did not land first")
                }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 500)
    }

    /// A node that keeps appending after its own last element builds its values in order, while
    /// other nodes insert and delete concurrently; all replicas agree at the end.
    func testRGAAppendingNodeBuildsListInOrder() {
        for seed in Self.seeds {
            var rng = SeededRandom(seed: seed)
            var replicas = (0..<3).map { i in PropertyReplica<RGA>(node: NodeId(high: rng.next(), low: UInt64(i)), clockSkew: 0) }
            var ops: [SyncOperation] = []
            var appended: [OpId] = []
            for step in 0..<150 {
                let r = rng.below(3)
                if r == 0 && step % 2 == 0 {
                    let id = OpId(origin: replicas[0].node, seq: replicas[0].seq + 1)
                    let op = SyncOperation(id: id, key: [], body: .rgaInsert(parent: appended.last, lamport: replicas[0].state.nextLamport, value: [UInt8(appended.count)]))
                    replicas[0].seq += 1
                    replicas[0].apply(op)
                    ops.append(op)
                    appended.append(id)
                } else if r != 0 && rng.chance(0.6) {
                    let id = OpId(origin: replicas[r].node, seq: replicas[r].seq + 1)
                    guard var body = RGA.randomBody(replicas[r].state, id: id, now: 0, &rng) else { continue }
                    if case let .rgaDelete(target) = body, appended.contains(target) {
                        body = .rgaInsert(parent: target, lamport: replicas[r].state.nextLamport, value: [200])
                    }
                    let op = SyncOperation(id: id, key: [], body: body)
                    replicas[r].seq += 1
                    replicas[r].apply(op)
                    ops.append(op)
                } else {
                    let s = rng.below(3)
                    guard s != r else { continue }
                    let missing = replicas[s].log.filter { !replicas[r].seen.contains($0.id) }
                    for op in missing.prefix(rng.below(missing.count + 1)) { replicas[r].apply(op) }
                }
            }
            for i in replicas.indices { for op in ops where !replicas[i].seen.contains(op.id) { replicas[i].apply(op) } }
            XCTAssertEqual(replicas[0].state, replicas[1].state)
            XCTAssertEqual(replicas[1].state, replicas[2].state)
            let order = replicas[0].state.order.filter { appended.contains($0) }
            XCTAssertEqual(order, appended, "seed \(seed): the appending node's values are out of order")
        }
    }
}

extension RGA {
    /// Every element (tombstones too) in sequence order.
    var orderIncludingTombstones: [OpId] {
        var copy = RGA()
        for (i, e) in elements { copy.insert(id: i, parent: e.parent, lamport: e.lamport, value: e.value, deleted: false) }
        return copy.order
    }
}

extension StoredCRDT {
    /// Rebuilds a state from the records the engine would persist for it.
    static func rebuiltFromRecords(_ state: Self) throws -> Self {
        var rebuilt = Self()
        for (subkey, value) in state.allRecords() { _ = try rebuilt.mergeRecord(subkey: subkey, value: value) }
        return rebuilt
    }

    func allRecords() -> [RecordChange] {
        switch self {
        case let s as GCounter: return s.slots.isEmpty ? [] : [([], s.encode())]
        case let s as PNCounter: return [([], s.encode())]
        case let s as LWWRegister: return s.entry == nil ? [] : [([], s.encode())]
        case let s as LWWMap: return s.fields.map { ($0.key, LWWMap.encodeRecord($0.value)) }
        case let s as ORSet: return s.elements.keys.map { (ORSet.subkey($0), s.encodeRecord($0)!) }
        case let s as RGA: return s.elements.keys.map { (RGA.subkey($0), s.encodeRecord($0)!) }
        default: return []
        }
    }
}
