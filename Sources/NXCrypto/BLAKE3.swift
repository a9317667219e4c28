// BLAKE3: hash, keyed_hash and derive_key modes, extendable output, incremental hashing.
//
// Structure (as in the BLAKE3 paper, §5):
// - Input is split into 1 KiB chunks; each chunk is 16 compressions chained through a
//   chaining value (CV). Chunks form the leaves of a binary tree whose parent nodes compress
//   the concatenation of their children's CVs.
// - The hasher keeps the current partial chunk plus a stack of CVs of completed subtrees,
//   merged lazily: a CV is only combined with its sibling once more input proves it is not
//   the root (the root compression is different: it sets ROOT and can produce any length).
// - Bulk input is hashed as whole power-of-two subtrees: eight chunks at a time in SIMD lanes
//   (`SIMD8<UInt32>`, lane i = chunk i, each state word a vector), then the parent levels of
//   the subtree eight parents at a time, leaving the two children of the subtree root on the
//   stack.

#if _endian(big)
#error("NXCrypto's SIMD loads assume a little-endian host")
#endif

/// BLAKE3 cryptographic hash (hash, keyed hash and key derivation modes) with extendable output.
///
/// ```swift
/// let digest = BLAKE3.hash(bytes)                          // 32 bytes
/// let mac = BLAKE3.keyedHash(key: key32, bytes)             // keyed mode
/// let subkey = BLAKE3.deriveKey(context: "nx 2024 sync v1", material: secret)
/// var hasher = BLAKE3(); hasher.update(a); hasher.update(b)
/// let long = hasher.finalize(count: 1000, seek: 64)        // XOF: bytes 64..<1064 of the output
/// ```
public struct BLAKE3 {
    /// Default output length in bytes (32).
    public static let byteCount = 32
    /// Required key length for keyed hashing in bytes (32).
    public static let keyByteCount = 32
    /// Compression block length in bytes.
    static let blockLen = 64
    /// Chunk (tree leaf) length in bytes.
    static let chunkLen = 1024
    /// Largest subtree hashed in one go by `update`; bounds the scratch space (32 B per chunk).
    static let maxSubtreeChunks = 128

    private let key: SIMD8<UInt32>
    private let flags: UInt32
    private var chunk: BLAKE3ChunkState
    /// CVs of completed subtrees, largest (leftmost) first. At most 54 entries for inputs
    /// below 2^64 bytes. Stays empty (no allocation) for inputs of at most one chunk.
    private var cvStack: [SIMD8<UInt32>] = []

    /// Creates a hasher for the default (unkeyed) hash mode.
    public init() {
        self.init(keyWords: blake3IV, flags: 0)
    }

    /// Creates a hasher for keyed hashing (a MAC / PRF).
    /// - Precondition: `key.count == 32` (a wrong length is a programmer error: keys are fixed-size).
    public init(key: [UInt8]) {
        precondition(key.count == BLAKE3.keyByteCount, "BLAKE3 key must be 32 bytes, got \(key.count)")
        self.init(keyWords: key.withUnsafeBytes { blake3LoadWords8($0.baseAddress!) }, flags: BLAKE3Flags.keyedHash)
    }

    /// Creates a hasher for key derivation with a hard-coded, globally unique, application-specific
    /// `deriveKeyContext` string; feed it the key material with `update`.
    public init(deriveKeyContext: String) {
        var contextHasher = BLAKE3(keyWords: blake3IV, flags: BLAKE3Flags.deriveKeyContext)
        var context = deriveKeyContext
        context.withUTF8 { contextHasher.update(UnsafeRawBufferPointer($0)) }
        // The context key is the context string's 32-byte (root) hash in DERIVE_KEY_CONTEXT mode.
        let contextKey = contextHasher.finalize(count: 32).withUnsafeBytes { blake3LoadWords8($0.baseAddress!) }
        self.init(keyWords: contextKey, flags: BLAKE3Flags.deriveKeyMaterial)
    }

    private init(keyWords: SIMD8<UInt32>, flags: UInt32) {
        key = keyWords
        self.flags = flags
        chunk = BLAKE3ChunkState(key: keyWords, chunkCounter: 0, flags: flags)
    }

    /// Absorbs `bytes`. May be called any number of times with splits anywhere, including
    /// across chunk and tree boundaries.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var input = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count

