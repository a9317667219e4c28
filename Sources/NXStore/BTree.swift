/// The ordered in-memory index: a B+tree of 4 KiB slotted pages (see `Page`) mapping keys to
/// `RecordLocation`s.
///
/// All state lives behind raw pointers so that the hot paths (lookup, insert in a page with
/// room) run without ARC or exclusivity checks. Structural changes (splits, merges of
/// under-full pages, prefix changes) go through one general routine: copy the affected
/// entries out ("materialize"), then pack them into as many pages as needed. Not thread-safe:
/// the store serialises access with its mutex.
struct BTree {
    typealias P = UnsafeMutableRawPointer

    private(set) var root: P
    /// Levels including the leaf level (1 = the root is a leaf).
    private(set) var height: Int = 1
    private(set) var count: Int = 0
    var pool = PagePool()
    let scratch: Scratch

    init() {
        scratch = Scratch()
        root = pool.allocate()
        BTree.initEmpty(root, kind: Page.kindLeaf)
    }

    static func initEmpty(_ n: P, kind: UInt8) {
        n.initializeMemory(as: UInt8.self, repeating: 0, count: Page.headerSize)
        n.storeBytes(of: kind, as: UInt8.self)
        n.storeBytes(of: UInt16(Page.headerSize), toByteOffset: 6, as: UInt16.self)
        Page.setHeapLow(n, Page.size)
    }

    /// Frees every page and out-of-line key.
    mutating func destroy() {
        BTree.freeKeys(root, height: height)
        pool.destroy()
        scratch.destroy()
    }

    private static func freeKeys(_ n: P, height: Int) {
        for i in 0..<Page.count(n) {
            if let buf = Page.outOfLine(n, i) { buf.deallocate() }
            if height > 1 { freeKeys(Page.child(n, i), height: height - 1) }
        }
    }

    /// Bytes of memory held by pages.
    var memoryBytes: Int { pool.bytesReserved }

    // MARK: - Lookup

    /// The leaf payload (a `RecordLocation`) of `key`, or nil.
    @inline(__always)
    func find(_ key: UnsafeRawPointer, _ len: Int) -> P? {
        var n = root
        var h = height
        while h > 1 {
            n = Page.child(n, Page.innerSearch(n, key, len))
            h &-= 1
        }
        let r = Page.leafSearch(n, key, len)
        return r.found ? Page.payload(n, r.index) : nil
    }

    /// The first position whose key is >= `key` (or > `key` when `strictlyAfter`), as (leaf,
    /// index); nil past the end.
    func seek(_ key: UnsafeRawPointer, _ len: Int, strictlyAfter: Bool) -> (P, Int)? {
        var n = root
        var h = height
        while h > 1 {
            n = Page.child(n, Page.innerSearch(n, key, len))
            h -= 1
        }
        let r = Page.leafSearch(n, key, len)
        var leaf: P? = n
        var i = r.found && strictlyAfter ? r.index + 1 : r.index
        while let l = leaf, i >= Page.count(l) {
            leaf = Page.next(l)
            i = 0
        }
        return leaf.map { ($0, i) }
    }

    /// The leftmost leaf position, or nil when empty.
    func first() -> (P, Int)? {
        var n = root
        var h = height
        while h > 1 { n = Page.child(n, 0); h -= 1 }
        var leaf: P? = n
        while let l = leaf, Page.count(l) == 0 { leaf = Page.next(l) }
        return leaf.map { ($0, 0) }
    }

    // MARK: - Insert

    /// The leaf whose range covers `key`, recording in `scratch.path[level]` the inner node
    /// and child index taken at each level above it (what insertion splits and removal
    /// merges walk back up).
    @inline(__always)
    private func descendRecordingPath(_ key: UnsafeRawPointer, _ len: Int) -> P {
        var n = root
        let path = scratch.path
        var level = height - 1
        while level > 0 {
            let i = Page.innerSearch(n, key, len)
            path[level] = (n, i)
            n = Page.child(n, i)
            level &-= 1
        }
        return n
    }

    /// Inserts or replaces; returns the previous location when the key existed.
    @inline(__always)
    mutating func upsert(_ key: UnsafeRawPointer, _ len: Int, _ loc: RecordLocation) -> RecordLocation? {
        let n = descendRecordingPath(key, len)
        let path = scratch.path
        let r = Page.leafSearch(n, key, len)
        if r.found {
            let p = Page.payload(n, r.index)
            let old = RecordLocation(p)
            loc.store(to: p)
            return old
        }
        count &+= 1
        let payload = (UInt64(loc.word0) | UInt64(loc.offset) << 32, loc.valueLength)
        if r.sharesPrefix && Page.insertInGap(n, at: r.index, key: key, length: len, payload: payload) { return nil }
        path[0] = (n, r.index)
        insertSlow(level: 0, node: n, index: r.index, key: key, length: len, payload: payload)
        return nil
    }

