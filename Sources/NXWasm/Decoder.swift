/// The binary decoder (spec §5): bytes → `Module`. Structure only; `Validator` checks types.
public enum ModuleDecoder {
    /// Decodes a module. Throws a `DecodeError` naming the section and byte offset on malformed input.
    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> Module {
        let module = Module(bytes: ModuleBytes(bytes))
        var state = DecoderState(module: module)
        try state.decodeModule()
        module.computeIndexSpaces()
        return module
    }
}

/// Constant expressions are decoded like any instruction sequence; anything but one constant
/// instruction followed by `end` is recorded here and reported by the validator, because the
/// spec classifies it as invalid rather than malformed.
public struct InvalidConstantExpression: Hashable, Sendable {
    public var message: String
    public var offset: Int
}

private struct DecoderState {
    let module: Module
    var lastRank = 0
    var functionCount: Int?
    var codeSeen = false
    var dataSeen = false

    init(module: Module) { self.module = module }

    func reader(_ range: Range<Int>, section: SectionID?) -> ByteReader {
        module.bytes.reader(range, section: section)
    }

    mutating func decodeModule() throws(DecodeError) {
        var top = reader(0..<module.bytes.count, section: nil)
        try decodeHeader(&top)
        while !top.isAtEnd {
            let idPosition = top.offset
            let id = try top.readByte()
            guard let section = SectionID(rawValue: id) else {
                throw top.error("malformed section id \(id)", at: idPosition)
            }
            let size = try top.readVarUInt32()
            guard Int(size) <= top.remaining else {
                throw DecodeError("length out of bounds: section size \(size) exceeds the remaining \(top.remaining) bytes",
                                  offset: top.offset, section: section)
            }
            let range = try top.readBytes(Int(size))
            if section != .custom {
                guard section.orderRank > lastRank else {
                    throw top.error("unexpected content after last section (\(section) section out of order)", at: idPosition)
                }
                lastRank = section.orderRank
            }
            var body = reader(range, section: section)
            try decodeSection(section, &body)
            guard body.isAtEnd else { throw body.error("section size mismatch") }
        }
        try checkCounts(at: top.offset)
    }

    func decodeHeader(_ top: inout ByteReader) throws(DecodeError) {
        guard top.remaining >= 4 else { throw top.error("unexpected end") }
        let magic = try top.readUInt32LE()
        guard magic == 0x6D73_6100 else { throw top.error("magic header not detected", at: 0) }
        guard top.remaining >= 4 else { throw top.error("unexpected end") }
        let version = try top.readUInt32LE()
        guard version == 1 else { throw top.error("unknown binary version \(version)", at: 4) }
    }

    func checkCounts(at offset: Int) throws(DecodeError) {
        if (functionCount ?? 0) != module.bodies.count {
            throw DecodeError("function and code section have inconsistent lengths (\(functionCount ?? 0) functions, \(module.bodies.count) bodies)", offset: offset, section: .code)
        }
        if let dataCount = module.dataCount, Int(dataCount) != module.data.count {
            throw DecodeError("data count and data section have inconsistent lengths (\(dataCount) declared, \(module.data.count) segments)", offset: offset, section: .data)
        }
    }

    mutating func decodeSection(_ section: SectionID, _ r: inout ByteReader) throws(DecodeError) {
        switch section {
        case .custom: try decodeCustom(&r)
        case .type: module.types = try vector(&r) { (r: inout ByteReader) throws(DecodeError) in try functionType(&r) }
        case .import: module.imports = try vector(&r) { (r: inout ByteReader) throws(DecodeError) in try importEntry(&r) }
        case .function:
            module.functionTypeIndices = try vector(&r) { (r: inout ByteReader) throws(DecodeError) in try r.readVarUInt32() }
            functionCount = module.functionTypeIndices.count
        case .table: module.tables = try vector(&r) { (r: inout ByteReader) throws(DecodeError) in try tableType(&r) }
        case .memory: module.memories = try vector(&r) { (r: inout ByteReader) throws(DecodeError) in MemoryType(limits: try r.readLimits()) }
        case .global: module.globals = try vector(&r) { (r: inout ByteReader) throws(DecodeError) in try global(&r) }
        case .export: module.exports = try vector(&r) { (r: inout ByteReader) throws(DecodeError) in try exportEntry(&r) }
        case .start: module.start = try r.readVarUInt32()
        case .element: module.elements = try vector(&r) { (r: inout ByteReader) throws(DecodeError) in try elementSegment(&r) }
        case .code:
            codeSeen = true
            module.bodies = try vector(&r) { (r: inout ByteReader) throws(DecodeError) in try functionBody(&r) }
        case .data:
            dataSeen = true
            module.data = try vector(&r) { (r: inout ByteReader) throws(DecodeError) in try dataSegment(&r) }
        case .dataCount: module.dataCount = try r.readVarUInt32()
        }
    }

