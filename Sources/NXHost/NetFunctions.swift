import NXEngine

/// The network family: introspection of the sync layer (ERR_SYNC_DISABLED without sync).
enum NetFunctions {
    /// net_node_id(out_ptr, out_cap) -> length of the local NodeId.
    static func nodeID(_ context: HostContext, _ call: HostCall) throws {
        guard let state = context.replication else { return call.setResult(NXCode.syncDisabled.rawValue) }
        let memory = try GuestMemory(call, "nx.net_node_id")
        call.setResult(try memory.write(call.i32(0), call.i32(1), state.nodeID))
    }

    /// net_peers(out_ptr, out_cap): `u32 count` then per peer `u32 addr_len, u32 node_id_len, addr, node_id`.
    static func peers(_ context: HostContext, _ call: HostCall) throws {
        guard let state = context.replication else { return call.setResult(NXCode.syncDisabled.rawValue) }
        let memory = try GuestMemory(call, "nx.net_peers")
        let peers = state.peers().map { (address: Array($0.address.utf8), nodeID: $0.nodeID) }
        let size = 4 + peers.reduce(0) { $0 + 8 + $1.address.count + $1.nodeID.count }
        call.setResult(try memory.write(call.i32(0), call.i32(1), size: size) { buffer in
            var writer = OutputWriter(buffer)
            writer.u32(peers.count)
            for peer in peers {
                writer.u32(peer.address.count)
                writer.u32(peer.nodeID.count)
                writer.bytes(peer.address)
                writer.bytes(peer.nodeID)
            }
        })
    }
}
