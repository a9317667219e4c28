/// The execution loop over translated code (see `Op` for the encoding).
///
/// Written for speed in pure Swift: one function whose state (`pc`, `fp`, memory base and
/// size, frame stack pointer) lives in local variables so the compiler keeps it in registers;
/// a `switch` over the exhaustive `Op` enum that tail duplication turns into one indirect
/// jump per instruction; raw pointers only, so no ARC, no allocation, no bounds or
/// exclusivity checks inside the loop. Slow or rare work (host calls, growing, bulk copies)
/// lives in `@inline(never)` helpers so it does not bloat the hot cases.
enum Interpreter {
    /// Runs `entry` whose arguments are already in `start[0...]`; results are left in
    /// `start[0...]`. Returns 0, or a `TrapCode` (the context records where it happened).
    static func execute(_ context: UnsafeMutablePointer<ExecutionContext>,
                        _ entry: UnsafeMutablePointer<FunctionEntity>,
                        _ start: UnsafeMutablePointer<UInt64>) -> Int {
        let frameLimit = context.pointee.frameLimit
        let stackLimit = context.pointee.stackLimit
        let emptyMemory = context.pointee.emptyMemory
        let frameBase = context.pointee.frameTop
        var frame = frameBase
        var entity = entry
        var fp = start
        if frame >= frameLimit || fp + entry.pointee.frameSlots > stackLimit {
            return TrapCode.callStackExhausted
        }
        var memory = entry.pointee.instance.unsafelyUnwrapped.pointee.memory ?? emptyMemory
        frame.pointee = CallFrame(returnPC: context.pointee.exitCode, fp: fp, entity: entity, memory: memory)
        frame += 1
        zeroLocals(fp, entry)
        var pc = entry.pointee.code.unsafelyUnwrapped
        var trap = 0

        dispatch: while true {
            let w = pc.pointee
            #if NX_PROFILE_OPS
            OpProfile.record(Word.op(w))
            #endif
            switch Word.op(w) {
            // MARK: Control
            case .exit:
                break dispatch
            case .translate:
                // First call of this function: translate it (out of line) and enter its code.
                guard let code = Runtime.translate(entity, context: context) else {
                    trap = TrapCode.hostError
                    break dispatch
                }
                if fp + entity.pointee.frameSlots > stackLimit {
                    trap = TrapCode.callStackExhausted
                    break dispatch
                }
                pc = code
            case .unreachable:
                trap = TrapCode.unreachable
                break dispatch
            case .br:
                pc += Int(Word.imm32(w))
            case .brIf:
                pc += fp.u32(Word.a(w)) != 0 ? Int(Word.imm32(w)) : 1
            case .brIfNot:
                pc += fp.u32(Word.a(w)) == 0 ? Int(Word.imm32(w)) : 1
            case .brTable:
                let count = UInt64(UInt32(bitPattern: Word.imm32(w)))
                let index = UInt64(fp.u32(Word.a(w)))
                let target = index < count ? index : count
                pc += Int(truncatingIfNeeded: pc[1 + Int(truncatingIfNeeded: target)])
            case .call:
                let callee = UnsafeMutablePointer<FunctionEntity>(bitPattern: UInt(truncatingIfNeeded: pc[1])).unsafelyUnwrapped
                let newFP = fp + Word.a(w)
                if frame == frameLimit || newFP + callee.pointee.frameSlots > stackLimit {
                    trap = TrapCode.callStackExhausted
                    break dispatch
                }
                frame.pointee = CallFrame(returnPC: pc + 2, fp: fp, entity: entity, memory: memory)
                frame += 1
                zeroLocals(newFP, callee)
                fp = newFP
                entity = callee
                pc = callee.pointee.code.unsafelyUnwrapped
            case .callImport:
                let callee = UnsafeMutablePointer<FunctionEntity>(bitPattern: UInt(truncatingIfNeeded: pc[1])).unsafelyUnwrapped
                let newFP = fp + Word.a(w)
                if callee.pointee.isHost {
                    trap = callHost(context, callee, newFP, caller: entity, frameTop: frame)
                    if trap != 0 { break dispatch }
                    pc += 2
                    continue dispatch
                }
                if frame == frameLimit || newFP + callee.pointee.frameSlots > stackLimit {
                    trap = TrapCode.callStackExhausted
                    break dispatch
                }
                frame.pointee = CallFrame(returnPC: pc + 2, fp: fp, entity: entity, memory: memory)
                frame += 1
                zeroLocals(newFP, callee)
                fp = newFP
                entity = callee
                memory = callee.pointee.instance.unsafelyUnwrapped.pointee.memory ?? emptyMemory
                pc = callee.pointee.code.unsafelyUnwrapped
            case .callIndirect:
                let table = UnsafeMutablePointer<TableEntity>(bitPattern: UInt(truncatingIfNeeded: pc[1])).unsafelyUnwrapped
                let index = fp.u32(Word.b(w))
                if index >= table.pointee.count {
                    trap = TrapCode.undefinedElement
                    break dispatch
                }
                let reference = table.pointee.elements[Int(index)]
                if reference == 0 {
                    trap = TrapCode.uninitializedElement
                    break dispatch
                }
                let callee = UnsafeMutablePointer<FunctionEntity>(bitPattern: UInt(truncatingIfNeeded: reference)).unsafelyUnwrapped
                if UInt64(callee.pointee.signature) != pc[2] {
                    trap = TrapCode.indirectCallTypeMismatch
                    break dispatch
                }
                let newFP = fp + Word.a(w)
                if callee.pointee.isHost {
                    trap = callHost(context, callee, newFP, caller: entity, frameTop: frame)
                    if trap != 0 { break dispatch }
                    pc += 3
                    continue dispatch
                }
                if frame == frameLimit || newFP + callee.pointee.frameSlots > stackLimit {
                    trap = TrapCode.callStackExhausted
                    break dispatch
                }
                frame.pointee = CallFrame(returnPC: pc + 3, fp: fp, entity: entity, memory: memory)
                frame += 1
                zeroLocals(newFP, callee)
                fp = newFP
                entity = callee
                memory = callee.pointee.instance.unsafelyUnwrapped.pointee.memory ?? emptyMemory
                pc = callee.pointee.code.unsafelyUnwrapped
            case .ret:
                frame -= 1
                pc = frame.pointee.returnPC
                fp = frame.pointee.fp
                entity = frame.pointee.entity
                memory = frame.pointee.memory
            case .ret1:
                fp[0] = fp[Word.a(w)]
                frame -= 1
                pc = frame.pointee.returnPC
                fp = frame.pointee.fp
                entity = frame.pointee.entity
                memory = frame.pointee.memory
            case .ret128:
                let source = Word.a(w)
                let low = fp[source]
                let high = fp[source + 1]
                fp[0] = low
                fp[1] = high
                frame -= 1
                pc = frame.pointee.returnPC
                fp = frame.pointee.fp
                entity = frame.pointee.entity
                memory = frame.pointee.memory

            // MARK: Fused compare and branch
            case .brI32Eq: pc += fp.u32(Word.a(w)) == fp.u32(Word.b(w)) ? pc.branchOffset : 2
            case .brI32Ne: pc += fp.u32(Word.a(w)) != fp.u32(Word.b(w)) ? pc.branchOffset : 2
            case .brI32LtS: pc += fp.s32(Word.a(w)) < fp.s32(Word.b(w)) ? pc.branchOffset : 2
            case .brI32LtU: pc += fp.u32(Word.a(w)) < fp.u32(Word.b(w)) ? pc.branchOffset : 2
            case .brI32GtS: pc += fp.s32(Word.a(w)) > fp.s32(Word.b(w)) ? pc.branchOffset : 2
            case .brI32GtU: pc += fp.u32(Word.a(w)) > fp.u32(Word.b(w)) ? pc.branchOffset : 2
            case .brI32LeS: pc += fp.s32(Word.a(w)) <= fp.s32(Word.b(w)) ? pc.branchOffset : 2
            case .brI32LeU: pc += fp.u32(Word.a(w)) <= fp.u32(Word.b(w)) ? pc.branchOffset : 2
            case .brI32GeS: pc += fp.s32(Word.a(w)) >= fp.s32(Word.b(w)) ? pc.branchOffset : 2
            case .brI32GeU: pc += fp.u32(Word.a(w)) >= fp.u32(Word.b(w)) ? pc.branchOffset : 2
            case .brI32EqImm: pc += fp.u32(Word.a(w)) == UInt32(bitPattern: Word.imm32(w)) ? pc.branchOffset : 2
            case .brI32NeImm: pc += fp.u32(Word.a(w)) != UInt32(bitPattern: Word.imm32(w)) ? pc.branchOffset : 2
            case .brI32LtSImm: pc += fp.s32(Word.a(w)) < Word.imm32(w) ? pc.branchOffset : 2
            case .brI32LtUImm: pc += fp.u32(Word.a(w)) < UInt32(bitPattern: Word.imm32(w)) ? pc.branchOffset : 2
            case .brI32GtSImm: pc += fp.s32(Word.a(w)) > Word.imm32(w) ? pc.branchOffset : 2
            case .brI32GtUImm: pc += fp.u32(Word.a(w)) > UInt32(bitPattern: Word.imm32(w)) ? pc.branchOffset : 2
            case .brI32LeSImm: pc += fp.s32(Word.a(w)) <= Word.imm32(w) ? pc.branchOffset : 2
            case .brI32LeUImm: pc += fp.u32(Word.a(w)) <= UInt32(bitPattern: Word.imm32(w)) ? pc.branchOffset : 2
            case .brI32GeSImm: pc += fp.s32(Word.a(w)) >= Word.imm32(w) ? pc.branchOffset : 2
            case .brI32GeUImm: pc += fp.u32(Word.a(w)) >= UInt32(bitPattern: Word.imm32(w)) ? pc.branchOffset : 2
            case .brI64Eqz: pc += fp[Word.a(w)] == 0 ? Int(Word.imm32(w)) : 1
            case .brI64Nez: pc += fp[Word.a(w)] != 0 ? Int(Word.imm32(w)) : 1

            // MARK: Moves and constants
            case .copy:
                fp[Word.a(w)] = fp[Word.b(w)]
                pc += 1
            case .copy128:
                let dst = Word.a(w)
                let src = Word.b(w)
                let low = fp[src]
                let high = fp[src + 1]
                fp[dst] = low
                fp[dst + 1] = high
                pc += 1
            case .const32:
                fp[Word.a(w)] = UInt64(UInt32(bitPattern: Word.imm32(w)))
                pc += 1
            case .const64:
                fp[Word.a(w)] = pc[1]
                pc += 2
            case .const128:
                let dst = Word.a(w)
                fp[dst] = pc[1]
                fp[dst + 1] = pc[2]
                pc += 3
            case .select:
                fp[Word.a(w)] = fp.u32(Int(truncatingIfNeeded: pc[1])) != 0 ? fp[Word.b(w)] : fp[Word.c(w)]
                pc += 2
            case .select128:
                let source = fp.u32(Int(truncatingIfNeeded: pc[1])) != 0 ? Word.b(w) : Word.c(w)
                let low = fp[source]
                let high = fp[source + 1]
                fp[Word.a(w)] = low
                fp[Word.a(w) + 1] = high
                pc += 2

            // MARK: Globals
            case .globalGet:
                fp[Word.a(w)] = pc.cell.pointee
                pc += 2
            case .globalSet:
                pc.cell.pointee = fp[Word.a(w)]
                pc += 2
            case .globalGet128:
                let cell = pc.cell
                fp[Word.a(w)] = cell[0]
                fp[Word.a(w) + 1] = cell[1]
                pc += 2
            case .globalSet128:
                let cell = pc.cell
                cell[0] = fp[Word.a(w)]
                cell[1] = fp[Word.a(w) + 1]
                pc += 2

            // MARK: Memory
            case .load8S:
                let address = UInt64(fp.u32(Word.b(w))) &+ pc[1]
                if address &+ 1 > memory.pointee.byteCount { trap = TrapCode.memoryOutOfBounds; break dispatch }
                fp[Word.a(w)] = UInt64(bitPattern: Int64(memory.pointee.base.load(fromByteOffset: Int(truncatingIfNeeded: address), as: Int8.self)))
                pc += 2
            case .load8U:
                let address = UInt64(fp.u32(Word.b(w))) &+ pc[1]
                if address &+ 1 > memory.pointee.byteCount { trap = TrapCode.memoryOutOfBounds; break dispatch }
                fp[Word.a(w)] = UInt64(memory.pointee.base.load(fromByteOffset: Int(truncatingIfNeeded: address), as: UInt8.self))
                pc += 2
            case .i32Load8S:
                let address = UInt64(fp.u32(Word.b(w))) &+ pc[1]
                if address &+ 1 > memory.pointee.byteCount { trap = TrapCode.memoryOutOfBounds; break dispatch }
                fp[Word.a(w)] = UInt64(UInt32(bitPattern: Int32(memory.pointee.base.load(fromByteOffset: Int(truncatingIfNeeded: address), as: Int8.self))))
                pc += 2
            case .load16S:
                let address = UInt64(fp.u32(Word.b(w))) &+ pc[1]
                if address &+ 2 > memory.pointee.byteCount { trap = TrapCode.memoryOutOfBounds; break dispatch }
                fp[Word.a(w)] = UInt64(bitPattern: Int64((memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: Int16.self)))
                pc += 2
            case .load16U:
                let address = UInt64(fp.u32(Word.b(w))) &+ pc[1]
                if address &+ 2 > memory.pointee.byteCount { trap = TrapCode.memoryOutOfBounds; break dispatch }
                fp[Word.a(w)] = UInt64((memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: UInt16.self))
                pc += 2
            case .i32Load16S:
                let address = UInt64(fp.u32(Word.b(w))) &+ pc[1]
                if address &+ 2 > memory.pointee.byteCount { trap = TrapCode.memoryOutOfBounds; break dispatch }
                fp[Word.a(w)] = UInt64(UInt32(bitPattern: Int32((memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: Int16.self))))
                pc += 2
            case .load32S:
                let address = UInt64(fp.u32(Word.b(w))) &+ pc[1]
                if address &+ 4 > memory.pointee.byteCount { trap = TrapCode.memoryOutOfBounds; break dispatch }
                fp[Word.a(w)] = UInt64(bitPattern: Int64((memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: Int32.self)))
                pc += 2
            case .load32U:
                let address = UInt64(fp.u32(Word.b(w))) &+ pc[1]
                if address &+ 4 > memory.pointee.byteCount { trap = TrapCode.memoryOutOfBounds; break dispatch }
                fp[Word.a(w)] = UInt64((memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: UInt32.self))
                pc += 2
            case .load64:
                let address = UInt64(fp.u32(Word.b(w))) &+ pc[1]
                if address &+ 8 > memory.pointee.byteCount { trap = TrapCode.memoryOutOfBounds; break dispatch }
                fp[Word.a(w)] = (memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: UInt64.self)
                pc += 2
            case .store8:
                let address = UInt64(fp.u32(Word.a(w))) &+ pc[1]
                if address &+ 1 > memory.pointee.byteCount { trap = TrapCode.memoryOutOfBounds; break dispatch }
                memory.pointee.base.storeBytes(of: UInt8(truncatingIfNeeded: fp[Word.b(w)]), toByteOffset: Int(truncatingIfNeeded: address), as: UInt8.self)
                pc += 2
            case .store16:
                let address = UInt64(fp.u32(Word.a(w))) &+ pc[1]
                if address &+ 2 > memory.pointee.byteCount { trap = TrapCode.memoryOutOfBounds; break dispatch }
                memory.pointee.base.storeBytes(of: UInt16(truncatingIfNeeded: fp[Word.b(w)]), toByteOffset: Int(truncatingIfNeeded: address), as: UInt16.self)
                pc += 2
            case .store32:
                let address = UInt64(fp.u32(Word.a(w))) &+ pc[1]
                if address &+ 4 > memory.pointee.byteCount { trap = TrapCode.memoryOutOfBounds; break dispatch }
                memory.pointee.base.storeBytes(of: UInt32(truncatingIfNeeded: fp[Word.b(w)]), toByteOffset: Int(truncatingIfNeeded: address), as: UInt32.self)
                pc += 2
            case .store64:
                let address = UInt64(fp.u32(Word.a(w))) &+ pc[1]
                if address &+ 8 > memory.pointee.byteCount { trap = TrapCode.memoryOutOfBounds; break dispatch }
                memory.pointee.base.storeBytes(of: fp[Word.b(w)], toByteOffset: Int(truncatingIfNeeded: address), as: UInt64.self)
                pc += 2
            case .memorySize:
                fp[Word.a(w)] = memory.pointee.byteCount >> 16
                pc += 1
            case .memoryGrow:
                fp[Word.a(w)] = UInt64(Runtime.growMemory(memory, by: fp.u32(Word.b(w)), context: context))
                pc += 1
            case .memoryCopy:
                trap = BulkOperations.memoryCopy(memory, fp.u32(Word.a(w)), fp.u32(Word.b(w)), fp.u32(Word.c(w)))
                if trap != 0 { break dispatch }
                pc += 1
            case .memoryFill:
                trap = BulkOperations.memoryFill(memory, fp.u32(Word.a(w)), UInt8(truncatingIfNeeded: fp[Word.b(w)]), fp.u32(Word.c(w)))
                if trap != 0 { break dispatch }
                pc += 1
            case .memoryInit:
                trap = BulkOperations.memoryInit(memory, pc.segment, fp.u32(Word.a(w)), fp.u32(Word.b(w)), fp.u32(Word.c(w)))
                if trap != 0 { break dispatch }
                pc += 2
            case .dataDrop:
                pc.segment.pointee.count = 0
                pc += 2

            // MARK: Tables and references
            case .tableGet:
                let table = pc.table
                let index = fp.u32(Word.b(w))
                if index >= table.pointee.count { trap = TrapCode.tableOutOfBounds; break dispatch }
                fp[Word.a(w)] = table.pointee.elements[Int(index)]
                pc += 2
            case .tableSet:
                let table = pc.table
                let index = fp.u32(Word.a(w))
                if index >= table.pointee.count { trap = TrapCode.tableOutOfBounds; break dispatch }
                table.pointee.elements[Int(index)] = fp[Word.b(w)]
                pc += 2
            case .tableSize:
                fp[Word.a(w)] = UInt64(pc.table.pointee.count)
                pc += 2
            case .tableGrow:
                fp[Word.a(w)] = UInt64(Runtime.growTable(pc.table, by: fp.u32(Word.c(w)), initial: fp[Word.b(w)], context: context))
                pc += 2
            case .tableFill:
                trap = BulkOperations.tableFill(pc.table, fp.u32(Word.a(w)), fp[Word.b(w)], fp.u32(Word.c(w)))
                if trap != 0 { break dispatch }
                pc += 2
            case .tableCopy:
                trap = BulkOperations.tableCopy(pc.table, (pc + 1).table, fp.u32(Word.a(w)), fp.u32(Word.b(w)), fp.u32(Word.c(w)))
                if trap != 0 { break dispatch }
                pc += 3
            case .tableInit:
                trap = BulkOperations.tableInit(pc.table, (pc + 1).segment, fp.u32(Word.a(w)), fp.u32(Word.b(w)), fp.u32(Word.c(w)))
                if trap != 0 { break dispatch }
                pc += 3
            case .elemDrop:
                pc.segment.pointee.count = 0
                pc += 2
            case .refIsNull:
                fp[Word.a(w)] = fp[Word.b(w)] == 0 ? 1 : 0
                pc += 1

            // MARK: i32
            case .i32Eqz: fp[Word.a(w)] = fp.u32(Word.b(w)) == 0 ? 1 : 0; pc += 1
            case .i32Eq: fp[Word.a(w)] = fp.u32(Word.b(w)) == fp.u32(Word.c(w)) ? 1 : 0; pc += 1
            case .i32Ne: fp[Word.a(w)] = fp.u32(Word.b(w)) != fp.u32(Word.c(w)) ? 1 : 0; pc += 1
            case .i32LtS: fp[Word.a(w)] = fp.s32(Word.b(w)) < fp.s32(Word.c(w)) ? 1 : 0; pc += 1
            case .i32LtU: fp[Word.a(w)] = fp.u32(Word.b(w)) < fp.u32(Word.c(w)) ? 1 : 0; pc += 1
            case .i32GtS: fp[Word.a(w)] = fp.s32(Word.b(w)) > fp.s32(Word.c(w)) ? 1 : 0; pc += 1
            case .i32GtU: fp[Word.a(w)] = fp.u32(Word.b(w)) > fp.u32(Word.c(w)) ? 1 : 0; pc += 1
            case .i32LeS: fp[Word.a(w)] = fp.s32(Word.b(w)) <= fp.s32(Word.c(w)) ? 1 : 0; pc += 1
            case .i32LeU: fp[Word.a(w)] = fp.u32(Word.b(w)) <= fp.u32(Word.c(w)) ? 1 : 0; pc += 1
            case .i32GeS: fp[Word.a(w)] = fp.s32(Word.b(w)) >= fp.s32(Word.c(w)) ? 1 : 0; pc += 1
            case .i32GeU: fp[Word.a(w)] = fp.u32(Word.b(w)) >= fp.u32(Word.c(w)) ? 1 : 0; pc += 1
            case .i32Clz: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)).leadingZeroBitCount); pc += 1
            case .i32Ctz: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)).trailingZeroBitCount); pc += 1
            case .i32Popcnt: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)).nonzeroBitCount); pc += 1
            case .i32Add: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)) &+ fp.u32(Word.c(w))); pc += 1
            case .i32Sub: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)) &- fp.u32(Word.c(w))); pc += 1
            case .i32Mul: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)) &* fp.u32(Word.c(w))); pc += 1
            case .i32DivS:
                let lhs = fp.s32(Word.b(w))
                let rhs = fp.s32(Word.c(w))
                if rhs == 0 { trap = TrapCode.integerDivideByZero; break dispatch }
                if lhs == Int32.min && rhs == -1 { trap = TrapCode.integerOverflow; break dispatch }
                fp[Word.a(w)] = UInt64(UInt32(bitPattern: lhs / rhs))
                pc += 1
            case .i32DivU:
                let rhs = fp.u32(Word.c(w))
                if rhs == 0 { trap = TrapCode.integerDivideByZero; break dispatch }
                fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)) / rhs)
                pc += 1
            case .i32RemS:
                let lhs = fp.s32(Word.b(w))
                let rhs = fp.s32(Word.c(w))
                if rhs == 0 { trap = TrapCode.integerDivideByZero; break dispatch }
                fp[Word.a(w)] = rhs == -1 ? 0 : UInt64(UInt32(bitPattern: lhs % rhs))
                pc += 1
            case .i32RemU:
                let rhs = fp.u32(Word.c(w))
                if rhs == 0 { trap = TrapCode.integerDivideByZero; break dispatch }
                fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)) % rhs)
                pc += 1
            case .i32And: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)) & fp.u32(Word.c(w))); pc += 1
            case .i32Or: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)) | fp.u32(Word.c(w))); pc += 1
            case .i32Xor: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)) ^ fp.u32(Word.c(w))); pc += 1
            case .i32Shl: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)) &<< fp.u32(Word.c(w))); pc += 1
            case .i32ShrS: fp[Word.a(w)] = UInt64(UInt32(bitPattern: fp.s32(Word.b(w)) &>> fp.s32(Word.c(w)))); pc += 1
            case .i32ShrU: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)) &>> fp.u32(Word.c(w))); pc += 1
            case .i32Rotl: fp[Word.a(w)] = UInt64(Numerics.rotl(fp.u32(Word.b(w)), fp.u32(Word.c(w)))); pc += 1
            case .i32Rotr: fp[Word.a(w)] = UInt64(Numerics.rotr(fp.u32(Word.b(w)), fp.u32(Word.c(w)))); pc += 1

            // MARK: i64
            case .i64Eqz: fp[Word.a(w)] = fp[Word.b(w)] == 0 ? 1 : 0; pc += 1
            case .i64Eq: fp[Word.a(w)] = fp[Word.b(w)] == fp[Word.c(w)] ? 1 : 0; pc += 1
            case .i64Ne: fp[Word.a(w)] = fp[Word.b(w)] != fp[Word.c(w)] ? 1 : 0; pc += 1
            case .i64LtS: fp[Word.a(w)] = fp.s64(Word.b(w)) < fp.s64(Word.c(w)) ? 1 : 0; pc += 1
            case .i64LtU: fp[Word.a(w)] = fp[Word.b(w)] < fp[Word.c(w)] ? 1 : 0; pc += 1
            case .i64GtS: fp[Word.a(w)] = fp.s64(Word.b(w)) > fp.s64(Word.c(w)) ? 1 : 0; pc += 1
            case .i64GtU: fp[Word.a(w)] = fp[Word.b(w)] > fp[Word.c(w)] ? 1 : 0; pc += 1
            case .i64LeS: fp[Word.a(w)] = fp.s64(Word.b(w)) <= fp.s64(Word.c(w)) ? 1 : 0; pc += 1
            case .i64LeU: fp[Word.a(w)] = fp[Word.b(w)] <= fp[Word.c(w)] ? 1 : 0; pc += 1
            case .i64GeS: fp[Word.a(w)] = fp.s64(Word.b(w)) >= fp.s64(Word.c(w)) ? 1 : 0; pc += 1
            case .i64GeU: fp[Word.a(w)] = fp[Word.b(w)] >= fp[Word.c(w)] ? 1 : 0; pc += 1
            case .i64Clz: fp[Word.a(w)] = UInt64(fp[Word.b(w)].leadingZeroBitCount); pc += 1
            case .i64Ctz: fp[Word.a(w)] = UInt64(fp[Word.b(w)].trailingZeroBitCount); pc += 1
            case .i64Popcnt: fp[Word.a(w)] = UInt64(fp[Word.b(w)].nonzeroBitCount); pc += 1
            case .i64Add: fp[Word.a(w)] = fp[Word.b(w)] &+ fp[Word.c(w)]; pc += 1
            case .i64Sub: fp[Word.a(w)] = fp[Word.b(w)] &- fp[Word.c(w)]; pc += 1
            case .i64Mul: fp[Word.a(w)] = fp[Word.b(w)] &* fp[Word.c(w)]; pc += 1
            case .i64DivS:
                let lhs = fp.s64(Word.b(w))
                let rhs = fp.s64(Word.c(w))
                if rhs == 0 { trap = TrapCode.integerDivideByZero; break dispatch }
                if lhs == Int64.min && rhs == -1 { trap = TrapCode.integerOverflow; break dispatch }
                fp[Word.a(w)] = UInt64(bitPattern: lhs / rhs)
                pc += 1
            case .i64DivU:
                let rhs = fp[Word.c(w)]
                if rhs == 0 { trap = TrapCode.integerDivideByZero; break dispatch }
                fp[Word.a(w)] = fp[Word.b(w)] / rhs
                pc += 1
            case .i64RemS:
                let lhs = fp.s64(Word.b(w))
                let rhs = fp.s64(Word.c(w))
                if rhs == 0 { trap = TrapCode.integerDivideByZero; break dispatch }
                fp[Word.a(w)] = rhs == -1 ? 0 : UInt64(bitPattern: lhs % rhs)
                pc += 1
            case .i64RemU:
                let rhs = fp[Word.c(w)]
                if rhs == 0 { trap = TrapCode.integerDivideByZero; break dispatch }
                fp[Word.a(w)] = fp[Word.b(w)] % rhs
                pc += 1
            case .i64And: fp[Word.a(w)] = fp[Word.b(w)] & fp[Word.c(w)]; pc += 1
            case .i64Or: fp[Word.a(w)] = fp[Word.b(w)] | fp[Word.c(w)]; pc += 1
            case .i64Xor: fp[Word.a(w)] = fp[Word.b(w)] ^ fp[Word.c(w)]; pc += 1
            case .i64Shl: fp[Word.a(w)] = fp[Word.b(w)] &<< fp[Word.c(w)]; pc += 1
            case .i64ShrS: fp[Word.a(w)] = UInt64(bitPattern: fp.s64(Word.b(w)) &>> fp.s64(Word.c(w))); pc += 1
            case .i64ShrU: fp[Word.a(w)] = fp[Word.b(w)] &>> fp[Word.c(w)]; pc += 1
            case .i64Rotl: fp[Word.a(w)] = Numerics.rotl(fp[Word.b(w)], fp[Word.c(w)]); pc += 1
            case .i64Rotr: fp[Word.a(w)] = Numerics.rotr(fp[Word.b(w)], fp[Word.c(w)]); pc += 1

            // MARK: Float comparisons
            case .f32Eq: fp[Word.a(w)] = fp.f32(Word.b(w)) == fp.f32(Word.c(w)) ? 1 : 0; pc += 1
            case .f32Ne: fp[Word.a(w)] = fp.f32(Word.b(w)) != fp.f32(Word.c(w)) ? 1 : 0; pc += 1
            case .f32Lt: fp[Word.a(w)] = fp.f32(Word.b(w)) < fp.f32(Word.c(w)) ? 1 : 0; pc += 1
            case .f32Gt: fp[Word.a(w)] = fp.f32(Word.b(w)) > fp.f32(Word.c(w)) ? 1 : 0; pc += 1
            case .f32Le: fp[Word.a(w)] = fp.f32(Word.b(w)) <= fp.f32(Word.c(w)) ? 1 : 0; pc += 1
            case .f32Ge: fp[Word.a(w)] = fp.f32(Word.b(w)) >= fp.f32(Word.c(w)) ? 1 : 0; pc += 1
            case .f64Eq: fp[Word.a(w)] = fp.f64(Word.b(w)) == fp.f64(Word.c(w)) ? 1 : 0; pc += 1
            case .f64Ne: fp[Word.a(w)] = fp.f64(Word.b(w)) != fp.f64(Word.c(w)) ? 1 : 0; pc += 1
            case .f64Lt: fp[Word.a(w)] = fp.f64(Word.b(w)) < fp.f64(Word.c(w)) ? 1 : 0; pc += 1
            case .f64Gt: fp[Word.a(w)] = fp.f64(Word.b(w)) > fp.f64(Word.c(w)) ? 1 : 0; pc += 1
            case .f64Le: fp[Word.a(w)] = fp.f64(Word.b(w)) <= fp.f64(Word.c(w)) ? 1 : 0; pc += 1
            case .f64Ge: fp[Word.a(w)] = fp.f64(Word.b(w)) >= fp.f64(Word.c(w)) ? 1 : 0; pc += 1

            // MARK: f32 arithmetic (bitwise for abs/neg/copysign so NaN payloads are preserved)
            case .f32Abs: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)) & 0x7FFF_FFFF); pc += 1
            case .f32Neg: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)) ^ 0x8000_0000); pc += 1
            case .f32Ceil: fp.setF32(Word.a(w), fp.f32(Word.b(w)).rounded(.up)); pc += 1
            case .f32Floor: fp.setF32(Word.a(w), fp.f32(Word.b(w)).rounded(.down)); pc += 1
            case .f32Trunc: fp.setF32(Word.a(w), fp.f32(Word.b(w)).rounded(.towardZero)); pc += 1
            case .f32Nearest: fp.setF32(Word.a(w), fp.f32(Word.b(w)).rounded(.toNearestOrEven)); pc += 1
            case .f32Sqrt: fp.setF32(Word.a(w), fp.f32(Word.b(w)).squareRoot()); pc += 1
            case .f32Add: fp.setF32(Word.a(w), fp.f32(Word.b(w)) + fp.f32(Word.c(w))); pc += 1
            case .f32Sub: fp.setF32(Word.a(w), fp.f32(Word.b(w)) - fp.f32(Word.c(w))); pc += 1
            case .f32Mul: fp.setF32(Word.a(w), fp.f32(Word.b(w)) * fp.f32(Word.c(w))); pc += 1
            case .f32Div: fp.setF32(Word.a(w), fp.f32(Word.b(w)) / fp.f32(Word.c(w))); pc += 1
            case .f32Min: fp.setF32(Word.a(w), Numerics.min(fp.f32(Word.b(w)), fp.f32(Word.c(w)))); pc += 1
            case .f32Max: fp.setF32(Word.a(w), Numerics.max(fp.f32(Word.b(w)), fp.f32(Word.c(w)))); pc += 1
            case .f32Copysign:
                fp[Word.a(w)] = UInt64((fp.u32(Word.b(w)) & 0x7FFF_FFFF) | (fp.u32(Word.c(w)) & 0x8000_0000))
                pc += 1
            case .f64Abs: fp[Word.a(w)] = fp[Word.b(w)] & 0x7FFF_FFFF_FFFF_FFFF; pc += 1
            case .f64Neg: fp[Word.a(w)] = fp[Word.b(w)] ^ 0x8000_0000_0000_0000; pc += 1
            case .f64Ceil: fp.setF64(Word.a(w), fp.f64(Word.b(w)).rounded(.up)); pc += 1
            case .f64Floor: fp.setF64(Word.a(w), fp.f64(Word.b(w)).rounded(.down)); pc += 1
            case .f64Trunc: fp.setF64(Word.a(w), fp.f64(Word.b(w)).rounded(.towardZero)); pc += 1
            case .f64Nearest: fp.setF64(Word.a(w), fp.f64(Word.b(w)).rounded(.toNearestOrEven)); pc += 1
            case .f64Sqrt: fp.setF64(Word.a(w), fp.f64(Word.b(w)).squareRoot()); pc += 1
            case .f64Add: fp.setF64(Word.a(w), fp.f64(Word.b(w)) + fp.f64(Word.c(w))); pc += 1
            case .f64Sub: fp.setF64(Word.a(w), fp.f64(Word.b(w)) - fp.f64(Word.c(w))); pc += 1
            case .f64Mul: fp.setF64(Word.a(w), fp.f64(Word.b(w)) * fp.f64(Word.c(w))); pc += 1
            case .f64Div: fp.setF64(Word.a(w), fp.f64(Word.b(w)) / fp.f64(Word.c(w))); pc += 1
            case .f64Min: fp.setF64(Word.a(w), Numerics.min(fp.f64(Word.b(w)), fp.f64(Word.c(w)))); pc += 1
            case .f64Max: fp.setF64(Word.a(w), Numerics.max(fp.f64(Word.b(w)), fp.f64(Word.c(w)))); pc += 1
            case .f64Copysign:
                fp[Word.a(w)] = (fp[Word.b(w)] & 0x7FFF_FFFF_FFFF_FFFF) | (fp[Word.c(w)] & 0x8000_0000_0000_0000)
                pc += 1

            // MARK: Conversions
            case .i32WrapI64: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w))); pc += 1
            case .i32TruncF32S:
                trap = Numerics.truncate(fp.f32(Word.b(w)), min: -2147483904.0, max: 2147483648.0, to: &fp[Word.a(w)], signed32: true)
                if trap != 0 { break dispatch }
                pc += 1
            case .i32TruncF32U:
                trap = Numerics.truncate(fp.f32(Word.b(w)), min: -1.0, max: 4294967296.0, to: &fp[Word.a(w)], signed32: false)
                if trap != 0 { break dispatch }
                pc += 1
            case .i32TruncF64S:
                trap = Numerics.truncate(fp.f64(Word.b(w)), min: -2147483649.0, max: 2147483648.0, to: &fp[Word.a(w)], signed32: true)
                if trap != 0 { break dispatch }
                pc += 1
            case .i32TruncF64U:
                trap = Numerics.truncate(fp.f64(Word.b(w)), min: -1.0, max: 4294967296.0, to: &fp[Word.a(w)], signed32: false)
                if trap != 0 { break dispatch }
                pc += 1
            case .i64ExtendI32S: fp[Word.a(w)] = UInt64(bitPattern: Int64(fp.s32(Word.b(w)))); pc += 1
            case .i64ExtendI32U: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w))); pc += 1
            case .i64TruncF32S:
                trap = Numerics.truncateToInt64(Double(fp.f32(Word.b(w))), to: &fp[Word.a(w)])
                if trap != 0 { break dispatch }
                pc += 1
            case .i64TruncF32U:
                trap = Numerics.truncateToUInt64(Double(fp.f32(Word.b(w))), to: &fp[Word.a(w)])
                if trap != 0 { break dispatch }
                pc += 1
            case .i64TruncF64S:
                trap = Numerics.truncateToInt64(fp.f64(Word.b(w)), to: &fp[Word.a(w)])
                if trap != 0 { break dispatch }
                pc += 1
            case .i64TruncF64U:
                trap = Numerics.truncateToUInt64(fp.f64(Word.b(w)), to: &fp[Word.a(w)])
                if trap != 0 { break dispatch }
                pc += 1
            case .f32ConvertI32S: fp.setF32(Word.a(w), Float(fp.s32(Word.b(w)))); pc += 1
            case .f32ConvertI32U: fp.setF32(Word.a(w), Float(fp.u32(Word.b(w)))); pc += 1
            case .f32ConvertI64S: fp.setF32(Word.a(w), Float(fp.s64(Word.b(w)))); pc += 1
            case .f32ConvertI64U: fp.setF32(Word.a(w), Float(fp[Word.b(w)])); pc += 1
            case .f32DemoteF64: fp.setF32(Word.a(w), Float(fp.f64(Word.b(w)))); pc += 1
            case .f64ConvertI32S: fp.setF64(Word.a(w), Double(fp.s32(Word.b(w)))); pc += 1
            case .f64ConvertI32U: fp.setF64(Word.a(w), Double(fp.u32(Word.b(w)))); pc += 1
            case .f64ConvertI64S: fp.setF64(Word.a(w), Double(fp.s64(Word.b(w)))); pc += 1
            case .f64ConvertI64U: fp.setF64(Word.a(w), Double(fp[Word.b(w)])); pc += 1
            case .f64PromoteF32: fp.setF64(Word.a(w), Double(fp.f32(Word.b(w)))); pc += 1
            case .i32Extend8S: fp[Word.a(w)] = UInt64(UInt32(bitPattern: Int32(Int8(truncatingIfNeeded: fp[Word.b(w)])))); pc += 1
            case .i32Extend16S: fp[Word.a(w)] = UInt64(UInt32(bitPattern: Int32(Int16(truncatingIfNeeded: fp[Word.b(w)])))); pc += 1
            case .i64Extend8S: fp[Word.a(w)] = UInt64(bitPattern: Int64(Int8(truncatingIfNeeded: fp[Word.b(w)]))); pc += 1
            case .i64Extend16S: fp[Word.a(w)] = UInt64(bitPattern: Int64(Int16(truncatingIfNeeded: fp[Word.b(w)]))); pc += 1
            case .i64Extend32S: fp[Word.a(w)] = UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: fp[Word.b(w)]))); pc += 1
            case .i32TruncSatF32S: fp[Word.a(w)] = UInt64(UInt32(bitPattern: Numerics.saturatingInt32(Double(fp.f32(Word.b(w)))))); pc += 1
            case .i32TruncSatF32U: fp[Word.a(w)] = UInt64(Numerics.saturatingUInt32(Double(fp.f32(Word.b(w))))); pc += 1
            case .i32TruncSatF64S: fp[Word.a(w)] = UInt64(UInt32(bitPattern: Numerics.saturatingInt32(fp.f64(Word.b(w))))); pc += 1
            case .i32TruncSatF64U: fp[Word.a(w)] = UInt64(Numerics.saturatingUInt32(fp.f64(Word.b(w)))); pc += 1
            case .i64TruncSatF32S: fp[Word.a(w)] = UInt64(bitPattern: Numerics.saturatingInt64(Double(fp.f32(Word.b(w))))); pc += 1
            case .i64TruncSatF32U: fp[Word.a(w)] = Numerics.saturatingUInt64(Double(fp.f32(Word.b(w)))); pc += 1
            case .i64TruncSatF64S: fp[Word.a(w)] = UInt64(bitPattern: Numerics.saturatingInt64(fp.f64(Word.b(w)))); pc += 1
            case .i64TruncSatF64U: fp[Word.a(w)] = Numerics.saturatingUInt64(fp.f64(Word.b(w))); pc += 1

            // MARK: SIMD (out of line: it must not weigh on the scalar cases' registers)
            case .simd:
                let advance = SIMDExecutor.execute(pc, fp, memory.pointee.base, memory.pointee.byteCount)
                if advance < 0 {
                    trap = -advance
                    break dispatch
                }
                pc += advance

            // MARK: Immediate forms (w1 = right operand)
            case .i32AddImm: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)) &+ pc.imm32); pc += 2
            case .i32MulImm: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)) &* pc.imm32); pc += 2
            case .i32AndImm: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)) & pc.imm32); pc += 2
            case .i32OrImm: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)) | pc.imm32); pc += 2
            case .i32XorImm: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)) ^ pc.imm32); pc += 2
            case .i32ShlImm: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)) &<< pc.imm32); pc += 2
            case .i32ShrSImm: fp[Word.a(w)] = UInt64(UInt32(bitPattern: fp.s32(Word.b(w)) &>> Int32(bitPattern: pc.imm32))); pc += 2
            case .i32ShrUImm: fp[Word.a(w)] = UInt64(fp.u32(Word.b(w)) &>> pc.imm32); pc += 2
            case .i32RotlImm: fp[Word.a(w)] = UInt64(Numerics.rotl(fp.u32(Word.b(w)), pc.imm32)); pc += 2
            case .i32RotrImm: fp[Word.a(w)] = UInt64(Numerics.rotr(fp.u32(Word.b(w)), pc.imm32)); pc += 2
            case .i32EqImm: fp[Word.a(w)] = fp.u32(Word.b(w)) == pc.imm32 ? 1 : 0; pc += 2
            case .i32NeImm: fp[Word.a(w)] = fp.u32(Word.b(w)) != pc.imm32 ? 1 : 0; pc += 2
            case .i32LtSImm: fp[Word.a(w)] = fp.s32(Word.b(w)) < Int32(bitPattern: pc.imm32) ? 1 : 0; pc += 2
            case .i32LtUImm: fp[Word.a(w)] = fp.u32(Word.b(w)) < pc.imm32 ? 1 : 0; pc += 2
            case .i32GtSImm: fp[Word.a(w)] = fp.s32(Word.b(w)) > Int32(bitPattern: pc.imm32) ? 1 : 0; pc += 2
            case .i32GtUImm: fp[Word.a(w)] = fp.u32(Word.b(w)) > pc.imm32 ? 1 : 0; pc += 2
            case .i32LeSImm: fp[Word.a(w)] = fp.s32(Word.b(w)) <= Int32(bitPattern: pc.imm32) ? 1 : 0; pc += 2
            case .i32LeUImm: fp[Word.a(w)] = fp.u32(Word.b(w)) <= pc.imm32 ? 1 : 0; pc += 2
            case .i32GeSImm: fp[Word.a(w)] = fp.s32(Word.b(w)) >= Int32(bitPattern: pc.imm32) ? 1 : 0; pc += 2
            case .i32GeUImm: fp[Word.a(w)] = fp.u32(Word.b(w)) >= pc.imm32 ? 1 : 0; pc += 2
            case .i64AddImm: fp[Word.a(w)] = fp[Word.b(w)] &+ pc[1]; pc += 2
            case .i64MulImm: fp[Word.a(w)] = fp[Word.b(w)] &* pc[1]; pc += 2
            case .i64AndImm: fp[Word.a(w)] = fp[Word.b(w)] & pc[1]; pc += 2
            case .i64OrImm: fp[Word.a(w)] = fp[Word.b(w)] | pc[1]; pc += 2
            case .i64XorImm: fp[Word.a(w)] = fp[Word.b(w)] ^ pc[1]; pc += 2
            case .i64ShlImm: fp[Word.a(w)] = fp[Word.b(w)] &<< pc[1]; pc += 2
            case .i64ShrSImm: fp[Word.a(w)] = UInt64(bitPattern: fp.s64(Word.b(w)) &>> Int64(bitPattern: pc[1])); pc += 2
            case .i64ShrUImm: fp[Word.a(w)] = fp[Word.b(w)] &>> pc[1]; pc += 2
            case .i64EqImm: fp[Word.a(w)] = fp[Word.b(w)] == pc[1] ? 1 : 0; pc += 2
            case .i64NeImm: fp[Word.a(w)] = fp[Word.b(w)] != pc[1] ? 1 : 0; pc += 2
            case .i64LtSImm: fp[Word.a(w)] = fp.s64(Word.b(w)) < Int64(bitPattern: pc[1]) ? 1 : 0; pc += 2
            case .i64LtUImm: fp[Word.a(w)] = fp[Word.b(w)] < pc[1] ? 1 : 0; pc += 2
            case .i64GtSImm: fp[Word.a(w)] = fp.s64(Word.b(w)) > Int64(bitPattern: pc[1]) ? 1 : 0; pc += 2
            case .i64GtUImm: fp[Word.a(w)] = fp[Word.b(w)] > pc[1] ? 1 : 0; pc += 2
            case .i64LeSImm: fp[Word.a(w)] = fp.s64(Word.b(w)) <= Int64(bitPattern: pc[1]) ? 1 : 0; pc += 2
            case .i64LeUImm: fp[Word.a(w)] = fp[Word.b(w)] <= pc[1] ? 1 : 0; pc += 2
            case .i64GeSImm: fp[Word.a(w)] = fp.s64(Word.b(w)) >= Int64(bitPattern: pc[1]) ? 1 : 0; pc += 2
            case .i64GeUImm: fp[Word.a(w)] = fp[Word.b(w)] >= pc[1] ? 1 : 0; pc += 2
            }
        }

        if trap != 0 { recordTrap(context, entity: entity, frames: frameBase + 1, top: frame) }
        return trap
    }

    /// Zeroes a callee's non-parameter locals. A plain loop: most functions have a handful of
    /// locals, and `update(repeating:count:)` was an out-of-line call on every guest call.
    @inline(__always)
    static func zeroLocals(_ fp: UnsafeMutablePointer<UInt64>, _ callee: UnsafeMutablePointer<FunctionEntity>) {
        var slot = fp + callee.pointee.parameterSlots
        let end = slot + callee.pointee.localSlots
        while slot < end {
            slot.pointee = 0
            slot += 1
        }
    }

    /// Remembers the trapping function and the call stack for the error message.
    @inline(never)
    static func recordTrap(_ context: UnsafeMutablePointer<ExecutionContext>, entity: UnsafeMutablePointer<FunctionEntity>,
                           frames: UnsafeMutablePointer<CallFrame>, top: UnsafeMutablePointer<CallFrame>) {
        context.pointee.trapEntity = entity
        var callers: [UnsafeMutablePointer<FunctionEntity>] = []
        var cursor = top
        while cursor > frames {
            cursor -= 1
            callers.append(cursor.pointee.entity)
        }
        context.pointee.trapFrames = callers
    }

    /// Calls a host function with its arguments at `arguments`; results are written there.
    @inline(never)
    static func callHost(_ context: UnsafeMutablePointer<ExecutionContext>, _ callee: UnsafeMutablePointer<FunctionEntity>,
                         _ arguments: UnsafeMutablePointer<UInt64>, caller: UnsafeMutablePointer<FunctionEntity>,
                         frameTop: UnsafeMutablePointer<CallFrame>) -> Int {
        let savedStackTop = context.pointee.stackTop
        let savedFrameTop = context.pointee.frameTop
        context.pointee.stackTop = arguments + Swift.max(callee.pointee.parameterSlots, callee.pointee.resultSlots)
        context.pointee.frameTop = frameTop
        defer {
            context.pointee.stackTop = savedStackTop
            context.pointee.frameTop = savedFrameTop
        }
        if context.pointee.stackTop > context.pointee.stackLimit { return TrapCode.callStackExhausted }
        let runtime = context.pointee.runtime.unsafelyUnwrapped.takeUnretainedValue()
        return runtime.callHostFunction(callee, arguments: arguments, caller: caller)
    }
}

