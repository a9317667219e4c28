import Glibc

/// Where the latest record of a key lives: 12 bytes, stored in B+tree leaves.
struct RecordLocation: Equatable {
    /// Segment slot (low 24 bits) and record header size (high 8 bits).
    var word0: UInt32
    /// Offset of the value in its segment file (reads need no key length; the record starts
    /// `headerSize + key length` bytes earlier).
    var offset: UInt32
    /// Length of the value.
    var valueLength: UInt32

    @inline(__always)
    init(slot: Int, headerSize: Int, recordOffset: Int, keyLength: Int, valueLength: Int) {
        word0 = UInt32(truncatingIfNeeded: slot) | UInt32(truncatingIfNeeded: headerSize) << 24
        offset = UInt32(truncatingIfNeeded: recordOffset &+ headerSize &+ keyLength)
        self.valueLength = UInt32(truncatingIfNeeded: valueLength)
    }

    @inline(__always)
    init(_ p: UnsafeRawPointer) {
        word0 = p.loadUnaligned(as: UInt32.self)
        offset = p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
        valueLength = p.loadUnaligned(fromByteOffset: 8, as: UInt32.self)
    }

    @inline(__always)
    func store(to p: UnsafeMutableRawPointer) {
        p.storeBytes(of: word0, as: UInt32.self)
        p.storeBytes(of: offset, toByteOffset: 4, as: UInt32.self)
        p.storeBytes(of: valueLength, toByteOffset: 8, as: UInt32.self)
    }

    @inline(__always) var slot: Int { Int(word0 & 0xFF_FFFF) }
    @inline(__always) var headerSize: Int { Int(word0 >> 24) }
    @inline(__always) var valueOffset: Int { Int(offset) }
    @inline(__always) var valueCount: Int { Int(valueLength) }
    @inline(__always) func recordOffset(keyLength: Int) -> Int { Int(offset) &- headerSize &- keyLength }
    @inline(__always) func recordSize(keyLength: Int) -> Int { headerSize + keyLength + Int(valueLength) }
}

/// Byte-string helpers shared by the index, hint files and scans.
enum Bytes {
    /// Byte-lexicographic comparison: negative, zero or positive.
    @inline(__always)
    static func compare(_ a: UnsafeRawPointer, _ al: Int, _ b: UnsafeRawPointer, _ bl: Int) -> Int {
        let m = al < bl ? al : bl
        if m > 0 {
            let c = memcmp(a, b, m)
            if c != 0 { return Int(c) }
        }
        return al - bl
    }

    /// Length of the common prefix of two byte strings.
    @inline(__always)
    static func commonPrefix(_ a: UnsafeRawPointer, _ al: Int, _ b: UnsafeRawPointer, _ bl: Int) -> Int {
        let m = al < bl ? al : bl
        var i = 0
        while i + 8 <= m {
            let x = a.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if x != 0 { return i + x.littleEndian.trailingZeroBitCount >> 3 }
            i += 8
        }
        while i < m && a.load(fromByteOffset: i, as: UInt8.self) == b.load(fromByteOffset: i, as: UInt8.self) { i += 1 }
        return i
    }

    /// The first four bytes, big-endian, zero-padded: comparing heads orders keys correctly
    /// whenever the heads differ (a zero pad sorts like "end of key").
    @inline(__always)
    static func head(_ p: UnsafeRawPointer, _ n: Int) -> UInt32 {
        if n >= 4 { return UInt32(bigEndian: p.loadUnaligned(as: UInt32.self)) }
        var h: UInt32 = 0
        var i = 0
        while i < 4 {
            h <<= 8
            if i < n { h |= UInt32(p.load(fromByteOffset: i, as: UInt8.self)) }
            i += 1
        }
        return h
    }
}

/// Layout of a 4 KiB slotted B+tree page, accessed through raw pointers.
///
///     0  u8  kind (0 leaf, 1 inner)     2  u16 entry count
///     4  u16 prefix length              6  u16 slot array offset (32 + prefix rounded up to 8)
///     8  u16 heap low (entries occupy heapLow..<4096)   10 u16 garbage bytes in the heap
///    16  next leaf, 24 previous leaf (leaves only)
///    32  prefix bytes: a common prefix of every stored key (not of inner entry 0, whose key is
///        never stored: it is implied by the parent)
///    slots: 8 bytes per entry, in key order: u32 head (first 4 bytes of the key after the
///        prefix, big-endian), u16 entry offset, u16 stored key length (0x8000 = out of line)
///    entries, growing down from the end: payload (leaf: RecordLocation, 12 bytes; inner: child
///        page pointer, 8 bytes), then the key bytes after the prefix, or for keys longer than
///        256 bytes a pointer to an out-of-line buffer [u32 length][full key].
///
/// Most comparisons of a lookup finish on the heads in the slot array; prefix truncation keeps
/// heads meaningful for keys that share long prefixes ("user:0000000000…").
enum Page {
    static let size = 4096
    static let headerSize = 32
    static let maxPrefix = 256
    static let maxInlineKey = 256
    static let leafPayload = 12
    static let innerPayload = 8
    static let kindLeaf: UInt8 = 0
    static let kindInner: UInt8 = 1
    static let oolFlag = 0x8000

