// sdk_tour_swift.swift - calls every wrapper of ../sdk/NX.swift once (Embedded Swift only
// generates code for the generic wrappers a module uses, so this is also the compile check
// of the whole Swift SDK). Exported `run` returns 0 when every check passed, otherwise the
// code of the first failed check, which is also logged ("FAIL <code>: <check>").
// Codes: 1x log/runtime, 2x db, 3x scans, 4x time/crypto, 5x system, 6x crdt/net.
// Keys used: "stour/..." (deleted at the start and at the end).

struct TourFailure: Error { let code: Int32 }

nonisolated(unsafe) var checks = 0

func check(_ code: Int32, _ ok: Bool, _ what: String) throws(TourFailure) {
    checks += 1
    if !ok {
        log("FAIL \(code): \(what)")
        throw TourFailure(code: code)
    }
}

/// Runs an SDK call that must succeed; an NXError becomes a failure with `code`.
func must<T>(_ code: Int32, _ what: String, _ body: () throws(NXError) -> T) throws(TourFailure) -> T {
    do {
        return try body()
    } catch {
        log("FAIL \(code): \(what) threw \(error.description)")
        throw TourFailure(code: code)
    }
}

/// The error an SDK call throws, or nil when it succeeds.
func thrown<T>(_ body: () throws(NXError) -> T) -> NXError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

func hex(_ bytes: [UInt8]) -> String {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}

func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

func key(_ i: Int) -> String { "stour/k" + (i < 10 ? "0" : "") + "\(i)" }
func value(_ i: Int) -> [UInt8] {
    let n = i == 7 ? 700 : i + 1 // row 7 does not fit a 256-byte page
    var v: [UInt8] = []
    for j in 0..<n { v.append(UInt8(97 + (i + j) % 26)) }
    return v
}

func cleanup() throws(TourFailure) {
    let keys = try must(10, "DB.keys(stour/)") { () throws(NXError) in try DB.keys("stour/") }
    for k in keys { try must(11, "DB.delete") { () throws(NXError) in try DB.delete(k) } }
}

func tourRuntime() throws(TourFailure) {
    // Dictionary: Hasher seeding (arc4random_buf) and String hashing (Unicode tables).
    var seen: [String: Int] = [:]
    for word in ["alpha", "beta", "alpha"] { seen[word, default: 0] += 1 }
    try check(12, seen["alpha"] == 2 && seen.count == 2, "Dictionary<String, Int>")
    print("sdk_tour_swift: print() reaches the host log")
    try check(13, "caf\u{E9}" == "cafe\u{301}", "String equality uses Unicode normalisation")
    try must(14, "Log.write") { () throws(NXError) in try Log.write("sdk_tour_swift: Log.write") }
}

func tourDB() throws(TourFailure) {
    try must(20, "DB.set") { () throws(NXError) in try DB.set("stour/a", "alpha") }
    let a = try must(21, "DB.get") { () throws(NXError) in try DB.get("stour/a") }
    try check(22, a == bytes("alpha"), "DB.get returns the value")
    try check(23, try must(23, "DB.exists") { () throws(NXError) in try DB.exists("stour/a") }, "DB.exists")
    let missing = try must(24, "DB.get missing") { () throws(NXError) in try DB.get("stour/missing") }
    try check(24, missing == nil, "DB.get of a missing key is nil")
    let binKey: [UInt8] = [115, 116, 111, 117, 114, 47, 0, 255]
    try must(25, "DB.set binary key") { () throws(NXError) in try DB.set(binKey, [UInt8](repeating: 7, count: 5000)) }
    let big = try must(25, "DB.get big") { () throws(NXError) in try DB.get(binKey) }
    try check(25, big == [UInt8](repeating: 7, count: 5000), "5000-byte value through the retry path")
    try must(26, "DB.delete") { () throws(NXError) in try DB.delete("stour/a") }
    try check(26, !(try must(26, "DB.exists") { () throws(NXError) in try DB.exists("stour/a") }), "deleted")
    let tooBig = [UInt8](repeating: 0, count: Int(NX.maxValueLength) + 1)
    try check(27, thrown { () throws(NXError) in try DB.set("stour/huge", tooBig) } == .internalError,
              "value over 1 MiB -> .internalError")
    try check(28, thrown { () throws(NXError) in try DB.set("__nx/x", "v") } == .reservedKey,
              "__nx/ key -> .reservedKey")
    let longKey = [UInt8](repeating: 107, count: Int(NX.maxKeyLength) + 1)
    try check(29, thrown { () throws(NXError) in try DB.get(longKey) } == .internalError,
              "key over 1024 bytes -> .internalError")
}

