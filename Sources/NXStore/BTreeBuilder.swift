/// Builds a B+tree bottom-up from keys in strictly increasing order (hint file load): pages
/// are filled to `fill` of their size, one level at a time as entries stream in, with no
/// searching or splitting. The result is handed to `BTree.adoptBulk`.
struct BTreeBuilder {
    typealias P = UnsafeMutableRawPointer

    /// Entries staged for the next page of one level, with the running size terms.
    private struct Level {
        let scratch = Scratch()
        var n = 0
        var inlineSum = 0
        var inlineCount = 0
        var oolCount = 0
        /// Common prefix of the stored keys (entries 1... for inner levels, 0... for leaves).
        var lcp = Int.max
        var emitted = 0
    }

    /// Up to 32 levels, in raw memory so that the per-entry path copies nothing.
    private let levels = UnsafeMutablePointer<Level>.allocate(capacity: 32)
    private var levelCount = 0
    private(set) var pool = PagePool()
    private(set) var count = 0
    private var lastLeaf: P?
    /// Last key of the previous leaf (for the shortest separator to the next leaf).
    private var prevLast: [UInt8] = []
    private let target: Int

    /// `fill`: fraction of a page to fill (leaves room for later inserts).
    init(fill: Double = 0.94) {
        target = Int(Double(Page.size) * fill)
    }

    mutating func destroyStaging() {
        for i in 0..<levelCount { levels[i].scratch.destroy() }
        levels.deinitialize(count: levelCount)
        levels.deallocate()
        levelCount = 0
    }

    /// Adds the next key (greater than every key added before). `shared` is the length of the
    /// common prefix with the previous key when the caller knows it (hint files store it),
    /// otherwise pass -1.
    mutating func add(_ key: UnsafeRawPointer, _ len: Int, shared: Int, _ loc: RecordLocation) {
        count += 1
        let payload = (UInt64(loc.word0) | UInt64(loc.offset) << 32, loc.valueLength)
        push(level: 0, key: key, length: len, shared: shared, payload: payload)
    }

    private mutating func push(level li: Int, key: UnsafeRawPointer, length len: Int, shared: Int,
                               payload: (UInt64, UInt32)) {
        if li == levelCount {
            precondition(li < 32, "bulk load: too many levels")
            (levels + li).initialize(to: Level())
            levelCount += 1
        }
        let inner = li > 0
        let ps = inner ? Page.innerPayload : Page.leafPayload
        let l = levels + li
        // The new entry's contribution to the page size, and the resulting common prefix.
        let storesKey = !(inner && l.pointee.n == 0)
        var newLcp = l.pointee.lcp
        if storesKey && (l.pointee.n > (inner ? 1 : 0)) {
            // Common prefix with the first stored key = min(old lcp, shared with previous key).
            let prev = l.pointee.scratch.entries[l.pointee.n - 1]
            let sh = shared >= 0 ? shared : Bytes.commonPrefix(prev.key, prev.keyLength, key, len)
            newLcp = min(l.pointee.lcp, sh)
        } else if storesKey {
            newLcp = len
        }
        let ool = len > Page.maxInlineKey
        let inlineSum = l.pointee.inlineSum &+ (storesKey && !ool ? len : 0)
        let inlineCount = l.pointee.inlineCount &+ (storesKey && !ool ? 1 : 0)
        let oolCount = l.pointee.oolCount &+ (storesKey && ool ? 1 : 0)
        let p = newLcp == Int.max ? 0 : min(newLcp, Page.maxPrefix)
        let size = Page.headerSize &+ ((p &+ 7) & ~7) &+ (l.pointee.n &+ 1) &* (8 &+ ps) &+ inlineSum
            &- inlineCount &* p &+ oolCount &* 8
        if size > target && l.pointee.n > (inner ? 1 : 0) {
            emit(level: li)
            push(level: li, key: key, length: len, shared: -1, payload: payload)
            return
        }
        if l.pointee.n == 0 { l.pointee.scratch.reset() }
        precondition(l.pointee.n + 1 < Scratch.capacity, "bulk load staging overflow")
        if inner && l.pointee.n == 0 {
            // Entry 0 of an inner page: its key travels up as the parent's separator.
            l.pointee.scratch.entries[0] = ScratchEntry(key: UnsafeRawPointer(l.pointee.scratch.arena), keyLength: 0,
                                                        ool: nil, p0: payload.0, p1: payload.1)
            l.pointee.scratch.setKey(0, key: key, length: len)
        } else {
            l.pointee.scratch.append(at: l.pointee.n, key: key, length: len, payload: payload)
            l.pointee.inlineSum = inlineSum
            l.pointee.inlineCount = inlineCount
            l.pointee.oolCount = oolCount
            l.pointee.lcp = newLcp
        }
        l.pointee.n &+= 1
    }

