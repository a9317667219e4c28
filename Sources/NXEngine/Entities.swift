import NXWasm

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// Runtime entities live in manually allocated memory with stable addresses: translated code
// embeds their addresses, and the interpreter reads them without reference counting. Each is
// owned by a public handle class (`Memory`, `Table`, `GlobalVariable`, `Instance`) that the
// `Runtime` keeps alive for its own lifetime, as the spec's store does.

/// A function as the interpreter sees it.
struct FunctionEntity {
    /// Translated code — or the shared `[translate]` stub until the first call; nil for host
    /// functions.
    var code: UnsafeMutablePointer<UInt64>?
    /// Slots the frame needs: parameters, locals and the deepest operand stack.
    var frameSlots: Int
    var parameterSlots: Int
    /// Non-parameter local slots, zeroed on entry.
    var localSlots: Int
    var resultSlots: Int
    /// Canonical signature id in the runtime (equal ids ⇔ equal function types).
    var signature: UInt32
    /// Index into `Runtime.hostFunctions`, or -1 for a WebAssembly function.
    var hostIndex: Int
    /// The defining instance (nil for host functions).
    var instance: UnsafeMutablePointer<InstanceEntity>?
    /// Index in the defining module's function index space (for names in traps).
    var functionIndex: UInt32

    var isHost: Bool { hostIndex >= 0 }
}

/// The per-instance state the interpreter needs when it enters one of the instance's functions.
struct InstanceEntity {
    var memory: UnsafeMutablePointer<MemoryEntity>?
    /// The owning `Instance`, for names in traps and for host calls (unowned: the runtime keeps it alive).
    var owner: Unmanaged<InstanceStorage>?
}

/// A linear memory. `base` never moves: the full maximum is reserved up front and pages are
/// made accessible as the memory grows, so translated code and host pointers stay valid.
struct MemoryEntity {
    var base: UnsafeMutableRawPointer
    /// Current size in bytes (a multiple of 64 KiB).
    var byteCount: UInt64
    /// The effective maximum: the declared one, capped by the runtime's configuration.
    var maxPages: UInt32
    /// The maximum from the memory type (used when matching imports).
    var declaredMax: UInt32?
    var reservedBytes: Int

    static let pageSize: UInt64 = 65536

    var pageCount: UInt32 { UInt32(truncatingIfNeeded: byteCount / MemoryEntity.pageSize) }
}

/// A table of references: funcrefs are `FunctionEntity` addresses, externrefs host ids; 0 is null.
struct TableEntity {
    var elements: UnsafeMutablePointer<UInt64>
    var count: UInt32
    var capacity: UInt32
    /// The effective maximum: the declared one, capped by the runtime's configuration.
    var max: UInt32
    /// The maximum from the table type (used when matching imports).
    var declaredMax: UInt32?
    var elementType: ValueType
}

/// A passive data or element segment: its contents until dropped.
struct SegmentEntity {
    var pointer: UnsafeMutableRawPointer?
    /// Length in bytes (data) or in elements (element segments); 0 after a drop.
    var count: Int
}

enum MemoryAllocator {
    /// Reserves address space for up to `maxPages` and commits `pages`. Returns nil when the
    /// system refuses (the caller reports it).
    static func allocate(pages: UInt32, maxPages: UInt32, declaredMax: UInt32?) -> MemoryEntity? {
        let reserved = Swift.max(Int(maxPages) * Int(MemoryEntity.pageSize), Int(MemoryEntity.pageSize))
        let mapping = mmap(nil, reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let mapping, mapping != MAP_FAILED else { return nil }
        var entity = MemoryEntity(base: mapping, byteCount: 0, maxPages: maxPages, declaredMax: declaredMax, reservedBytes: reserved)
        guard grow(&entity, by: pages) else {
            munmap(mapping, reserved)
            return nil
        }
        return entity
    }

    /// Makes `delta` more pages accessible. Fresh pages read as zero (anonymous mapping).
    static func grow(_ entity: inout MemoryEntity, by delta: UInt32) -> Bool {
        let newPages = UInt64(entity.pageCount) + UInt64(delta)
        guard newPages <= UInt64(entity.maxPages) else { return false }
        if delta == 0 { return true }
        let newBytes = newPages * MemoryEntity.pageSize
        guard mprotect(entity.base, Int(newBytes), PROT_READ | PROT_WRITE) == 0 else { return false }
        entity.byteCount = newBytes
        return true
    }

    static func release(_ entity: MemoryEntity) {
        munmap(entity.base, entity.reservedBytes)
    }
}
