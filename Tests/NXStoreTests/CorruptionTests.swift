import Foundation
import XCTest
@testable import NXStore

/// Damage to segment and hint files: refusal naming file and offset, repair, torn tails at
/// every offset, hint fallback.
final class CorruptionTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = makeTempDir("corrupt") }
    override func tearDown() { removeTree(dir) }

    var noHint: StoreOptions {
        var o = StoreOptions()
        o.writeHintOnClose = false
        return o
    }

    func key(_ i: Int) -> [UInt8] { b(String(format: "key%05d", i)) }
    func value(_ i: Int) -> [UInt8] { b("value-\(i)-") + [UInt8](repeating: UInt8(i % 251), count: 40 + i % 30) }

    /// Writes `n` single puts (no hint file) and returns the one segment's path.
    func writeStore(_ n: Int, options: StoreOptions? = nil) throws -> String {
        let s = try Store.open(path: dir, options: options ?? noHint)
        for i in 0..<n { try s.put(key(i), value(i)) }
        try s.close()
        let segs = segmentFiles(dir)
        return dir + "/" + segs.last!
    }

    func testFlippedByteMidFileRefusesToOpenNamingFileAndOffset() throws {
        let seg = try writeStore(200)
        var bytes = readFile(seg)
        let offsets = recordOffsets(bytes)
        XCTAssertEqual(offsets.count, 200)
        let damaged = offsets[100]
        bytes[damaged + 20] ^= 0x40
        writeFile(seg, bytes)
        XCTAssertThrowsError(try Store.open(path: dir, options: noHint)) { e in
            guard case let .corrupt(file, offset, reason)? = e as? StoreError else { return XCTFail("\(e)") }
            XCTAssertEqual(file, seg)
            XCTAssertEqual(offset, damaged)
            XCTAssertTrue(reason.contains("checksum"), reason)
            XCTAssertTrue("\(e)".contains(seg) && "\(e)".contains("\(damaged)"), "\(e)")
        }
        // Nothing was modified by the refused open.
        XCTAssertEqual(readFile(seg), bytes)
    }

    func testRepairKeepsEveryRecordBeforeTheDamageAndReportsTheLoss() throws {
        let seg = try writeStore(200)
        var bytes = readFile(seg)
        let offsets = recordOffsets(bytes)
        bytes[offsets[120] + 3] ^= 0xFF
        writeFile(seg, bytes)
        var o = noHint
        o.repair = true
        let s = try Store.open(path: dir, options: o)
        let report = s.recoveryReport
        XCTAssertEqual(report.repairs.count, 1, "\(report)")
        let r = report.repairs[0]
        XCTAssertEqual(r.file, (seg as NSString).lastPathComponent)
        XCTAssertEqual(r.offset, offsets[120])
        XCTAssertEqual(r.bytesDiscarded, bytes.count - offsets[120])
        XCTAssertEqual(r.recordsDiscarded, 80)
        XCTAssertEqual(readFile(r.savedTo!), Array(bytes[offsets[120]...]))
        for i in 0..<120 { XCTAssertEqual(try s.get(key(i)), value(i)) }
        for i in 120..<200 { XCTAssertNil(try s.get(key(i))) }
        // The repaired store takes new writes and reopens cleanly.
        try s.put(key(150), b("new"))
        try s.close()
        let again = try Store.open(path: dir, options: noHint)
        XCTAssertTrue(again.recoveryReport.isClean, "\(again.recoveryReport)")
        XCTAssertEqual(try again.get(key(150)), b("new"))
        XCTAssertEqual(again.statistics().liveKeys, 121)
        try again.close()
    }

    func testDamageInAnOlderSegmentIsCorruptionEvenWithALaterTail() throws {
        var o = noHint
        o.segmentSizeLimit = 8192
        _ = try writeStore(300, options: o)
        let segs = segmentFiles(dir)
        XCTAssertGreaterThanOrEqual(segs.count, 3)
        let first = dir + "/" + segs[0]
        var bytes = readFile(first)
        let offsets = recordOffsets(bytes)
        // Damage the LAST record of a non-last segment: not a torn tail.
        bytes[offsets.last! + 10] ^= 1
        writeFile(first, bytes)
        XCTAssertThrowsError(try Store.open(path: dir, options: o)) { e in
            XCTAssertEqual((e as? StoreError).map { if case let .corrupt(f, off, _) = $0 { return "\(f)@\(off)" } else { return "" } },
                           "\(first)@\(offsets.last!)")
        }
        // A broken header of an older segment is reported at offset 0.
        bytes = readFile(dir + "/" + segs[1])
        bytes[2] ^= 1
        writeFile(dir + "/" + segs[1], bytes)
        o.repair = true
        let s = try Store.open(path: dir, options: o)
        XCTAssertEqual(s.recoveryReport.repairs.count, 2, "\(s.recoveryReport)")
        XCTAssertEqual(s.recoveryReport.repairs.map(\.offset).sorted(), [0, offsets.last!])
        try s.close()
    }

    /// Cutting the last record at every offset: the store opens, reports the torn tail, keeps
    /// every earlier record. Same for a batch at the tail (it disappears as a whole).
    func testTornTailAtEveryOffsetOfTheLastRecordAndBatch() throws {
        let s = try Store.open(path: dir, options: noHint)
        for i in 0..<20 { try s.put(key(i), value(i)) }
        try s.put(key(99), value(99))
        try s.close()
        let seg = dir + "/" + segmentFiles(dir)[0]
        let full = readFile(seg)
        let last = recordOffsets(full).last!
        for cut in last...full.count {
            writeFile(seg, Array(full[0..<cut]))
            let r = try Store.open(path: dir, options: noHint)
            if cut == last || cut == full.count {
                XCTAssertNil(r.recoveryReport.tornTail, "cut \(cut)")
            } else {
                XCTAssertEqual(r.recoveryReport.tornTail?.offset, last, "cut \(cut)")
                XCTAssertEqual(r.recoveryReport.tornTail?.bytesRemoved, cut - last, "cut \(cut)")
            }
            for i in 0..<20 { XCTAssertEqual(try r.get(key(i)), value(i), "cut \(cut)") }
            XCTAssertEqual(try r.get(key(99)), cut == full.count ? value(99) : nil, "cut \(cut)")
            try r.close()
            XCTAssertEqual(readFile(seg).count, cut == full.count ? full.count : last, "cut \(cut)")
        }

        // A batch of three records at the tail.
        writeFile(seg, full)
        let t = try Store.open(path: dir, options: noHint)
        var batch = WriteBatch()
        batch.put(key(200), value(200))
        batch.delete(key(0))
        batch.put(key(201), value(201))
        try t.write(batch)
        try t.close()
        let withBatch = readFile(seg)
        let batchStart = full.count
        for cut in stride(from: batchStart + 1, to: withBatch.count, by: 3) {
            writeFile(seg, Array(withBatch[0..<cut]))
            let r = try Store.open(path: dir, options: noHint)
            XCTAssertEqual(r.recoveryReport.tornTail?.offset, batchStart, "cut \(cut)")
            XCTAssertNil(try r.get(key(200)), "cut \(cut)")
            XCTAssertNil(try r.get(key(201)), "cut \(cut)")
            XCTAssertEqual(try r.get(key(0)), value(0), "cut \(cut): half a batch applied")
            try r.close()
        }
        writeFile(seg, withBatch)
        let r = try Store.open(path: dir, options: noHint)
        XCTAssertNil(r.recoveryReport.tornTail)
        XCTAssertNil(try r.get(key(0)))
        XCTAssertEqual(try r.get(key(201)), value(201))
        try r.close()
    }

    /// A crash right after a rotation created the next segment file but before its header was
    /// written: the empty file is removed, the store appends to a fresh segment.
    func testSegmentWithoutHeaderAtTheEndIsATornTail() throws {
        _ = try writeStore(20)
        let next = SegmentID(major: 2, minor: 0).fileName
        writeFile(dir + "/" + next, [0x4E, 0x58, 0x53])
        let s = try Store.open(path: dir, options: noHint)
        XCTAssertEqual(s.recoveryReport.tornTail?.file, next, "\(s.recoveryReport)")
        XCTAssertEqual(s.recoveryReport.tornTail?.bytesRemoved, 3)
        for i in 0..<20 { XCTAssertEqual(try s.get(key(i)), value(i)) }
        try s.put(key(100), value(100))
        try s.close()
        let r = try Store.open(path: dir, options: noHint)
        XCTAssertTrue(r.recoveryReport.isClean, "\(r.recoveryReport)")
        XCTAssertEqual(try r.get(key(100)), value(100))
        XCTAssertEqual(r.statistics().liveKeys, 21)
        try r.close()
    }

    func testZeroFilledTailIsRemovedAndReported() throws {
        let seg = try writeStore(10)
        let bytes = readFile(seg)
        writeFile(seg, bytes + [UInt8](repeating: 0, count: 5000))
        let s = try Store.open(path: dir, options: noHint)
        XCTAssertEqual(s.recoveryReport.zeroTail?.offset, bytes.count)
        XCTAssertEqual(s.recoveryReport.zeroTail?.bytesRemoved, 5000)
        XCTAssertNil(s.recoveryReport.tornTail)
        for i in 0..<10 { XCTAssertEqual(try s.get(key(i)), value(i)) }
        try s.close()
        XCTAssertEqual(readFile(seg), bytes)
    }

    /// A record cut short inside preallocated space (its tail still zeros), as a crash during a
    /// durable-mode append leaves it: a torn tail, not corruption.
    func testPartiallyWrittenRecordBeforeZerosIsATornTail() throws {
        let seg = try writeStore(10)
        var bytes = readFile(seg)
        let last = recordOffsets(bytes).last!
        for i in (last + 20)..<bytes.count { bytes[i] = 0 }
        writeFile(seg, bytes + [UInt8](repeating: 0, count: 3000))
        let s = try Store.open(path: dir, options: noHint)
        XCTAssertEqual(s.recoveryReport.tornTail?.offset, last, "\(s.recoveryReport)")
        for i in 0..<9 { XCTAssertEqual(try s.get(key(i)), value(i)) }
        XCTAssertNil(try s.get(key(9)))
        try s.close()
    }

    /// Durable mode preallocates zeros after the data; a crash leaves them, the next open
    /// removes them as a zero tail and keeps every acknowledged write.
    func testDurableModePreallocationIsTrimmedOnCloseAndAfterACrash() throws {
        let s = try Store.open(path: dir, options: StoreOptions(durability: .always))
        for i in 0..<50 { try s.put(key(i), value(i)) }
        let seg = dir + "/" + segmentFiles(dir)[0]
        let preallocated = readFile(seg)
        XCTAssertGreaterThanOrEqual(preallocated.count, 1 << 20)
        try s.close()
        let trimmed = readFile(seg)
        XCTAssertEqual(recordOffsets(trimmed).count, 50)
        XCTAssertEqual(Array(preallocated.prefix(trimmed.count)), trimmed)
        // The file as a crash leaves it: data followed by preallocated zeros.
        writeFile(seg, preallocated)
        try? FileManager.default.removeItem(atPath: dir + "/index.hint")
        let r = try Store.open(path: dir, options: StoreOptions(durability: .always))
        XCTAssertEqual(r.recoveryReport.zeroTail?.offset, trimmed.count)
        XCTAssertTrue(r.recoveryReport.isClean)
        for i in 0..<50 { XCTAssertEqual(try r.get(key(i)), value(i)) }
        try r.close()
    }

    func testDeletedCorruptOrStaleHintFallsBackToLogReplay() throws {
        var s = try Store.open(path: dir)
        for i in 0..<500 { try s.put(key(i), value(i)) }
        for i in 0..<100 { try s.delete(key(i)) }
        try s.close()
        let hint = dir + "/index.hint"
        let good = readFile(hint)
        XCTAssertGreaterThan(good.count, 100)

        func checkContents(_ s: Store) throws {
            XCTAssertEqual(s.statistics().liveKeys, 400)
            for i in 0..<500 { XCTAssertEqual(try s.get(key(i)), i < 100 ? nil : value(i)) }
        }
        s = try Store.open(path: dir, options: noHint)
        XCTAssertTrue(s.recoveryReport.usedHintFile)
        XCTAssertEqual(s.recoveryReport.recordsReplayed, 0)
        try checkContents(s)
        try s.close()

        try FileManager.default.removeItem(atPath: hint)
        s = try Store.open(path: dir, options: noHint)
        XCTAssertFalse(s.recoveryReport.usedHintFile)
        XCTAssertEqual(s.recoveryReport.recordsReplayed, 600)
        try checkContents(s)
        try s.close()

        for damage in [{ (h: inout [UInt8]) in h[h.count / 2] ^= 0x10 }, { h in h.removeLast(7) }, { h in h[0] = 0 }] {
            var h = good
            damage(&h)
            writeFile(hint, h)
            s = try Store.open(path: dir, options: noHint)
            XCTAssertFalse(s.recoveryReport.usedHintFile)
            XCTAssertNotNil(s.recoveryReport.hintRejected)
            XCTAssertFalse(FileManager.default.fileExists(atPath: hint), "a rejected hint is deleted")
            try checkContents(s)
            try s.close()
        }

        // A valid hint followed by more records (a session that did not write a hint):
        // the hint is used and only the newer records are replayed.
        writeFile(hint, good)
        s = try Store.open(path: dir, options: noHint)
        try s.put(key(0), b("after the hint"))
        try s.delete(key(499))
        try s.close()
        s = try Store.open(path: dir, options: noHint)
        XCTAssertTrue(s.recoveryReport.usedHintFile, "\(s.recoveryReport)")
        XCTAssertEqual(s.recoveryReport.recordsReplayed, 2)
        XCTAssertEqual(try s.get(key(0)), b("after the hint"))
        XCTAssertNil(try s.get(key(499)))
        XCTAssertEqual(s.statistics().liveKeys, 400)
        try s.close()

        // A hint whose segment was truncated below its checkpoint is rejected.
        let seg = dir + "/" + segmentFiles(dir)[0]
        var bytes = readFile(seg)
        bytes.removeLast(bytes.count - recordOffsets(bytes)[300])
        writeFile(seg, bytes)
        writeFile(hint, good)
        s = try Store.open(path: dir, options: noHint)
        XCTAssertFalse(s.recoveryReport.usedHintFile)
        XCTAssertNotNil(s.recoveryReport.hintRejected)
        XCTAssertEqual(s.statistics().liveKeys, 300)
        try s.close()
    }

    /// With a hint file, records are not re-read at open; damage under the hint is found by
    /// merge, which names the file and offset and leaves the store consistent.
    func testMergeDetectsDamageUnderAHint() throws {
        var o = StoreOptions()
        o.mergeGarbageRatio = nil
        var s = try Store.open(path: dir, options: o)
        for i in 0..<300 { try s.put(key(i), value(i)) }
        for i in 0..<50 { try s.put(key(i), value(i + 1)) }
        try s.close()
        let seg = dir + "/" + segmentFiles(dir)[0]
        var bytes = readFile(seg)
        let offsets = recordOffsets(bytes)
        bytes[offsets[200] + 12] ^= 4
        writeFile(seg, bytes)
        s = try Store.open(path: dir, options: o)
        XCTAssertTrue(s.recoveryReport.usedHintFile)
        XCTAssertThrowsError(try s.merge()) { e in
            guard case let .corrupt(file, offset, _)? = e as? StoreError else { return XCTFail("\(e)") }
            XCTAssertEqual(file, seg)
            XCTAssertEqual(offset, offsets[200])
        }
        XCTAssertEqual(try s.get(key(10)), value(11))
        XCTAssertEqual(try s.get(key(150)), value(150))
        try s.close()
        // The damaged input segment was kept; with repair the store opens and keeps the rest.
        o.repair = true
        s = try Store.open(path: dir, options: o)
        XCTAssertFalse(s.recoveryReport.repairs.isEmpty)
        XCTAssertEqual(try s.get(key(10)), value(11))
        XCTAssertEqual(try s.get(key(150)), value(150))
        try s.close()
    }
}
