/// Execution of fixed-width SIMD instructions (`Op.simd`), using Swift's SIMD vector types
/// over the two 8-byte slots a v128 occupies. Kept out of the main loop so that 236 vector
/// cases do not weigh on the register allocation of the scalar ones.
enum SIMDExecutor {
    typealias I8 = SIMD16<Int8>
    typealias U8 = SIMD16<UInt8>
    typealias I16 = SIMD8<Int16>
    typealias U16 = SIMD8<UInt16>
    typealias I32 = SIMD4<Int32>
    typealias U32 = SIMD4<UInt32>
    typealias I64 = SIMD2<Int64>
    typealias U64 = SIMD2<UInt64>
    typealias F32 = SIMD4<Float>
    typealias F64 = SIMD2<Double>

    /// Executes the SIMD instruction at `pc`. Returns the number of words to advance, or a
    /// negated trap code. One flat switch: a nested dispatch per instruction cost more than
    /// most of the vector operations themselves.
    @inline(never)
    static func execute(_ pc: UnsafeMutablePointer<UInt64>, _ fp: UnsafeMutablePointer<UInt64>,
                        _ memBase: UnsafeMutableRawPointer, _ memSize: UInt64) -> Int {
        let word = pc[0]
        let a = Word.a(word), b = Word.b(word), c = Word.c(word)
        let opcode = UInt16(truncatingIfNeeded: pc[1])
        switch opcode {
        case 0...11, 84...93:
            return memoryAccess(opcode, pc, fp, memBase, memSize)
        case 13...34:
            return lanes(opcode, pc, fp)
        case 35...44: compare8(Int(opcode - 35), fp, a, b, c)
        case 45...54: compare16(Int(opcode - 45), fp, a, b, c)
        case 55...64: compare32(Int(opcode - 55), fp, a, b, c)
        case 65...70: compareF32(Int(opcode - 65), fp, a, b, c)
        case 71...76: compareF64(Int(opcode - 71), fp, a, b, c)
        case 82:
            let mask = get(fp, Int(truncatingIfNeeded: pc[2]), U64.self)
            let first = get(fp, b, U64.self)
            let second = get(fp, c, U64.self)
            put(fp, a, (first & mask) | (second & ~mask))
            return 3
        // Bitwise
        case 77: put(fp, a, ~get(fp, b, U64.self))
        case 78: put(fp, a, get(fp, b, U64.self) & get(fp, c, U64.self))
        case 79: put(fp, a, get(fp, b, U64.self) & ~get(fp, c, U64.self))
        case 80: put(fp, a, get(fp, b, U64.self) | get(fp, c, U64.self))
        case 81: put(fp, a, get(fp, b, U64.self) ^ get(fp, c, U64.self))
        case 83:
            let vector = get(fp, b, U64.self)
            fp[a] = (vector[0] | vector[1]) != 0 ? 1 : 0
        // Float conversions between widths
        case 94:
            let source = get(fp, b, F64.self)
            put(fp, a, F32(Float(source[0]), Float(source[1]), 0, 0))
        case 95:
            let source = get(fp, b, F32.self)
            put(fp, a, F64(Double(source[0]), Double(source[1])))
        // i8x16
        case 96: put(fp, a, wrappingAbs(get(fp, b, I8.self)))
        case 97: put(fp, a, I8(repeating: 0) &- get(fp, b, I8.self))
        case 98: put(fp, a, lanewise(get(fp, b, U8.self)) { UInt8($0.nonzeroBitCount) })
        case 99: fp[a] = allTrue(get(fp, b, U8.self))
        case 100: fp[a] = bitmask(get(fp, b, I8.self))
        case 101: put(fp, a, narrow(get(fp, b, I16.self), get(fp, c, I16.self), I8.self))
        case 102: put(fp, a, narrow(get(fp, b, I16.self), get(fp, c, I16.self), U8.self))
        case 107: put(fp, a, get(fp, b, U8.self) &<< U8(repeating: UInt8(fp[c] & 7)))
        case 108: put(fp, a, get(fp, b, I8.self) &>> I8(repeating: Int8(fp[c] & 7)))
        case 109: put(fp, a, get(fp, b, U8.self) &>> U8(repeating: UInt8(fp[c] & 7)))
        case 110: put(fp, a, get(fp, b, U8.self) &+ get(fp, c, U8.self))
        case 111: put(fp, a, lanewise(get(fp, b, I8.self), get(fp, c, I8.self)) { Int8(clamping: Int16($0) + Int16($1)) })
        case 112: put(fp, a, lanewise(get(fp, b, U8.self), get(fp, c, U8.self)) { UInt8(clamping: Int16($0) + Int16($1)) })
        case 113: put(fp, a, get(fp, b, U8.self) &- get(fp, c, U8.self))
        case 114: put(fp, a, lanewise(get(fp, b, I8.self), get(fp, c, I8.self)) { Int8(clamping: Int16($0) - Int16($1)) })
        case 115: put(fp, a, lanewise(get(fp, b, U8.self), get(fp, c, U8.self)) { UInt8(clamping: Int16($0) - Int16($1)) })
        case 118: put(fp, a, { let x = get(fp, b, I8.self), y = get(fp, c, I8.self); let m = unsafeBitCast(y .< x, to: I8.self); return (y & m) | (x & ~m) }())
        case 119: put(fp, a, { let x = get(fp, b, U8.self), y = get(fp, c, U8.self); let m = unsafeBitCast(y .< x, to: U8.self); return (y & m) | (x & ~m) }())
        case 120: put(fp, a, { let x = get(fp, b, I8.self), y = get(fp, c, I8.self); let m = unsafeBitCast(x .< y, to: I8.self); return (y & m) | (x & ~m) }())
        case 121: put(fp, a, { let x = get(fp, b, U8.self), y = get(fp, c, U8.self); let m = unsafeBitCast(x .< y, to: U8.self); return (y & m) | (x & ~m) }())
        case 123:
            put(fp, a, lanewise(get(fp, b, U8.self), get(fp, c, U8.self)) { UInt8((UInt16($0) + UInt16($1) + 1) >> 1) })
        // Float rounding
        case 103: put(fp, a, get(fp, b, F32.self).rounded(.up))
        case 104: put(fp, a, get(fp, b, F32.self).rounded(.down))
        case 105: put(fp, a, get(fp, b, F32.self).rounded(.towardZero))
        case 106: put(fp, a, get(fp, b, F32.self).rounded(.toNearestOrEven))
        case 116: put(fp, a, get(fp, b, F64.self).rounded(.up))
        case 117: put(fp, a, get(fp, b, F64.self).rounded(.down))
        case 122: put(fp, a, get(fp, b, F64.self).rounded(.towardZero))
        case 148: put(fp, a, get(fp, b, F64.self).rounded(.toNearestOrEven))
        // Pairwise additions
        case 124:
            put(fp, a, pairwise(get(fp, b, I8.self), I16.self))
        case 125:
            put(fp, a, pairwise(get(fp, b, U8.self), U16.self))
        case 126:
            put(fp, a, pairwise(get(fp, b, I16.self), I32.self))
        case 127:
            put(fp, a, pairwise(get(fp, b, U16.self), U32.self))
        // i16x8
        case 128: put(fp, a, wrappingAbs(get(fp, b, I16.self)))
        case 129: put(fp, a, I16(repeating: 0) &- get(fp, b, I16.self))
        case 130:
            put(fp, a, lanewise(get(fp, b, I16.self), get(fp, c, I16.self)) { Int16(clamping: (Int32($0) * Int32($1) + 0x4000) >> 15) })
        case 131: fp[a] = allTrue(get(fp, b, U16.self))
        case 132: fp[a] = bitmask(get(fp, b, I16.self))
        case 133: put(fp, a, narrow(get(fp, b, I32.self), get(fp, c, I32.self), I16.self))
        case 134: put(fp, a, narrow(get(fp, b, I32.self), get(fp, c, I32.self), U16.self))
        case 135: put(fp, a, extend(get(fp, b, I8.self), high: false, I16.self))
        case 136: put(fp, a, extend(get(fp, b, I8.self), high: true, I16.self))
        case 137: put(fp, a, extend(get(fp, b, U8.self), high: false, U16.self))
        case 138: put(fp, a, extend(get(fp, b, U8.self), high: true, U16.self))
        case 139: put(fp, a, get(fp, b, U16.self) &<< U16(repeating: UInt16(fp[c] & 15)))
        case 140: put(fp, a, get(fp, b, I16.self) &>> I16(repeating: Int16(fp[c] & 15)))
        case 141: put(fp, a, get(fp, b, U16.self) &>> U16(repeating: UInt16(fp[c] & 15)))
        case 142: put(fp, a, get(fp, b, U16.self) &+ get(fp, c, U16.self))
        case 143: put(fp, a, lanewise(get(fp, b, I16.self), get(fp, c, I16.self)) { Int16(clamping: Int32($0) + Int32($1)) })
        case 144: put(fp, a, lanewise(get(fp, b, U16.self), get(fp, c, U16.self)) { UInt16(clamping: Int32($0) + Int32($1)) })
        case 145: put(fp, a, get(fp, b, U16.self) &- get(fp, c, U16.self))
        case 146: put(fp, a, lanewise(get(fp, b, I16.self), get(fp, c, I16.self)) { Int16(clamping: Int32($0) - Int32($1)) })
        case 147: put(fp, a, lanewise(get(fp, b, U16.self), get(fp, c, U16.self)) { UInt16(clamping: Int32($0) - Int32($1)) })
        case 149: put(fp, a, get(fp, b, U16.self) &* get(fp, c, U16.self))
        case 150: put(fp, a, { let x = get(fp, b, I16.self), y = get(fp, c, I16.self); let m = unsafeBitCast(y .< x, to: I16.self); return (y & m) | (x & ~m) }())
        case 151: put(fp, a, { let x = get(fp, b, U16.self), y = get(fp, c, U16.self); let m = unsafeBitCast(y .< x, to: U16.self); return (y & m) | (x & ~m) }())
        case 152: put(fp, a, { let x = get(fp, b, I16.self), y = get(fp, c, I16.self); let m = unsafeBitCast(x .< y, to: I16.self); return (y & m) | (x & ~m) }())
        case 153: put(fp, a, { let x = get(fp, b, U16.self), y = get(fp, c, U16.self); let m = unsafeBitCast(x .< y, to: U16.self); return (y & m) | (x & ~m) }())
        case 155:
            put(fp, a, lanewise(get(fp, b, U16.self), get(fp, c, U16.self)) { UInt16((UInt32($0) + UInt32($1) + 1) >> 1) })
        case 156: put(fp, a, extend(get(fp, b, I8.self), high: false, I16.self) &* extend(get(fp, c, I8.self), high: false, I16.self))
        case 157: put(fp, a, extend(get(fp, b, I8.self), high: true, I16.self) &* extend(get(fp, c, I8.self), high: true, I16.self))
        case 158: put(fp, a, extend(get(fp, b, U8.self), high: false, U16.self) &* extend(get(fp, c, U8.self), high: false, U16.self))
        case 159: put(fp, a, extend(get(fp, b, U8.self), high: true, U16.self) &* extend(get(fp, c, U8.self), high: true, U16.self))
        // i32x4
        case 160: put(fp, a, wrappingAbs(get(fp, b, I32.self)))
        case 161: put(fp, a, I32(repeating: 0) &- get(fp, b, I32.self))
        case 163: fp[a] = allTrue(get(fp, b, U32.self))
        case 164: fp[a] = bitmask(get(fp, b, I32.self))
        case 167: put(fp, a, extend(get(fp, b, I16.self), high: false, I32.self))
        case 168: put(fp, a, extend(get(fp, b, I16.self), high: true, I32.self))
        case 169: put(fp, a, extend(get(fp, b, U16.self), high: false, U32.self))
        case 170: put(fp, a, extend(get(fp, b, U16.self), high: true, U32.self))
        case 171: put(fp, a, get(fp, b, U32.self) &<< U32(repeating: UInt32(fp[c] & 31)))
        case 172: put(fp, a, get(fp, b, I32.self) &>> I32(repeating: Int32(fp[c] & 31)))
        case 173: put(fp, a, get(fp, b, U32.self) &>> U32(repeating: UInt32(fp[c] & 31)))
        case 174: put(fp, a, get(fp, b, U32.self) &+ get(fp, c, U32.self))
        case 177: put(fp, a, get(fp, b, U32.self) &- get(fp, c, U32.self))
        case 181: put(fp, a, get(fp, b, U32.self) &* get(fp, c, U32.self))
        case 182: put(fp, a, { let x = get(fp, b, I32.self), y = get(fp, c, I32.self); let m = unsafeBitCast(y .< x, to: I32.self); return (y & m) | (x & ~m) }())
        case 183: put(fp, a, { let x = get(fp, b, U32.self), y = get(fp, c, U32.self); let m = unsafeBitCast(y .< x, to: U32.self); return (y & m) | (x & ~m) }())
        case 184: put(fp, a, { let x = get(fp, b, I32.self), y = get(fp, c, I32.self); let m = unsafeBitCast(x .< y, to: I32.self); return (y & m) | (x & ~m) }())
        case 185: put(fp, a, { let x = get(fp, b, U32.self), y = get(fp, c, U32.self); let m = unsafeBitCast(x .< y, to: U32.self); return (y & m) | (x & ~m) }())
        case 186:
            let low = extend(get(fp, b, I16.self), high: false, I32.self) &* extend(get(fp, c, I16.self), high: false, I32.self)
            let high = extend(get(fp, b, I16.self), high: true, I32.self) &* extend(get(fp, c, I16.self), high: true, I32.self)
            put(fp, a, I32(low[0] &+ low[1], low[2] &+ low[3], high[0] &+ high[1], high[2] &+ high[3]))
        case 188: put(fp, a, extend(get(fp, b, I16.self), high: false, I32.self) &* extend(get(fp, c, I16.self), high: false, I32.self))
        case 189: put(fp, a, extend(get(fp, b, I16.self), high: true, I32.self) &* extend(get(fp, c, I16.self), high: true, I32.self))
        case 190: put(fp, a, extend(get(fp, b, U16.self), high: false, U32.self) &* extend(get(fp, c, U16.self), high: false, U32.self))
        case 191: put(fp, a, extend(get(fp, b, U16.self), high: true, U32.self) &* extend(get(fp, c, U16.self), high: true, U32.self))
        // i64x2
        case 192: put(fp, a, wrappingAbs(get(fp, b, I64.self)))
        case 193: put(fp, a, I64(repeating: 0) &- get(fp, b, I64.self))
        case 195: fp[a] = allTrue(get(fp, b, U64.self))
        case 196: fp[a] = bitmask(get(fp, b, I64.self))
        case 199: put(fp, a, extend(get(fp, b, I32.self), high: false, I64.self))
        case 200: put(fp, a, extend(get(fp, b, I32.self), high: true, I64.self))
        case 201: put(fp, a, extend(get(fp, b, U32.self), high: false, U64.self))
        case 202: put(fp, a, extend(get(fp, b, U32.self), high: true, U64.self))
        case 203: put(fp, a, get(fp, b, U64.self) &<< U64(repeating: fp[c] & 63))
        case 204: put(fp, a, get(fp, b, I64.self) &>> I64(repeating: Int64(fp[c] & 63)))
        case 205: put(fp, a, get(fp, b, U64.self) &>> U64(repeating: fp[c] & 63))
        case 206: put(fp, a, get(fp, b, U64.self) &+ get(fp, c, U64.self))
        case 209: put(fp, a, get(fp, b, U64.self) &- get(fp, c, U64.self))
        case 213: put(fp, a, get(fp, b, U64.self) &* get(fp, c, U64.self))
        case 214...219:
            // eq ne lt_s gt_s le_s ge_s map onto the signed kinds of `compare`.
            compare64([0, 1, 2, 4, 6, 8][Int(opcode - 214)], fp, a, b, c)
        case 220: put(fp, a, extend(get(fp, b, I32.self), high: false, I64.self) &* extend(get(fp, c, I32.self), high: false, I64.self))
        case 221: put(fp, a, extend(get(fp, b, I32.self), high: true, I64.self) &* extend(get(fp, c, I32.self), high: true, I64.self))
        case 222: put(fp, a, extend(get(fp, b, U32.self), high: false, U64.self) &* extend(get(fp, c, U32.self), high: false, U64.self))
        case 223: put(fp, a, extend(get(fp, b, U32.self), high: true, U64.self) &* extend(get(fp, c, U32.self), high: true, U64.self))
        // f32x4 (abs/neg are bitwise so NaN payloads are kept)
        case 224: put(fp, a, get(fp, b, U32.self) & 0x7FFF_FFFF)
        case 225: put(fp, a, get(fp, b, U32.self) ^ 0x8000_0000)
        case 227: put(fp, a, get(fp, b, F32.self).squareRoot())
        case 228: put(fp, a, get(fp, b, F32.self) + get(fp, c, F32.self))
        case 229: put(fp, a, get(fp, b, F32.self) - get(fp, c, F32.self))
        case 230: put(fp, a, get(fp, b, F32.self) * get(fp, c, F32.self))
        case 231: put(fp, a, get(fp, b, F32.self) / get(fp, c, F32.self))
        case 232: put(fp, a, lanewise(get(fp, b, F32.self), get(fp, c, F32.self)) { Numerics.min($0, $1) })
        case 233: put(fp, a, lanewise(get(fp, b, F32.self), get(fp, c, F32.self)) { Numerics.max($0, $1) })
        case 234:
            let x = get(fp, b, F32.self), y = get(fp, c, F32.self)
            put(fp, a, select(x, y, where: y .< x, U32.self))
        case 235:
            let x = get(fp, b, F32.self), y = get(fp, c, F32.self)
            put(fp, a, select(x, y, where: x .< y, U32.self))
        // f64x2
        case 236: put(fp, a, get(fp, b, U64.self) & 0x7FFF_FFFF_FFFF_FFFF)
        case 237: put(fp, a, get(fp, b, U64.self) ^ 0x8000_0000_0000_0000)
        case 239: put(fp, a, get(fp, b, F64.self).squareRoot())
        case 240: put(fp, a, get(fp, b, F64.self) + get(fp, c, F64.self))
        case 241: put(fp, a, get(fp, b, F64.self) - get(fp, c, F64.self))
        case 242: put(fp, a, get(fp, b, F64.self) * get(fp, c, F64.self))
        case 243: put(fp, a, get(fp, b, F64.self) / get(fp, c, F64.self))
        case 244: put(fp, a, lanewise(get(fp, b, F64.self), get(fp, c, F64.self)) { Numerics.min($0, $1) })
        case 245: put(fp, a, lanewise(get(fp, b, F64.self), get(fp, c, F64.self)) { Numerics.max($0, $1) })
        case 246:
            let x = get(fp, b, F64.self), y = get(fp, c, F64.self)
            put(fp, a, select(x, y, where: y .< x, U64.self))
        case 247:
            let x = get(fp, b, F64.self), y = get(fp, c, F64.self)
            put(fp, a, select(x, y, where: x .< y, U64.self))
        // Integer/float conversions
        case 248:
            let x = get(fp, b, F32.self)
            put(fp, a, I32(Numerics.saturatingInt32(Double(x[0])), Numerics.saturatingInt32(Double(x[1])),
                           Numerics.saturatingInt32(Double(x[2])), Numerics.saturatingInt32(Double(x[3]))))
        case 249:
            let x = get(fp, b, F32.self)
            put(fp, a, U32(Numerics.saturatingUInt32(Double(x[0])), Numerics.saturatingUInt32(Double(x[1])),
                           Numerics.saturatingUInt32(Double(x[2])), Numerics.saturatingUInt32(Double(x[3]))))
        case 250: put(fp, a, F32(get(fp, b, I32.self)))
        case 251: put(fp, a, F32(get(fp, b, U32.self)))
        case 252:
            let x = get(fp, b, F64.self)
            put(fp, a, I32(Numerics.saturatingInt32(x[0]), Numerics.saturatingInt32(x[1]), 0, 0))
        case 253:
            let x = get(fp, b, F64.self)
            put(fp, a, U32(Numerics.saturatingUInt32(x[0]), Numerics.saturatingUInt32(x[1]), 0, 0))
        case 254:
            let x = get(fp, b, I32.self)
            put(fp, a, F64(Double(x[0]), Double(x[1])))
        case 255:  // f64x2.convert_low_i32x4_u
            let x = get(fp, b, U32.self)
            put(fp, a, F64(Double(x[0]), Double(x[1])))
        default:
            break  // unreachable: validation admits only the opcodes above
        }
        return 2
    }