func tourScans() throws(TourFailure) {
    for i in 0..<12 { try must(30, "DB.set") { () throws(NXError) in try DB.set(key(i), value(i)) } }
    try must(30, "DB.set neighbour") { () throws(NXError) in try DB.set("stour/l", "not under stour/k") }
    for limit: UInt32 in [0, 5] {
        let rows = try must(31, "DB.scan") { () throws(NXError) in try DB.scan("stour/k", pageLimit: limit) }
        try check(31, rows.count == 12, "DB.scan returns every row")
        for (i, row) in rows.enumerated() {
            try check(32, row.key == bytes(key(i)) && row.value == value(i), "DB.scan row order and content")
        }
        let keys = try must(33, "DB.keys") { () throws(NXError) in try DB.keys("stour/k", pageLimit: limit) }
        try check(33, keys.count == 12 && keys[11] == bytes(key(11)), "DB.keys")
    }
    // One page holds what fits: from offset 6 the 256-byte first buffer takes row 6 only.
    let p0 = try must(34, "scanPage offset") { () throws(NXError) in try DB.scanPage("stour/k", offset: 6, limit: 2) }
    try check(34, p0.count == 1 && p0[0].key == bytes(key(6)), "scanPage(offset:) stops before a row that does not fit")
    let p1 = try must(34, "scanPage offset") { () throws(NXError) in try DB.scanPage("stour/k", offset: 7, limit: 2) }
    try check(34, p1.count >= 1 && p1[0].value.count == 700, "scanPage(offset:) retries for the 700-byte row")
    let p2 = try must(35, "scanPage after") { () throws(NXError) in
        try DB.scanPage("stour/k", after: bytes(key(10)), limit: 5)
    }
    try check(35, p2.count == 1 && p2[0].key == bytes(key(11)), "scanPage(after:)")
    let p3 = try must(36, "keysPage offset") { () throws(NXError) in try DB.keysPage("stour/k", offset: 12) }
    try check(36, p3.isEmpty, "keysPage(offset:) past the end is empty")
    let p4 = try must(37, "keysPage after") { () throws(NXError) in try DB.keysPage("stour/k", after: [], limit: 3) }
    try check(37, p4.count == 3 && p4[0] == bytes(key(0)), "keysPage(after: [])")
    try check(38, thrown { () throws(NXError) in try DB.scanPage("stour/k", after: bytes("other"), limit: 1) }
              == .internalError, "start_after outside the prefix -> .internalError")
}

func tourTimeCrypto() throws(TourFailure) {
    let now = Time.now()
    try check(40, now > 1_600_000_000_000 && now < 10_000_000_000_000, "Time.now in Unix ms")
    let m = Time.monotonic()
    try check(41, Time.monotonic() >= m, "Time.monotonic does not go back")
    let sha = try must(42, "Crypto.sha256") { () throws(NXError) in try Crypto.sha256("abc") }
    try check(42, hex(sha) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "sha256(abc)")
    let b3 = try must(43, "Crypto.blake3") { () throws(NXError) in try Crypto.blake3([UInt8]()) }
    try check(43, hex(b3) == "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262", "blake3(empty)")
    let r1 = try must(44, "Crypto.randomBytes") { () throws(NXError) in try Crypto.randomBytes(16) }
    let r2 = try must(44, "Crypto.randomBytes") { () throws(NXError) in try Crypto.randomBytes(16) }
    try check(44, r1.count == 16 && r1 != r2, "randomBytes")
    try check(45, thrown { () throws(NXError) in try Crypto.randomBytes(Int(NX.maxRandomLength) + 1) }
              == .internalError, "randomBytes over 1 MiB -> .internalError")
}