        // Finish a partially filled chunk first. A full chunk is only closed once more input
        // arrives, because a lone chunk must be finalized as the root.
        if chunk.length > 0 {
            let take = min(BLAKE3.chunkLen - chunk.length, remaining)
            chunk.update(input, count: take)
            input += take
            remaining -= take
            guard remaining > 0 else { return }
            pushCV(chunk.output().chainingValue(), chunksBefore: chunk.chunkCounter)
            chunk = BLAKE3ChunkState(key: key, chunkCounter: chunk.chunkCounter + 1, flags: flags)
        }

        // Whole subtrees straight from the input, while more than one chunk remains.
        while remaining > BLAKE3.chunkLen {
            let subtreeChunks = BLAKE3.subtreeChunkCount(remaining: remaining, chunkCounter: chunk.chunkCounter)
            let counter = chunk.chunkCounter
            if subtreeChunks == 1 {
                pushCV(blake3HashFullChunk(input, key: key, counter: counter, flags: flags), chunksBefore: counter)
            } else {
                let (left, right) = blake3CompressSubtree(input, chunks: subtreeChunks, key: key, counter: counter, flags: flags)
                pushCV(left, chunksBefore: counter)
                pushCV(right, chunksBefore: counter + UInt64(subtreeChunks / 2))
            }
            chunk.chunkCounter += UInt64(subtreeChunks)
            input += subtreeChunks * BLAKE3.chunkLen
            remaining -= subtreeChunks * BLAKE3.chunkLen
        }

        if remaining > 0 {
            chunk.update(input, count: remaining)
            // More input exists beyond every stacked CV now, so complete siblings can merge.
            mergeCVStack(chunksBefore: chunk.chunkCounter)
        }
    }

    /// Absorbs `bytes`. May be called any number of times with splits anywhere.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Returns `count` bytes of output starting at byte offset `seek` of the extendable output
    /// (the default 32 bytes are a prefix of any longer output). The hasher is not modified and
    /// can keep absorbing input.
    public func finalize(count: Int = 32, seek: UInt64 = 0) -> [UInt8] {
        precondition(count >= 0, "BLAKE3 output count must not be negative")
        return rootOutput().rootBytes(count: count, seek: seek)
    }

    /// Returns the BLAKE3 hash (32 bytes) of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// Returns the BLAKE3 hash (32 bytes) of `bytes`.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = BLAKE3()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Returns the keyed BLAKE3 hash (32 bytes) of `bytes`.
    /// - Precondition: `key.count == 32`.
    public static func keyedHash(key: [UInt8], _ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = BLAKE3(key: key)
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Returns the keyed BLAKE3 hash (32 bytes) of `bytes`.
    /// - Precondition: `key.count == 32`.
    public static func keyedHash(key: [UInt8], _ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { keyedHash(key: key, $0) }
    }

    /// Derives `count` bytes of key material from `material` under the application-specific
    /// `context` string (BLAKE3's derive_key mode).
    public static func deriveKey(context: String, material: [UInt8], count: Int = 32) -> [UInt8] {
        var hasher = BLAKE3(deriveKeyContext: context)
        hasher.update(material)
        return hasher.finalize(count: count)
    }

    // MARK: Tree bookkeeping

    /// Size (in chunks) of the next subtree to hash from the input: the largest power of two
    /// that fits in `remaining` bytes, is aligned to `chunkCounter` and does not exceed
    /// `maxSubtreeChunks`.
    private static func subtreeChunkCount(remaining: Int, chunkCounter: UInt64) -> Int {
        var chunks = 1 << (Int.bitWidth - 1 - (remaining / chunkLen).leadingZeroBitCount)
        chunks = min(chunks, maxSubtreeChunks)
        while UInt64(chunks - 1) & chunkCounter != 0 { chunks /= 2 }
        return chunks
    }

    /// Pushes the CV of a subtree that starts after `chunksBefore` chunks, first merging
    /// completed sibling pairs.
    private mutating func pushCV(_ cv: SIMD8<UInt32>, chunksBefore: UInt64) {
        mergeCVStack(chunksBefore: chunksBefore)
        cvStack.append(cv)
    }

    /// Merges stacked CVs until the stack holds one CV per 1-bit of `chunksBefore`
    /// (one per complete power-of-two subtree to the left of the current position).
    private mutating func mergeCVStack(chunksBefore: UInt64) {
        let targetDepth = chunksBefore.nonzeroBitCount
        while cvStack.count > targetDepth {
            let right = cvStack.removeLast()
            let left = cvStack.removeLast()
            cvStack.append(BLAKE3Output.parent(left: left, right: right, key: key, flags: flags).chainingValue())
        }
    }

    /// The root node's output: the partial chunk merged with every stacked CV, right to left.
    private func rootOutput() -> BLAKE3Output {
        var remainingCVs = cvStack.count
        guard remainingCVs > 0 else { return chunk.output() }
        var output: BLAKE3Output
        if chunk.length > 0 {
            output = chunk.output()
        } else {
            // Input ended exactly at a subtree boundary: the top two CVs are the root's children.
            output = BLAKE3Output.parent(left: cvStack[remainingCVs - 2], right: cvStack[remainingCVs - 1], key: key, flags: flags)
            remainingCVs -= 2
        }
        while remainingCVs > 0 {
            remainingCVs -= 1
            output = BLAKE3Output.parent(left: cvStack[remainingCVs], right: output.chainingValue(), key: key, flags: flags)
        }
        return output
    }
}