    @inline(__always) static func get<V: SIMD>(_ fp: UnsafeMutablePointer<UInt64>, _ slot: Int, _: V.Type) -> V {
        UnsafeRawPointer(fp + slot).loadUnaligned(as: V.self)
    }

    @inline(__always) static func put<V: SIMD>(_ fp: UnsafeMutablePointer<UInt64>, _ slot: Int, _ value: V) {
        UnsafeMutableRawPointer(fp + slot).storeBytes(of: value, as: V.self)
    }

    // MARK: Memory

    @inline(__always)
    static func memoryAccess(_ opcode: UInt16, _ pc: UnsafeMutablePointer<UInt64>, _ fp: UnsafeMutablePointer<UInt64>,
                             _ memBase: UnsafeMutableRawPointer, _ memSize: UInt64) -> Int {
        let word = pc[0]
        let width: UInt64 = switch opcode {
        case 0, 11: 16
        case 1...6, 10, 87, 91, 93: 8
        case 9, 86, 90, 92: 4
        case 8, 85, 89: 2
        default: 1
        }
        let isStore = opcode == 11 || (88...91).contains(opcode)
        let addressSlot = isStore ? Word.a(word) : Word.b(word)
        let address = UInt64(fp.u32(addressSlot)) &+ pc[2]
        if address &+ width > memSize { return -TrapCode.memoryOutOfBounds }
        let source = UnsafeRawPointer(memBase + Int(truncatingIfNeeded: address))
        let target = memBase + Int(truncatingIfNeeded: address)
        let dst = Word.a(word)
        let lane = Int((pc[1] >> 16) & 0xFF)
        switch opcode {
        case 0: put(fp, dst, source.loadUnaligned(as: U64.self))
        case 1: put(fp, dst, I16(truncatingIfNeeded: source.loadUnaligned(as: SIMD8<Int8>.self)))
        case 2: put(fp, dst, U16(truncatingIfNeeded: source.loadUnaligned(as: SIMD8<UInt8>.self)))
        case 3: put(fp, dst, I32(truncatingIfNeeded: source.loadUnaligned(as: SIMD4<Int16>.self)))
        case 4: put(fp, dst, U32(truncatingIfNeeded: source.loadUnaligned(as: SIMD4<UInt16>.self)))
        case 5: put(fp, dst, I64(truncatingIfNeeded: source.loadUnaligned(as: SIMD2<Int32>.self)))
        case 6: put(fp, dst, U64(truncatingIfNeeded: source.loadUnaligned(as: SIMD2<UInt32>.self)))
        case 7: put(fp, dst, U8(repeating: source.load(as: UInt8.self)))
        case 8: put(fp, dst, U16(repeating: source.loadUnaligned(as: UInt16.self)))
        case 9: put(fp, dst, U32(repeating: source.loadUnaligned(as: UInt32.self)))
        case 10: put(fp, dst, U64(repeating: source.loadUnaligned(as: UInt64.self)))
        case 11: target.storeBytes(of: get(fp, Word.b(word), U64.self), as: U64.self)
        case 84...87:
            let vector = Word.c(word)
            var bytes = get(fp, vector, U8.self)
            withUnsafeMutableBytes(of: &bytes) { lanes in
                lanes.baseAddress!.advanced(by: lane * Int(width)).copyMemory(from: source, byteCount: Int(width))
            }
            put(fp, dst, bytes)
        case 88...91:
            var bytes = get(fp, Word.b(word), U8.self)
            withUnsafeBytes(of: &bytes) { lanes in
                target.copyMemory(from: lanes.baseAddress!.advanced(by: lane * Int(width)), byteCount: Int(width))
            }
        case 92: put(fp, dst, U32(source.loadUnaligned(as: UInt32.self), 0, 0, 0))
        default: put(fp, dst, U64(source.loadUnaligned(as: UInt64.self), 0))  // 93 load64_zero
        }
        return 3
    }