    /// A length-prefixed vector. The count is checked against the bytes left (every element
    /// takes at least one byte) so a corrupt count cannot trigger a huge allocation.
    func vector<T>(_ r: inout ByteReader, _ element: (inout ByteReader) throws(DecodeError) -> T) throws(DecodeError) -> [T] {
        let count = try r.readVarUInt32()
        guard Int(count) <= r.remaining else {
            throw r.error(count == 0 ? "unexpected end" : "length out of bounds: \(count) entries declared, \(r.remaining) bytes left")
        }
        var result: [T] = []
        result.reserveCapacity(Int(count))
        for _ in 0..<count { result.append(try element(&r)) }
        return result
    }

    func functionType(_ r: inout ByteReader) throws(DecodeError) -> FunctionType {
        let position = r.offset
        let form = try r.readByte()
        guard form == 0x60 else { throw r.error("integer representation too long: malformed function type 0x\(String(form, radix: 16))", at: position) }
        let parameters = try vector(&r) { (r: inout ByteReader) throws(DecodeError) in try r.readValueType() }
        let results = try vector(&r) { (r: inout ByteReader) throws(DecodeError) in try r.readValueType() }
        return FunctionType(parameters: parameters, results: results)
    }

    func tableType(_ r: inout ByteReader) throws(DecodeError) -> TableType {
        let elementType = try r.readReferenceType()
        return TableType(elementType: elementType, limits: try r.readLimits())
    }

    func globalType(_ r: inout ByteReader) throws(DecodeError) -> GlobalType {
        let valueType = try r.readValueType()
        let position = r.offset
        let mutability = try r.readByte()
        guard mutability <= 1 else { throw r.error("malformed mutability", at: position) }
        return GlobalType(valueType: valueType, isMutable: mutability == 1)
    }

    func importEntry(_ r: inout ByteReader) throws(DecodeError) -> Import {
        let moduleName = try r.readName()
        let name = try r.readName()
        let position = r.offset
        let kind = try r.readByte()
        let descriptor: ImportDescriptor
        switch kind {
        case 0: descriptor = .function(typeIndex: try r.readVarUInt32())
        case 1: descriptor = .table(try tableType(&r))
        case 2: descriptor = .memory(MemoryType(limits: try r.readLimits()))
        case 3: descriptor = .global(try globalType(&r))
        default: throw r.error("malformed import kind \(kind)", at: position)
        }
        return Import(module: moduleName, name: name, descriptor: descriptor)
    }

    func exportEntry(_ r: inout ByteReader) throws(DecodeError) -> Export {
        let name = try r.readName()
        let position = r.offset
        let kindByte = try r.readByte()
        guard let kind = ExternalKind(rawValue: kindByte) else {
            throw r.error("malformed export kind \(kindByte)", at: position)
        }
        return Export(name: name, kind: kind, index: try r.readVarUInt32())
    }

    func global(_ r: inout ByteReader) throws(DecodeError) -> Global {
        let type = try globalType(&r)
        return Global(type: type, initializer: try constantExpression(&r))
    }

    /// Reads an instruction sequence up to its `end` and classifies it.
    func constantExpression(_ r: inout ByteReader) throws(DecodeError) -> ConstantExpression {
        var instructions = InstructionReader(r)
        defer { r = instructions.bytes }
        let start = instructions.offset
        var found: [ConstantExpression] = []
        var nonConstant: Int?
        var depth = 0
        while true {
            let position = instructions.offset
            if instructions.isAtEnd { throw r.error("unexpected end of section or function: constant expression without end", at: position) }
            let instruction: Instruction
            do { instruction = try instructions.next() } catch {
                // The spec interpreter reads the constant expression greedily, so a missing `end`
                // typically surfaces as an illegal opcode in the next bytes.
                throw error
            }
            switch instruction {
            case .end where depth == 0:
                if let nonConstant {
                    return .invalid(InvalidConstantExpression(message: "constant expression required", offset: nonConstant))
                }
                guard found.count == 1 else {
                    return .invalid(InvalidConstantExpression(message: "type mismatch: constant expression must produce exactly one value (found \(found.count))", offset: start))
                }
                return found[0]
            case .end: depth -= 1
            case .block, .loop, .if:
                depth += 1
                nonConstant = nonConstant ?? position
            case .i32Const(let value): found.append(.i32(value))
            case .i64Const(let value): found.append(.i64(value))
            case .f32Const(let value): found.append(.f32(value))
            case .f64Const(let value): found.append(.f64(value))
            case .refNull(let type): found.append(.refNull(type))
            case .refFunc(let index): found.append(.refFunc(index))
            case .globalGet(let index): found.append(.globalGet(index))
            case .simd(let simd) where simd.constantValue != nil: found.append(.v128(simd.constantValue!))
            default: nonConstant = nonConstant ?? position
            }
        }
    }

