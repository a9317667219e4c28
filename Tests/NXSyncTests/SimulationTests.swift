import Foundation
import XCTest
@testable import NXSync

/// The sync engine under the deterministic network simulator.
///
/// Reproduce one seed (verbose): `NX_SIM_SEED=1234 swift test --filter SimulationTests/testRandomScenarios`.
/// Run more seeds: `NX_SIM_SEEDS=2000 swift test --filter SimulationTests/testRandomScenarios`.
final class SimulationTests: XCTestCase {
    private var environment: [String: String] { ProcessInfo.processInfo.environment }

    @discardableResult
    func runScenario(_ scenario: NetworkSimulator.Scenario, verbose: Bool = false) throws -> NetworkSimulator.Outcome {
        let sim = NetworkSimulator(scenario)
        sim.verbose = verbose
        let outcome = try sim.run()
        if let failure = outcome.failure {
            print("SIMULATION FAILED (\(scenario)): \(failure)\n  reproduce with: NX_SIM_SEED=\(scenario.seed) swift test --filter SimulationTests/testRandomScenarios")
        }
        return outcome
    }

    /// 200 random scenarios (3-10 nodes, up to 30% loss, duplication, reordering delays,
    /// partitions, crashes and restarts, small op logs that force state transfers).
    func testRandomScenarios() throws {
        if let s = environment["NX_SIM_SEED"], let seed = UInt64(s) {
            let scenario = NetworkSimulator.Scenario.random(seed: seed)
            print("running \(scenario)")
            let o = try runScenario(scenario, verbose: true)
            print("outcome: \(o)")
            XCTAssertNil(o.failure, "seed \(seed)")
            return
        }
        let count = Int(environment["NX_SIM_SEEDS"] ?? "") ?? 200
        var failed: [UInt64] = []
        var convergence: [UInt64] = []
        var slowest: [(seed: UInt64, ms: UInt64)] = []
        var totals = NetworkSimulator.Outcome()
        var withLoss30 = 0, withPartitions = 0, withCrashes = 0, tinyLogs = 0, nodeCounts = Set<Int>()
        let started = Date()
        for seed in 1...UInt64(count) {
            let scenario = NetworkSimulator.Scenario.random(seed: seed)
            let o = try runScenario(scenario)
            if o.failure != nil { failed.append(seed) }
            convergence.append(o.convergenceMs)
            slowest.append((seed, o.convergenceMs))
            totals.acknowledged += o.acknowledged
            totals.delivered += o.delivered
            totals.dropped += o.dropped
            totals.crashes += o.crashes
            totals.partitions += o.partitions
            totals.stateTransfers += o.stateTransfers
            if scenario.loss >= 0.25 { withLoss30 += 1 }
            if o.partitions > 0 { withPartitions += 1 }
            if o.crashes > 0 { withCrashes += 1 }
            if scenario.logLimit <= 10 { tinyLogs += 1 }
            nodeCounts.insert(scenario.nodes)
        }
        convergence.sort()
        slowest.sort { $0.ms > $1.ms }
        print("""
            simulation: \(count) seeds in \(String(format: "%.1f", Date().timeIntervalSince(started))) s wall; \
            \(totals.acknowledged) acknowledged ops, \(totals.delivered) messages delivered, \(totals.dropped) dropped; \
            \(totals.crashes) crashes in \(withCrashes) runs, \(totals.partitions) partitions in \(withPartitions) runs, \
            \(withLoss30) runs with >= 25% loss, \(tinyLogs) runs with op logs of <= 10 ops, \(totals.stateTransfers) state transfers; \
            node counts \(nodeCounts.sorted()); convergence after healing: median \(convergence[convergence.count / 2]) ms, \
            max \(convergence.last!) ms (virtual); slowest seeds \(slowest.prefix(5).map { "\($0.seed): \($0.ms) ms" })
            """)
        XCTAssertEqual(failed, [], "failing seeds (reproduce with NX_SIM_SEED=<seed>)")
        XCTAssertGreaterThan(totals.stateTransfers, 0, "the scenarios exercise state transfers")
        XCTAssertGreaterThan(withCrashes, count / 3)
        XCTAssertGreaterThan(withPartitions, count / 3)
    }