    // MARK: Shuffles, splats and lanes

    @inline(__always)
    static func lanes(_ opcode: UInt16, _ pc: UnsafeMutablePointer<UInt64>, _ fp: UnsafeMutablePointer<UInt64>) -> Int {
        let word = pc[0]
        let a = Word.a(word), b = Word.b(word), c = Word.c(word)
        let lane = Int((pc[1] >> 16) & 0xFF)
        switch opcode {
        case 13:
            let first = get(fp, b, U8.self)
            let second = get(fp, c, U8.self)
            let selectors = U64(pc[2], pc[3]).reinterpreted(as: U8.self)
            var result = U8()
            for index in 0..<16 {
                let selector = Int(selectors[index])
                result[index] = selector < 16 ? first[selector] : second[selector - 16]
            }
            put(fp, a, result)
            return 4
        case 14:
            let source = get(fp, b, U8.self)
            let selectors = get(fp, c, U8.self)
            var result = U8()
            for index in 0..<16 where selectors[index] < 16 { result[index] = source[Int(selectors[index])] }
            put(fp, a, result)
        case 15: put(fp, a, U8(repeating: UInt8(truncatingIfNeeded: fp[b])))
        case 16: put(fp, a, U16(repeating: UInt16(truncatingIfNeeded: fp[b])))
        case 17: put(fp, a, U32(repeating: UInt32(truncatingIfNeeded: fp[b])))
        case 18: put(fp, a, U64(repeating: fp[b]))
        case 19: put(fp, a, U32(repeating: UInt32(truncatingIfNeeded: fp[b])))
        case 20: put(fp, a, U64(repeating: fp[b]))
        case 21: fp[a] = UInt64(UInt32(bitPattern: Int32(get(fp, b, I8.self)[lane])))
        case 22: fp[a] = UInt64(get(fp, b, U8.self)[lane])
        case 23:
            var vector = get(fp, b, U8.self)
            vector[lane] = UInt8(truncatingIfNeeded: fp[c])
            put(fp, a, vector)
        case 24: fp[a] = UInt64(UInt32(bitPattern: Int32(get(fp, b, I16.self)[lane])))
        case 25: fp[a] = UInt64(get(fp, b, U16.self)[lane])
        case 26:
            var vector = get(fp, b, U16.self)
            vector[lane] = UInt16(truncatingIfNeeded: fp[c])
            put(fp, a, vector)
        case 27, 31: fp[a] = UInt64(get(fp, b, U32.self)[lane])
        case 28, 32:
            var vector = get(fp, b, U32.self)
            vector[lane] = UInt32(truncatingIfNeeded: fp[c])
            put(fp, a, vector)
        case 29, 33: fp[a] = get(fp, b, U64.self)[lane]
        default:  // 30, 34
            var vector = get(fp, b, U64.self)
            vector[lane] = fp[c]
            put(fp, a, vector)
        }
        return 2
    }