    typealias P = UnsafeMutableRawPointer

    @inline(__always) static func kind(_ n: P) -> UInt8 { n.load(as: UInt8.self) }
    @inline(__always) static func isLeaf(_ n: P) -> Bool { n.load(as: UInt8.self) == kindLeaf }
    @inline(__always) static func payloadSize(_ n: P) -> Int { isLeaf(n) ? leafPayload : innerPayload }
    @inline(__always) static func count(_ n: P) -> Int { Int(n.load(fromByteOffset: 2, as: UInt16.self)) }
    @inline(__always) static func setCount(_ n: P, _ v: Int) { n.storeBytes(of: UInt16(truncatingIfNeeded: v), toByteOffset: 2, as: UInt16.self) }
    @inline(__always) static func prefixLength(_ n: P) -> Int { Int(n.load(fromByteOffset: 4, as: UInt16.self)) }
    @inline(__always) static func slotBase(_ n: P) -> Int { Int(n.load(fromByteOffset: 6, as: UInt16.self)) }
    @inline(__always) static func heapLow(_ n: P) -> Int { Int(n.load(fromByteOffset: 8, as: UInt16.self)) }
    @inline(__always) static func setHeapLow(_ n: P, _ v: Int) { n.storeBytes(of: UInt16(truncatingIfNeeded: v), toByteOffset: 8, as: UInt16.self) }
    @inline(__always) static func garbage(_ n: P) -> Int { Int(n.load(fromByteOffset: 10, as: UInt16.self)) }
    @inline(__always) static func setGarbage(_ n: P, _ v: Int) { n.storeBytes(of: UInt16(truncatingIfNeeded: v), toByteOffset: 10, as: UInt16.self) }
    @inline(__always) static func next(_ n: P) -> P? { n.load(fromByteOffset: 16, as: P?.self) }
    @inline(__always) static func setNext(_ n: P, _ v: P?) { n.storeBytes(of: v, toByteOffset: 16, as: P?.self) }
    @inline(__always) static func prev(_ n: P) -> P? { n.load(fromByteOffset: 24, as: P?.self) }
    @inline(__always) static func setPrev(_ n: P, _ v: P?) { n.storeBytes(of: v, toByteOffset: 24, as: P?.self) }
    @inline(__always) static func prefix(_ n: P) -> UnsafeRawPointer { UnsafeRawPointer(n + headerSize) }

    @inline(__always) static func slot(_ n: P, _ i: Int) -> P { n + slotBase(n) + 8 &* i }
    @inline(__always) static func head(_ n: P, _ i: Int) -> UInt32 { slot(n, i).load(as: UInt32.self) }
    @inline(__always) static func entryOffset(_ n: P, _ i: Int) -> Int { Int(slot(n, i).load(fromByteOffset: 4, as: UInt16.self)) }
    @inline(__always) static func storedLength(_ n: P, _ i: Int) -> Int { Int(slot(n, i).load(fromByteOffset: 6, as: UInt16.self)) }
    @inline(__always) static func payload(_ n: P, _ i: Int) -> P { n + entryOffset(n, i) }
    @inline(__always) static func child(_ n: P, _ i: Int) -> P { payload(n, i).loadUnaligned(as: P.self) }

    /// Bytes of the heap entry `i` occupies.
    @inline(__always) static func entrySize(_ n: P, _ i: Int) -> Int {
        let l = storedLength(n, i)
        return payloadSize(n) + (l & oolFlag != 0 ? 8 : l)
    }

    /// The out-of-line buffer of entry `i`, if its key is stored out of line.
    @inline(__always) static func outOfLine(_ n: P, _ i: Int) -> P? {
        storedLength(n, i) & oolFlag != 0 ? (n + entryOffset(n, i) + payloadSize(n)).loadUnaligned(as: P.self) : nil
    }

    /// The key bytes of entry `i` after the node prefix.
    @inline(__always) static func suffix(_ n: P, _ i: Int) -> (UnsafeRawPointer, Int) {
        let off = entryOffset(n, i)
        let l = storedLength(n, i)
        let ps = payloadSize(n)
        if l & oolFlag == 0 { return (UnsafeRawPointer(n + off + ps), l) }
        let buf = (n + off + ps).loadUnaligned(as: UnsafeRawPointer.self)
        let full = Int(buf.load(as: UInt32.self))
        let p = prefixLength(n)
        return (buf + 4 + p, full - p)
    }

