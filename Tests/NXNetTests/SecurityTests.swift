import Glibc
import NXCrypto
import XCTest
@testable import NXNet

final class SecurityTests: XCTestCase {
    let sender = NodeId.random()
    let recipient = NodeId.random()

    private func opened(_ codec: DatagramCodec, _ bytes: [UInt8]) -> Result<OpenedDatagram, DropReason> {
        bytes.withUnsafeBytes { codec.open($0, maximumMessageBytes: 8 << 20) }
    }

    private func isRejected(_ r: Result<OpenedDatagram, DropReason>) -> Bool {
        if case .failure = r { return true }
        return false
    }

    func testSubKeysAreDerivedWithDistinctContexts() {
        let material = Array("nx test cluster key material 0123456789".utf8)
        XCTAssertEqual(testKey.authenticationKey, BLAKE3.deriveKey(context: ClusterKey.Context.authentication, material: material))
        XCTAssertEqual(testKey.encryptionKey, BLAKE3.deriveKey(context: ClusterKey.Context.encryption, material: material))
        XCTAssertNotEqual(testKey.authenticationKey, testKey.encryptionKey)
        XCTAssertNotEqual(testKey.authenticationKey, material)
        let contexts = [ClusterKey.Context.authentication, ClusterKey.Context.encryption, ClusterKey.Context.sessionEncryption,
                        ClusterKey.Context.fingerprint, ClusterKey.Context.openChecksum]
        XCTAssertEqual(Set(contexts).count, contexts.count)
        XCTAssertEqual(testKey.fingerprint.count, 16)
        XCTAssertNotEqual(testKey.fingerprint, otherKey.fingerprint)
        // Per-session keys differ by sender and by session.
        let k1 = testKey.sessionKey(sender: sender, session: 1)
        XCTAssertNotEqual(k1, testKey.sessionKey(sender: sender, session: 2))
        XCTAssertNotEqual(k1, testKey.sessionKey(sender: recipient, session: 1))
        XCTAssertEqual(k1, testKey.sessionKey(sender: sender, session: 1))
    }

    func testKeyFileLoadingAndErrors() throws {
        let dir = "/tmp/nxnet-test-\(getpid())"
        mkdir(dir, 0o700)
        defer { _ = system("rm -rf \(dir)") }
        func write(_ name: String, _ bytes: [UInt8]) -> String {
            let path = "\(dir)/\(name)"
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            close(fd)
            return path
        }
        let material = pseudoRandomBytes(32, seed: 9)
        let good = try ClusterKey(contentsOfFile: write("good", material))
        XCTAssertEqual(good.authenticationKey, try ClusterKey(material: material).authenticationKey)
        let shortPath = write("short", [1, 2, 3])
        XCTAssertThrowsError(try ClusterKey(contentsOfFile: shortPath)) { error in
            XCTAssertEqual((error as? ClusterKeyError)?.path, shortPath)
            XCTAssertTrue("\(error)".contains("3 bytes"), "\(error)")
        }
        XCTAssertThrowsError(try ClusterKey(contentsOfFile: write("big", Array(repeating: 7, count: 5000)))) { error in
            XCTAssertTrue("\(error)".contains("larger than 4096"), "\(error)")
        }
        XCTAssertThrowsError(try ClusterKey(contentsOfFile: "\(dir)/missing")) { error in
            XCTAssertTrue("\(error)".contains("missing") && "\(error)".contains("cannot open"), "\(error)")
        }
    }

    func testDatagramFromAnotherKeyIsRejected() {
        let mine = DatagramCodec(key: testKey, encrypt: false)
        let theirs = DatagramCodec(key: otherKey, encrypt: false)
        let open = DatagramCodec(key: nil, encrypt: false)
        let header = makeHeader(sender: sender, recipient: recipient, total: 5)
        XCTAssertEqual(opened(mine, theirs.seal(header, body: [1, 2, 3, 4, 5])).failureReason, .unauthenticated)
        XCTAssertEqual(opened(mine, DatagramCodec(key: otherKey, encrypt: true).seal(header, body: [1, 2, 3, 4, 5])).failureReason, .unauthenticated)
        // Open and keyed nodes cannot talk to each other either way.
        XCTAssertEqual(opened(mine, open.seal(header, body: [1, 2, 3, 4, 5])).failureReason, .securityModeMismatch)
        XCTAssertEqual(opened(open, mine.seal(header, body: [1, 2, 3, 4, 5])).failureReason, .securityModeMismatch)
        // Forging the keyed flag on an open datagram does not help.
        var forged = open.seal(header, body: [1, 2, 3, 4, 5])
        forged[6] = DatagramFlags.keyed.rawValue
        XCTAssertEqual(opened(mine, forged).failureReason, .unauthenticated)
    }

