import NXEngine

/// Bounds-checked access to the calling module's linear memory, without copying. A range
/// outside the memory traps the guest, naming the host function; the host never touches
/// memory outside the guest's.
struct GuestMemory {
    let memory: Memory
    /// The host function being served, for trap messages (e.g. `nx.db_get`).
    let function: String

    init(_ call: HostCall, _ function: String) throws {
        guard let memory = call.memory else {
            throw Trap(.host("\(function) needs the calling module to have a memory"), function: function)
        }
        self.memory = memory
        self.function = function
    }

    /// The guest bytes `pointer ..< pointer + length`, or a trap if they are not all in memory.
    func bytes(_ pointer: UInt32, _ length: UInt32) throws -> UnsafeMutableRawBufferPointer {
        do {
            return try memory.bytes(at: UInt64(pointer), count: UInt64(length))
        } catch {
            throw Trap(.memoryOutOfBounds, function: "\(function) (\(length) bytes at \(pointer), memory is \(memory.byteCount) bytes)")
        }
    }

    /// A copy of the guest bytes (for values that outlive the call, e.g. store keys).
    func array(_ pointer: UInt32, _ length: UInt32) throws -> [UInt8] {
        Array(try bytes(pointer, length))
    }

    /// The output buffer `(pointer, capacity)`, capped at the contract's output limit; the
    /// whole (capped) buffer must lie in memory.
    func output(_ pointer: UInt32, _ capacity: UInt32) throws -> UnsafeMutableRawBufferPointer {
        try bytes(pointer, min(capacity, UInt32(NXLimits.maxOutputBytes)))
    }

    /// Writes `size` bytes produced by `fill` into the output buffer and returns `size`, or
    /// returns ERR_BUFFER_TOO_SMALL without writing anything when they do not fit.
    func write(_ pointer: UInt32, _ capacity: UInt32, size: Int,
               _ fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws -> Int32 {
        let buffer = try output(pointer, capacity)
        guard size <= buffer.count else { return NXCode.bufferTooSmall.rawValue }
        try fill(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<size]))
        return Int32(size)
    }

    /// Writes `data` into the output buffer (see `write(_:_:size:_:)`).
    func write(_ pointer: UInt32, _ capacity: UInt32, _ data: some Collection<UInt8>) throws -> Int32 {
        try write(pointer, capacity, size: data.count) { target in
            _ = target.initializeMemory(as: UInt8.self, from: data)
        }
    }
}

/// Little-endian encoding into guest output buffers.
struct OutputWriter {
    let buffer: UnsafeMutableRawBufferPointer
    private(set) var offset = 0

    init(_ buffer: UnsafeMutableRawBufferPointer) { self.buffer = buffer }

    var remaining: Int { buffer.count - offset }

    mutating func u32(_ value: Int) {
        buffer.storeBytes(of: UInt32(truncatingIfNeeded: value).littleEndian, toByteOffset: offset, as: UInt32.self)
        offset += 4
    }

    mutating func u32(_ value: Int, at position: Int) {
        buffer.storeBytes(of: UInt32(truncatingIfNeeded: value).littleEndian, toByteOffset: position, as: UInt32.self)
    }

    mutating func bytes(_ data: UnsafeRawBufferPointer) {
        guard data.count > 0 else { return }
        UnsafeMutableRawBufferPointer(rebasing: buffer[offset..<offset + data.count]).copyMemory(from: data)
        offset += data.count
    }

    mutating func bytes(_ data: [UInt8]) {
        data.withUnsafeBytes { bytes($0) }
    }
}