// MARK: - Constants

/// Domain-separation flags (BLAKE3 spec, Table 3).
enum BLAKE3Flags {
    static let chunkStart: UInt32 = 1 << 0
    static let chunkEnd: UInt32 = 1 << 1
    static let parent: UInt32 = 1 << 2
    static let root: UInt32 = 1 << 3
    static let keyedHash: UInt32 = 1 << 4
    static let deriveKeyContext: UInt32 = 1 << 5
    static let deriveKeyMaterial: UInt32 = 1 << 6
}

/// BLAKE3's IV (the SHA-256 IV), also the key words of the unkeyed modes. A computed value
/// rather than a global so hot loops see constants, not a lazily initialised global.
@inline(__always)
var blake3IV: SIMD8<UInt32> {
    SIMD8(0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19)
}

@inline(__always)
func blake3LoadWords8(_ p: UnsafeRawPointer) -> SIMD8<UInt32> {
    p.loadUnaligned(as: SIMD8<UInt32>.self)
}

// MARK: - Chunk state and output

/// The chunk currently being filled: its running CV and the last (possibly partial) block,
/// which is kept back because it must be compressed with CHUNK_END.
struct BLAKE3ChunkState {
    var cv: SIMD8<UInt32>
    var chunkCounter: UInt64
    var block = SIMD16<UInt32>()
    var blockCount = 0
    var blocksCompressed = 0
    let flags: UInt32

    init(key: SIMD8<UInt32>, chunkCounter: UInt64, flags: UInt32) {
        cv = key
        self.chunkCounter = chunkCounter
        self.flags = flags
    }

    /// Bytes absorbed into this chunk so far (0...1024).
    var length: Int { blocksCompressed * BLAKE3.blockLen + blockCount }

    private var startFlag: UInt32 { blocksCompressed == 0 ? BLAKE3Flags.chunkStart : 0 }

    /// Absorbs `count` bytes; the caller guarantees they fit in the chunk.
    mutating func update(_ input: UnsafeRawPointer, count: Int) {
        var input = input
        var remaining = count
        while remaining > 0 {
            if blockCount == BLAKE3.blockLen {
                let f = flags | startFlag
                let counter = chunkCounter
                let currentCV = cv
                cv = withUnsafeBytes(of: &block) { blake3CompressCV(currentCV, $0.baseAddress!, blockLen: 64, counter: counter, flags: f) }
                blocksCompressed += 1
                blockCount = 0
            }
            if blockCount == 0 {
                // Full blocks straight from the input, keeping the last one back.
                while remaining > BLAKE3.blockLen {
                    cv = blake3CompressCV(cv, input, blockLen: 64, counter: chunkCounter, flags: flags | startFlag)
                    blocksCompressed += 1
                    input += BLAKE3.blockLen
                    remaining -= BLAKE3.blockLen
                }
            }
            let take = min(BLAKE3.blockLen - blockCount, remaining)
            let offset = blockCount
            withUnsafeMutableBytes(of: &block) { $0.baseAddress!.advanced(by: offset).copyMemory(from: input, byteCount: take) }
            blockCount += take
            input += take
            remaining -= take
        }
    }