extension UnsafeMutablePointer where Pointee == UInt64 {
    @inline(__always) func u32(_ slot: Int) -> UInt32 { UInt32(truncatingIfNeeded: self[slot]) }
    @inline(__always) func s32(_ slot: Int) -> Int32 { Int32(truncatingIfNeeded: self[slot]) }
    @inline(__always) func s64(_ slot: Int) -> Int64 { Int64(bitPattern: self[slot]) }
    @inline(__always) func f32(_ slot: Int) -> Float { Float(bitPattern: UInt32(truncatingIfNeeded: self[slot])) }
    @inline(__always) func f64(_ slot: Int) -> Double { Double(bitPattern: self[slot]) }
    @inline(__always) func setF32(_ slot: Int, _ value: Float) { self[slot] = UInt64(value.bitPattern) }
    @inline(__always) func setF64(_ slot: Int, _ value: Double) { self[slot] = value.bitPattern }

    // Decoding of the words that follow an instruction's first word.
    @inline(__always) var branchOffset: Int { Int(truncatingIfNeeded: self[1]) }
    @inline(__always) var imm32: UInt32 { UInt32(truncatingIfNeeded: self[1]) }
    @inline(__always) var cell: UnsafeMutablePointer<UInt64> {
        UnsafeMutablePointer<UInt64>(bitPattern: UInt(truncatingIfNeeded: self[1])).unsafelyUnwrapped
    }
    @inline(__always) var table: UnsafeMutablePointer<TableEntity> {
        UnsafeMutablePointer<TableEntity>(bitPattern: UInt(truncatingIfNeeded: self[1])).unsafelyUnwrapped
    }
    @inline(__always) var segment: UnsafeMutablePointer<SegmentEntity> {
        UnsafeMutablePointer<SegmentEntity>(bitPattern: UInt(truncatingIfNeeded: self[1])).unsafelyUnwrapped
    }
}
