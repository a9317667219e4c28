import Glibc
import NXCrypto

/// A problem with cluster key material: which file (if any) and what is wrong.
public struct ClusterKeyError: Error, CustomStringConvertible, Equatable {
    /// The key file, when the key was read from one.
    public let path: String?
    /// What is wrong.
    public let reason: String

    public var description: String {
        "cluster key\(path.map { " file '\($0)'" } ?? ""): \(reason)"
    }
}

/// The shared secret of a cluster. Every node of the cluster uses the same raw bytes (for
/// example `head -c 32 /dev/urandom > cluster.key`). Separate sub-keys are derived with BLAKE3
/// `derive_key` under distinct context strings, so the authentication and encryption keys are
/// independent and the raw material is used for nothing else.
public struct ClusterKey: Sendable {
    /// Fewest raw bytes accepted (128 bits).
    public static let minimumByteCount = 16
    /// Most raw bytes accepted from a key file (guards against pointing at a large file).
    public static let maximumByteCount = 4096

    /// derive_key contexts (hard-coded, globally unique, never reused for anything else).
    enum Context {
        static let authentication = "nx 2025-06 NXNet datagram authentication key v1"
        static let encryption = "nx 2025-06 NXNet datagram encryption key v1"
        static let sessionEncryption = "nx 2025-06 NXNet per-session encryption key v1"
        static let fingerprint = "nx 2025-06 NXNet cluster key fingerprint v1"
        static let openChecksum = "nx 2025-06 NXNet open cluster checksum key v1"
    }

    /// Keyed-BLAKE3 key for datagram tags.
    let authenticationKey: [UInt8]
    /// Root of the per-session ChaCha20-Poly1305 keys.
    let encryptionKey: [UInt8]
    /// A non-secret identifier of the key (16 hex digits), safe to log so operators can check
    /// that two nodes use the same key.
    public let fingerprint: String

    /// Derives the sub-keys from raw key material.
    /// - Throws: ``ClusterKeyError`` when the material is shorter than ``minimumByteCount`` or
    ///   longer than ``maximumByteCount``.
    public init(material: [UInt8]) throws {
        guard material.count >= ClusterKey.minimumByteCount else {
            throw ClusterKeyError(path: nil, reason: "\(material.count) bytes of key material; at least \(ClusterKey.minimumByteCount) required")
        }
        guard material.count <= ClusterKey.maximumByteCount else {
            throw ClusterKeyError(path: nil, reason: "\(material.count) bytes of key material; at most \(ClusterKey.maximumByteCount) accepted")
        }
        authenticationKey = BLAKE3.deriveKey(context: Context.authentication, material: material)
        encryptionKey = BLAKE3.deriveKey(context: Context.encryption, material: material)
        fingerprint = hexString(BLAKE3.deriveKey(context: Context.fingerprint, material: material, count: 8))
    }

    /// Reads raw key material from a file (all of its bytes, as they are: no trimming).
    /// - Throws: ``ClusterKeyError`` naming the file when it cannot be read or has a bad size.
    public init(contentsOfFile path: String) throws {
        let material: [UInt8]
        do {
            material = try readSmallFile(path, limit: ClusterKey.maximumByteCount)
        } catch let error as ClusterKeyError {
            throw ClusterKeyError(path: path, reason: error.reason)
        }
        do {
            try self.init(material: material)
        } catch let error as ClusterKeyError {
            throw ClusterKeyError(path: path, reason: error.reason)
        }
    }

    /// The ChaCha20-Poly1305 key of one sender session. Every (sender, session) pair gets its
    /// own key, so the 12-byte nonce (4 session bytes ‖ 64-bit counter) is never reused under a
    /// key even if two sessions happened to share their first 4 bytes.
    func sessionKey(sender: NodeId, session: UInt64) -> [UInt8] {
        var material = encryptionKey
        var w = ByteWriter(capacity: 24)
        w.nodeId(sender)
        w.u64(session)
        material += w.output
        return BLAKE3.deriveKey(context: Context.sessionEncryption, material: material)
    }
}