    /// The output node of this chunk (its last block, zero-padded, with CHUNK_END).
    func output() -> BLAKE3Output {
        var padded = block
        let used = blockCount
        withUnsafeMutableBytes(of: &padded) { _ = ($0.baseAddress! + used).initializeMemory(as: UInt8.self, repeating: 0, count: 64 - used) }
        return BLAKE3Output(inputCV: cv, block: padded, counter: chunkCounter, blockLen: UInt32(used),
                            flags: flags | startFlag | BLAKE3Flags.chunkEnd)
    }
}

/// A node's final compression inputs, kept uncompressed so the root can be expanded to any
/// output length (each 64-byte output block is this compression with a different counter).
struct BLAKE3Output {
    var inputCV: SIMD8<UInt32>
    var block: SIMD16<UInt32>
    var counter: UInt64
    var blockLen: UInt32
    var flags: UInt32

    static func parent(left: SIMD8<UInt32>, right: SIMD8<UInt32>, key: SIMD8<UInt32>, flags: UInt32) -> BLAKE3Output {
        BLAKE3Output(inputCV: key, block: SIMD16(lowHalf: left, highHalf: right), counter: 0, blockLen: 64,
                     flags: flags | BLAKE3Flags.parent)
    }

    /// The node's CV when it is not the root.
    func chainingValue() -> SIMD8<UInt32> {
        var b = block
        let (cv, c, len, f) = (inputCV, counter, blockLen, flags)
        return withUnsafeBytes(of: &b) { blake3CompressCV(cv, $0.baseAddress!, blockLen: len, counter: c, flags: f) }
    }

    /// `count` bytes of root output starting at byte `seek`.
    func rootBytes(count: Int, seek: UInt64) -> [UInt8] {
        var b = block
        return withUnsafeBytes(of: &b) { blockBytes in
            makeBytes(count: count) { out in
                var outputBlock = seek / 64
                var skip = Int(seek % 64)
                var written = 0
                while written < count {
                    let (low, high) = blake3Compress(inputCV, blockBytes.baseAddress!, blockLen: blockLen,
                                                     counter: outputBlock, flags: flags | BLAKE3Flags.root)
                    var words = (low, high)
                    let take = min(64 - skip, count - written)
                    withUnsafeBytes(of: &words) { out.baseAddress!.advanced(by: written).copyMemory(from: $0.baseAddress! + skip, byteCount: take) }
                    written += take
                    skip = 0
                    outputBlock &+= 1
                }
            }
        }
    }
}

// MARK: - Scalar compression

/// The BLAKE3 quarter-round G on scalars.
@inline(__always)
private func g(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32, _ x: UInt32, _ y: UInt32) {
    a = a &+ b &+ x; d = rotr(d ^ a, 16)
    c = c &+ d; b = rotr(b ^ c, 12)
    a = a &+ b &+ y; d = rotr(d ^ a, 8)
    c = c &+ d; b = rotr(b ^ c, 7)
}

/// One round: four column G's, then four diagonal G's. Message words come pre-permuted.
@inline(__always)
private func round(_ v0: inout UInt32, _ v1: inout UInt32, _ v2: inout UInt32, _ v3: inout UInt32,
                   _ v4: inout UInt32, _ v5: inout UInt32, _ v6: inout UInt32, _ v7: inout UInt32,
                   _ v8: inout UInt32, _ v9: inout UInt32, _ v10: inout UInt32, _ v11: inout UInt32,
                   _ v12: inout UInt32, _ v13: inout UInt32, _ v14: inout UInt32, _ v15: inout UInt32,
                   _ m0: UInt32, _ m1: UInt32, _ m2: UInt32, _ m3: UInt32, _ m4: UInt32, _ m5: UInt32, _ m6: UInt32, _ m7: UInt32,
                   _ m8: UInt32, _ m9: UInt32, _ m10: UInt32, _ m11: UInt32, _ m12: UInt32, _ m13: UInt32, _ m14: UInt32, _ m15: UInt32) {
    g(&v0, &v4, &v8, &v12, m0, m1); g(&v1, &v5, &v9, &v13, m2, m3)
    g(&v2, &v6, &v10, &v14, m4, m5); g(&v3, &v7, &v11, &v15, m6, m7)
    g(&v0, &v5, &v10, &v15, m8, m9); g(&v1, &v6, &v11, &v12, m10, m11)
    g(&v2, &v7, &v8, &v13, m12, m13); g(&v3, &v4, &v9, &v14, m14, m15)
}

