#if NX_PROFILE_OPS
#if canImport(Glibc)
import Glibc
#endif

/// Dynamic instruction counts and adjacent pairs, for choosing superinstructions. Compiled
/// only with `-Xswiftc -DNX_PROFILE_OPS`; printed to stderr at exit when NX_PROFILE_OPS is set.
enum OpProfile {
    static let size = 512
    nonisolated(unsafe) static let counts = UnsafeMutablePointer<Int>.allocate(capacity: size)
    nonisolated(unsafe) static let pairs = UnsafeMutablePointer<Int>.allocate(capacity: size * size)
    nonisolated(unsafe) static var previous = 0
    nonisolated(unsafe) static var installed = false

    @inline(__always) static func record(_ op: Op) {
        if !installed { install() }
        let index = Int(op.rawValue)
        counts[index] += 1
        pairs[previous * size + index] += 1
        previous = index
    }

    static func install() {
        installed = true
        counts.initialize(repeating: 0, count: size)
        pairs.initialize(repeating: 0, count: size * size)
        atexit { OpProfile.report() }
    }

    static func percent(_ value: Double) -> String {
        let text = String(Int((value * 100).rounded()))
        let padded = String(repeating: "0", count: max(0, 3 - text.count)) + text
        return padded.dropLast(2) + "." + padded.suffix(2) + "%"
    }

    static func report() {
        guard getenv("NX_PROFILE_OPS") != nil else { return }
        let total = (0..<size).reduce(0) { $0 + counts[$1] }
        var lines = ["total \(total) instructions"]
        let top = (0..<size).filter { counts[$0] > 0 }.sorted { counts[$0] > counts[$1] }.prefix(30)
        for index in top {
            let share: Double = Double(counts[index]) * 100 / Double(total)
            lines.append("\(percent(share))  \(Op(rawValue: UInt16(index))!)")
        }
        lines.append("pairs:")
        let threshold: Int = total / 200
        var frequent: [Int] = []
        for index in 0..<(size * size) where pairs[index] > threshold { frequent.append(index) }
        frequent.sort { pairs[$0] > pairs[$1] }
        for index in frequent.prefix(30) {
            let share: Double = Double(pairs[index]) * 100 / Double(total)
            let first = Op(rawValue: UInt16(index / size))!
            let second = Op(rawValue: UInt16(index % size))!
            lines.append("\(percent(share))  \(first) -> \(second)")
        }
        fputs(lines.joined(separator: "\n") + "\n", stderr)
    }
}
#endif