    /// General insertion: materialize the node plus the new entry and repack.
    private mutating func insertSlow(level: Int, node n: P, index: Int, key: UnsafeRawPointer, length len: Int,
                                     payload: (UInt64, UInt32)) {
        scratch.reset()
        let cnt = scratch.materialize(n)
        scratch.insertEntry(at: index, count: cnt, key: key, length: len, payload: payload)
        let rightmost = index == cnt && isRightmost(level: level, node: n)
        repack(level: level, node: n, count: cnt + 1, appendMode: rightmost)
    }

    /// Whether `node` (at `level`, located via scratch.path for inner levels) is the last node
    /// of its level.
    private func isRightmost(level: Int, node n: P) -> Bool {
        if level == 0 { return Page.next(n) == nil }
        var m = root
        var h = height - 1
        while h > level {
            let c = Page.count(m)
            m = Page.child(m, c - 1)
            h -= 1
        }
        return m == n
    }

    /// Writes scratch entries 0..<count into `node` and, if needed, new right siblings, then
    /// links the new pages into the parent level.
    private mutating func repack(level: Int, node n: P, count: Int, appendMode: Bool) {
        let kind = Page.kind(n)
        let cuts = scratch.pack(kind: kind, count: count, appendMode: appendMode)
        if cuts.count == 1 {
            scratch.writeNode(n, kind: kind, from: 0, to: count)
            return
        }
        // Separators first: writing pages consumes (and for inner pages frees) entry 0 keys.
        var seps: [[UInt8]] = []
        var pages: [P] = [n]
        var start = cuts[0]
        for j in 1..<cuts.count {
            seps.append(kind == Page.kindLeaf ? scratch.separator(between: start - 1, and: start)
                                              : scratch.keyBytes(start))
            pages.append(pool.allocate())
            start = cuts[j]
        }
        let oldNext = Page.next(n)
        var a = 0
        for j in 0..<cuts.count {
            scratch.writeNode(pages[j], kind: kind, from: a, to: cuts[j])
            a = cuts[j]
        }
        if kind == Page.kindLeaf {
            for j in 0..<pages.count {
                Page.setPrev(pages[j], j == 0 ? Page.prev(n) : pages[j - 1])
                Page.setNext(pages[j], j + 1 < pages.count ? pages[j + 1] : oldNext)
            }
            if let on = oldNext { Page.setPrev(on, pages[pages.count - 1]) }
        }
        for j in 1..<pages.count {
            seps[j - 1].withUnsafeBytes { s in
                insertIntoParent(level: level, left: pages[j - 1], separator: s.baseAddress!, length: s.count,
                                 right: pages[j], appendMode: appendMode)
            }
        }
    }

    /// Adds (separator -> right) after `left` in the parent of `left`, growing the tree at the
    /// root.
    private mutating func insertIntoParent(level: Int, left: P, separator s: UnsafeRawPointer, length sl: Int,
                                           right: P, appendMode: Bool) {
        if level == height - 1 {
            let r = pool.allocate()
            BTree.initEmpty(r, kind: Page.kindInner)
            scratch.reset()
            scratch.setEntry(0, key: s, length: 0, child: left)
            scratch.setEntry(1, key: s, length: sl, child: right)
            scratch.writeNode(r, kind: Page.kindInner, from: 0, to: 2)
            root = r
            height += 1
            return
        }
        // Find the parent by descending with the separator: it routes to `left`.
        var n = root
        var h = height - 1
        while h > level + 1 {
            n = Page.child(n, Page.innerSearch(n, s, sl))
            h -= 1
        }
        let i = Page.innerSearch(n, s, sl)
        precondition(Page.child(n, i) == left, "B+tree: separator does not route to the split page")
        let payload = (UInt64(UInt(bitPattern: right)), UInt32(0))
        if Page.comparePrefix(n, s, sl) == 0
            && Page.insertInGap(n, at: i + 1, key: s, length: sl, payload: payload) { return }
        scratch.reset()
        let cnt = scratch.materialize(n)
        scratch.insertEntry(at: i + 1, count: cnt, key: s, length: sl, payload: payload)
        repack(level: level + 1, node: n, count: cnt + 1, appendMode: appendMode && i + 1 == cnt)
    }

    // MARK: - Remove

    /// Removes `key`; returns its location when it existed.
    mutating func remove(_ key: UnsafeRawPointer, _ len: Int) -> RecordLocation? {
        let n = descendRecordingPath(key, len)
        let r = Page.leafSearch(n, key, len)
        if !r.found { return nil }
        let old = RecordLocation(Page.payload(n, r.index))
        Page.removeEntry(n, at: r.index)
        count -= 1
        afterRemoval(level: 0, node: n)
        return old
    }