/// Full compression function: returns the 16 output words (first half = CV, second half is
/// only used for extendable output).
@inline(__always)
func blake3Compress(_ cv: SIMD8<UInt32>, _ block: UnsafeRawPointer, blockLen: UInt32, counter: UInt64, flags: UInt32)
    -> (SIMD8<UInt32>, SIMD8<UInt32>) {
    let m0 = loadLE32(block, 0), m1 = loadLE32(block, 4), m2 = loadLE32(block, 8), m3 = loadLE32(block, 12)
    let m4 = loadLE32(block, 16), m5 = loadLE32(block, 20), m6 = loadLE32(block, 24), m7 = loadLE32(block, 28)
    let m8 = loadLE32(block, 32), m9 = loadLE32(block, 36), m10 = loadLE32(block, 40), m11 = loadLE32(block, 44)
    let m12 = loadLE32(block, 48), m13 = loadLE32(block, 52), m14 = loadLE32(block, 56), m15 = loadLE32(block, 60)
    var v0 = cv[0], v1 = cv[1], v2 = cv[2], v3 = cv[3], v4 = cv[4], v5 = cv[5], v6 = cv[6], v7 = cv[7]
    var v8: UInt32 = 0x6a09_e667, v9: UInt32 = 0xbb67_ae85, v10: UInt32 = 0x3c6e_f372, v11: UInt32 = 0xa54f_f53a
    var v12 = UInt32(truncatingIfNeeded: counter), v13 = UInt32(truncatingIfNeeded: counter >> 32)
    var v14 = blockLen, v15 = flags
    // Seven rounds; the message permutation (spec §2.2) is applied by argument order.
    round(&v0, &v1, &v2, &v3, &v4, &v5, &v6, &v7, &v8, &v9, &v10, &v11, &v12, &v13, &v14, &v15,
          m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15)
    round(&v0, &v1, &v2, &v3, &v4, &v5, &v6, &v7, &v8, &v9, &v10, &v11, &v12, &v13, &v14, &v15,
          m2, m6, m3, m10, m7, m0, m4, m13, m1, m11, m12, m5, m9, m14, m15, m8)
    round(&v0, &v1, &v2, &v3, &v4, &v5, &v6, &v7, &v8, &v9, &v10, &v11, &v12, &v13, &v14, &v15,
          m3, m4, m10, m12, m13, m2, m7, m14, m6, m5, m9, m0, m11, m15, m8, m1)
    round(&v0, &v1, &v2, &v3, &v4, &v5, &v6, &v7, &v8, &v9, &v10, &v11, &v12, &v13, &v14, &v15,
          m10, m7, m12, m9, m14, m3, m13, m15, m4, m0, m11, m2, m5, m8, m1, m6)
    round(&v0, &v1, &v2, &v3, &v4, &v5, &v6, &v7, &v8, &v9, &v10, &v11, &v12, &v13, &v14, &v15,
          m12, m13, m9, m11, m15, m10, m14, m8, m7, m2, m5, m3, m0, m1, m6, m4)
    round(&v0, &v1, &v2, &v3, &v4, &v5, &v6, &v7, &v8, &v9, &v10, &v11, &v12, &v13, &v14, &v15,
          m9, m14, m11, m5, m8, m12, m15, m1, m13, m3, m0, m10, m2, m6, m4, m7)
    round(&v0, &v1, &v2, &v3, &v4, &v5, &v6, &v7, &v8, &v9, &v10, &v11, &v12, &v13, &v14, &v15,
          m11, m15, m5, m0, m1, m9, m8, m6, m14, m10, m2, m12, m3, m4, m7, m13)
    let low = SIMD8(v0 ^ v8, v1 ^ v9, v2 ^ v10, v3 ^ v11, v4 ^ v12, v5 ^ v13, v6 ^ v14, v7 ^ v15)
    let high = SIMD8(v8, v9, v10, v11, v12, v13, v14, v15) ^ cv
    return (low, high)
}

