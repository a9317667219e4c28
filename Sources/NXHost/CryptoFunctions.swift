import NXCrypto
import NXEngine

#if canImport(Glibc)
import Glibc
#endif

/// The crypto family: the OS's CSPRNG and the hashes of NXCrypto.
enum CryptoFunctions {
    /// random_bytes(out_ptr, out_len) -> out_len; requests over 1 MiB -> ERR_INTERNAL.
    static func randomBytes(_ context: HostContext, _ call: HostCall) throws {
        let memory = try GuestMemory(call, "nx.random_bytes")
        let length = call.i32(1)
        guard Int(length) <= NXLimits.maxRandomBytes else {
            context.logger.log(.warn, module: context.moduleID,
                               "nx.random_bytes: request of \(length) bytes exceeds the limit of \(NXLimits.maxRandomBytes) bytes (ERR_INTERNAL)")
            return call.setResult(NXCode.internal.rawValue)
        }
        let buffer = try memory.bytes(call.i32(0), length)
        guard SystemRandom.fill(buffer) else {
            context.logger.log(.error, module: context.moduleID, "nx.random_bytes: the system random source failed (ERR_INTERNAL)")
            return call.setResult(NXCode.internal.rawValue)
        }
        call.setResult(Int32(length))
    }

    /// hash_sha256(input_ptr, input_len, out_ptr, out_cap) -> 32
    static func sha256(_ context: HostContext, _ call: HostCall) throws {
        try digest(call, "nx.hash_sha256") { SHA256.hash($0) }
    }

    /// hash_blake3(input_ptr, input_len, out_ptr, out_cap) -> 32
    static func blake3(_ context: HostContext, _ call: HostCall) throws {
        try digest(call, "nx.hash_blake3") { BLAKE3.hash($0) }
    }

    /// Hashes guest bytes in place into a 32-byte output buffer (ERR_BUFFER_TOO_SMALL below 32).
    static func digest(_ call: HostCall, _ function: String, _ hash: (UnsafeRawBufferPointer) -> [UInt8]) throws {
        let memory = try GuestMemory(call, function)
        let input = try memory.bytes(call.i32(0), call.i32(1))
        guard try memory.output(call.i32(2), call.i32(3)).count >= 32 else { return call.setResult(NXCode.bufferTooSmall.rawValue) }
        call.setResult(try memory.write(call.i32(2), call.i32(3), hash(UnsafeRawBufferPointer(input))))
    }
}

/// The operating system's cryptographically secure random source.
public enum SystemRandom {
    /// Fills `buffer` from the kernel's CSPRNG (/dev/urandom: the getrandom(2) wrapper is not
    /// visible to Swift). Returns false if the device cannot be read.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) -> Bool {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return true }
        let descriptor = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var filled = 0
        while filled < buffer.count {
            let result = read(descriptor, base + filled, buffer.count - filled)
            if result < 0 {
                if errno == EINTR { continue }
                return false
            }
            if result == 0 { return false }
            filled += result
        }
        return true
    }

    /// `count` random bytes.
    public static func bytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let ok = bytes.withUnsafeMutableBytes { fill($0) }
        precondition(ok, "the system random source failed")
        return bytes
    }
}
