import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NXCluster
import NXNet
import NXStore
import NXSync
import XCTest

/// ClusterNode in process: membership reaches the engine's peer list (what `net_peers`
/// shows), operations replicate both ways, and a stopped node leaves the others' lists.
final class ClusterNodeTests: XCTestCase {
    var directory: URL!
    var stores: [Store] = []
    var nodes: [ClusterNode] = []

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("nx-cluster-node-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        for node in nodes { node.stop(leave: false) }
        for store in stores { try? store.close() }
        try? FileManager.default.removeItem(at: directory)
    }

    func makeNode(listen: String, seeds: [String] = [], key: ClusterKey? = nil) throws -> ClusterNode {
        let store = try Store.open(path: directory.appendingPathComponent("node\(stores.count)").path)
        stores.append(store)
        var options = ClusterOptions(listen: listen)
        options.seeds = seeds
        options.clusterKey = key
        let node = try ClusterNode(store: store, options: options)
        try node.start()
        nodes.append(node)
        return node
    }

    func eventually(_ what: String, timeout: Double = 10, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try !condition() {
            guard Date() < deadline else { return XCTFail("timed out waiting for \(what)") }
            usleep(10_000)
        }
    }

    func testMembersBecomePeersAndOperationsReplicate() throws {
        try exercise(listen: "127.0.0.1:0")
    }

    func testIPv6Loopback() throws {
        guard canBindIPv6Loopback() else {
            throw XCTSkip("cannot bind [::1] on this machine")
        }
        try exercise(listen: "[::1]:0")
    }

    func exercise(listen: String) throws {
        let key = try ClusterKey(material: (0..<32).map { UInt8($0) })
        let a = try makeNode(listen: listen, key: key)
        let b = try makeNode(listen: listen, seeds: [a.address!], key: key)
        let c = try makeNode(listen: listen, seeds: [b.address!], key: key)
        XCTAssertNil(a.securityWarning, "keyed nodes are not open")
        try eventually("every node to list the two others as peers") {
            nodes.allSatisfy { $0.engine.peers().count == 2 }
        }
        let peersOfA = a.engine.peers()
        XCTAssertEqual(Set(peersOfA.map(\.address)), [b.address!, c.address!], "net_peers shows the members' addresses")
        XCTAssertEqual(Set(peersOfA.map { String(decoding: $0.nodeID, as: UTF8.self) }),
                       [b.engine.localNode.description, c.engine.localNode.description])

        try a.engine.gcounterIncrement(Array("hits".utf8), by: 2)
        try c.engine.orsetAdd(Array("tags".utf8), Array("blue".utf8))
        try eventually("the writes to reach every node") {
            try nodes.allSatisfy {
                try $0.engine.gcounterValue(Array("hits".utf8)) == 2 && $0.engine.orsetElements(Array("tags".utf8)) == [Array("blue".utf8)]
            }
        }

        c.stop(leave: true)
        try eventually("the departed node to leave the peer lists") {
            a.engine.peers().count == 1 && b.engine.peers().count == 1
        }
    }
}

/// Whether this machine has IPv6 loopback (some containers do not).
func canBindIPv6Loopback() -> Bool {
    let fd = socket(AF_INET6, Int32(SOCK_DGRAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_addr = in6addr_loopback
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0 }
    }
}