    /// Frees empty pages, merges an under-full page into a sibling when both fit in one page,
    /// and shrinks the root. Uses `scratch.path` for the parents of `node`.
    private mutating func afterRemoval(level: Int, node n: P) {
        if level == height - 1 {
            // Root: collapse inner roots with a single child.
            while height > 1 && Page.count(root) == 1 {
                let c = Page.child(root, 0)
                pool.release(root)
                root = c
                height -= 1
            }
            return
        }
        let (parent, idx) = scratch.path[level + 1]
        if Page.count(n) == 0 {
            if Page.isLeaf(n) { unlinkLeaf(n) }
            pool.release(n)
            Page.removeEntry(parent, at: idx)
            afterRemoval(level: level + 1, node: parent)
            return
        }
        if Page.usedBytes(n) >= Page.size / 4 || Page.count(parent) < 2 { return }
        let li = idx + 1 < Page.count(parent) ? idx : idx - 1
        let left = Page.child(parent, li)
        let right = Page.child(parent, li + 1)
        scratch.reset()
        let lc = scratch.materialize(left)
        let rc = scratch.materialize(right, at: lc)
        if !Page.isLeaf(left) {
            // The right page's entry 0 key is implied by the parent separator: make it explicit.
            let (sp, sl) = scratch.fullKey(parent, li + 1)
            scratch.setKey(lc, key: sp, length: sl)
        }
        let total = lc + rc
        if scratch.size(kind: Page.kind(left), from: 0, to: total) > Page.size {
            if !Page.isLeaf(left), let o = scratch.entries[lc].ool { o.deallocate() }
            return
        }
        scratch.writeNode(left, kind: Page.kind(left), from: 0, to: total)
        if Page.isLeaf(right) { unlinkLeaf(right) }
        pool.release(right)
        Page.removeEntry(parent, at: li + 1)
        afterRemoval(level: level + 1, node: parent)
    }

    private func unlinkLeaf(_ n: P) {
        let p = Page.prev(n)
        let x = Page.next(n)
        if let p { Page.setNext(p, x) }
        if let x { Page.setPrev(x, p) }
    }

    // MARK: - Bulk load

    /// Replaces an empty tree with one built from sorted, distinct keys.
    mutating func adoptBulk(root r: P, height h: Int, count c: Int, pool p: PagePool) {
        precondition(count == 0 && height == 1, "bulk load into a non-empty tree")
        pool.destroy()
        pool = p
        root = r
        height = h
        count = c
    }

    // MARK: - Checking (tests)

    /// Verifies ordering, separators, prefixes, leaf links and the entry count; returns a
    /// description of the first violation.
    func check() -> String? {
        var leaves: [P] = []
        var total = 0
        var prevKey: [UInt8]? = nil
        func visit(_ n: P, _ h: Int, low: [UInt8]?, high: [UInt8]?) -> String? {
            let cnt = Page.count(n)
            if Page.isLeaf(n) != (h == 1) { return "page kind does not match its level" }
            if cnt == 0 && !(n == root) { return "empty non-root page" }
            let p = Page.prefixLength(n)
            let prefix = Array(UnsafeRawBufferPointer(start: Page.prefix(n), count: p))
            for i in 0..<cnt {
                if h > 1 && i == 0 { continue }
                let k = key(n, i)
                if Array(k.prefix(p)) != prefix { return "key does not start with the page prefix" }
                let s = Array(k[p...])
                let hd = s.withUnsafeBytes { Bytes.head($0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, s.count) }
                if hd != Page.head(n, i) { return "stale key head" }
                if let lo = low, k.lexicographicallyPrecedes(lo) { return "key below the page's lower separator" }
                if let hi = high, !k.lexicographicallyPrecedes(hi) { return "key not below the page's upper separator" }
            }
            if h == 1 {
                leaves.append(n)
                for i in 0..<cnt {
                    let k = key(n, i)
                    if let pk = prevKey, !pk.lexicographicallyPrecedes(k) { return "leaf keys out of order" }
                    prevKey = k
                    total += 1
                }
                return nil
            }
            for i in 0..<cnt {
                let lo = i == 0 ? low : key(n, i)
                let hi = i + 1 < cnt ? key(n, i + 1) : high
                if let e = visit(Page.child(n, i), h - 1, low: lo, high: hi) { return e }
            }
            return nil
        }
        if let e = visit(root, height, low: nil, high: nil) { return e }
        if total != count { return "count \(count) but \(total) keys in leaves" }
        for (i, l) in leaves.enumerated() {
            if Page.next(l) != (i + 1 < leaves.count ? leaves[i + 1] : nil) { return "broken next link" }
            if Page.prev(l) != (i > 0 ? leaves[i - 1] : nil) { return "broken prev link" }
        }
        return nil
    }

    /// Full key of entry `i` as an array (tests and cold paths).
    func key(_ n: P, _ i: Int) -> [UInt8] {
        let p = Page.prefixLength(n)
        var k = Array(UnsafeRawBufferPointer(start: Page.prefix(n), count: p))
        let (sp, sl) = Page.suffix(n, i)
        k.append(contentsOf: UnsafeRawBufferPointer(start: sp, count: sl))
        return k
    }
}