    /// Convergence time for 10 nodes with 20% message loss (printed for the issue's note), with
    /// the engine's default settings and with faster anti-entropy.
    func testConvergenceTimeTenNodesTwentyPercentLoss() throws {
        let defaults = SyncConfiguration()
        for (label, engineDefaults, interval) in [("engine defaults (fanout \(defaults.fanout), \(defaults.forwardHops) forward hop, anti-entropy every \(defaults.antiEntropyIntervalMs) ms)", true, defaults.antiEntropyIntervalMs),
                                                  ("fanout 2, 1 forward hop, anti-entropy every 100 ms", false, UInt64(100))] {
            var times: [UInt64] = []
            var messages = 0, bytesSent = 0, operations = 0
            for seed in UInt64(9001)...9005 {
                var s = NetworkSimulator.Scenario(seed: seed)
                s.nodes = 10
                s.loss = 0.2
                s.duplication = 0
                s.minDelay = 1
                s.maxDelay = 20
                s.partitions = false
                s.crashes = false
                s.operations = 300
                s.workloadMs = 3000
                s.engineDefaults = engineDefaults
                s.antiEntropyMs = interval
                let o = try runScenario(s)
                XCTAssertNil(o.failure)
                XCTAssertTrue(o.converged)
                times.append(o.convergenceMs)
                messages += o.messagesSent
                bytesSent += o.bytesSent
                operations += o.acknowledged
            }
            times.sort()
            let median = times[times.count / 2]
            let perOp = "\(String(format: "%.1f", Double(messages) / Double(operations))) messages and \(bytesSent / operations) bytes sent per operation (all nodes, until convergence)"
            print("""
                convergence, 10 nodes, 20% message loss, delays 1-20 ms, 300 operations of all six CRDTs over 3 s, \
                \(label): from the last operation until every node has every operation and identical state: \
                median \(median) ms = \(Double(median) / Double(interval)) anti-entropy rounds, max \(times.last!) ms = \
                \(Double(times.last!) / Double(interval)) rounds (virtual time; 5 seeds: \(times)); \(perOp)
                """)
            XCTAssertLessThan(median, 5000, "converges within a few seconds of virtual time")
        }
    }

    /// A node offline for the whole workload, with op logs far shorter than what it missed,
    /// converges through a state transfer.
    func testNodeOfflineForTheWholeWorkloadCatchesUp() throws {
        var s = NetworkSimulator.Scenario(seed: 77)
        s.nodes = 4
        s.loss = 0.1
        s.partitions = false
        s.crashes = false
        s.operations = 150
        s.logLimit = 5
        let sim = NetworkSimulator(s)
        for n in sim.nodes { try sim.start(n) }
        try sim.crash(sim.nodes[3], downFor: 1_000_000)
        while sim.now < s.workloadMs {
            sim.now += sim.stepMs
            sim.step()
            if sim.rng.chance(0.25) { try sim.randomOperation() }
        }
        try sim.start(sim.nodes[3])
        XCTAssertEqual(sim.nodes[3].engine!.versionVector().count, 0)
        let healed = sim.now
        var converged = false
        while sim.now - healed < 60_000 {
            sim.now += sim.stepMs
            sim.step()
            if try sim.converged() { converged = true; break }
        }
        XCTAssertTrue(converged, sim.divergenceReport())
        XCTAssertGreaterThanOrEqual(sim.nodes[3].engine!.statistics.stateTransfersCompleted, 1)
        XCTAssertNil(try sim.verifyAgainstReference())
        print("offline node caught up \(sim.now - healed) ms after rejoining (\(sim.recorder.ops.count) ops missed, log limit 5)")
    }

    /// A run is a pure function of its seed.
    func testSimulationIsDeterministic() throws {
        let scenario = NetworkSimulator.Scenario.random(seed: 4242)
        let a = NetworkSimulator(scenario), b = NetworkSimulator(scenario)
        let oa = try a.run(), ob = try b.run()
        XCTAssertEqual(oa.delivered, ob.delivered)
        XCTAssertEqual(oa.dropped, ob.dropped)
        XCTAssertEqual(oa.convergenceMs, ob.convergenceMs)
        XCTAssertEqual(a.recorder.ops, b.recorder.ops)
    }
}
