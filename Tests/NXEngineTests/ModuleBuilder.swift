import NXEngine
import NXWasm

/// Assembles small binary modules for tests: functions are given as raw instruction bytes,
/// so each test states exactly the instruction sequence it exercises.
struct ModuleBuilder {
    struct FunctionDefinition {
        var type: FunctionType
        var locals: [ValueType]
        var body: [UInt8]
        var export: String?
    }

    var types: [FunctionType] = []
    var imports: [(module: String, name: String, type: FunctionType)] = []
    var functions: [FunctionDefinition] = []
    var memory: (min: UInt32, max: UInt32?)?
    var table: (min: UInt32, elements: [UInt32])?
    var globals: [(type: ValueType, mutable: Bool, initializer: [UInt8])] = []
    var data: [(offset: UInt32, bytes: [UInt8])] = []

    mutating func typeIndex(_ type: FunctionType) -> UInt32 {
        if let index = types.firstIndex(of: type) { return UInt32(index) }
        types.append(type)
        return UInt32(types.count - 1)
    }

    @discardableResult
    mutating func function(_ export: String?, _ parameters: [ValueType], _ results: [ValueType],
                           locals: [ValueType] = [], _ body: [UInt8]) -> UInt32 {
        let type = FunctionType(parameters: parameters, results: results)
        _ = typeIndex(type)
        functions.append(FunctionDefinition(type: type, locals: locals, body: body, export: export))
        return UInt32(imports.count + functions.count - 1)
    }

    mutating func importFunction(_ module: String, _ name: String, _ parameters: [ValueType], _ results: [ValueType]) {
        let type = FunctionType(parameters: parameters, results: results)
        _ = typeIndex(type)
        imports.append((module, name, type))
    }

    func build() -> [UInt8] {
        var bytes: [UInt8] = [0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00]
        func section(_ id: UInt8, _ content: [UInt8]) {
            bytes.append(id)
            bytes += leb(UInt64(content.count))
            bytes += content
        }
        func name(_ text: String) -> [UInt8] { leb(UInt64(text.utf8.count)) + Array(text.utf8) }
        var typeSection = leb(UInt64(types.count))
        for type in types {
            typeSection += [0x60] + leb(UInt64(type.parameters.count)) + type.parameters.map(\.rawValue)
            typeSection += leb(UInt64(type.results.count)) + type.results.map(\.rawValue)
        }
        section(1, typeSection)
        if !imports.isEmpty {
            var content = leb(UInt64(imports.count))
            for entry in imports {
                content += name(entry.module) + name(entry.name) + [0x00] + leb(UInt64(types.firstIndex(of: entry.type)!))
            }
            section(2, content)
        }
        section(3, leb(UInt64(functions.count)) + functions.flatMap { leb(UInt64(types.firstIndex(of: $0.type)!)) })
        if let table { section(4, [0x01, 0x70, 0x00] + leb(UInt64(table.min))) }
        if let memory {
            let limits: [UInt8] = memory.max.map { [0x01] + leb(UInt64(memory.min)) + leb(UInt64($0)) } ?? [0x00] + leb(UInt64(memory.min))
            section(5, [0x01] + limits)
        }
        if !globals.isEmpty {
            var content = leb(UInt64(globals.count))
            for global in globals {
                let header: [UInt8] = [global.type.rawValue, global.mutable ? 1 : 0]
                content += header + global.initializer + [0x0B]
            }
            section(6, content)
        }
        var exports: [UInt8] = []
        var exportCount = 0
        for (index, function) in functions.enumerated() {
            guard let export = function.export else { continue }
            exports += name(export) + [0x00] + leb(UInt64(imports.count + index))
            exportCount += 1
        }
        if memory != nil {
            exports += name("memory") + [0x02, 0x00]
            exportCount += 1
        }
        section(7, leb(UInt64(exportCount)) + exports)
        if let table, !table.elements.isEmpty {
            section(9, [0x01, 0x00, 0x41, 0x00, 0x0B] + leb(UInt64(table.elements.count)) + table.elements.flatMap { leb(UInt64($0)) })
        }
        var code = leb(UInt64(functions.count))
        for function in functions {
            var body = leb(UInt64(function.locals.count))
            for local in function.locals { body += [0x01, local.rawValue] }
            body += function.body + [0x0B]
            code += leb(UInt64(body.count)) + body
        }
        section(10, code)
        if !data.isEmpty {
            var content = leb(UInt64(data.count))
            for segment in data {
                let offset: [UInt8] = [0x00, 0x41] + sleb(Int64(segment.offset)) + [0x0B]
                content += offset + leb(UInt64(segment.bytes.count)) + segment.bytes
            }
            section(11, content)
        }
        return bytes
    }