/// Compression returning only the chaining value.
@inline(__always)
func blake3CompressCV(_ cv: SIMD8<UInt32>, _ block: UnsafeRawPointer, blockLen: UInt32, counter: UInt64, flags: UInt32) -> SIMD8<UInt32> {
    blake3Compress(cv, block, blockLen: blockLen, counter: counter, flags: flags).0
}

/// CV of one full, non-root chunk hashed with scalar compressions.
func blake3HashFullChunk(_ input: UnsafeRawPointer, key: SIMD8<UInt32>, counter: UInt64, flags: UInt32) -> SIMD8<UInt32> {
    var cv = key
    for i in 0..<16 {
        var f = flags
        if i == 0 { f |= BLAKE3Flags.chunkStart }
        if i == 15 { f |= BLAKE3Flags.chunkEnd }
        cv = blake3CompressCV(cv, input + i * 64, blockLen: 64, counter: counter, flags: f)
    }
    return cv
}

// MARK: - Subtrees in SIMD lanes

/// Hashes `chunks` (a power of two, at least 2) full chunks starting at chunk number `counter`
/// and returns the CVs of the subtree root's two children.
func blake3CompressSubtree(_ input: UnsafeRawPointer, chunks: Int, key: SIMD8<UInt32>, counter: UInt64, flags: UInt32)
    -> (SIMD8<UInt32>, SIMD8<UInt32>) {
    withUnsafeTemporaryAllocation(of: SIMD8<UInt32>.self, capacity: chunks) { cvs in
        let scratch = UnsafeMutableRawPointer(cvs.baseAddress!)
        // Leaves: eight chunks per SIMD pass, scalar for a 2- or 4-chunk subtree.
        var i = 0
        while i + 8 <= chunks {
            blake3HashChunks8(input + i * BLAKE3.chunkLen, key: key, counter: counter + UInt64(i), flags: flags, out: scratch + i * 32)
            i += 8
        }
        while i < chunks {
            cvs[i] = blake3HashFullChunk(input + i * BLAKE3.chunkLen, key: key, counter: counter + UInt64(i), flags: flags)
            i += 1
        }
        // Parent levels, in place: parent j reads CVs 2j and 2j+1 (64 contiguous bytes) and
        // writes slot j, which is never read again on this level.
        var nodes = chunks
        while nodes > 2 {
            let parents = nodes / 2
            var j = 0
            while j + 8 <= parents {
                blake3HashParents8(scratch + j * 64, key: key, flags: flags, out: scratch + j * 32)
                j += 8
            }
            while j < parents {
                cvs[j] = BLAKE3Output.parent(left: cvs[2 * j], right: cvs[2 * j + 1], key: key, flags: flags).chainingValue()
                j += 1
            }
            nodes = parents
        }
        return (cvs[0], cvs[1])
    }
}

/// Transposes per-lane CVs back to rows and stores them contiguously (32 bytes per lane).
@inline(__always)
private func storeTransposed(_ h: Lanes8, to out: UnsafeMutableRawPointer) {
    let rows = transpose8x8(h)
    out.storeBytes(of: rows.0, toByteOffset: 0, as: SIMD8<UInt32>.self)
    out.storeBytes(of: rows.1, toByteOffset: 32, as: SIMD8<UInt32>.self)
    out.storeBytes(of: rows.2, toByteOffset: 64, as: SIMD8<UInt32>.self)
    out.storeBytes(of: rows.3, toByteOffset: 96, as: SIMD8<UInt32>.self)
    out.storeBytes(of: rows.4, toByteOffset: 128, as: SIMD8<UInt32>.self)
    out.storeBytes(of: rows.5, toByteOffset: 160, as: SIMD8<UInt32>.self)
    out.storeBytes(of: rows.6, toByteOffset: 192, as: SIMD8<UInt32>.self)
    out.storeBytes(of: rows.7, toByteOffset: 224, as: SIMD8<UInt32>.self)
}

