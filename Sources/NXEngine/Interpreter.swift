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

        while true {
            // Only the opcode is loaded here; each case loads the fields it uses.
            let op = Word.op(UInt64(UnsafeRawPointer(pc).load(as: UInt16.self)))
            #if NX_PROFILE_OPS
            OpProfile.record(op)
            #endif
            switch op {
            // MARK: Control
            case .exit:
                return 0
            case .translate:
                // First call of this function: translate it (out of line) and enter its code.
                guard let code = Runtime.translate(entity, context: context) else {
                    return trapped(context, TrapCode.hostError, entity, frameBase, frame)
                }
                if fp + entity.pointee.frameSlots > stackLimit {
                    return trapped(context, TrapCode.callStackExhausted, entity, frameBase, frame)
                }
                pc = code
            case .unreachable:
                // The trap code is read from the instruction (A = TrapCode.unreachable) rather than
                // written as a constant: LLVM otherwise materialised that constant in every
                // dispatch sequence (the jump table's edges all share its phi).
                return trapped(context, pc.a, entity, frameBase, frame)
            case .br:
                pc += Int(pc.imm)
            case .brIf:
                if fp.u32(pc.a) != 0 { pc += Int(pc.imm) } else { pc += 1 }
            case .brIfNot:
                if fp.u32(pc.a) == 0 { pc += Int(pc.imm) } else { pc += 1 }
            case .brTable:
                let count = UInt64(UInt32(bitPattern: pc.imm))
                let index = UInt64(fp.u32(pc.a))
                let target = index < count ? index : count
                pc += Int(truncatingIfNeeded: pc[1 + Int(truncatingIfNeeded: target)])
            case .call:
                let callee = UnsafeMutablePointer<FunctionEntity>(bitPattern: UInt(truncatingIfNeeded: pc[1])).unsafelyUnwrapped
                let newFP = fp + pc.a
                if frame == frameLimit || newFP + callee.pointee.frameSlots > stackLimit {
                    return trapped(context, TrapCode.callStackExhausted, entity, frameBase, frame)
                }
                frame.pointee = CallFrame(returnPC: pc + 2, fp: fp, entity: entity, memory: memory)
                frame += 1
                zeroLocals(newFP, callee)
                fp = newFP
                entity = callee
                pc = callee.pointee.code.unsafelyUnwrapped
            case .callImport:
                let callee = UnsafeMutablePointer<FunctionEntity>(bitPattern: UInt(truncatingIfNeeded: pc[1])).unsafelyUnwrapped
                let newFP = fp + pc.a
                if callee.pointee.isHost {
                    let code = callHost(context, callee, newFP, caller: entity, frameTop: frame)
                    if code != 0 { return trapped(context, code, entity, frameBase, frame) }
                    pc += 2
                    continue
                }
                if frame == frameLimit || newFP + callee.pointee.frameSlots > stackLimit {
                    return trapped(context, TrapCode.callStackExhausted, entity, frameBase, frame)
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
                let index = fp.u32(pc.b)
                if index >= table.pointee.count {
                    return trapped(context, TrapCode.undefinedElement, entity, frameBase, frame)
                }
                let reference = table.pointee.elements[Int(index)]
                if reference == 0 {
                    return trapped(context, TrapCode.uninitializedElement, entity, frameBase, frame)
                }
                let callee = UnsafeMutablePointer<FunctionEntity>(bitPattern: UInt(truncatingIfNeeded: reference)).unsafelyUnwrapped
                if UInt64(callee.pointee.signature) != pc[2] {
                    return trapped(context, TrapCode.indirectCallTypeMismatch, entity, frameBase, frame)
                }
                let newFP = fp + pc.a
                if callee.pointee.isHost {
                    let code = callHost(context, callee, newFP, caller: entity, frameTop: frame)
                    if code != 0 { return trapped(context, code, entity, frameBase, frame) }
                    pc += 3
                    continue
                }
                if frame == frameLimit || newFP + callee.pointee.frameSlots > stackLimit {
                    return trapped(context, TrapCode.callStackExhausted, entity, frameBase, frame)
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
                fp[0] = fp[pc.a]
                frame -= 1
                pc = frame.pointee.returnPC
                fp = frame.pointee.fp
                entity = frame.pointee.entity
                memory = frame.pointee.memory
            case .retImm32:
                fp[0] = UInt64(UInt32(bitPattern: pc.imm))
                frame -= 1
                pc = frame.pointee.returnPC
                fp = frame.pointee.fp
                entity = frame.pointee.entity
                memory = frame.pointee.memory
            case .ret128:
                let source = pc.a
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
            case .brI32Eq: if fp.u32(pc.a) == fp.u32(pc.b) { pc += pc.branchOffset } else { pc += 2 }
            case .brI32Ne: if fp.u32(pc.a) != fp.u32(pc.b) { pc += pc.branchOffset } else { pc += 2 }
            case .brI32LtS: if fp.s32(pc.a) < fp.s32(pc.b) { pc += pc.branchOffset } else { pc += 2 }
            case .brI32LtU: if fp.u32(pc.a) < fp.u32(pc.b) { pc += pc.branchOffset } else { pc += 2 }
            case .brI32GtS: if fp.s32(pc.a) > fp.s32(pc.b) { pc += pc.branchOffset } else { pc += 2 }
            case .brI32GtU: if fp.u32(pc.a) > fp.u32(pc.b) { pc += pc.branchOffset } else { pc += 2 }
            case .brI32LeS: if fp.s32(pc.a) <= fp.s32(pc.b) { pc += pc.branchOffset } else { pc += 2 }
            case .brI32LeU: if fp.u32(pc.a) <= fp.u32(pc.b) { pc += pc.branchOffset } else { pc += 2 }
            case .brI32GeS: if fp.s32(pc.a) >= fp.s32(pc.b) { pc += pc.branchOffset } else { pc += 2 }
            case .brI32GeU: if fp.u32(pc.a) >= fp.u32(pc.b) { pc += pc.branchOffset } else { pc += 2 }
            case .brI32EqImm: if fp.u32(pc.a) == UInt32(bitPattern: pc.imm) { pc += pc.branchOffset } else { pc += 2 }
            case .brI32NeImm: if fp.u32(pc.a) != UInt32(bitPattern: pc.imm) { pc += pc.branchOffset } else { pc += 2 }
            case .brI32LtSImm: if fp.s32(pc.a) < pc.imm { pc += pc.branchOffset } else { pc += 2 }
            case .brI32LtUImm: if fp.u32(pc.a) < UInt32(bitPattern: pc.imm) { pc += pc.branchOffset } else { pc += 2 }
            case .brI32GtSImm: if fp.s32(pc.a) > pc.imm { pc += pc.branchOffset } else { pc += 2 }
            case .brI32GtUImm: if fp.u32(pc.a) > UInt32(bitPattern: pc.imm) { pc += pc.branchOffset } else { pc += 2 }
            case .brI32LeSImm: if fp.s32(pc.a) <= pc.imm { pc += pc.branchOffset } else { pc += 2 }
            case .brI32LeUImm: if fp.u32(pc.a) <= UInt32(bitPattern: pc.imm) { pc += pc.branchOffset } else { pc += 2 }
            case .brI32GeSImm: if fp.s32(pc.a) >= pc.imm { pc += pc.branchOffset } else { pc += 2 }
            case .brI32GeUImm: if fp.u32(pc.a) >= UInt32(bitPattern: pc.imm) { pc += pc.branchOffset } else { pc += 2 }
            case .brI64Eqz: if fp[pc.a] == 0 { pc += Int(pc.imm) } else { pc += 1 }
            case .brI64Nez: if fp[pc.a] != 0 { pc += Int(pc.imm) } else { pc += 1 }

            // MARK: Moves and constants
            case .copy:
                fp[pc.a] = fp[pc.b]
                pc += 1
            case .copy128:
                let dst = pc.a
                let src = pc.b
                let low = fp[src]
                let high = fp[src + 1]
                fp[dst] = low
                fp[dst + 1] = high
                pc += 1
            case .copy2:
                fp[pc.a] = fp[pc.b]
                fp[pc.c] = fp[Int(truncatingIfNeeded: pc[1])]
                pc += 2
            case .const32:
                fp[pc.a] = UInt64(UInt32(bitPattern: pc.imm))
                pc += 1
            case .const64:
                fp[pc.a] = pc[1]
                pc += 2
            case .const128:
                let dst = pc.a
                fp[dst] = pc[1]
                fp[dst + 1] = pc[2]
                pc += 3
            case .select:
                fp[pc.a] = fp.u32(Int(truncatingIfNeeded: pc[1])) != 0 ? fp[pc.b] : fp[pc.c]
                pc += 2
            case .select128:
                let source = fp.u32(Int(truncatingIfNeeded: pc[1])) != 0 ? pc.b : pc.c
                let low = fp[source]
                let high = fp[source + 1]
                fp[pc.a] = low
                fp[pc.a + 1] = high
                pc += 2

            // MARK: Globals
            case .globalGet:
                fp[pc.a] = pc.cell.pointee
                pc += 2
            case .globalSet:
                pc.cell.pointee = fp[pc.a]
                pc += 2
            case .globalGet128:
                let cell = pc.cell
                fp[pc.a] = cell[0]
                fp[pc.a + 1] = cell[1]
                pc += 2
            case .globalSet128:
                let cell = pc.cell
                cell[0] = fp[pc.a]
                cell[1] = fp[pc.a + 1]
                pc += 2

            // MARK: Memory
            case .load8S:
                let address = UInt64(fp.u32(pc.b)) &+ pc[1]
                if address &+ 1 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = UInt64(bitPattern: Int64(memory.pointee.base.load(fromByteOffset: Int(truncatingIfNeeded: address), as: Int8.self)))
                pc += 2
            case .load8U:
                let address = UInt64(fp.u32(pc.b)) &+ pc[1]
                if address &+ 1 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = UInt64(memory.pointee.base.load(fromByteOffset: Int(truncatingIfNeeded: address), as: UInt8.self))
                pc += 2
            case .i32Load8S:
                let address = UInt64(fp.u32(pc.b)) &+ pc[1]
                if address &+ 1 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = UInt64(UInt32(bitPattern: Int32(memory.pointee.base.load(fromByteOffset: Int(truncatingIfNeeded: address), as: Int8.self))))
                pc += 2
            case .load16S:
                let address = UInt64(fp.u32(pc.b)) &+ pc[1]
                if address &+ 2 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = UInt64(bitPattern: Int64((memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: Int16.self)))
                pc += 2
            case .load16U:
                let address = UInt64(fp.u32(pc.b)) &+ pc[1]
                if address &+ 2 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = UInt64((memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: UInt16.self))
                pc += 2
            case .i32Load16S:
                let address = UInt64(fp.u32(pc.b)) &+ pc[1]
                if address &+ 2 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = UInt64(UInt32(bitPattern: Int32((memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: Int16.self))))
                pc += 2
            case .load32S:
                let address = UInt64(fp.u32(pc.b)) &+ pc[1]
                if address &+ 4 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = UInt64(bitPattern: Int64((memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: Int32.self)))
                pc += 2
            case .load32U:
                let address = UInt64(fp.u32(pc.b)) &+ pc[1]
                if address &+ 4 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = UInt64((memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: UInt32.self))
                pc += 2
            case .load64:
                let address = UInt64(fp.u32(pc.b)) &+ pc[1]
                if address &+ 8 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = (memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: UInt64.self)
                pc += 2
            case .store8:
                let address = UInt64(fp.u32(pc.a)) &+ pc[1]
                if address &+ 1 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                memory.pointee.base.storeBytes(of: UInt8(truncatingIfNeeded: fp[pc.b]), toByteOffset: Int(truncatingIfNeeded: address), as: UInt8.self)
                pc += 2
            case .store16:
                let address = UInt64(fp.u32(pc.a)) &+ pc[1]
                if address &+ 2 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                memory.pointee.base.storeBytes(of: UInt16(truncatingIfNeeded: fp[pc.b]), toByteOffset: Int(truncatingIfNeeded: address), as: UInt16.self)
                pc += 2
            case .store32:
                let address = UInt64(fp.u32(pc.a)) &+ pc[1]
                if address &+ 4 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                memory.pointee.base.storeBytes(of: UInt32(truncatingIfNeeded: fp[pc.b]), toByteOffset: Int(truncatingIfNeeded: address), as: UInt32.self)
                pc += 2
            case .store64:
                let address = UInt64(fp.u32(pc.a)) &+ pc[1]
                if address &+ 8 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                memory.pointee.base.storeBytes(of: fp[pc.b], toByteOffset: Int(truncatingIfNeeded: address), as: UInt64.self)
                pc += 2
            case .memorySize:
                fp[pc.a] = memory.pointee.byteCount >> 16
                pc += 1
            case .memoryGrow:
                fp[pc.a] = UInt64(Runtime.growMemory(memory, by: fp.u32(pc.b), context: context))
                pc += 1
            case .memoryCopy:
                let code = BulkOperations.memoryCopy(memory, fp.u32(pc.a), fp.u32(pc.b), fp.u32(pc.c))
                if code != 0 { return trapped(context, code, entity, frameBase, frame) }
                pc += 1
            case .memoryFill:
                let code = BulkOperations.memoryFill(memory, fp.u32(pc.a), UInt8(truncatingIfNeeded: fp[pc.b]), fp.u32(pc.c))
                if code != 0 { return trapped(context, code, entity, frameBase, frame) }
                pc += 1
            case .memoryInit:
                let code = BulkOperations.memoryInit(memory, pc.segment, fp.u32(pc.a), fp.u32(pc.b), fp.u32(pc.c))
                if code != 0 { return trapped(context, code, entity, frameBase, frame) }
                pc += 2
            case .dataDrop:
                pc.segment.pointee.count = 0
                pc += 2

            // MARK: Tables and references
            case .tableGet:
                let table = pc.table
                let index = fp.u32(pc.b)
                if index >= table.pointee.count { return trapped(context, TrapCode.tableOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = table.pointee.elements[Int(index)]
                pc += 2
            case .tableSet:
                let table = pc.table
                let index = fp.u32(pc.a)
                if index >= table.pointee.count { return trapped(context, TrapCode.tableOutOfBounds, entity, frameBase, frame) }
                table.pointee.elements[Int(index)] = fp[pc.b]
                pc += 2
            case .tableSize:
                fp[pc.a] = UInt64(pc.table.pointee.count)
                pc += 2
            case .tableGrow:
                fp[pc.a] = UInt64(Runtime.growTable(pc.table, by: fp.u32(pc.c), initial: fp[pc.b], context: context))
                pc += 2
            case .tableFill:
                let code = BulkOperations.tableFill(pc.table, fp.u32(pc.a), fp[pc.b], fp.u32(pc.c))
                if code != 0 { return trapped(context, code, entity, frameBase, frame) }
                pc += 2
            case .tableCopy:
                let code = BulkOperations.tableCopy(pc.table, (pc + 1).table, fp.u32(pc.a), fp.u32(pc.b), fp.u32(pc.c))
                if code != 0 { return trapped(context, code, entity, frameBase, frame) }
                pc += 3
            case .tableInit:
                let code = BulkOperations.tableInit(pc.table, (pc + 1).segment, fp.u32(pc.a), fp.u32(pc.b), fp.u32(pc.c))
                if code != 0 { return trapped(context, code, entity, frameBase, frame) }
                pc += 3
            case .elemDrop:
                pc.segment.pointee.count = 0
                pc += 2
            case .refIsNull:
                fp[pc.a] = fp[pc.b] == 0 ? 1 : 0
                pc += 1

            // MARK: i32
            case .i32Eqz: fp[pc.a] = fp.u32(pc.b) == 0 ? 1 : 0; pc += 1
            case .i32Eq: fp[pc.a] = fp.u32(pc.b) == fp.u32(pc.c) ? 1 : 0; pc += 1
            case .i32Ne: fp[pc.a] = fp.u32(pc.b) != fp.u32(pc.c) ? 1 : 0; pc += 1
            case .i32LtS: fp[pc.a] = fp.s32(pc.b) < fp.s32(pc.c) ? 1 : 0; pc += 1
            case .i32LtU: fp[pc.a] = fp.u32(pc.b) < fp.u32(pc.c) ? 1 : 0; pc += 1
            case .i32GtS: fp[pc.a] = fp.s32(pc.b) > fp.s32(pc.c) ? 1 : 0; pc += 1
            case .i32GtU: fp[pc.a] = fp.u32(pc.b) > fp.u32(pc.c) ? 1 : 0; pc += 1
            case .i32LeS: fp[pc.a] = fp.s32(pc.b) <= fp.s32(pc.c) ? 1 : 0; pc += 1
            case .i32LeU: fp[pc.a] = fp.u32(pc.b) <= fp.u32(pc.c) ? 1 : 0; pc += 1
            case .i32GeS: fp[pc.a] = fp.s32(pc.b) >= fp.s32(pc.c) ? 1 : 0; pc += 1
            case .i32GeU: fp[pc.a] = fp.u32(pc.b) >= fp.u32(pc.c) ? 1 : 0; pc += 1
            case .i32Clz: fp[pc.a] = UInt64(fp.u32(pc.b).leadingZeroBitCount); pc += 1
            case .i32Ctz: fp[pc.a] = UInt64(fp.u32(pc.b).trailingZeroBitCount); pc += 1
            case .i32Popcnt: fp[pc.a] = UInt64(fp.u32(pc.b).nonzeroBitCount); pc += 1
            case .i32Add: fp[pc.a] = UInt64(fp.u32(pc.b) &+ fp.u32(pc.c)); pc += 1
            case .i32Sub: fp[pc.a] = UInt64(fp.u32(pc.b) &- fp.u32(pc.c)); pc += 1
            case .i32Mul: fp[pc.a] = UInt64(fp.u32(pc.b) &* fp.u32(pc.c)); pc += 1
            case .i32DivS:
                let lhs = fp.s32(pc.b)
                let rhs = fp.s32(pc.c)
                if rhs == 0 { return trapped(context, TrapCode.integerDivideByZero, entity, frameBase, frame) }
                if lhs == Int32.min && rhs == -1 { return trapped(context, TrapCode.integerOverflow, entity, frameBase, frame) }
                fp[pc.a] = UInt64(UInt32(bitPattern: lhs / rhs))
                pc += 1
            case .i32DivU:
                let rhs = fp.u32(pc.c)
                if rhs == 0 { return trapped(context, TrapCode.integerDivideByZero, entity, frameBase, frame) }
                fp[pc.a] = UInt64(fp.u32(pc.b) / rhs)
                pc += 1
            case .i32RemS:
                let lhs = fp.s32(pc.b)
                let rhs = fp.s32(pc.c)
                if rhs == 0 { return trapped(context, TrapCode.integerDivideByZero, entity, frameBase, frame) }
                fp[pc.a] = rhs == -1 ? 0 : UInt64(UInt32(bitPattern: lhs % rhs))
                pc += 1
            case .i32RemU:
                let rhs = fp.u32(pc.c)
                if rhs == 0 { return trapped(context, TrapCode.integerDivideByZero, entity, frameBase, frame) }
                fp[pc.a] = UInt64(fp.u32(pc.b) % rhs)
                pc += 1
            case .i32And: fp[pc.a] = UInt64(fp.u32(pc.b) & fp.u32(pc.c)); pc += 1
            case .i32Or: fp[pc.a] = UInt64(fp.u32(pc.b) | fp.u32(pc.c)); pc += 1
            case .i32Xor: fp[pc.a] = UInt64(fp.u32(pc.b) ^ fp.u32(pc.c)); pc += 1
            case .i32Shl: fp[pc.a] = UInt64(fp.u32(pc.b) &<< fp.u32(pc.c)); pc += 1
            case .i32ShrS: fp[pc.a] = UInt64(UInt32(bitPattern: fp.s32(pc.b) &>> fp.s32(pc.c))); pc += 1
            case .i32ShrU: fp[pc.a] = UInt64(fp.u32(pc.b) &>> fp.u32(pc.c)); pc += 1
            case .i32Rotl: fp[pc.a] = UInt64(Numerics.rotl(fp.u32(pc.b), fp.u32(pc.c))); pc += 1
            case .i32Rotr: fp[pc.a] = UInt64(Numerics.rotr(fp.u32(pc.b), fp.u32(pc.c))); pc += 1

            // MARK: i64
            case .i64Eqz: fp[pc.a] = fp[pc.b] == 0 ? 1 : 0; pc += 1
            case .i64Eq: fp[pc.a] = fp[pc.b] == fp[pc.c] ? 1 : 0; pc += 1
            case .i64Ne: fp[pc.a] = fp[pc.b] != fp[pc.c] ? 1 : 0; pc += 1
            case .i64LtS: fp[pc.a] = fp.s64(pc.b) < fp.s64(pc.c) ? 1 : 0; pc += 1
            case .i64LtU: fp[pc.a] = fp[pc.b] < fp[pc.c] ? 1 : 0; pc += 1
            case .i64GtS: fp[pc.a] = fp.s64(pc.b) > fp.s64(pc.c) ? 1 : 0; pc += 1
            case .i64GtU: fp[pc.a] = fp[pc.b] > fp[pc.c] ? 1 : 0; pc += 1
            case .i64LeS: fp[pc.a] = fp.s64(pc.b) <= fp.s64(pc.c) ? 1 : 0; pc += 1
            case .i64LeU: fp[pc.a] = fp[pc.b] <= fp[pc.c] ? 1 : 0; pc += 1
            case .i64GeS: fp[pc.a] = fp.s64(pc.b) >= fp.s64(pc.c) ? 1 : 0; pc += 1
            case .i64GeU: fp[pc.a] = fp[pc.b] >= fp[pc.c] ? 1 : 0; pc += 1
            case .i64Clz: fp[pc.a] = UInt64(fp[pc.b].leadingZeroBitCount); pc += 1
            case .i64Ctz: fp[pc.a] = UInt64(fp[pc.b].trailingZeroBitCount); pc += 1
            case .i64Popcnt: fp[pc.a] = UInt64(fp[pc.b].nonzeroBitCount); pc += 1
            case .i64Add: fp[pc.a] = fp[pc.b] &+ fp[pc.c]; pc += 1
            case .i64Sub: fp[pc.a] = fp[pc.b] &- fp[pc.c]; pc += 1
            case .i64Mul: fp[pc.a] = fp[pc.b] &* fp[pc.c]; pc += 1
            case .i64DivS:
                let lhs = fp.s64(pc.b)
                let rhs = fp.s64(pc.c)
                if rhs == 0 { return trapped(context, TrapCode.integerDivideByZero, entity, frameBase, frame) }
                if lhs == Int64.min && rhs == -1 { return trapped(context, TrapCode.integerOverflow, entity, frameBase, frame) }
                fp[pc.a] = UInt64(bitPattern: lhs / rhs)
                pc += 1
            case .i64DivU:
                let rhs = fp[pc.c]
                if rhs == 0 { return trapped(context, TrapCode.integerDivideByZero, entity, frameBase, frame) }
                fp[pc.a] = fp[pc.b] / rhs
                pc += 1
            case .i64RemS:
                let lhs = fp.s64(pc.b)
                let rhs = fp.s64(pc.c)
                if rhs == 0 { return trapped(context, TrapCode.integerDivideByZero, entity, frameBase, frame) }
                fp[pc.a] = rhs == -1 ? 0 : UInt64(bitPattern: lhs % rhs)
                pc += 1
            case .i64RemU:
                let rhs = fp[pc.c]
                if rhs == 0 { return trapped(context, TrapCode.integerDivideByZero, entity, frameBase, frame) }
                fp[pc.a] = fp[pc.b] % rhs
                pc += 1
            case .i64And: fp[pc.a] = fp[pc.b] & fp[pc.c]; pc += 1
            case .i64Or: fp[pc.a] = fp[pc.b] | fp[pc.c]; pc += 1
            case .i64Xor: fp[pc.a] = fp[pc.b] ^ fp[pc.c]; pc += 1
            case .i64Shl: fp[pc.a] = fp[pc.b] &<< fp[pc.c]; pc += 1
            case .i64ShrS: fp[pc.a] = UInt64(bitPattern: fp.s64(pc.b) &>> fp.s64(pc.c)); pc += 1
            case .i64ShrU: fp[pc.a] = fp[pc.b] &>> fp[pc.c]; pc += 1
            case .i64Rotl: fp[pc.a] = Numerics.rotl(fp[pc.b], fp[pc.c]); pc += 1
            case .i64Rotr: fp[pc.a] = Numerics.rotr(fp[pc.b], fp[pc.c]); pc += 1

            // MARK: Float comparisons
            case .f32Eq: fp[pc.a] = fp.f32(pc.b) == fp.f32(pc.c) ? 1 : 0; pc += 1
            case .f32Ne: fp[pc.a] = fp.f32(pc.b) != fp.f32(pc.c) ? 1 : 0; pc += 1
            case .f32Lt: fp[pc.a] = fp.f32(pc.b) < fp.f32(pc.c) ? 1 : 0; pc += 1
            case .f32Gt: fp[pc.a] = fp.f32(pc.b) > fp.f32(pc.c) ? 1 : 0; pc += 1
            case .f32Le: fp[pc.a] = fp.f32(pc.b) <= fp.f32(pc.c) ? 1 : 0; pc += 1
            case .f32Ge: fp[pc.a] = fp.f32(pc.b) >= fp.f32(pc.c) ? 1 : 0; pc += 1
            case .f64Eq: fp[pc.a] = fp.f64(pc.b) == fp.f64(pc.c) ? 1 : 0; pc += 1
            case .f64Ne: fp[pc.a] = fp.f64(pc.b) != fp.f64(pc.c) ? 1 : 0; pc += 1
            case .f64Lt: fp[pc.a] = fp.f64(pc.b) < fp.f64(pc.c) ? 1 : 0; pc += 1
            case .f64Gt: fp[pc.a] = fp.f64(pc.b) > fp.f64(pc.c) ? 1 : 0; pc += 1
            case .f64Le: fp[pc.a] = fp.f64(pc.b) <= fp.f64(pc.c) ? 1 : 0; pc += 1
            case .f64Ge: fp[pc.a] = fp.f64(pc.b) >= fp.f64(pc.c) ? 1 : 0; pc += 1

            // MARK: f32 arithmetic (bitwise for abs/neg/copysign so NaN payloads are preserved)
            case .f32Abs: fp[pc.a] = UInt64(fp.u32(pc.b) & 0x7FFF_FFFF); pc += 1
            case .f32Neg: fp[pc.a] = UInt64(fp.u32(pc.b) ^ 0x8000_0000); pc += 1
            case .f32Ceil: fp.setF32(pc.a, fp.f32(pc.b).rounded(.up)); pc += 1
            case .f32Floor: fp.setF32(pc.a, fp.f32(pc.b).rounded(.down)); pc += 1
            case .f32Trunc: fp.setF32(pc.a, fp.f32(pc.b).rounded(.towardZero)); pc += 1
            case .f32Nearest: fp.setF32(pc.a, fp.f32(pc.b).rounded(.toNearestOrEven)); pc += 1
            case .f32Sqrt: fp.setF32(pc.a, fp.f32(pc.b).squareRoot()); pc += 1
            case .f32Add: fp.setF32(pc.a, fp.f32(pc.b) + fp.f32(pc.c)); pc += 1
            case .f32Sub: fp.setF32(pc.a, fp.f32(pc.b) - fp.f32(pc.c)); pc += 1
            case .f32Mul: fp.setF32(pc.a, fp.f32(pc.b) * fp.f32(pc.c)); pc += 1
            case .f32Div: fp.setF32(pc.a, fp.f32(pc.b) / fp.f32(pc.c)); pc += 1
            case .f32Min: fp.setF32(pc.a, Numerics.min(fp.f32(pc.b), fp.f32(pc.c))); pc += 1
            case .f32Max: fp.setF32(pc.a, Numerics.max(fp.f32(pc.b), fp.f32(pc.c))); pc += 1
            case .f32Copysign:
                fp[pc.a] = UInt64((fp.u32(pc.b) & 0x7FFF_FFFF) | (fp.u32(pc.c) & 0x8000_0000))
                pc += 1
            case .f64Abs: fp[pc.a] = fp[pc.b] & 0x7FFF_FFFF_FFFF_FFFF; pc += 1
            case .f64Neg: fp[pc.a] = fp[pc.b] ^ 0x8000_0000_0000_0000; pc += 1
            case .f64Ceil: fp.setF64(pc.a, fp.f64(pc.b).rounded(.up)); pc += 1
            case .f64Floor: fp.setF64(pc.a, fp.f64(pc.b).rounded(.down)); pc += 1
            case .f64Trunc: fp.setF64(pc.a, fp.f64(pc.b).rounded(.towardZero)); pc += 1
            case .f64Nearest: fp.setF64(pc.a, fp.f64(pc.b).rounded(.toNearestOrEven)); pc += 1
            case .f64Sqrt: fp.setF64(pc.a, fp.f64(pc.b).squareRoot()); pc += 1
            case .f64Add: fp.setF64(pc.a, fp.f64(pc.b) + fp.f64(pc.c)); pc += 1
            case .f64Sub: fp.setF64(pc.a, fp.f64(pc.b) - fp.f64(pc.c)); pc += 1
            case .f64Mul: fp.setF64(pc.a, fp.f64(pc.b) * fp.f64(pc.c)); pc += 1
            case .f64Div: fp.setF64(pc.a, fp.f64(pc.b) / fp.f64(pc.c)); pc += 1
            case .f64Min: fp.setF64(pc.a, Numerics.min(fp.f64(pc.b), fp.f64(pc.c))); pc += 1
            case .f64Max: fp.setF64(pc.a, Numerics.max(fp.f64(pc.b), fp.f64(pc.c))); pc += 1
            case .f64Copysign:
                fp[pc.a] = (fp[pc.b] & 0x7FFF_FFFF_FFFF_FFFF) | (fp[pc.c] & 0x8000_0000_0000_0000)
                pc += 1

            // MARK: Conversions
            case .i32WrapI64: fp[pc.a] = UInt64(fp.u32(pc.b)); pc += 1
            case .i32TruncF32S:
                let code = Numerics.truncate(fp.f32(pc.b), min: -2147483904.0, max: 2147483648.0, to: &fp[pc.a], signed32: true)
                if code != 0 { return trapped(context, code, entity, frameBase, frame) }
                pc += 1
            case .i32TruncF32U:
                let code = Numerics.truncate(fp.f32(pc.b), min: -1.0, max: 4294967296.0, to: &fp[pc.a], signed32: false)
                if code != 0 { return trapped(context, code, entity, frameBase, frame) }
                pc += 1
            case .i32TruncF64S:
                let code = Numerics.truncate(fp.f64(pc.b), min: -2147483649.0, max: 2147483648.0, to: &fp[pc.a], signed32: true)
                if code != 0 { return trapped(context, code, entity, frameBase, frame) }
                pc += 1
            case .i32TruncF64U:
                let code = Numerics.truncate(fp.f64(pc.b), min: -1.0, max: 4294967296.0, to: &fp[pc.a], signed32: false)
                if code != 0 { return trapped(context, code, entity, frameBase, frame) }
                pc += 1
            case .i64ExtendI32S: fp[pc.a] = UInt64(bitPattern: Int64(fp.s32(pc.b))); pc += 1
            case .i64ExtendI32U: fp[pc.a] = UInt64(fp.u32(pc.b)); pc += 1
            case .i64TruncF32S:
                let code = Numerics.truncateToInt64(Double(fp.f32(pc.b)), to: &fp[pc.a])
                if code != 0 { return trapped(context, code, entity, frameBase, frame) }
                pc += 1
            case .i64TruncF32U:
                let code = Numerics.truncateToUInt64(Double(fp.f32(pc.b)), to: &fp[pc.a])
                if code != 0 { return trapped(context, code, entity, frameBase, frame) }
                pc += 1
            case .i64TruncF64S:
                let code = Numerics.truncateToInt64(fp.f64(pc.b), to: &fp[pc.a])
                if code != 0 { return trapped(context, code, entity, frameBase, frame) }
                pc += 1
            case .i64TruncF64U:
                let code = Numerics.truncateToUInt64(fp.f64(pc.b), to: &fp[pc.a])
                if code != 0 { return trapped(context, code, entity, frameBase, frame) }
                pc += 1
            case .f32ConvertI32S: fp.setF32(pc.a, Float(fp.s32(pc.b))); pc += 1
            case .f32ConvertI32U: fp.setF32(pc.a, Float(fp.u32(pc.b))); pc += 1
            case .f32ConvertI64S: fp.setF32(pc.a, Float(fp.s64(pc.b))); pc += 1
            case .f32ConvertI64U: fp.setF32(pc.a, Float(fp[pc.b])); pc += 1
            case .f32DemoteF64: fp.setF32(pc.a, Float(fp.f64(pc.b))); pc += 1
            case .f64ConvertI32S: fp.setF64(pc.a, Double(fp.s32(pc.b))); pc += 1
            case .f64ConvertI32U: fp.setF64(pc.a, Double(fp.u32(pc.b))); pc += 1
            case .f64ConvertI64S: fp.setF64(pc.a, Double(fp.s64(pc.b))); pc += 1
            case .f64ConvertI64U: fp.setF64(pc.a, Double(fp[pc.b])); pc += 1
            case .f64PromoteF32: fp.setF64(pc.a, Double(fp.f32(pc.b))); pc += 1
            case .i32Extend8S: fp[pc.a] = UInt64(UInt32(bitPattern: Int32(Int8(truncatingIfNeeded: fp[pc.b])))); pc += 1
            case .i32Extend16S: fp[pc.a] = UInt64(UInt32(bitPattern: Int32(Int16(truncatingIfNeeded: fp[pc.b])))); pc += 1
            case .i64Extend8S: fp[pc.a] = UInt64(bitPattern: Int64(Int8(truncatingIfNeeded: fp[pc.b]))); pc += 1
            case .i64Extend16S: fp[pc.a] = UInt64(bitPattern: Int64(Int16(truncatingIfNeeded: fp[pc.b]))); pc += 1
            case .i64Extend32S: fp[pc.a] = UInt64(bitPattern: Int64(Int32(truncatingIfNeeded: fp[pc.b]))); pc += 1
            case .i32TruncSatF32S: fp[pc.a] = UInt64(UInt32(bitPattern: Numerics.saturatingInt32(Double(fp.f32(pc.b))))); pc += 1
            case .i32TruncSatF32U: fp[pc.a] = UInt64(Numerics.saturatingUInt32(Double(fp.f32(pc.b)))); pc += 1
            case .i32TruncSatF64S: fp[pc.a] = UInt64(UInt32(bitPattern: Numerics.saturatingInt32(fp.f64(pc.b)))); pc += 1
            case .i32TruncSatF64U: fp[pc.a] = UInt64(Numerics.saturatingUInt32(fp.f64(pc.b))); pc += 1
            case .i64TruncSatF32S: fp[pc.a] = UInt64(bitPattern: Numerics.saturatingInt64(Double(fp.f32(pc.b)))); pc += 1
            case .i64TruncSatF32U: fp[pc.a] = Numerics.saturatingUInt64(Double(fp.f32(pc.b))); pc += 1
            case .i64TruncSatF64S: fp[pc.a] = UInt64(bitPattern: Numerics.saturatingInt64(fp.f64(pc.b))); pc += 1
            case .i64TruncSatF64U: fp[pc.a] = Numerics.saturatingUInt64(fp.f64(pc.b)); pc += 1

            // MARK: Float multiply fused with the next operation
            case .f32MulAdd:
                let product = fp.f32(pc.b) * fp.f32(pc.c)
                fp.setF32(pc.a, product + fp.f32(Int(truncatingIfNeeded: pc[1])))
                pc += 2
            case .f32MulSub:
                let product = fp.f32(pc.b) * fp.f32(pc.c)
                fp.setF32(pc.a, product - fp.f32(Int(truncatingIfNeeded: pc[1])))
                pc += 2
            case .f32MulSubFrom:
                let product = fp.f32(pc.b) * fp.f32(pc.c)
                fp.setF32(pc.a, fp.f32(Int(truncatingIfNeeded: pc[1])) - product)
                pc += 2
            case .f32MulMul:
                let product = fp.f32(pc.b) * fp.f32(pc.c)
                fp.setF32(pc.a, product * fp.f32(Int(truncatingIfNeeded: pc[1])))
                pc += 2
            case .f64MulAdd:
                let product = fp.f64(pc.b) * fp.f64(pc.c)
                fp.setF64(pc.a, product + fp.f64(Int(truncatingIfNeeded: pc[1])))
                pc += 2
            case .f64MulSub:
                let product = fp.f64(pc.b) * fp.f64(pc.c)
                fp.setF64(pc.a, product - fp.f64(Int(truncatingIfNeeded: pc[1])))
                pc += 2
            case .f64MulSubFrom:
                let product = fp.f64(pc.b) * fp.f64(pc.c)
                fp.setF64(pc.a, fp.f64(Int(truncatingIfNeeded: pc[1])) - product)
                pc += 2
            case .f64MulMul:
                let product = fp.f64(pc.b) * fp.f64(pc.c)
                fp.setF64(pc.a, product * fp.f64(Int(truncatingIfNeeded: pc[1])))
                pc += 2

            // MARK: Fused address computation and i64 compare-and-branch
            case .load8UShl:
                let address = UInt64(fp.u32(pc.b) &<< UInt32(pc.c)) &+ pc[1]
                if address &+ 1 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = UInt64(memory.pointee.base.load(fromByteOffset: Int(truncatingIfNeeded: address), as: UInt8.self))
                pc += 2
            case .load8UShlAddImm:
                let address = UInt64((fp.u32(pc.b) &<< UInt32(pc.c)) &+ UInt32(truncatingIfNeeded: pc[1])) &+ (pc[1] >> 32)
                if address &+ 1 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = UInt64(memory.pointee.base.load(fromByteOffset: Int(truncatingIfNeeded: address), as: UInt8.self))
                pc += 2
            case .load32UShl:
                let address = UInt64(fp.u32(pc.b) &<< UInt32(pc.c)) &+ pc[1]
                if address &+ 4 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = UInt64((memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: UInt32.self))
                pc += 2
            case .load32UShlAddImm:
                let address = UInt64((fp.u32(pc.b) &<< UInt32(pc.c)) &+ UInt32(truncatingIfNeeded: pc[1])) &+ (pc[1] >> 32)
                if address &+ 4 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = UInt64((memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: UInt32.self))
                pc += 2
            case .load64Shl:
                let address = UInt64(fp.u32(pc.b) &<< UInt32(pc.c)) &+ pc[1]
                if address &+ 8 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = (memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: UInt64.self)
                pc += 2
            case .load64ShlAddImm:
                let address = UInt64((fp.u32(pc.b) &<< UInt32(pc.c)) &+ UInt32(truncatingIfNeeded: pc[1])) &+ (pc[1] >> 32)
                if address &+ 8 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = (memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: UInt64.self)
                pc += 2
            case .load8UAdd:
                let address = UInt64(fp.u32(pc.b) &+ fp.u32(pc.c)) &+ pc[1]
                if address &+ 1 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = UInt64(memory.pointee.base.load(fromByteOffset: Int(truncatingIfNeeded: address), as: UInt8.self))
                pc += 2
            case .load8UAddImm:
                let address = UInt64(fp.u32(pc.b) &+ UInt32(truncatingIfNeeded: pc[1])) &+ (pc[1] >> 32)
                if address &+ 1 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = UInt64(memory.pointee.base.load(fromByteOffset: Int(truncatingIfNeeded: address), as: UInt8.self))
                pc += 2
            case .i32Load8SAdd:
                let address = UInt64(fp.u32(pc.b) &+ fp.u32(pc.c)) &+ pc[1]
                if address &+ 1 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = UInt64(UInt32(bitPattern: Int32(memory.pointee.base.load(fromByteOffset: Int(truncatingIfNeeded: address), as: Int8.self))))
                pc += 2
            case .i32Load8SAddImm:
                let address = UInt64(fp.u32(pc.b) &+ UInt32(truncatingIfNeeded: pc[1])) &+ (pc[1] >> 32)
                if address &+ 1 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = UInt64(UInt32(bitPattern: Int32(memory.pointee.base.load(fromByteOffset: Int(truncatingIfNeeded: address), as: Int8.self))))
                pc += 2
            case .load16UAdd:
                let address = UInt64(fp.u32(pc.b) &+ fp.u32(pc.c)) &+ pc[1]
                if address &+ 2 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = UInt64((memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: UInt16.self))
                pc += 2
            case .load16UAddImm:
                let address = UInt64(fp.u32(pc.b) &+ UInt32(truncatingIfNeeded: pc[1])) &+ (pc[1] >> 32)
                if address &+ 2 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = UInt64((memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: UInt16.self))
                pc += 2
            case .load32UAdd:
                let address = UInt64(fp.u32(pc.b) &+ fp.u32(pc.c)) &+ pc[1]
                if address &+ 4 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = UInt64((memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: UInt32.self))
                pc += 2
            case .load32UAddImm:
                let address = UInt64(fp.u32(pc.b) &+ UInt32(truncatingIfNeeded: pc[1])) &+ (pc[1] >> 32)
                if address &+ 4 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = UInt64((memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: UInt32.self))
                pc += 2
            case .load64Add:
                let address = UInt64(fp.u32(pc.b) &+ fp.u32(pc.c)) &+ pc[1]
                if address &+ 8 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = (memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: UInt64.self)
                pc += 2
            case .load64AddImm:
                let address = UInt64(fp.u32(pc.b) &+ UInt32(truncatingIfNeeded: pc[1])) &+ (pc[1] >> 32)
                if address &+ 8 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                fp[pc.a] = (memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: UInt64.self)
                pc += 2
            case .store8Add:
                let address = UInt64(fp.u32(pc.a) &+ fp.u32(pc.b)) &+ pc[1]
                if address &+ 1 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                memory.pointee.base.storeBytes(of: UInt8(truncatingIfNeeded: fp[pc.c]), toByteOffset: Int(truncatingIfNeeded: address), as: UInt8.self)
                pc += 2
            case .store8AddImm:
                let address = UInt64(fp.u32(pc.a) &+ UInt32(truncatingIfNeeded: pc[1])) &+ (pc[1] >> 32)
                if address &+ 1 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                memory.pointee.base.storeBytes(of: UInt8(truncatingIfNeeded: fp[pc.b]), toByteOffset: Int(truncatingIfNeeded: address), as: UInt8.self)
                pc += 2
            case .store32Add:
                let address = UInt64(fp.u32(pc.a) &+ fp.u32(pc.b)) &+ pc[1]
                if address &+ 4 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                memory.pointee.base.storeBytes(of: UInt32(truncatingIfNeeded: fp[pc.c]), toByteOffset: Int(truncatingIfNeeded: address), as: UInt32.self)
                pc += 2
            case .store32AddImm:
                let address = UInt64(fp.u32(pc.a) &+ UInt32(truncatingIfNeeded: pc[1])) &+ (pc[1] >> 32)
                if address &+ 4 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                memory.pointee.base.storeBytes(of: UInt32(truncatingIfNeeded: fp[pc.b]), toByteOffset: Int(truncatingIfNeeded: address), as: UInt32.self)
                pc += 2
            case .store64Add:
                let address = UInt64(fp.u32(pc.a) &+ fp.u32(pc.b)) &+ pc[1]
                if address &+ 8 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                memory.pointee.base.storeBytes(of: UInt64(truncatingIfNeeded: fp[pc.c]), toByteOffset: Int(truncatingIfNeeded: address), as: UInt64.self)
                pc += 2
            case .store64AddImm:
                let address = UInt64(fp.u32(pc.a) &+ UInt32(truncatingIfNeeded: pc[1])) &+ (pc[1] >> 32)
                if address &+ 8 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                memory.pointee.base.storeBytes(of: UInt64(truncatingIfNeeded: fp[pc.b]), toByteOffset: Int(truncatingIfNeeded: address), as: UInt64.self)
                pc += 2
            case .brI64Eq: if fp[pc.a] == fp[pc.b] { pc += pc.branchOffset } else { pc += 2 }
            case .brI64EqImm: if fp[pc.a] == UInt64(bitPattern: Int64(pc.imm)) { pc += pc.branchOffset } else { pc += 2 }
            case .brI64Ne: if fp[pc.a] != fp[pc.b] { pc += pc.branchOffset } else { pc += 2 }
            case .brI64NeImm: if fp[pc.a] != UInt64(bitPattern: Int64(pc.imm)) { pc += pc.branchOffset } else { pc += 2 }
            case .brI64LtS: if fp.s64(pc.a) < fp.s64(pc.b) { pc += pc.branchOffset } else { pc += 2 }
            case .brI64LtSImm: if fp.s64(pc.a) < Int64(pc.imm) { pc += pc.branchOffset } else { pc += 2 }
            case .brI64LtU: if fp[pc.a] < fp[pc.b] { pc += pc.branchOffset } else { pc += 2 }
            case .brI64LtUImm: if fp[pc.a] < UInt64(bitPattern: Int64(pc.imm)) { pc += pc.branchOffset } else { pc += 2 }
            case .brI64GtS: if fp.s64(pc.a) > fp.s64(pc.b) { pc += pc.branchOffset } else { pc += 2 }
            case .brI64GtSImm: if fp.s64(pc.a) > Int64(pc.imm) { pc += pc.branchOffset } else { pc += 2 }
            case .brI64GtU: if fp[pc.a] > fp[pc.b] { pc += pc.branchOffset } else { pc += 2 }
            case .brI64GtUImm: if fp[pc.a] > UInt64(bitPattern: Int64(pc.imm)) { pc += pc.branchOffset } else { pc += 2 }
            case .brI64LeS: if fp.s64(pc.a) <= fp.s64(pc.b) { pc += pc.branchOffset } else { pc += 2 }
            case .brI64LeSImm: if fp.s64(pc.a) <= Int64(pc.imm) { pc += pc.branchOffset } else { pc += 2 }
            case .brI64LeU: if fp[pc.a] <= fp[pc.b] { pc += pc.branchOffset } else { pc += 2 }
            case .brI64LeUImm: if fp[pc.a] <= UInt64(bitPattern: Int64(pc.imm)) { pc += pc.branchOffset } else { pc += 2 }
            case .brI64GeS: if fp.s64(pc.a) >= fp.s64(pc.b) { pc += pc.branchOffset } else { pc += 2 }
            case .brI64GeSImm: if fp.s64(pc.a) >= Int64(pc.imm) { pc += pc.branchOffset } else { pc += 2 }
            case .brI64GeU: if fp[pc.a] >= fp[pc.b] { pc += pc.branchOffset } else { pc += 2 }
            case .brI64GeUImm: if fp[pc.a] >= UInt64(bitPattern: Int64(pc.imm)) { pc += pc.branchOffset } else { pc += 2 }

            // MARK: Common SIMD instructions, inline
            case .v128And:
                SIMDExecutor.put(fp, pc.a, SIMDExecutor.get(fp, pc.b, SIMDExecutor.U64.self) & SIMDExecutor.get(fp, pc.c, SIMDExecutor.U64.self))
                pc += 1
            case .v128Or:
                SIMDExecutor.put(fp, pc.a, SIMDExecutor.get(fp, pc.b, SIMDExecutor.U64.self) | SIMDExecutor.get(fp, pc.c, SIMDExecutor.U64.self))
                pc += 1
            case .v128Xor:
                SIMDExecutor.put(fp, pc.a, SIMDExecutor.get(fp, pc.b, SIMDExecutor.U64.self) ^ SIMDExecutor.get(fp, pc.c, SIMDExecutor.U64.self))
                pc += 1
            case .i8x16Add:
                SIMDExecutor.put(fp, pc.a, SIMDExecutor.get(fp, pc.b, SIMDExecutor.U8.self) &+ SIMDExecutor.get(fp, pc.c, SIMDExecutor.U8.self))
                pc += 1
            case .i8x16Sub:
                SIMDExecutor.put(fp, pc.a, SIMDExecutor.get(fp, pc.b, SIMDExecutor.U8.self) &- SIMDExecutor.get(fp, pc.c, SIMDExecutor.U8.self))
                pc += 1
            case .i16x8Add:
                SIMDExecutor.put(fp, pc.a, SIMDExecutor.get(fp, pc.b, SIMDExecutor.U16.self) &+ SIMDExecutor.get(fp, pc.c, SIMDExecutor.U16.self))
                pc += 1
            case .i16x8Mul:
                SIMDExecutor.put(fp, pc.a, SIMDExecutor.get(fp, pc.b, SIMDExecutor.U16.self) &* SIMDExecutor.get(fp, pc.c, SIMDExecutor.U16.self))
                pc += 1
            case .i32x4Add:
                SIMDExecutor.put(fp, pc.a, SIMDExecutor.get(fp, pc.b, SIMDExecutor.U32.self) &+ SIMDExecutor.get(fp, pc.c, SIMDExecutor.U32.self))
                pc += 1
            case .i32x4Mul:
                SIMDExecutor.put(fp, pc.a, SIMDExecutor.get(fp, pc.b, SIMDExecutor.U32.self) &* SIMDExecutor.get(fp, pc.c, SIMDExecutor.U32.self))
                pc += 1
            case .f32x4Add:
                SIMDExecutor.put(fp, pc.a, SIMDExecutor.get(fp, pc.b, SIMDExecutor.F32.self) + SIMDExecutor.get(fp, pc.c, SIMDExecutor.F32.self))
                pc += 1
            case .f32x4Sub:
                SIMDExecutor.put(fp, pc.a, SIMDExecutor.get(fp, pc.b, SIMDExecutor.F32.self) - SIMDExecutor.get(fp, pc.c, SIMDExecutor.F32.self))
                pc += 1
            case .f32x4Mul:
                SIMDExecutor.put(fp, pc.a, SIMDExecutor.get(fp, pc.b, SIMDExecutor.F32.self) * SIMDExecutor.get(fp, pc.c, SIMDExecutor.F32.self))
                pc += 1
            case .f64x2Add:
                SIMDExecutor.put(fp, pc.a, SIMDExecutor.get(fp, pc.b, SIMDExecutor.F64.self) + SIMDExecutor.get(fp, pc.c, SIMDExecutor.F64.self))
                pc += 1
            case .f64x2Mul:
                SIMDExecutor.put(fp, pc.a, SIMDExecutor.get(fp, pc.b, SIMDExecutor.F64.self) * SIMDExecutor.get(fp, pc.c, SIMDExecutor.F64.self))
                pc += 1
            case .v128Load:
                let address = UInt64(fp.u32(pc.b)) &+ pc[1]
                if address &+ 16 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                SIMDExecutor.put(fp, pc.a, (memory.pointee.base + Int(truncatingIfNeeded: address)).loadUnaligned(as: SIMDExecutor.U64.self))
                pc += 2
            case .v128Store:
                let address = UInt64(fp.u32(pc.a)) &+ pc[1]
                if address &+ 16 > memory.pointee.byteCount { return trapped(context, TrapCode.memoryOutOfBounds, entity, frameBase, frame) }
                (memory.pointee.base + Int(truncatingIfNeeded: address)).storeBytes(of: SIMDExecutor.get(fp, pc.b, SIMDExecutor.U64.self), as: SIMDExecutor.U64.self)
                pc += 2

            // MARK: SIMD (out of line: it must not weigh on the scalar cases' registers)
            case .simd:
                let advance = SIMDExecutor.execute(pc, fp, memory.pointee.base, memory.pointee.byteCount)
                if advance < 0 { return trapped(context, -advance, entity, frameBase, frame) }
                pc += advance

            // MARK: Immediate forms (w1 = right operand)
            case .i32AddImm: fp[pc.a] = UInt64(fp.u32(pc.b) &+ pc.imm32); pc += 2
            case .i32MulImm: fp[pc.a] = UInt64(fp.u32(pc.b) &* pc.imm32); pc += 2
            case .i32AndImm: fp[pc.a] = UInt64(fp.u32(pc.b) & pc.imm32); pc += 2
            case .i32OrImm: fp[pc.a] = UInt64(fp.u32(pc.b) | pc.imm32); pc += 2
            case .i32XorImm: fp[pc.a] = UInt64(fp.u32(pc.b) ^ pc.imm32); pc += 2
            case .i32ShlImm: fp[pc.a] = UInt64(fp.u32(pc.b) &<< pc.imm32); pc += 2
            case .i32ShrSImm: fp[pc.a] = UInt64(UInt32(bitPattern: fp.s32(pc.b) &>> Int32(bitPattern: pc.imm32))); pc += 2
            case .i32ShrUImm: fp[pc.a] = UInt64(fp.u32(pc.b) &>> pc.imm32); pc += 2
            case .i32RotlImm: fp[pc.a] = UInt64(Numerics.rotl(fp.u32(pc.b), pc.imm32)); pc += 2
            case .i32RotrImm: fp[pc.a] = UInt64(Numerics.rotr(fp.u32(pc.b), pc.imm32)); pc += 2
            case .i32EqImm: fp[pc.a] = fp.u32(pc.b) == pc.imm32 ? 1 : 0; pc += 2
            case .i32NeImm: fp[pc.a] = fp.u32(pc.b) != pc.imm32 ? 1 : 0; pc += 2
            case .i32LtSImm: fp[pc.a] = fp.s32(pc.b) < Int32(bitPattern: pc.imm32) ? 1 : 0; pc += 2
            case .i32LtUImm: fp[pc.a] = fp.u32(pc.b) < pc.imm32 ? 1 : 0; pc += 2
            case .i32GtSImm: fp[pc.a] = fp.s32(pc.b) > Int32(bitPattern: pc.imm32) ? 1 : 0; pc += 2
            case .i32GtUImm: fp[pc.a] = fp.u32(pc.b) > pc.imm32 ? 1 : 0; pc += 2
            case .i32LeSImm: fp[pc.a] = fp.s32(pc.b) <= Int32(bitPattern: pc.imm32) ? 1 : 0; pc += 2
            case .i32LeUImm: fp[pc.a] = fp.u32(pc.b) <= pc.imm32 ? 1 : 0; pc += 2
            case .i32GeSImm: fp[pc.a] = fp.s32(pc.b) >= Int32(bitPattern: pc.imm32) ? 1 : 0; pc += 2
            case .i32GeUImm: fp[pc.a] = fp.u32(pc.b) >= pc.imm32 ? 1 : 0; pc += 2
            case .i64AddImm: fp[pc.a] = fp[pc.b] &+ pc[1]; pc += 2
            case .i64MulImm: fp[pc.a] = fp[pc.b] &* pc[1]; pc += 2
            case .i64AndImm: fp[pc.a] = fp[pc.b] & pc[1]; pc += 2
            case .i64OrImm: fp[pc.a] = fp[pc.b] | pc[1]; pc += 2
            case .i64XorImm: fp[pc.a] = fp[pc.b] ^ pc[1]; pc += 2
            case .i64ShlImm: fp[pc.a] = fp[pc.b] &<< pc[1]; pc += 2
            case .i64ShrSImm: fp[pc.a] = UInt64(bitPattern: fp.s64(pc.b) &>> Int64(bitPattern: pc[1])); pc += 2
            case .i64ShrUImm: fp[pc.a] = fp[pc.b] &>> pc[1]; pc += 2
            case .i64EqImm: fp[pc.a] = fp[pc.b] == pc[1] ? 1 : 0; pc += 2
            case .i64NeImm: fp[pc.a] = fp[pc.b] != pc[1] ? 1 : 0; pc += 2
            case .i64LtSImm: fp[pc.a] = fp.s64(pc.b) < Int64(bitPattern: pc[1]) ? 1 : 0; pc += 2
            case .i64LtUImm: fp[pc.a] = fp[pc.b] < pc[1] ? 1 : 0; pc += 2
            case .i64GtSImm: fp[pc.a] = fp.s64(pc.b) > Int64(bitPattern: pc[1]) ? 1 : 0; pc += 2
            case .i64GtUImm: fp[pc.a] = fp[pc.b] > pc[1] ? 1 : 0; pc += 2
            case .i64LeSImm: fp[pc.a] = fp.s64(pc.b) <= Int64(bitPattern: pc[1]) ? 1 : 0; pc += 2
            case .i64LeUImm: fp[pc.a] = fp[pc.b] <= pc[1] ? 1 : 0; pc += 2
            case .i64GeSImm: fp[pc.a] = fp.s64(pc.b) >= Int64(bitPattern: pc[1]) ? 1 : 0; pc += 2
            case .i64GeUImm: fp[pc.a] = fp[pc.b] >= pc[1] ? 1 : 0; pc += 2
            }
        }
    }

    /// Leaves the loop with a trap, recording where it happened for the error message.
    @inline(never)
    static func trapped(_ context: UnsafeMutablePointer<ExecutionContext>, _ code: Int,
                        _ entity: UnsafeMutablePointer<FunctionEntity>, _ frameBase: UnsafeMutablePointer<CallFrame>,
                        _ frame: UnsafeMutablePointer<CallFrame>) -> Int {
        recordTrap(context, entity: entity, frames: frameBase + 1, top: frame)
        return code
    }

    /// Zeroes a callee's non-parameter locals. The first four slots are always cleared with
    /// two 16-byte stores, without looking at the count (the value stack keeps slack above its
    /// limit for this, and nothing live lies above a new frame); only functions with more
    /// locals take a branch. A count-driven loop became a memset call or a jump table.
    @inline(__always)
    static func zeroLocals(_ fp: UnsafeMutablePointer<UInt64>, _ callee: UnsafeMutablePointer<FunctionEntity>) {
        let locals = fp + callee.pointee.parameterSlots
        UnsafeMutableRawPointer(locals).storeBytes(of: SIMD2<UInt64>(), as: SIMD2<UInt64>.self)
        UnsafeMutableRawPointer(locals + 2).storeBytes(of: SIMD2<UInt64>(), as: SIMD2<UInt64>.self)
        let count = callee.pointee.localSlots
        if count > 4 { (locals + 4).update(repeating: 0, count: count - 4) }
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

    // Operand fields of the instruction's first word, read from memory as 16-bit loads: one
    // instruction each, where extracting them from the loaded word took two or three.
    @inline(__always) var a: Int { Int(UnsafeRawPointer(self).load(fromByteOffset: 2, as: UInt16.self)) }
    @inline(__always) var b: Int { Int(UnsafeRawPointer(self).load(fromByteOffset: 4, as: UInt16.self)) }
    @inline(__always) var c: Int { Int(UnsafeRawPointer(self).load(fromByteOffset: 6, as: UInt16.self)) }
    /// The signed 32-bit immediate in the upper half of the first word.
    @inline(__always) var imm: Int32 { UnsafeRawPointer(self).load(fromByteOffset: 4, as: Int32.self) }

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