    func testEverySingleBitFlipIsRejected() {
        for encrypt in [false, true] {
            let codec = DatagramCodec(key: testKey, encrypt: encrypt)
            let datagram = codec.seal(makeHeader(sender: sender, recipient: recipient, total: 200), body: pseudoRandomBytes(200, seed: 4))
            guard case .success = opened(codec, datagram) else { return XCTFail("valid datagram rejected") }
            for bit in 0..<(datagram.count * 8) {
                var flipped = datagram
                flipped[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
                XCTAssertTrue(isRejected(opened(codec, flipped)), "bit \(bit) flipped (encrypt: \(encrypt)) was accepted")
            }
        }
    }

    func testOpenClusterChecksumCatchesCorruption() {
        let codec = DatagramCodec(key: nil, encrypt: false)
        let datagram = codec.seal(makeHeader(sender: sender, recipient: recipient, total: 64), body: pseudoRandomBytes(64, seed: 5))
        for bit in stride(from: 80 * 8, to: datagram.count * 8, by: 7) {
            var flipped = datagram
            flipped[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
            XCTAssertEqual(opened(codec, flipped).failureReason, .unauthenticated, "bit \(bit)")
        }
    }

    func testEncryptionHidesThePayloadAndDetectsTampering() {
        let codec = DatagramCodec(key: testKey, encrypt: true)
        let secret = Array("the launch code is 0000, and this sentence is long enough to find".utf8)
        let header = makeHeader(sender: sender, recipient: recipient, counter: 1, total: secret.count)
        let datagram = codec.seal(header, body: secret)
        XCTAssertFalse(contains(datagram, Array(secret[0..<16])), "plaintext visible in the encrypted datagram")
        guard case let .success(o) = opened(codec, datagram) else { return XCTFail() }
        XCTAssertEqual(o.body, secret)
        // Another counter means another nonce: the same plaintext encrypts differently.
        var next = header
        next.counter = 2
        let second = codec.seal(next, body: secret)
        XCTAssertNotEqual(Array(second[80..<80 + secret.count]), Array(datagram[80..<80 + secret.count]))
        // Another session of the same node: another key.
        var restarted = header
        restarted.session = 43
        XCTAssertNotEqual(Array(codec.seal(restarted, body: secret)[80..<80 + secret.count]), Array(datagram[80..<80 + secret.count]))
        // Tampering with the ciphertext and re-tagging with the authentication key (an insider
        // who knows the key could) is still caught by Poly1305.
        var tampered = datagram
        tampered[90] ^= 1
        let end = tampered.count - 16
        let tag = BLAKE3.keyedHash(key: testKey.authenticationKey, Array(tampered[0..<end]))
        tampered.replaceSubrange(end..., with: tag[0..<16])
        XCTAssertEqual(opened(codec, tampered).failureReason, .decryptionFailed)
        // The nonce is the session's low 4 bytes followed by the counter.
        XCTAssertEqual(DatagramCodec.nonce(session: 0x1122_3344_5566_7788, counter: 0x0102),
                       [0x88, 0x77, 0x66, 0x55, 0x02, 0x01, 0, 0, 0, 0, 0, 0])
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        for i in 0...(haystack.count - needle.count) where Array(haystack[i..<i + needle.count]) == needle { return true }
        return false
    }

    // MARK: Replay guard

    func testSameDatagramTwiceIsAReplay() {
        let guardian = ReplayGuard(maximumAgeMilliseconds: 60_000, maximumFutureSkewMilliseconds: 30_000)
        let now: UInt64 = 1_000_000
        XCTAssertNil(guardian.accept(sender: sender, session: 1, counter: 10, timestamp: now, now: now))
        XCTAssertEqual(guardian.accept(sender: sender, session: 1, counter: 10, timestamp: now, now: now), .replayed)
        // Another session or another sender has its own window.
        XCTAssertNil(guardian.accept(sender: sender, session: 2, counter: 10, timestamp: now, now: now))
        XCTAssertNil(guardian.accept(sender: recipient, session: 1, counter: 10, timestamp: now, now: now))
    }

    func testSlidingWindowAcceptsReorderingAndRejectsTooOld() {
        let guardian = ReplayGuard(maximumAgeMilliseconds: 60_000, maximumFutureSkewMilliseconds: 30_000)
        let now: UInt64 = 1_000_000
        var rng = SplitMix64(seed: 11)
        var counters = Array(UInt64(1)...3000)
        // Reorder within blocks of 200 (distances well below the window).
        for i in stride(from: 0, to: counters.count, by: 200) {
            counters[i..<i + 200].shuffle(using: &rng)
        }
        for c in counters {
            XCTAssertNil(guardian.accept(sender: sender, session: 1, counter: c, timestamp: now, now: now), "counter \(c)")
        }
        for c in [UInt64(1), 2000, 2999, 3000] {
            let r = guardian.accept(sender: sender, session: 1, counter: c, timestamp: now, now: now)
            XCTAssertTrue(r == .replayed || r == .outsideReplayWindow, "counter \(c): \(String(describing: r))")
        }
        // Highest is 3000: 3000 - 1023 is the oldest judged counter (already seen), below it is outside.
        XCTAssertEqual(guardian.accept(sender: sender, session: 1, counter: 3000 - 1023, timestamp: now, now: now), .replayed)
        XCTAssertEqual(guardian.accept(sender: sender, session: 1, counter: 3000 - 1024, timestamp: now, now: now), .outsideReplayWindow)
        // A big jump forward clears the window; counters just below the new top are fresh.
        XCTAssertNil(guardian.accept(sender: sender, session: 1, counter: 100_000, timestamp: now, now: now))
        XCTAssertNil(guardian.accept(sender: sender, session: 1, counter: 99_990, timestamp: now, now: now))
        XCTAssertEqual(guardian.accept(sender: sender, session: 1, counter: 99_990, timestamp: now, now: now), .replayed)
        // Gaps left earlier can still be filled once, within the window.
        XCTAssertNil(guardian.accept(sender: sender, session: 1, counter: 99_000, timestamp: now, now: now))
        XCTAssertEqual(guardian.accept(sender: sender, session: 1, counter: 99_000, timestamp: now, now: now), .replayed)
    }

    func testStaleAndFutureTimestamps() {
        let guardian = ReplayGuard(maximumAgeMilliseconds: 60_000, maximumFutureSkewMilliseconds: 30_000)
        let now: UInt64 = 10_000_000
        XCTAssertEqual(guardian.accept(sender: sender, session: 1, counter: 1, timestamp: now - 60_001, now: now), .stale)
        XCTAssertNil(guardian.accept(sender: sender, session: 1, counter: 2, timestamp: now - 60_000, now: now))
        XCTAssertEqual(guardian.accept(sender: sender, session: 1, counter: 3, timestamp: now + 30_001, now: now), .fromFuture)
        XCTAssertNil(guardian.accept(sender: sender, session: 1, counter: 4, timestamp: now + 30_000, now: now))
        XCTAssertEqual(guardian.accept(sender: sender, session: 1, counter: 5, timestamp: 0, now: now), .stale)
    }

    func testOldSessionReplayedAfterRestart() {
        // The sender restarts (new session); its old datagrams are replayed.
        let guardian = ReplayGuard(maximumAgeMilliseconds: 60_000, maximumFutureSkewMilliseconds: 30_000)
        var now: UInt64 = 10_000_000
        let oldSession: UInt64 = 111
        let newSession: UInt64 = 222
        let captured = (counter: UInt64(5), timestamp: now)
        XCTAssertNil(guardian.accept(sender: sender, session: oldSession, counter: captured.counter, timestamp: captured.timestamp, now: now))
        now += 1_000
        XCTAssertNil(guardian.accept(sender: sender, session: newSession, counter: 1, timestamp: now, now: now))
        // While the receiver remembers the old session, the window rejects the replay.
        XCTAssertEqual(guardian.accept(sender: sender, session: oldSession, counter: captured.counter, timestamp: captured.timestamp, now: now), .replayed)
        // Once it has forgotten the session (idle past max age + skew), the timestamp rejects it.
        now += 91_000
        guardian.prune(now: now)
        XCTAssertEqual(guardian.sessionCount, 0)
        XCTAssertEqual(guardian.accept(sender: sender, session: oldSession, counter: captured.counter, timestamp: captured.timestamp, now: now), .stale)
        // A receiver that restarted (forgot everything) is covered the same way.
        guardian.reset()
        XCTAssertEqual(guardian.accept(sender: sender, session: oldSession, counter: captured.counter, timestamp: captured.timestamp, now: now), .stale)
    }

    func testSessionTableIsBounded() {
        let guardian = ReplayGuard(maximumAgeMilliseconds: 60_000, maximumFutureSkewMilliseconds: 30_000, maximumSessions: 16)
        let now: UInt64 = 10_000_000
        for s in 0..<40 {
            XCTAssertNil(guardian.accept(sender: sender, session: UInt64(s), counter: 1, timestamp: now, now: now + UInt64(s)))
        }
        XCTAssertLessThanOrEqual(guardian.sessionCount, 16)
        XCTAssertEqual(guardian.evictedEarly, 24)
    }
}

extension Result {
    var failureReason: Failure? {
        if case let .failure(f) = self { return f }
        return nil
    }
}