    // MARK: Comparisons (all-ones lanes where true)
    // Written per concrete type: Swift's vectorised comparison operators are concrete
    // overloads, and a generic helper would fall back to lane-by-lane loops.

    /// A mask's lanes as 0 / all-ones integers. `SIMDMask` stores exactly such a vector, so this
    /// is a reinterpretation.
    @inline(__always) static func lanes<S: SIMD>(of mask: SIMDMask<S.MaskStorage>) -> S {
        unsafeBitCast(mask, to: S.self)
    }

    @inline(__always)
    static func compare8(_ kind: Int, _ fp: UnsafeMutablePointer<UInt64>, _ a: Int, _ b: Int, _ c: Int) {
        let x = get(fp, b, I8.self), y = get(fp, c, I8.self)
        let ux = get(fp, b, U8.self), uy = get(fp, c, U8.self)
        let mask: SIMDMask<I8.MaskStorage>
        switch kind {
        case 0: mask = x .== y
        case 1: mask = x .!= y
        case 2: mask = x .< y
        case 3: mask = ux .< uy
        case 4: mask = x .> y
        case 5: mask = ux .> uy
        case 6: mask = x .<= y
        case 7: mask = ux .<= uy
        case 8: mask = x .>= y
        default: mask = ux .>= uy
        }
        put(fp, a, unsafeBitCast(mask, to: I8.self))
    }
    @inline(__always)
    static func compare16(_ kind: Int, _ fp: UnsafeMutablePointer<UInt64>, _ a: Int, _ b: Int, _ c: Int) {
        let x = get(fp, b, I16.self), y = get(fp, c, I16.self)
        let ux = get(fp, b, U16.self), uy = get(fp, c, U16.self)
        let mask: SIMDMask<I16.MaskStorage>
        switch kind {
        case 0: mask = x .== y
        case 1: mask = x .!= y
        case 2: mask = x .< y
        case 3: mask = ux .< uy
        case 4: mask = x .> y
        case 5: mask = ux .> uy
        case 6: mask = x .<= y
        case 7: mask = ux .<= uy
        case 8: mask = x .>= y
        default: mask = ux .>= uy
        }
        put(fp, a, unsafeBitCast(mask, to: I16.self))
    }
    @inline(__always)
    static func compare32(_ kind: Int, _ fp: UnsafeMutablePointer<UInt64>, _ a: Int, _ b: Int, _ c: Int) {
        let x = get(fp, b, I32.self), y = get(fp, c, I32.self)
        let ux = get(fp, b, U32.self), uy = get(fp, c, U32.self)
        let mask: SIMDMask<I32.MaskStorage>
        switch kind {
        case 0: mask = x .== y
        case 1: mask = x .!= y
        case 2: mask = x .< y
        case 3: mask = ux .< uy
        case 4: mask = x .> y
        case 5: mask = ux .> uy
        case 6: mask = x .<= y
        case 7: mask = ux .<= uy
        case 8: mask = x .>= y
        default: mask = ux .>= uy
        }
        put(fp, a, unsafeBitCast(mask, to: I32.self))
    }
    @inline(__always)
    static func compare64(_ kind: Int, _ fp: UnsafeMutablePointer<UInt64>, _ a: Int, _ b: Int, _ c: Int) {
        let x = get(fp, b, I64.self), y = get(fp, c, I64.self)
        let ux = get(fp, b, U64.self), uy = get(fp, c, U64.self)
        let mask: SIMDMask<I64.MaskStorage>
        switch kind {
        case 0: mask = x .== y
        case 1: mask = x .!= y
        case 2: mask = x .< y
        case 3: mask = ux .< uy
        case 4: mask = x .> y
        case 5: mask = ux .> uy
        case 6: mask = x .<= y
        case 7: mask = ux .<= uy
        case 8: mask = x .>= y
        default: mask = ux .>= uy
        }
        put(fp, a, unsafeBitCast(mask, to: I64.self))
    }
    @inline(__always)
    static func compareF32(_ kind: Int, _ fp: UnsafeMutablePointer<UInt64>, _ a: Int, _ b: Int, _ c: Int) {
        let x = get(fp, b, F32.self), y = get(fp, c, F32.self)
        let mask: SIMDMask<F32.MaskStorage>
        switch kind {
        case 0: mask = x .== y
        case 1: mask = x .!= y
        case 2: mask = x .< y
        case 3: mask = x .> y
        case 4: mask = x .<= y
        default: mask = x .>= y
        }
        put(fp, a, unsafeBitCast(mask, to: U32.self))
    }
    @inline(__always)
    static func compareF64(_ kind: Int, _ fp: UnsafeMutablePointer<UInt64>, _ a: Int, _ b: Int, _ c: Int) {
        let x = get(fp, b, F64.self), y = get(fp, c, F64.self)
        let mask: SIMDMask<F64.MaskStorage>
        switch kind {
        case 0: mask = x .== y
        case 1: mask = x .!= y
        case 2: mask = x .< y
        case 3: mask = x .> y
        case 4: mask = x .<= y
        default: mask = x .>= y
        }
        put(fp, a, unsafeBitCast(mask, to: U64.self))
    }
    // MARK: Arithmetic, bitwise, conversions