/// The BLAKE3 quarter-round G on eight lanes.
@inline(__always)
private func g8(_ a: inout SIMD8<UInt32>, _ b: inout SIMD8<UInt32>, _ c: inout SIMD8<UInt32>, _ d: inout SIMD8<UInt32>,
                _ x: SIMD8<UInt32>, _ y: SIMD8<UInt32>) {
    a = a &+ b &+ x; d = rotr(d ^ a, 16)
    c = c &+ d; b = rotr(b ^ c, 12)
    a = a &+ b &+ y; d = rotr(d ^ a, 8)
    c = c &+ d; b = rotr(b ^ c, 7)
}

/// One round on eight lanes.
@inline(__always)
private func round8(_ v0: inout SIMD8<UInt32>, _ v1: inout SIMD8<UInt32>, _ v2: inout SIMD8<UInt32>, _ v3: inout SIMD8<UInt32>,
                    _ v4: inout SIMD8<UInt32>, _ v5: inout SIMD8<UInt32>, _ v6: inout SIMD8<UInt32>, _ v7: inout SIMD8<UInt32>,
                    _ v8: inout SIMD8<UInt32>, _ v9: inout SIMD8<UInt32>, _ v10: inout SIMD8<UInt32>, _ v11: inout SIMD8<UInt32>,
                    _ v12: inout SIMD8<UInt32>, _ v13: inout SIMD8<UInt32>, _ v14: inout SIMD8<UInt32>, _ v15: inout SIMD8<UInt32>,
                    _ m0: SIMD8<UInt32>, _ m1: SIMD8<UInt32>, _ m2: SIMD8<UInt32>, _ m3: SIMD8<UInt32>,
                    _ m4: SIMD8<UInt32>, _ m5: SIMD8<UInt32>, _ m6: SIMD8<UInt32>, _ m7: SIMD8<UInt32>,
                    _ m8: SIMD8<UInt32>, _ m9: SIMD8<UInt32>, _ m10: SIMD8<UInt32>, _ m11: SIMD8<UInt32>,
                    _ m12: SIMD8<UInt32>, _ m13: SIMD8<UInt32>, _ m14: SIMD8<UInt32>, _ m15: SIMD8<UInt32>) {
    g8(&v0, &v4, &v8, &v12, m0, m1); g8(&v1, &v5, &v9, &v13, m2, m3)
    g8(&v2, &v6, &v10, &v14, m4, m5); g8(&v3, &v7, &v11, &v15, m6, m7)
    g8(&v0, &v5, &v10, &v15, m8, m9); g8(&v1, &v6, &v11, &v12, m10, m11)
    g8(&v2, &v7, &v8, &v13, m12, m13); g8(&v3, &v4, &v9, &v14, m14, m15)
}

