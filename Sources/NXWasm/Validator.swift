/// Module validation (spec §3.4): index spaces, limits, constant expressions, segments,
/// exports and the start function; function bodies are checked by `FunctionValidator`.

/// An invalid module: the message starts with the spec's wording where it has one and the
/// error names the place (function index or section) and byte offset.
public struct ValidationError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var offset: Int
    public var context: String

    public init(_ message: String, offset: Int, context: String) {
        self.message = message
        self.offset = offset
        self.context = context
    }

    public var description: String { "invalid module: \(message) (\(context), offset \(offset))" }
}

public enum ModuleValidator {
    /// Validates a decoded module. Throws the first error found.
    public static func validate(_ module: Module) throws(ValidationError) {
        let context = ValidationContext(module: module)
        try context.validateImportsAndDefinitions()
        try context.validateGlobals()
        try context.validateSegments()
        try context.validateExportsAndStart()
        for index in module.bodies.indices {
            var validator = FunctionValidator(context: context, definedIndex: index)
            try validator.validate()
        }
    }
}

/// Everything a function body is validated against (spec's context C).
public final class ValidationContext {
    public let module: Module
    /// Functions that may be referenced by `ref.func` in function bodies (spec's C.refs).
    let declaredReferences: Set<UInt32>
    /// Scratch operand stack shared by the validation of each function.
    let operands = OperandStack()

    init(module: Module) {
        self.module = module
        var references = Set<UInt32>()
        func collect(_ expression: ConstantExpression) {
            if case .refFunc(let index) = expression { references.insert(index) }
        }
        for global in module.globals { collect(global.initializer) }
        for segment in module.elements { segment.initializers.forEach(collect) }
        for export in module.exports where export.kind == .function { references.insert(export.index) }
        declaredReferences = references
    }

    func fail(_ message: String, _ context: String, offset: Int = 0) -> ValidationError {
        ValidationError(message, offset: offset, context: context)
    }

    func checkTypeIndex(_ index: UInt32, _ where: String) throws(ValidationError) {
        guard Int(index) < module.types.count else { throw fail("unknown type \(index)", `where`) }
    }

    func checkTableLimits(_ limits: Limits, _ where: String) throws(ValidationError) {
        if let max = limits.max, limits.min > max {
            throw fail("size minimum must not be greater than maximum", `where`)
        }
    }

    func checkMemoryLimits(_ limits: Limits, _ where: String) throws(ValidationError) {
        let cap = MemoryType.maxPages
        guard limits.min <= cap, (limits.max ?? 0) <= cap else {
            throw fail("memory size must be at most 65536 pages (4GiB)", `where`)
        }
        try checkTableLimits(limits, `where`)
    }

    func validateImportsAndDefinitions() throws(ValidationError) {
        for (index, entry) in module.imports.enumerated() {
            let place = "import \(index) \"\(entry.module)\".\"\(entry.name)\""
            switch entry.descriptor {
            case .function(let typeIndex): try checkTypeIndex(typeIndex, place)
            case .table(let type): try checkTableLimits(type.limits, place)
            case .memory(let type): try checkMemoryLimits(type.limits, place)
            case .global: break
            }
        }
        for (index, typeIndex) in module.functionTypeIndices.enumerated() {
            try checkTypeIndex(typeIndex, "function \(module.importedFunctionCount + index)")
        }
        for (index, table) in module.tables.enumerated() {
            try checkTableLimits(table.limits, "table \(module.importedTableCount + index)")
        }
        for (index, memory) in module.memories.enumerated() {
            try checkMemoryLimits(memory.limits, "memory \(module.importedMemoryCount + index)")
        }
        if module.allMemories.count > 1 { throw fail("multiple memories", "memory section") }
    }

    /// Type of a constant expression (spec §3.3.10), with `globalLimit` bounding `global.get`.
    func constantType(_ expression: ConstantExpression, globalLimit: Int, _ place: String) throws(ValidationError) -> ValueType {
        switch expression {
        case .i32: return .i32
        case .i64: return .i64
        case .f32: return .f32
        case .f64: return .f64
        case .v128: return .v128
        case .refNull(let type): return type
        case .refFunc(let index):
            guard Int(index) < module.functionTypes.count else { throw fail("unknown function \(index)", place) }
            return .funcref
        case .globalGet(let index):
            guard Int(index) < globalLimit else { throw fail("unknown global \(index)", place) }
            let type = module.allGlobals[Int(index)]
            guard !type.isMutable else { throw fail("constant expression required: global \(index) is mutable", place) }
            return type.valueType
        case .invalid(let problem):
            throw fail(problem.message, place, offset: problem.offset)
        }
    }

    func expectConstant(_ expression: ConstantExpression, _ type: ValueType, globalLimit: Int, _ place: String) throws(ValidationError) {
        let actual = try constantType(expression, globalLimit: globalLimit, place)
        guard actual == type else { throw fail("type mismatch: expected \(type), found \(actual)", place) }
    }

    func validateGlobals() throws(ValidationError) {
        // Global initialisers may only read imported globals (spec §3.4.10, context C').
        for (index, global) in module.globals.enumerated() {
            try expectConstant(global.initializer, global.type.valueType, globalLimit: module.importedGlobalCount,
                               "global \(module.importedGlobalCount + index)")
        }
    }

    func validateSegments() throws(ValidationError) {
        // As for globals, offsets and element expressions may only read imported globals.
        let globalCount = module.importedGlobalCount
        for (index, segment) in module.elements.enumerated() {
            let place = "element segment \(index)"
            if case .active(let table, let offset) = segment.mode {
                guard Int(table) < module.allTables.count else { throw fail("unknown table \(table)", place) }
                try expectConstant(offset, .i32, globalLimit: globalCount, place)
                guard module.allTables[Int(table)].elementType == segment.type else {
                    throw fail("type mismatch: segment of \(segment.type) for a table of \(module.allTables[Int(table)].elementType)", place)
                }
            }
            for initializer in segment.initializers {
                try expectConstant(initializer, segment.type, globalLimit: globalCount, place)
            }
        }
        for (index, segment) in module.data.enumerated() {
            if case .active(let memory, let offset) = segment.mode {
                let place = "data segment \(index)"
                guard Int(memory) < module.allMemories.count else { throw fail("unknown memory \(memory)", place) }
                try expectConstant(offset, .i32, globalLimit: globalCount, place)
            }
        }
    }

    func validateExportsAndStart() throws(ValidationError) {
        // Names are compared as bytes: Swift's String equality would merge canonically
        // equivalent spellings such as "\u{C5}" and "A\u{30A}".
        var names = Set<[UInt8]>()
        for export in module.exports {
            let place = "export \"\(export.name)\""
            guard names.insert(Array(export.name.utf8)).inserted else { throw fail("duplicate export name \"\(export.name)\"", place) }
            let limit: Int
            switch export.kind {
            case .function: limit = module.functionTypes.count
            case .table: limit = module.allTables.count
            case .memory: limit = module.allMemories.count
            case .global: limit = module.allGlobals.count
            }
            guard Int(export.index) < limit else { throw fail("unknown \(export.kind) \(export.index)", place) }
        }
        if let start = module.start {
            guard Int(start) < module.functionTypes.count else { throw fail("unknown function \(start)", "start section") }
            let type = module.functionType(at: start)
            guard type.parameters.isEmpty, type.results.isEmpty else {
                throw fail("start function must have type [] -> [], not \(type)", "start section")
            }
        }
    }
}