    /// Writes the staged entries of a level into a page and pushes it to the level above.
    private mutating func emit(level li: Int, pushUp: Bool = true) {
        let l = levels + li
        let page = pool.allocate()
        let kind = li == 0 ? Page.kindLeaf : Page.kindInner
        var sep: [UInt8] = []
        if li == 0 {
            let first = l.pointee.scratch.entries[0]
            if l.pointee.emitted > 0 {
                let c = prevLast.withUnsafeBytes { Bytes.commonPrefix($0.baseAddress!, $0.count, first.key, first.keyLength) }
                sep = Array(UnsafeRawBufferPointer(start: first.key, count: min(c + 1, first.keyLength)))
            }
            let last = l.pointee.scratch.entries[l.pointee.n - 1]
            prevLast = Array(UnsafeRawBufferPointer(start: last.key, count: last.keyLength))
        } else {
            sep = l.pointee.scratch.keyBytes(0)
        }
        l.pointee.scratch.writeNode(page, kind: kind, from: 0, to: l.pointee.n)
        if li == 0 {
            Page.setPrev(page, lastLeaf)
            Page.setNext(page, nil)
            if let ll = lastLeaf { Page.setNext(ll, page) }
            lastLeaf = page
        }
        l.pointee.n = 0
        l.pointee.inlineSum = 0
        l.pointee.inlineCount = 0
        l.pointee.oolCount = 0
        l.pointee.lcp = Int.max
        l.pointee.emitted += 1
        if pushUp {
            sep.withUnsafeBytes { s in
                push(level: li + 1, key: s.baseAddress ?? UnsafeRawPointer(page), length: s.count, shared: -1,
                     payload: (UInt64(UInt(bitPattern: page)), 0))
            }
        }
        lastEmitted = page
    }

    private var lastEmitted: P?

    /// Finishes the tree: returns (root, height). The builder's pages move to the tree.
    mutating func finish() -> (root: P, height: Int) {
        if levelCount == 0 {
            destroyStaging()
            let r = pool.allocate()
            BTree.initEmpty(r, kind: Page.kindLeaf)
            Page.setNext(r, nil)
            Page.setPrev(r, nil)
            return (r, 1)
        }
        var li = 0
        while true {
            let isTop = li + 1 == levelCount
            let l = levels[li]
            if isTop && l.emitted == 0 {
                if li > 0 && l.n == 1 {
                    // A single child: it is the root.
                    let child = P(bitPattern: UInt(l.scratch.entries[0].p0))!
                    if let o = l.scratch.entries[0].ool { o.deallocate() }
                    destroyStaging()
                    return (child, li)
                }
                emit(level: li, pushUp: false)
                let r = lastEmitted!
                destroyStaging()
                return (r, li + 1)
            }
            if l.n > 0 { emit(level: li) }
            li += 1
        }
    }

    /// Moves the built tree into `tree` (which must be empty).
    mutating func install(into tree: inout BTree) {
        let (r, h) = finish()
        tree.adoptBulk(root: r, height: h, count: count, pool: pool)
        pool = PagePool()
    }
}
