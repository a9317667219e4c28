// NXSync: nx's replicated state. Overview for maintainers (details are in each type's docs).
//
// IDENTITY
//   NodeId: 16 random bytes (/dev/urandom), created on first open, persisted at
//   `__nx/sync/node-id`, shown as 32 lowercase hex digits (also what `net_node_id` returns).
//   OpId = (origin NodeId, sequence): sequences start at 1 and grow by one per operation of the
//   origin, across all keys and types. The local node's next sequence is its own applied + 1.
//
// STORE LAYOUT (all under `__nx/`, invisible to guests; see StoreKeys)
//   __nx/sync/node-id                        u8 version, node id
//   __nx/sync/vv/<origin hex>                u8 version, applied, log floor, log bytes
//   __nx/sync/log/<origin hex>/<seq 16 hex>  encoded SyncOperation (floor+1...applied retained)
//   __nx/crdt/<type>/<u16be keylen><key><subkey>   CRDT state records (see StoredCRDT)
//   Every operation, local or remote, is one atomic WriteBatch: changed state records + log
//   entry + the origin's vv record (remote operations are grouped up to 256 per batch).
//
// CRDTS (CRDT/*.swift; each has apply, merge, and a versioned canonical encoding)
//   GCounter (ops carry the origin's new slot total; merge = pointwise max), PNCounter (two
//   GCounters), LWW-Register and LWW-Map (host ms timestamp + NodeId; local writes use
//   max(now, winner + 1); map removes are tombstones), ORSet (per element and origin the
//   highest add-tag and the highest removed tag; removes never wait), RGA (tree of inserts,
//   siblings newest-first by (Lamport, NodeId, seq); guest ids are 16 bytes: NodeId prefix 8 +
//   seq 8, see RGA.compactId(of:) for collisions).
//
// CAUSALITY
//   Each origin's operations apply in sequence order, so the version vector (origin → applied)
//   names exactly what the state contains. An RGA insert waits for its parent element, an RGA
//   delete for its target; nothing else has dependencies. Waiting operations sit in the
//   CausalBuffer (bounded; the operations furthest from their turn are evicted first; TTL).
//
// SYNC (ReplicationEngine+Sync.swift; wire format in Messages.swift)
//   push to `fanout` random peers (+ `forwardHops` re-pushes by receivers), Scuttlebutt
//   anti-entropy with per-origin (applied, floor) digests every `antiEntropyIntervalMs`, and
//   chunked pull state transfer for peers behind a log floor. The transport calls:
//     setPeers([SyncPeer])                     on membership changes
//     handle(payload, from: NodeId, now: ms)   for every message received; send the result
//     tick(now: ms)                            every 10-50 ms; send the result
//     localOperationsOutbound()                when onLocalOperation fires; send the result
//   `now` is any monotonic millisecond clock. Outbound messages may be dropped, duplicated or
//   reordered by the transport; the engine repairs all of that.