/// One compression in each of eight lanes; `h` (the CVs) is updated in place.
/// `block` points at lane 0's 64-byte block; lane i's block is at `block + i * stride`.
@inline(__always)
private func compress8(_ h: inout Lanes8, block: UnsafeRawPointer, stride: Int,
                       counterLow: SIMD8<UInt32>, counterHigh: SIMD8<UInt32>, flags: UInt32) {
    let lo = loadTransposed8x8(block, stride: stride)
    let hi = loadTransposed8x8(block + 32, stride: stride)
    let (m0, m1, m2, m3, m4, m5, m6, m7) = lo
    let (m8, m9, m10, m11, m12, m13, m14, m15) = hi
    var (v0, v1, v2, v3, v4, v5, v6, v7) = h
    var v8 = SIMD8<UInt32>(repeating: 0x6a09_e667), v9 = SIMD8<UInt32>(repeating: 0xbb67_ae85)
    var v10 = SIMD8<UInt32>(repeating: 0x3c6e_f372), v11 = SIMD8<UInt32>(repeating: 0xa54f_f53a)
    var v12 = counterLow, v13 = counterHigh
    var v14 = SIMD8<UInt32>(repeating: 64), v15 = SIMD8<UInt32>(repeating: flags)
    round8(&v0, &v1, &v2, &v3, &v4, &v5, &v6, &v7, &v8, &v9, &v10, &v11, &v12, &v13, &v14, &v15,
           m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11, m12, m13, m14, m15)
    round8(&v0, &v1, &v2, &v3, &v4, &v5, &v6, &v7, &v8, &v9, &v10, &v11, &v12, &v13, &v14, &v15,
           m2, m6, m3, m10, m7, m0, m4, m13, m1, m11, m12, m5, m9, m14, m15, m8)
    round8(&v0, &v1, &v2, &v3, &v4, &v5, &v6, &v7, &v8, &v9, &v10, &v11, &v12, &v13, &v14, &v15,
           m3, m4, m10, m12, m13, m2, m7, m14, m6, m5, m9, m0, m11, m15, m8, m1)
    round8(&v0, &v1, &v2, &v3, &v4, &v5, &v6, &v7, &v8, &v9, &v10, &v11, &v12, &v13, &v14, &v15,
           m10, m7, m12, m9, m14, m3, m13, m15, m4, m0, m11, m2, m5, m8, m1, m6)
    round8(&v0, &v1, &v2, &v3, &v4, &v5, &v6, &v7, &v8, &v9, &v10, &v11, &v12, &v13, &v14, &v15,
           m12, m13, m9, m11, m15, m10, m14, m8, m7, m2, m5, m3, m0, m1, m6, m4)
    round8(&v0, &v1, &v2, &v3, &v4, &v5, &v6, &v7, &v8, &v9, &v10, &v11, &v12, &v13, &v14, &v15,
           m9, m14, m11, m5, m8, m12, m15, m1, m13, m3, m0, m10, m2, m6, m4, m7)
    round8(&v0, &v1, &v2, &v3, &v4, &v5, &v6, &v7, &v8, &v9, &v10, &v11, &v12, &v13, &v14, &v15,
           m11, m15, m5, m0, m1, m9, m8, m6, m14, m10, m2, m12, m3, m4, m7, m13)
    h = (v0 ^ v8, v1 ^ v9, v2 ^ v10, v3 ^ v11, v4 ^ v12, v5 ^ v13, v6 ^ v14, v7 ^ v15)
}

/// CVs of eight consecutive full chunks (numbered `counter`...`counter + 7`), hashed in
/// parallel lanes; writes 8 x 32 bytes to `out`.
func blake3HashChunks8(_ input: UnsafeRawPointer, key: SIMD8<UInt32>, counter: UInt64, flags: UInt32, out: UnsafeMutableRawPointer) {
    // Subtrees are aligned, so a batch starts at a multiple of 8 and lane offsets never carry
    // into the high word.
    assert(counter % 8 == 0, "chunk batches must be 8-aligned")
    let counterLow = SIMD8(repeating: UInt32(truncatingIfNeeded: counter)) | SIMD8(0, 1, 2, 3, 4, 5, 6, 7)
    let counterHigh = SIMD8(repeating: UInt32(truncatingIfNeeded: counter >> 32))
    var h: Lanes8 = (SIMD8(repeating: key[0]), SIMD8(repeating: key[1]), SIMD8(repeating: key[2]), SIMD8(repeating: key[3]),
                     SIMD8(repeating: key[4]), SIMD8(repeating: key[5]), SIMD8(repeating: key[6]), SIMD8(repeating: key[7]))
    for block in 0..<16 {
        var f = flags
        if block == 0 { f |= BLAKE3Flags.chunkStart }
        if block == 15 { f |= BLAKE3Flags.chunkEnd }
        compress8(&h, block: input + block * 64, stride: BLAKE3.chunkLen, counterLow: counterLow, counterHigh: counterHigh, flags: f)
    }
    storeTransposed(h, to: out)
}

/// CVs of eight parent nodes whose child CV pairs are 8 x 64 contiguous bytes at `children`;
/// writes 8 x 32 bytes to `out` (which may overlap the first half of `children`).
func blake3HashParents8(_ children: UnsafeRawPointer, key: SIMD8<UInt32>, flags: UInt32, out: UnsafeMutableRawPointer) {
    var h: Lanes8 = (SIMD8(repeating: key[0]), SIMD8(repeating: key[1]), SIMD8(repeating: key[2]), SIMD8(repeating: key[3]),
                     SIMD8(repeating: key[4]), SIMD8(repeating: key[5]), SIMD8(repeating: key[6]), SIMD8(repeating: key[7]))
    compress8(&h, block: children, stride: 64, counterLow: SIMD8(), counterHigh: SIMD8(), flags: flags | BLAKE3Flags.parent)
    storeTransposed(h, to: out)
}