    /// Bytes in use (header, prefix, slots, live heap entries).
    @inline(__always) static func usedBytes(_ n: P) -> Int {
        slotBase(n) + 8 * count(n) + (size - heapLow(n) - garbage(n))
    }

    /// Free bytes between the slot array and the heap.
    @inline(__always) static func gap(_ n: P) -> Int { heapLow(n) - slotBase(n) - 8 * count(n) }

    /// Compares `key[0..<len]` with the node prefix: -1 below every key of the node, +1 above,
    /// 0 when the key starts with the prefix.
    @inline(__always)
    static func comparePrefix(_ n: P, _ key: UnsafeRawPointer, _ len: Int) -> Int {
        let p = prefixLength(n)
        if p == 0 { return 0 }
        let m = len < p ? len : p
        let c = m > 0 ? memcmp(key, prefix(n), m) : 0
        if c < 0 || (c == 0 && len < p) { return -1 }
        return c > 0 ? 1 : 0
    }

    /// Leaf lower bound: the first index whose key is >= `key`, and whether it is equal.
    /// `sharesPrefix` is false when the key lies outside the node's prefix range.
    @inline(__always)
    static func leafSearch(_ n: P, _ key: UnsafeRawPointer, _ len: Int) -> (index: Int, found: Bool, sharesPrefix: Bool) {
        let cnt = count(n)
        let pc = comparePrefix(n, key, len)
        if pc < 0 { return (0, false, false) }
        if pc > 0 { return (cnt, false, false) }
        let p = prefixLength(n)
        let sk = key + p
        let sl = len - p
        let kh = Bytes.head(sk, sl)
        let slots = UnsafeRawPointer(n + slotBase(n))
        var lo = 0
        var hi = cnt
        while lo < hi {
            let mid = (lo &+ hi) >> 1
            let h = slots.load(fromByteOffset: mid &* 8, as: UInt32.self)
            if h < kh {
                lo = mid &+ 1
            } else if h > kh {
                hi = mid
            } else {
                let (ep, el) = suffix(n, mid)
                let c = Bytes.compare(ep, el, sk, sl)
                if c < 0 { lo = mid &+ 1 } else if c > 0 { hi = mid } else { return (mid, true, true) }
            }
        }
        return (lo, false, true)
    }

    /// Inner node: index of the child whose subtree covers `key` (last entry whose separator
    /// is <= key; entry 0 covers everything below separator 1).
    @inline(__always)
    static func innerSearch(_ n: P, _ key: UnsafeRawPointer, _ len: Int) -> Int {
        let cnt = count(n)
        let pc = comparePrefix(n, key, len)
        if pc < 0 { return 0 }
        if pc > 0 { return cnt - 1 }
        let p = prefixLength(n)
        let sk = key + p
        let sl = len - p
        let kh = Bytes.head(sk, sl)
        let slots = UnsafeRawPointer(n + slotBase(n))
        var lo = 1
        var hi = cnt
        while lo < hi {
            let mid = (lo &+ hi) >> 1
            let h = slots.load(fromByteOffset: mid &* 8, as: UInt32.self)
            if h < kh {
                lo = mid &+ 1
            } else if h > kh {
                hi = mid
            } else {
                let (ep, el) = suffix(n, mid)
                if Bytes.compare(ep, el, sk, sl) <= 0 { lo = mid &+ 1 } else { hi = mid }
            }
        }
        return lo - 1
    }

    /// Inserts an entry at `index` if it fits in the gap; the key must share the node prefix.
    /// Returns false (changing nothing) when it does not fit.
    @inline(__always)
    static func insertInGap(_ n: P, at index: Int, key: UnsafeRawPointer, length len: Int,
                            payload: (UInt64, UInt32)) -> Bool {
        let p = prefixLength(n)
        let ps = payloadSize(n)
        let ool = len > maxInlineKey
        let stored = ool ? 8 : len - p
        let esize = ps + stored
        let cnt = count(n)
        if gap(n) < esize + 8 { return false }
        let low = heapLow(n) - esize
        let e = n + low
        e.storeBytes(of: payload.0, as: UInt64.self)
        if ps == leafPayload { e.storeBytes(of: payload.1, toByteOffset: 8, as: UInt32.self) }
        if ool {
            let buf = makeOutOfLine(key, len)
            (e + ps).storeBytes(of: buf, as: P.self)
        } else if stored > 0 {
            (e + ps).copyMemory(from: key + p, byteCount: stored)
        }
        setHeapLow(n, low)
        let s = slot(n, index)
        if index < cnt { (s + 8).copyMemory(from: s, byteCount: (cnt - index) * 8) }
        s.storeBytes(of: Bytes.head(key + p, len - p), as: UInt32.self)
        s.storeBytes(of: UInt16(truncatingIfNeeded: low), toByteOffset: 4, as: UInt16.self)
        s.storeBytes(of: UInt16(truncatingIfNeeded: ool ? oolFlag : stored), toByteOffset: 6, as: UInt16.self)
        setCount(n, cnt + 1)
        return true
    }

