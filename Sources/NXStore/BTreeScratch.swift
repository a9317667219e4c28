/// One entry copied out of a page: the full key (in the scratch arena, or the out-of-line
/// buffer it owns) and the raw payload.
struct ScratchEntry {
    var key: UnsafeRawPointer
    var keyLength: Int
    /// Owned out-of-line buffer ([u32 length][key]) for keys longer than `Page.maxInlineKey`.
    var ool: UnsafeMutableRawPointer?
    var p0: UInt64
    var p1: UInt32
}

/// Working memory for structural B+tree changes and the descent path. Reference semantics
/// through pointers; allocated once per tree.
struct Scratch {
    typealias P = UnsafeMutableRawPointer
    static let capacity = 2048
    static let arenaSize = 1 << 20

    let entries: UnsafeMutablePointer<ScratchEntry>
    let arena: P
    let arenaUsed: UnsafeMutablePointer<Int>
    /// Prefix sums over entries: inline key bytes, inline count, out-of-line count.
    let sums: UnsafeMutablePointer<Int>
    /// (page, child index) per level, filled by descents that may restructure.
    let path: UnsafeMutablePointer<(P, Int)>

    init() {
        entries = .allocate(capacity: Scratch.capacity)
        arena = .allocate(byteCount: Scratch.arenaSize, alignment: 16)
        arenaUsed = .allocate(capacity: 1)
        arenaUsed.pointee = 0
        sums = .allocate(capacity: 3 * (Scratch.capacity + 1))
        path = .allocate(capacity: 64)
    }

    func destroy() {
        entries.deallocate()
        arena.deallocate()
        arenaUsed.deallocate()
        sums.deallocate()
        path.deallocate()
    }

    func reset() { arenaUsed.pointee = 0 }

    private func arenaCopy(_ a: UnsafeRawPointer?, _ al: Int, _ b: UnsafeRawPointer?, _ bl: Int) -> UnsafeRawPointer {
        let dst = arena + arenaUsed.pointee
        precondition(arenaUsed.pointee + al + bl <= Scratch.arenaSize, "B+tree scratch arena overflow")
        if al > 0 { dst.copyMemory(from: a!, byteCount: al) }
        if bl > 0 { (dst + al).copyMemory(from: b!, byteCount: bl) }
        arenaUsed.pointee += al + bl
        return UnsafeRawPointer(dst)
    }

    /// Copies the entries of page `n` to entries[start...]; returns how many. Inner entry 0 is
    /// copied with an empty key.
    func materialize(_ n: P, at start: Int = 0) -> Int {
        let cnt = Page.count(n)
        precondition(start + cnt < Scratch.capacity, "B+tree scratch overflow")
        let leaf = Page.isLeaf(n)
        let ps = Page.payloadSize(n)
        let p = Page.prefixLength(n)
        for i in 0..<cnt {
            let pl = Page.payload(n, i)
            let p0 = pl.loadUnaligned(as: UInt64.self)
            let p1: UInt32 = ps == Page.leafPayload ? pl.loadUnaligned(fromByteOffset: 8, as: UInt32.self) : 0
            var e = ScratchEntry(key: UnsafeRawPointer(arena), keyLength: 0, ool: nil, p0: p0, p1: p1)
            if !leaf && i == 0 {
                // key stays empty
            } else if let buf = Page.outOfLine(n, i) {
                e.ool = buf
                e.key = UnsafeRawPointer(buf + 4)
                e.keyLength = Int(buf.load(as: UInt32.self))
            } else {
                let (sp, sl) = Page.suffix(n, i)
                e.key = arenaCopy(Page.prefix(n), p, sp, sl)
                e.keyLength = p + sl
            }
            entries[start + i] = e
        }
        return cnt
    }

    /// Inserts a new entry at `index` of entries[0..<count].
    func insertEntry(at index: Int, count: Int, key: UnsafeRawPointer, length: Int, payload: (UInt64, UInt32)) {
        precondition(count + 1 < Scratch.capacity, "B+tree scratch overflow")
        var i = count
        while i > index { entries[i] = entries[i - 1]; i -= 1 }
        entries[index] = ScratchEntry(key: key, keyLength: 0, ool: nil, p0: payload.0, p1: payload.1)
        setKey(index, key: key, length: length)
    }