/// Reads at most `limit` bytes of a file; throws (reason only) when it is missing or larger.
private func readSmallFile(_ path: String, limit: Int) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw ClusterKeyError(path: path, reason: "cannot open: \(errnoDescription(errno))") }
    defer { close(fd) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw ClusterKeyError(path: path, reason: "cannot read: \(errnoDescription(errno))")
        }
        if n == 0 { return out }
        out += chunk[0..<n]
        if out.count > limit {
            throw ClusterKeyError(path: path, reason: "larger than \(limit) bytes; expected raw key material")
        }
    }
}

/// A datagram that passed the structural and cryptographic checks of ``DatagramCodec/open(_:maximumMessageBytes:)``.
public struct OpenedDatagram: Sendable {
    /// The header as received.
    public let header: DatagramHeader
    /// The plaintext body (decrypted if it was encrypted).
    public let body: [UInt8]
}

/// Seals and opens datagrams: header layout, keyed-BLAKE3 tag, optional ChaCha20-Poly1305.
/// Stateless apart from its keys, so it is safe to use from any thread. Replay and timestamp
/// checks are the job of ``ReplayGuard``.
///
/// Without a cluster key the tag is still computed, with a public key derived from a fixed
/// context: it detects corruption but authenticates nothing (an *open* cluster).
public struct DatagramCodec: Sendable {
    let key: ClusterKey?
    let encrypts: Bool
    private let tagKey: [UInt8]

    /// - Parameters:
    ///   - key: the cluster key; nil for an open cluster.
    ///   - encrypt: encrypt bodies (requires a key; ignored without one).
    public init(key: ClusterKey?, encrypt: Bool) {
        self.key = key
        encrypts = encrypt && key != nil
        tagKey = key?.authenticationKey ?? BLAKE3.deriveKey(context: ClusterKey.Context.openChecksum, material: [])
    }

    /// The 12-byte nonce for a session and counter: session bytes 0-3 ‖ counter (little-endian).
    static func nonce(session: UInt64, counter: UInt64) -> [UInt8] {
        var w = ByteWriter(capacity: 12)
        w.u32(UInt32(truncatingIfNeeded: session))
        w.u64(counter)
        return w.output
    }

    /// Builds a datagram: header (with `flags` and `bodyLength` set here), body (encrypted when
    /// configured, with the header as associated data) and tag.
    /// - Precondition: `body.count <= Wire.maximumChunkByteCount`.
    public func seal(_ header: DatagramHeader, body: [UInt8]) -> [UInt8] {
        precondition(body.count <= Wire.maximumChunkByteCount, "datagram body of \(body.count) bytes exceeds \(Wire.maximumChunkByteCount)")
        var h = header
        h.flags = key == nil ? [] : .keyed
        if encrypts { h.flags.insert(.encrypted) }
        h.bodyLength = UInt16(body.count + (encrypts ? Wire.aeadTagByteCount : 0))
        var out = h.encoded()
        out.reserveCapacity(Wire.headerByteCount + Int(h.bodyLength) + Wire.tagByteCount)
        if let key, encrypts {
            let sealed = ChaCha20Poly1305.seal(key: key.sessionKey(sender: h.sender, session: h.session),
                                               nonce: DatagramCodec.nonce(session: h.session, counter: h.counter),
                                               plaintext: body, aad: out)
            out += sealed.ciphertext
            out += sealed.tag
        } else {
            out += body
        }
        let tag = out.withUnsafeBytes { BLAKE3.keyedHash(key: tagKey, $0) }
        out += tag[0..<Wire.tagByteCount]
        return out
    }