    static func bitmask<S: SIMD>(_ vector: S) -> UInt64 where S.Scalar: FixedWidthInteger & SignedInteger {
        var mask: UInt64 = 0
        for index in vector.indices where vector[index] < 0 { mask |= 1 << UInt64(index) }
        return mask
    }

    static func allTrue<S: SIMD>(_ vector: S) -> UInt64 where S.Scalar: FixedWidthInteger {
        for index in vector.indices where vector[index] == 0 { return 0 }
        return 1
    }

    static func wrappingAbs<S: SIMD>(_ vector: S) -> S where S.Scalar: FixedWidthInteger & SignedInteger {
        // sign = all ones for negative lanes; (x ^ sign) - sign negates exactly those.
        let sign = vector &>> S(repeating: S.Scalar(S.Scalar.bitWidth - 1))
        return (vector ^ sign) &- sign
    }

    /// `pmin`/`pmax`: `second` where `takeSecond` holds, else `first` (bitwise select).
    @inline(__always)
    static func select<F: SIMD, U: SIMD>(_ first: F, _ second: F, where takeSecond: SIMDMask<F.MaskStorage>, _: U.Type) -> F
    where U.Scalar: FixedWidthInteger, F.MaskStorage == U.MaskStorage {
        let mask: U = lanes(of: takeSecond)
        let chosen = (unsafeBitCast(second, to: U.self) & mask) | (unsafeBitCast(first, to: U.self) & ~mask)
        return unsafeBitCast(chosen, to: F.self)
    }