    /// Removes entry `index` (freeing an out-of-line key); the heap bytes become garbage.
    static func removeEntry(_ n: P, at index: Int) {
        if let buf = outOfLine(n, index) { buf.deallocate() }
        let cnt = count(n)
        setGarbage(n, garbage(n) + entrySize(n, index))
        let s = slot(n, index)
        if index + 1 < cnt { s.copyMemory(from: s + 8, byteCount: (cnt - index - 1) * 8) }
        setCount(n, cnt - 1)
        if !isLeaf(n) && index == 0 && cnt > 1 { clearInnerKey(n, 0) }
    }

    /// Drops the stored key of inner entry `i` (entry 0's key is implied by the parent).
    static func clearInnerKey(_ n: P, _ i: Int) {
        if let buf = outOfLine(n, i) { buf.deallocate() }
        let l = storedLength(n, i)
        setGarbage(n, garbage(n) + (l & oolFlag != 0 ? 8 : l))
        let s = slot(n, i)
        s.storeBytes(of: 0, as: UInt32.self)
        s.storeBytes(of: 0, toByteOffset: 6, as: UInt16.self)
    }

    /// An out-of-line key buffer: [u32 length][bytes].
    static func makeOutOfLine(_ key: UnsafeRawPointer, _ len: Int) -> P {
        let buf = P.allocate(byteCount: 4 + len, alignment: 8)
        buf.storeBytes(of: UInt32(truncatingIfNeeded: len), as: UInt32.self)
        (buf + 4).copyMemory(from: key, byteCount: len)
        return buf
    }
}

/// Hands out 4 KiB pages carved from 1 MiB chunks; freed pages go to a free list threaded
/// through the pages themselves. The last page of each chunk stays unused, as slack for scans
/// that read a few bytes past an entry at the very end of a page. Chunks go back to
/// `ChunkCache` when the tree is destroyed.
struct PagePool {
    private var freeList: UnsafeMutableRawPointer?
    private var bump: UnsafeMutableRawPointer?
    private var bumpEnd: UnsafeMutableRawPointer?
    private var chunks: [UnsafeMutableRawPointer] = []
    private(set) var pagesInUse = 0
    static let chunkSize = 1 << 20

    @inline(__always)
    mutating func allocate() -> UnsafeMutableRawPointer {
        pagesInUse += 1
        if let p = freeList {
            freeList = p.load(as: UnsafeMutableRawPointer?.self)
            return p
        }
        if let b = bump, b != bumpEnd {
            bump = b + Page.size
            return b
        }
        let c = ChunkCache.take()
        chunks.append(c)
        bump = c + Page.size
        bumpEnd = c + PagePool.chunkSize - Page.size
        return c
    }

    @inline(__always)
    mutating func release(_ p: UnsafeMutableRawPointer) {
        pagesInUse -= 1
        p.storeBytes(of: freeList, as: UnsafeMutableRawPointer?.self)
        freeList = p
    }

    mutating func destroy() {
        for c in chunks { ChunkCache.give(c) }
        chunks = []
        freeList = nil
        bump = nil
        bumpEnd = nil
        pagesInUse = 0
    }

    var bytesReserved: Int { chunks.count * PagePool.chunkSize }
}

/// Index memory released by closed stores, kept (up to 64 MiB per process) for the next tree.
/// Fresh anonymous memory costs a page fault per 4 KiB on first touch (and on this VM far
/// more when the host reclaimed it); reopening a store in the same process, the common case
/// for a runtime that closes and reopens module stores, then builds its index in memory that
/// is already mapped.
enum ChunkCache {
    private static let lock = Mutex()
    nonisolated(unsafe) private static var free: [UnsafeMutableRawPointer] = []
    static let maxChunks = 64

    static func take() -> UnsafeMutableRawPointer {
        lock.lock()
        let c = free.popLast()
        lock.unlock()
        return c ?? UnsafeMutableRawPointer.allocate(byteCount: PagePool.chunkSize, alignment: Page.size)
    }

    static func give(_ c: UnsafeMutableRawPointer) {
        lock.lock()
        if free.count < maxChunks {
            free.append(c)
            lock.unlock()
        } else {
            lock.unlock()
            c.deallocate()
        }
    }
}