    /// Instantiates the module in a fresh runtime.
    func instantiate(imports: Imports = Imports(), runtime: Runtime = Runtime()) throws -> Instance {
        try runtime.instantiate(try Runtime.load(build()), imports: imports)
    }
}

func leb(_ value: UInt64) -> [UInt8] {
    var value = value
    var bytes: [UInt8] = []
    repeat {
        var byte = UInt8(value & 0x7F)
        value >>= 7
        if value != 0 { byte |= 0x80 }
        bytes.append(byte)
    } while value != 0
    return bytes
}

func sleb(_ value: Int64) -> [UInt8] {
    var value = value
    var bytes: [UInt8] = []
    while true {
        let byte = UInt8(value & 0x7F)
        value >>= 7
        if (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0) {
            bytes.append(byte)
            return bytes
        }
        bytes.append(byte | 0x80)
    }
}

/// Instruction encoders for readable test bodies.
enum I {
    static func i32(_ value: Int32) -> [UInt8] { [0x41] + sleb(Int64(value)) }
    static func i64(_ value: Int64) -> [UInt8] { [0x42] + sleb(value) }
    static func f32(_ value: Float) -> [UInt8] { [0x43] + withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
    static func f64(_ value: Double) -> [UInt8] { [0x44] + withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
    static func get(_ index: UInt32) -> [UInt8] { [0x20] + leb(UInt64(index)) }
    static func set(_ index: UInt32) -> [UInt8] { [0x21] + leb(UInt64(index)) }
    static func tee(_ index: UInt32) -> [UInt8] { [0x22] + leb(UInt64(index)) }
    static func call(_ index: UInt32) -> [UInt8] { [0x10] + leb(UInt64(index)) }
    static func br(_ depth: UInt32) -> [UInt8] { [0x0C] + leb(UInt64(depth)) }
    static func brIf(_ depth: UInt32) -> [UInt8] { [0x0D] + leb(UInt64(depth)) }
    static let block: [UInt8] = [0x02, 0x40]
    static let loop: [UInt8] = [0x03, 0x40]
    static let `if`: [UInt8] = [0x04, 0x40]
    static func block(_ result: ValueType) -> [UInt8] { [0x02, result.rawValue] }
    static func `if`(_ result: ValueType) -> [UInt8] { [0x04, result.rawValue] }
    static let `else`: [UInt8] = [0x05]
    static let end: [UInt8] = [0x0B]
    static let drop: [UInt8] = [0x1A]
    static let select: [UInt8] = [0x1B]
    static let ret: [UInt8] = [0x0F]
    static let unreachable: [UInt8] = [0x00]
    static func load(_ opcode: UInt8, offset: UInt32 = 0, align: UInt32 = 0) -> [UInt8] { [opcode] + leb(UInt64(align)) + leb(UInt64(offset)) }
    static func store(_ opcode: UInt8, offset: UInt32 = 0, align: UInt32 = 0) -> [UInt8] { [opcode] + leb(UInt64(align)) + leb(UInt64(offset)) }
}
