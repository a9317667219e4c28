/// A saved caller state, pushed by calls and popped by returns.
struct CallFrame {
    var returnPC: UnsafeMutablePointer<UInt64>
    var fp: UnsafeMutablePointer<UInt64>
    var entity: UnsafeMutablePointer<FunctionEntity>
    var memory: UnsafeMutablePointer<MemoryEntity>
}

/// The stacks of one runtime: value slots and call frames, both preallocated with hard limits
/// so that deep recursion ends in a `call stack exhausted` trap instead of a crash.
struct ExecutionContext {
    var stackBase: UnsafeMutablePointer<UInt64>
    var stackLimit: UnsafeMutablePointer<UInt64>
    /// First slot a new activation (an embedder call, or a host function calling back) may use.
    var stackTop: UnsafeMutablePointer<UInt64>
    var frameBase: UnsafeMutablePointer<CallFrame>
    var frameLimit: UnsafeMutablePointer<CallFrame>
    /// First free frame record.
    var frameTop: UnsafeMutablePointer<CallFrame>
    /// A memory of size 0 for instances without one, so the loop never tests for nil.
    var emptyMemory: UnsafeMutablePointer<MemoryEntity>
    /// A one-word program `[exit]`: the return address of every activation's first frame.
    var exitCode: UnsafeMutablePointer<UInt64>
    /// A one-word program `[translate]`: the code of every function not translated yet.
    var translateStub: UnsafeMutablePointer<UInt64>
    /// Nested activations (host functions calling back into WebAssembly).
    var nesting: Int
    var maxNesting: Int
    /// Where the last trap happened: the function and the frame stack above the activation.
    var trapEntity: UnsafeMutablePointer<FunctionEntity>?
    var trapFrames: [UnsafeMutablePointer<FunctionEntity>]
    /// The error a host function threw (trap code `hostError`).
    var hostError: Error?
    /// The owning runtime (unowned: the runtime owns this context).
    var runtime: Unmanaged<Runtime>?

    static func allocate(slots: Int, frames: Int) -> UnsafeMutablePointer<ExecutionContext> {
        // Slack above the limit: function entry clears four local slots without checking
        // how many the function has (see Interpreter.zeroLocals).
        let stack = UnsafeMutablePointer<UInt64>.allocate(capacity: slots + ExecutionContext.stackSlack)
        let frameStack = UnsafeMutablePointer<CallFrame>.allocate(capacity: frames)
        let empty = UnsafeMutablePointer<MemoryEntity>.allocate(capacity: 1)
        let reservation = UnsafeMutableRawPointer.allocate(byteCount: 16, alignment: 16)
        empty.initialize(to: MemoryEntity(base: reservation, byteCount: 0, maxPages: 0, declaredMax: 0, reservedBytes: 0))
        let exit = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        exit.initialize(to: Word.make(.exit))
        let translate = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        translate.initialize(to: Word.make(.translate))
        let context = UnsafeMutablePointer<ExecutionContext>.allocate(capacity: 1)
        context.initialize(to: ExecutionContext(
            stackBase: stack, stackLimit: stack + slots, stackTop: stack,
            frameBase: frameStack, frameLimit: frameStack + frames, frameTop: frameStack,
            emptyMemory: empty, exitCode: exit, translateStub: translate, nesting: 0, maxNesting: 64,
            trapEntity: nil, trapFrames: [], hostError: nil, runtime: nil))
        return context
    }

    static let stackSlack = 8

    static func deallocate(_ context: UnsafeMutablePointer<ExecutionContext>) {
        context.pointee.stackBase.deallocate()
        context.pointee.frameBase.deallocate()
        context.pointee.emptyMemory.pointee.base.deallocate()
        context.pointee.emptyMemory.deallocate()
        context.pointee.exitCode.deallocate()
        context.pointee.translateStub.deallocate()
        context.deinitialize(count: 1)
        context.deallocate()
    }
}