    func elementSegment(_ r: inout ByteReader) throws(DecodeError) -> ElementSegment {
        let position = r.offset
        let flags = try r.readVarUInt32()
        guard flags <= 7 else { throw r.error("malformed elements segment kind \(flags)", at: position) }
        let usesExpressions = flags & 4 != 0
        var mode: ElementSegment.Mode
        if flags & 1 == 0 {
            let table: UInt32 = flags & 2 != 0 ? try r.readVarUInt32() : 0
            mode = .active(table: table, offset: try constantExpression(&r))
        } else {
            mode = flags & 2 != 0 ? .declarative : .passive
        }
        var type = ValueType.funcref
        if flags & 3 != 0 {
            if usesExpressions {
                type = try r.readReferenceType()
            } else {
                let kindPosition = r.offset
                guard try r.readByte() == 0x00 else { throw r.error("malformed element kind", at: kindPosition) }
            }
        }
        let initializers: [ConstantExpression]
        if usesExpressions {
            initializers = try vector(&r) { (r: inout ByteReader) throws(DecodeError) in try constantExpression(&r) }
        } else {
            initializers = try vector(&r) { (r: inout ByteReader) throws(DecodeError) in .refFunc(try r.readVarUInt32()) }
        }
        return ElementSegment(type: type, mode: mode, initializers: initializers)
    }

    func dataSegment(_ r: inout ByteReader) throws(DecodeError) -> DataSegment {
        let position = r.offset
        let flags = try r.readVarUInt32()
        let mode: DataSegment.Mode
        switch flags {
        case 0: mode = .active(memory: 0, offset: try constantExpression(&r))
        case 1: mode = .passive
        case 2:
            let memory = try r.readVarUInt32()
            mode = .active(memory: memory, offset: try constantExpression(&r))
        default: throw r.error("malformed data segment kind \(flags)", at: position)
        }
        let length = try r.readVarUInt32()
        guard Int(length) <= r.remaining else {
            throw r.error("unexpected end of section or function: data segment of \(length) bytes, \(r.remaining) left")
        }
        return DataSegment(mode: mode, bytes: try r.readBytes(Int(length)))
    }

    func functionBody(_ r: inout ByteReader) throws(DecodeError) -> FunctionBody {
        let size = try r.readVarUInt32()
        guard Int(size) <= r.remaining else {
            throw r.error("unexpected end of section or function: function body of \(size) bytes, \(r.remaining) left")
        }
        let range = try r.readBytes(Int(size))
        var body = reader(range, section: .code)
        let groupCount = try body.readVarUInt32()
        guard Int(groupCount) <= body.remaining else { throw body.error("unexpected end: \(groupCount) local declarations") }
        var locals: [(count: UInt32, type: ValueType)] = []
        var total: UInt64 = 0
        for _ in 0..<groupCount {
            let position = body.offset
            let count = try body.readVarUInt32()
            total += UInt64(count)
            guard total <= UInt64(UInt32.max) else { throw body.error("too many locals", at: position) }
            locals.append((count, try body.readValueType()))
        }
        guard body.offset < range.upperBound else { throw body.error("unexpected end of section or function: function body without code") }
        return FunctionBody(locals: locals, localCount: Int(total), code: body.offset..<range.upperBound)
    }

    mutating func decodeCustom(_ r: inout ByteReader) throws(DecodeError) {
        let name = try r.readName()
        let contents = r.offset..<r.end
        r.offset = r.end
        module.customSections.append((name, contents))
        if name == "name" {
            // A malformed name section must not make the module malformed (spec appendix 7.4.1).
            var names = reader(contents, section: .custom)
            try? decodeNameSection(&names)
        }
    }

    func decodeNameSection(_ r: inout ByteReader) throws(DecodeError) {
        while !r.isAtEnd {
            let id = try r.readByte()
            let size = try r.readVarUInt32()
            let range = try r.readBytes(Int(size))
            var sub = reader(range, section: .custom)
            switch id {
            case 0: module.moduleName = try sub.readName()
            case 1:
                let count = try sub.readVarUInt32()
                for _ in 0..<count {
                    let index = try sub.readVarUInt32()
                    module.functionNames[index] = try sub.readName()
                }
            default: break
            }
        }
    }
}