    /// Appends an entry at `index` (the end) of the staged entries; short keys are copied into
    /// the arena without a library call (bulk loading).
    @inline(__always)
    func append(at index: Int, key: UnsafeRawPointer, length: Int, payload: (UInt64, UInt32)) {
        if length > Page.maxInlineKey {
            entries[index] = ScratchEntry(key: key, keyLength: 0, ool: nil, p0: payload.0, p1: payload.1)
            setKey(index, key: key, length: length)
            return
        }
        let used = arenaUsed.pointee
        precondition(used + length <= Scratch.arenaSize, "B+tree scratch arena overflow")
        let dst = arena + used
        Engine.smallCopy(dst, key, length)
        arenaUsed.pointee = used &+ length
        entries[index] = ScratchEntry(key: UnsafeRawPointer(dst), keyLength: length, ool: nil, p0: payload.0, p1: payload.1)
    }

    /// Sets entry `i` of an inner page being built.
    func setEntry(_ i: Int, key: UnsafeRawPointer, length: Int, child: P) {
        entries[i] = ScratchEntry(key: key, keyLength: 0, ool: nil, p0: UInt64(UInt(bitPattern: child)), p1: 0)
        setKey(i, key: key, length: length)
    }

    /// Gives entry `i` a copy of `key` (in the arena, or a new out-of-line buffer).
    func setKey(_ i: Int, key: UnsafeRawPointer, length: Int) {
        if length > Page.maxInlineKey {
            let buf = Page.makeOutOfLine(key, length)
            entries[i].ool = buf
            entries[i].key = UnsafeRawPointer(buf + 4)
        } else {
            entries[i].ool = nil
            entries[i].key = arenaCopy(key, length, nil, 0)
        }
        entries[i].keyLength = length
    }

    /// The full key of entry `i` of page `n` (copied to the arena unless out of line).
    func fullKey(_ n: P, _ i: Int) -> (UnsafeRawPointer, Int) {
        if let buf = Page.outOfLine(n, i) { return (UnsafeRawPointer(buf + 4), Int(buf.load(as: UInt32.self))) }
        let (sp, sl) = Page.suffix(n, i)
        let p = Page.prefixLength(n)
        return (arenaCopy(Page.prefix(n), p, sp, sl), p + sl)
    }

    func keyBytes(_ i: Int) -> [UInt8] {
        Array(UnsafeRawBufferPointer(start: entries[i].key, count: entries[i].keyLength))
    }

    /// The shortest key s with entries[a] < s <= entries[b] (a prefix of entries[b]).
    func separator(between a: Int, and b: Int) -> [UInt8] {
        let x = entries[a], y = entries[b]
        let l = Bytes.commonPrefix(x.key, x.keyLength, y.key, y.keyLength)
        return Array(UnsafeRawBufferPointer(start: y.key, count: min(l + 1, y.keyLength)))
    }

    private func computeSums(_ count: Int) {
        let s = sums, ic = sums + (Scratch.capacity + 1), oc = sums + 2 * (Scratch.capacity + 1)
        s[0] = 0; ic[0] = 0; oc[0] = 0
        for i in 0..<count {
            let e = entries[i]
            let ool = e.ool != nil
            s[i + 1] = s[i] + (ool ? 0 : e.keyLength)
            ic[i + 1] = ic[i] + (ool ? 0 : 1)
            oc[i + 1] = oc[i] + (ool ? 1 : 0)
        }
    }

    @inline(__always) private static func align8(_ x: Int) -> Int { (x + 7) & ~7 }

    /// Prefix length a page holding entries[a..<b] gets.
    private func prefixLength(kind: UInt8, from a: Int, to b: Int) -> Int {
        let lo = kind == Page.kindInner ? a + 1 : a
        if lo >= b { return 0 }
        let x = entries[lo], y = entries[b - 1]
        return min(Page.maxPrefix, Bytes.commonPrefix(x.key, x.keyLength, y.key, y.keyLength))
    }

    /// Page bytes needed for entries[a..<b] (valid after `computeSums`).
    private func sizeFromSums(kind: UInt8, from a: Int, to b: Int) -> Int {
        let ps = kind == Page.kindLeaf ? Page.leafPayload : Page.innerPayload
        let lo = kind == Page.kindInner ? a + 1 : a
        let p = prefixLength(kind: kind, from: a, to: b)
        let s = sums, ic = sums + (Scratch.capacity + 1), oc = sums + 2 * (Scratch.capacity + 1)
        let l = min(lo, b)
        return Page.headerSize + Scratch.align8(p) + (b - a) * (8 + ps)
            + (s[b] - s[l]) - (ic[b] - ic[l]) * p + (oc[b] - oc[l]) * 8
    }