func tourSystem() throws(TourFailure) {
    let id = try must(50, "System.moduleID") { () throws(NXError) in try System.moduleID() }
    try check(50, !id.isEmpty, "moduleID")
    log("module_id = " + id)
    let caps = try must(51, "System.capabilities") { () throws(NXError) in try System.capabilities() }
    for c in caps { log("capability: " + c) }
    let path = try must(52, "System.env") { () throws(NXError) in try System.env("PATH") }
    try check(52, path == nil, "env(PATH) is not exposed")
    let tourEnv = try must(53, "System.env") { () throws(NXError) in try System.env("NX_TOUR") }
    if let v = tourEnv { log("env NX_TOUR = " + v) }
    try must(54, "System.emit") { () throws(NXError) in try System.emit("swift.tour", payload: "x") }
    try must(55, "System.emit") { () throws(NXError) in try System.emit("swift.tour:empty") }
    try check(56, thrown { () throws(NXError) in try System.emit("bad name") } == .internalError,
              "invalid event name -> .internalError")
}

func tourCRDT() throws(TourFailure) {
    // The rga entries decoder on a synthetic buffer (with or without sync).
    let encoded: [UInt8] = [1, 0, 0, 0, 3, 0, 0, 0, 1, 2, 3, 2, 0, 0, 0] + bytes("hi")
    let decoded = try must(65, "NXDecode.rgaEntries") { () throws(NXError) in try NXDecode.rgaEntries(encoded) }
    try check(65, decoded == [CRDT.RGA.Entry(id: [1, 2, 3], value: bytes("hi"))], "NXDecode.rgaEntries")
    let truncated = thrown { () throws(NXError) in try NXDecode.rgaEntries(Array(encoded.dropLast())) }
    try check(65, truncated == .malformed, "NXDecode.rgaEntries rejects a truncated buffer")
    let probe = thrown { () throws(NXError) in try CRDT.GCounter.inc("stour/g", by: 1) }
    try check(60, probe == nil || probe == .syncDisabled, "GCounter.inc succeeds or reports sync disabled")
    let disabled = probe == .syncDisabled
    func expect<T>(_ code: Int32, _ what: String, _ body: () throws(NXError) -> T) throws(TourFailure) {
        let e = thrown(body)
        try check(code, disabled ? e == .syncDisabled : e == nil, what)
    }
    try expect(61, "GCounter.value") { () throws(NXError) in try CRDT.GCounter.value("stour/g") }
    try expect(61, "PNCounter.inc") { () throws(NXError) in try CRDT.PNCounter.inc("stour/p", by: 3) }
    try expect(61, "PNCounter.dec") { () throws(NXError) in try CRDT.PNCounter.dec("stour/p", by: 5) }
    try expect(61, "PNCounter.value") { () throws(NXError) in try CRDT.PNCounter.value("stour/p") }
    try expect(62, "LWWRegister.set") { () throws(NXError) in try CRDT.LWWRegister.set("stour/l", "online") }
    try expect(62, "LWWRegister.get") { () throws(NXError) in try CRDT.LWWRegister.get("stour/l") }
    try expect(63, "LWWMap.set") { () throws(NXError) in try CRDT.LWWMap.set("stour/m", field: "theme", "dark") }
    try expect(63, "LWWMap.get") { () throws(NXError) in try CRDT.LWWMap.get("stour/m", field: "theme") }
    try expect(63, "LWWMap.contains") { () throws(NXError) in try CRDT.LWWMap.contains("stour/m", field: "theme") }
    try expect(63, "LWWMap.entries") { () throws(NXError) in try CRDT.LWWMap.entries("stour/m") }
    try expect(63, "LWWMap.remove") { () throws(NXError) in try CRDT.LWWMap.remove("stour/m", field: "theme") }
    try expect(64, "ORSet.add") { () throws(NXError) in try CRDT.ORSet.add("stour/o", "blue") }
    try expect(64, "ORSet.contains") { () throws(NXError) in try CRDT.ORSet.contains("stour/o", "blue") }
    try expect(64, "ORSet.elements") { () throws(NXError) in try CRDT.ORSet.elements("stour/o") }
    try expect(64, "ORSet.remove") { () throws(NXError) in try CRDT.ORSet.remove("stour/o", "blue") }
    try expect(65, "RGA.values") { () throws(NXError) in try CRDT.RGA.values("stour/r") }
    try expect(65, "RGA.entries") { () throws(NXError) in try CRDT.RGA.entries("stour/r") }
    try expect(66, "Net.nodeID") { () throws(NXError) in try Net.nodeID() }
    try expect(66, "Net.peers") { () throws(NXError) in try Net.peers() }
    if disabled {
        try expect(65, "RGA.insert") { () throws(NXError) in try CRDT.RGA.insert("stour/r", after: nil, "x") }
        try expect(65, "RGA.delete") { () throws(NXError) in try CRDT.RGA.delete("stour/r", id: [1]) }
        log("ok: crdt + net report .syncDisabled")
        return
    }
    // With sync: values round-trip.
    let map = try must(67, "LWWMap") { () throws(NXError) in
        try CRDT.LWWMap.set("stour/m", field: "region", "eu")
        return try CRDT.LWWMap.entries("stour/m")
    }
    try check(67, map.contains(CRDT.LWWMap.Entry(field: "region", value: bytes("eu"))), "LWWMap.entries")
    let pn = try must(68, "PNCounter") { () throws(NXError) in
        let before = try CRDT.PNCounter.value("stour/p")
        try CRDT.PNCounter.dec("stour/p", by: 2)
        return try CRDT.PNCounter.value("stour/p") - before
    }
    try check(68, pn == -2, "PNCounter.dec")
    let ids = try must(69, "RGA") { () throws(NXError) in
        let first = try CRDT.RGA.insert("stour/r", after: nil, "first")
        let reply = try CRDT.RGA.insert("stour/r", after: first, "reply")
        let values = try CRDT.RGA.values("stour/r")
        try CRDT.RGA.delete("stour/r", id: reply)
        try CRDT.RGA.delete("stour/r", id: first)
        return (values, first)
    }
    try check(69, ids.0.contains(bytes("reply")) && !ids.1.isEmpty, "RGA.insert/values/delete")
    // RGA.entries (nx extension): the ids inserts returned, paired with values() in order; an
    // id read back from entries works as an insert parent and a delete target.
    let entriesOK = try must(65, "RGA.entries") { () throws(NXError) -> Bool in
        let first = try CRDT.RGA.insert("stour/r", after: nil, "e-first")
        let second = try CRDT.RGA.insert("stour/r", after: first, "e-second")
        let entries = try CRDT.RGA.entries("stour/r")
        let paired = entries.map { $0.value } == (try CRDT.RGA.values("stour/r"))
        guard let i = entries.firstIndex(where: { $0.id == first }), i + 1 < entries.count,
              entries[i] == CRDT.RGA.Entry(id: first, value: bytes("e-first")),
              entries[i + 1] == CRDT.RGA.Entry(id: second, value: bytes("e-second")) else { return false }
        let third = try CRDT.RGA.insert("stour/r", after: entries[i + 1].id, "e-third")
        let after = try CRDT.RGA.entries("stour/r")
        let placed = after.firstIndex(where: { $0.id == third }) == i + 2
        for e in after where e.id == first || e.id == second || e.id == third { try CRDT.RGA.delete("stour/r", id: e.id) }
        let gone = try CRDT.RGA.entries("stour/r").allSatisfy { $0.id != first && $0.id != second && $0.id != third }
        return paired && placed && gone
    }
    try check(65, entriesOK, "RGA.entries pairs ids with values; its ids are parents and delete targets")
    let peers = try must(69, "Net.peers") { () throws(NXError) in try Net.peers() }
    for p in peers { log("peer: " + p.address + " " + hex(p.nodeID)) }
    log("ok: crdt + net with sync enabled")
}

@_cdecl("run")
public func run() -> Int32 {
    do {
        try cleanup()
        try tourRuntime()
        try tourDB()
        try tourScans()
        try tourTimeCrypto()
        try tourSystem()
        try tourCRDT()
        try cleanup()
    } catch {
        return error.code
    }
    log("sdk_tour_swift: all \(checks) checks passed")
    return 0
}
