import Foundation
import Glibc
import XCTest
@testable import NXStore

/// Runs `nx-store-crashwriter` as a child process, SIGKILLs it at random moments (in `always`
/// and `group` mode, with and without concurrent merges), reopens the store and checks that
/// every acknowledged write is present, nothing else is, and batches are all-or-nothing.
final class CrashTests: XCTestCase {
    enum Op {
        case put([UInt8], [UInt8])
        case delete([UInt8])
    }

    struct Intent {
        var ops: [Op]
    }

    /// Per thread: the model after every acknowledged operation, and the one in flight.
    struct ThreadState {
        var model: [[UInt8]: [UInt8]] = [:]
        var inFlight: Intent?
    }

    /// Parses the child's journal; `states` carries the models across runs.
    func apply(journal: [UInt8], to states: inout [Int: ThreadState]) -> (acks: Int, intents: Int) {
        var pos = 0
        var acks = 0, intents = 0
        func u32(_ at: Int) -> Int {
            Int(UInt32(journal[at]) | UInt32(journal[at + 1]) << 8 | UInt32(journal[at + 2]) << 16 | UInt32(journal[at + 3]) << 24)
        }
        while pos + 13 <= journal.count {
            let kind = journal[pos]
            let thread = u32(pos + 1)
            let len = u32(pos + 9)
            guard pos + 13 + len <= journal.count else { break }  // a record cut by the kill
            var p = pos + 13
            if kind == 1 {
                var ops: [Op] = []
                let count = u32(p); p += 4
                for _ in 0..<count {
                    let t = journal[p]; p += 1
                    let kl = u32(p); p += 4
                    let k = Array(journal[p..<p + kl]); p += kl
                    let vl = u32(p); p += 4
                    let v = Array(journal[p..<p + vl]); p += vl
                    ops.append(t == 1 ? .put(k, v) : .delete(k))
                }
                precondition(states[thread]?.inFlight == nil, "two operations in flight on thread \(thread)")
                states[thread, default: ThreadState()].inFlight = Intent(ops: ops)
                intents += 1
            } else {
                var st = states[thread]!
                for op in st.inFlight!.ops {
                    switch op {
                    case let .put(k, v): st.model[k] = v
                    case let .delete(k): st.model[k] = nil
                    }
                }
                st.inFlight = nil
                states[thread] = st
                acks += 1
            }
            pos += 13 + len
        }
        return (acks, intents)
    }

    func runKills(mode: String, threads: Int, kills: Int, merge: Bool, seed: UInt64) throws {
        guard let products = productsDirectory(containing: "nx-store-crashwriter") else {
            return XCTFail("nx-store-crashwriter not found next to the test bundle (searched /proc/self/exe's directory "
                           + "and Bundle.main); build the package (`swift build`) so the crash test can run it")
        }
        let dir = makeTempDir("crash-\(mode)")
        defer { removeTree(dir) }
        var rng = TestRng(seed)
        var states: [Int: ThreadState] = [:]
        var totalAcks = 0
        var tornTails = 0
        var zeroTails = 0
        for round in 0..<kills {
            let journalPath = dir + ".journal"
            _ = Glibc.unlink(journalPath)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: products + "/nx-store-crashwriter")
            var args = ["write", dir, mode, "\(rng.next() >> 1)", "\(threads)", journalPath]
            if merge { args += ["--merge", "--segment", "65536"] }
            p.arguments = args
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            usleep(useconds_t(20_000 + rng.below(280_000)))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationReason, .uncaughtSignal, "round \(round): the writer exited on its own (see its stderr)")
            let (acks, _) = apply(journal: readFile(journalPath), to: &states)
            totalAcks += acks
            _ = Glibc.unlink(journalPath)

            let s = try Store.open(path: dir, options: StoreOptions(durability: mode == "always" ? .always : .group(maxWait: .zero)))
            if s.recoveryReport.tornTail != nil { tornTails += 1 }
            if s.recoveryReport.zeroTail != nil { zeroTails += 1 }
            XCTAssertTrue(s.recoveryReport.repairs.isEmpty, "round \(round): \(s.recoveryReport)")
            // Per thread: the store equals the acknowledged state, or that plus the operation
            // that was in flight (applied completely: batches are atomic).
            var seen = 0
            for t in states.keys.sorted() {
                var st = states[t]!
                let actual = Dictionary(uniqueKeysWithValues: try s.scan(prefix: b("t\(t)/"), limit: Int.max).map { ($0.key, $0.value) })
                seen += actual.count
                if actual == st.model {
                    st.inFlight = nil
                } else if let f = st.inFlight {
                    var withOp = st.model
                    for op in f.ops {
                        switch op {
                        case let .put(k, v): withOp[k] = v
                        case let .delete(k): withOp[k] = nil
                        }
                    }
                    XCTAssertEqual(actual, withOp, "round \(round) thread \(t): neither the acknowledged state nor it plus the write in flight")
                    st.model = withOp
                    st.inFlight = nil
                } else {
                    XCTFail("round \(round) thread \(t): acknowledged writes missing (\(st.model.count) keys expected, \(actual.count) found)")
                    st.model = actual
                }
                states[t] = st
            }
            XCTAssertEqual(s.statistics().liveKeys, seen, "round \(round): keys outside the writers' ranges")
            XCTAssertNil(s.checkIndex())
            try s.close()
            if testRun?.failureCount ?? 0 > 0 { break }
        }
        print("crash test \(mode)\(merge ? "+merge" : ""): \(kills) SIGKILLs, \(totalAcks) acknowledged writes checked, \(tornTails) torn tails, \(zeroTails) zero tails removed")
        XCTAssertGreaterThan(totalAcks, kills, "the writer barely wrote anything before being killed")
    }

    func testSigkillInAlwaysMode() throws {
        try runKills(mode: "always", threads: 2, kills: 14, merge: false, seed: 11)
    }

    func testSigkillInGroupMode() throws {
        try runKills(mode: "group", threads: 4, kills: 14, merge: false, seed: 12)
    }

    func testSigkillDuringMergesInGroupMode() throws {
        try runKills(mode: "group", threads: 3, kills: 10, merge: true, seed: 13)
    }
}