    func size(kind: UInt8, from a: Int, to b: Int) -> Int {
        computeSums(b)
        return sizeFromSums(kind: kind, from: a, to: b)
    }

    /// Splits entries[0..<count] into page ranges; returns the end index of each range.
    /// One page when possible; otherwise two (balanced, or as full as possible on the left when
    /// appending at the right edge, so that sequential inserts leave full pages); otherwise
    /// greedy.
    func pack(kind: UInt8, count n: Int, appendMode: Bool) -> [Int] {
        computeSums(n)
        if sizeFromSums(kind: kind, from: 0, to: n) <= Page.size { return [n] }
        var best = -1
        var bestScore = Int.max
        var m = appendMode ? n - 1 : 1
        while m >= 1 && m < n {
            let s1 = sizeFromSums(kind: kind, from: 0, to: m)
            let s2 = sizeFromSums(kind: kind, from: m, to: n)
            if s1 <= Page.size && s2 <= Page.size {
                if appendMode { best = m; break }
                let score = max(s1, s2)
                if score < bestScore { bestScore = score; best = m }
            }
            m += appendMode ? -1 : 1
        }
        if best > 0 { return [best, n] }
        var cuts: [Int] = []
        var a = 0
        while a < n {
            var b = a + 1
            while b < n && sizeFromSums(kind: kind, from: a, to: b + 1) <= Page.size { b += 1 }
            cuts.append(b)
            a = b
        }
        return cuts
    }

    /// Writes entries[a..<b] into page `n` (header, prefix, slots, heap); leaf links are left
    /// to the caller. For an inner page, entry a's key is not stored (its out-of-line buffer,
    /// if any, is freed).
    func writeNode(_ n: P, kind: UInt8, from a: Int, to b: Int) {
        let inner = kind == Page.kindInner
        let ps = inner ? Page.innerPayload : Page.leafPayload
        let p = prefixLength(kind: kind, from: a, to: b)
        let lo = inner ? a + 1 : a
        n.storeBytes(of: kind, as: UInt8.self)
        n.storeBytes(of: UInt8(0), toByteOffset: 1, as: UInt8.self)
        Page.setCount(n, b - a)
        n.storeBytes(of: UInt16(truncatingIfNeeded: p), toByteOffset: 4, as: UInt16.self)
        let slotBase = Page.headerSize + Scratch.align8(p)
        n.storeBytes(of: UInt16(truncatingIfNeeded: slotBase), toByteOffset: 6, as: UInt16.self)
        Page.setGarbage(n, 0)
        if p > 0 { (n + Page.headerSize).copyMemory(from: entries[lo].key, byteCount: p) }
        var heap = Page.size
        for i in a..<b {
            let e = entries[i]
            let s = n + slotBase + 8 * (i - a)
            var stored = 0
            var head: UInt32 = 0
            if inner && i == a {
                if let o = e.ool { o.deallocate(); entries[i].ool = nil }
            } else if e.ool != nil {
                stored = 8
                head = Bytes.head(e.key + p, e.keyLength - p)
            } else {
                stored = e.keyLength - p
                head = Bytes.head(e.key + p, stored)
            }
            heap -= ps + stored
            precondition(heap >= slotBase + 8 * (b - a), "B+tree page overflow while packing")
            let ep = n + heap
            ep.storeBytes(of: e.p0, as: UInt64.self)
            if ps == Page.leafPayload { ep.storeBytes(of: e.p1, toByteOffset: 8, as: UInt32.self) }
            var lenField = stored
            if !(inner && i == a), let o = e.ool {
                (ep + ps).storeBytes(of: o, as: P.self)
                lenField = Page.oolFlag
            } else if stored > 0 {
                Engine.smallCopy(ep + ps, e.key + p, stored)
            }
            s.storeBytes(of: head, as: UInt32.self)
            s.storeBytes(of: UInt16(truncatingIfNeeded: heap), toByteOffset: 4, as: UInt16.self)
            s.storeBytes(of: UInt16(truncatingIfNeeded: lenField), toByteOffset: 6, as: UInt16.self)
        }
        Page.setHeapLow(n, heap)
    }
}