    /// Checks a received datagram and returns its header and plaintext body, or why it must
    /// be dropped. Never traps on any input.
    ///
    /// Order: size, magic, version, header fields, declared lengths, fragment layout, security
    /// mode, tag (constant-time), decryption.
    public func open(_ datagram: UnsafeRawBufferPointer, maximumMessageBytes: Int) -> Result<OpenedDatagram, DropReason> {
        let n = datagram.count
        if n > Wire.maximumDatagramByteCount { return .failure(.oversized) }
        if n < Wire.magic.count { return .failure(.truncated) }
        for i in 0..<Wire.magic.count where datagram[i] != Wire.magic[i] { return .failure(.badMagic) }
        if n < 5 { return .failure(.truncated) }
        if datagram[4] != Wire.version { return .failure(.unsupportedVersion) }
        if n < Wire.headerByteCount { return .failure(.truncated) }
        let parsed = DatagramHeader.parseFields(datagram)
        guard let header = parsed.header else { return .failure(.unknownKind) }
        if let reason = structuralProblem(header, reservedOK: parsed.reservedOK, length: n, maximumMessageBytes: maximumMessageBytes) {
            return .failure(reason)
        }
        if header.flags.contains(.keyed) != (key != nil) { return .failure(.securityModeMismatch) }
        let tagStart = Wire.headerByteCount + Int(header.bodyLength)
        let expected = BLAKE3.keyedHash(key: tagKey, UnsafeRawBufferPointer(rebasing: datagram[0..<tagStart]))
        let tagMatches = expected.withUnsafeBytes {
            ConstantTime.equals(UnsafeRawBufferPointer(rebasing: $0[0..<Wire.tagByteCount]),
                                UnsafeRawBufferPointer(rebasing: datagram[tagStart..<tagStart + Wire.tagByteCount]))
        }
        guard tagMatches else { return .failure(.unauthenticated) }
        let bodyBytes = Array(datagram[Wire.headerByteCount..<tagStart])
        guard header.flags.contains(.encrypted), let key else {
            return .success(OpenedDatagram(header: header, body: bodyBytes))
        }
        let split = bodyBytes.count - Wire.aeadTagByteCount
        do {
            let plaintext = try ChaCha20Poly1305.open(key: key.sessionKey(sender: header.sender, session: header.session),
                                                      nonce: DatagramCodec.nonce(session: header.session, counter: header.counter),
                                                      ciphertext: Array(bodyBytes[0..<split]), tag: Array(bodyBytes[split...]),
                                                      aad: Array(datagram[0..<Wire.headerByteCount]))
            return .success(OpenedDatagram(header: header, body: plaintext))
        } catch {
            return .failure(.decryptionFailed)
        }
    }

    /// Header checks that need no key: reserved fields, lengths, fragment layout.
    private func structuralProblem(_ h: DatagramHeader, reservedOK: Bool, length n: Int, maximumMessageBytes: Int) -> DropReason? {
        guard reservedOK, h.flags.isSubset(of: DatagramFlags.known), h.sender != .zero else { return .malformedHeader }
        if h.flags.contains(.encrypted) && !h.flags.contains(.keyed) { return .malformedHeader }
        let declared = Wire.headerByteCount + Int(h.bodyLength) + Wire.tagByteCount
        if n < declared { return .truncated }
        if n > declared { return .malformedHeader }
        let aead = h.flags.contains(.encrypted) ? Wire.aeadTagByteCount : 0
        let plaintextLength = Int(h.bodyLength) - aead
        guard plaintextLength >= 0, plaintextLength <= Wire.maximumChunkByteCount else { return .malformedHeader }
        let total = Int(h.totalLength)
        let count = Int(h.fragmentCount)
        guard count >= 1, Int(h.fragmentIndex) < count else { return .malformedHeader }
        if count > 1 && !h.kind.mayBeFragmented { return .malformedHeader }
        if total > maximumMessageBytes { return .messageTooLarge }
        guard FragmentLayout.isConsistent(total: total, count: count),
              FragmentLayout.range(total: total, count: count, index: Int(h.fragmentIndex)).count == plaintextLength else {
            return .malformedHeader
        }
        return nil
    }
}