    // Lane loops over concrete types. The standard library's generic conversion initialisers
    // (`init(truncatingIfNeeded:)`, `init(clamping:)` between vector types) run as out-of-line
    // loops; these inline and let LLVM vectorise where it can.

    /// Fills a vector lane by lane through a pointer: setting lanes with the subscript would
    /// store and reload the whole vector for each lane.
    @inline(__always)
    static func build<W: SIMD>(_: W.Type, _ lane: (Int) -> W.Scalar) -> W {
        var result = W()
        withUnsafeMutableBytes(of: &result) { raw in
            let lanes = raw.baseAddress.unsafelyUnwrapped.assumingMemoryBound(to: W.Scalar.self)
            for index in 0..<W.scalarCount { lanes[index] = lane(index) }
        }
        return result
    }

    /// Sign- or zero-extends the low or high half of `x` into the wider lanes of `W`.
    @inline(__always)
    static func extend<N: SIMD, W: SIMD>(_ x: N, high: Bool, _: W.Type) -> W
    where N.Scalar: FixedWidthInteger, W.Scalar: FixedWidthInteger {
        let start = high ? W.scalarCount : 0
        return build(W.self) { W.Scalar(truncatingIfNeeded: x[start + $0]) }
    }

    /// Saturating narrowing of two vectors into one with lanes half as wide (first in the low lanes).
    @inline(__always)
    static func narrow<W: SIMD, N: SIMD>(_ first: W, _ second: W, _: N.Type) -> N
    where W.Scalar: FixedWidthInteger, N.Scalar: FixedWidthInteger {
        build(N.self) { index in
            index < W.scalarCount ? N.Scalar(clamping: first[index]) : N.Scalar(clamping: second[index - W.scalarCount])
        }
    }

    /// Sums of adjacent lane pairs, widened.
    @inline(__always)
    static func pairwise<N: SIMD, W: SIMD>(_ x: N, _: W.Type) -> W where N.Scalar: FixedWidthInteger, W.Scalar: FixedWidthInteger {
        build(W.self) { W.Scalar(truncatingIfNeeded: x[2 * $0]) &+ W.Scalar(truncatingIfNeeded: x[2 * $0 + 1]) }
    }

    @inline(__always)
    static func lanewise<S: SIMD>(_ x: S, _ y: S, _ operation: (S.Scalar, S.Scalar) -> S.Scalar) -> S {
        build(S.self) { operation(x[$0], y[$0]) }
    }

    @inline(__always)
    static func lanewise<S: SIMD>(_ x: S, _ operation: (S.Scalar) -> S.Scalar) -> S {
        build(S.self) { operation(x[$0]) }
    }

}

extension SIMD {
    /// The same bytes viewed as another vector type of equal size.
    @inline(__always) func reinterpreted<T: SIMD>(as _: T.Type) -> T {
        withUnsafeBytes(of: self) { $0.loadUnaligned(as: T.self) }
    }
}
