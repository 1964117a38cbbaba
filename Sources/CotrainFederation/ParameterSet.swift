// Named float32 tensors, sorted by name, stored back to back in one flat buffer.
import CotrainCore
import Foundation

/// A set of named float32 tensors: a checkpoint, a round base, or a delta.
///
/// Tensors are sorted by name (UTF-8 byte order) and stored contiguously in that
/// order, so sets with equal ``schema`` have the same flat layout. A value type:
/// copies share the immutable storage.
public struct ParameterSet: Sendable {
    /// Names and shapes, in storage order.
    public let schema: ParameterSchema
    let storage: ParameterStorage

    /// A set built from (name, shape, values) triples in any order.
    public init(_ tensors: [(name: String, shape: [Int], values: [Float])]) throws(ParameterError) {
        let schema = try ParameterSchema(tensors.map { ($0.name, $0.shape) })
        var byName: [String: [Float]] = [:]
        for tensor in tensors { byName[tensor.name] = tensor.values }
        for spec in schema.specs where byName[spec.name]!.count != spec.count {
            throw .countMismatch(name: spec.name, count: byName[spec.name]!.count, expected: spec.count)
        }
        self = ParameterSet.build(schema: schema) { flat in
            for spec in schema.specs {
                byName[spec.name]!.withUnsafeBufferPointer { source in
                    _ = UnsafeMutableBufferPointer(rebasing: flat[spec.offset..<(spec.offset + spec.count)]).initialize(from: source)
                }
            }
        }
    }

    init(schema: ParameterSchema, storage: ParameterStorage) {
        self.schema = schema
        self.storage = storage
    }

    /// A set with `schema` whose flat values `fill` writes (they start as zeros).
    /// The buffer is valid only during the call; this is the one place storage is written.
    public static func build(schema: ParameterSchema, _ fill: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows -> ParameterSet {
        let storage = ParameterStorage(count: schema.elementCount)
        try fill(storage.mutableBuffer)
        return ParameterSet(schema: schema, storage: storage)
    }

    /// A set of zeros with `schema`.
    public static func zeros(_ schema: ParameterSchema) -> ParameterSet {
        build(schema: schema) { _ in }
    }

    /// The total number of elements.
    public var elementCount: Int { schema.elementCount }

    /// The names, in order.
    public var names: [String] { schema.names }

    /// Calls `body` with all values, tensor after tensor in name order.
    public func withFlatValues<R, E: Error>(_ body: (UnsafeBufferPointer<Float>) throws(E) -> R) throws(E) -> R {
        try withExtendedLifetime(storage) { () throws(E) -> R in try body(storage.buffer) }
    }

    /// Calls `body` with tensor `name`'s values, or returns nil if there is no such tensor.
    public func withValues<R>(_ name: String, _ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R? {
        guard let spec = schema.spec(named: name) else { return nil }
        return try withExtendedLifetime(storage) {
            try body(UnsafeBufferPointer(rebasing: storage.buffer[spec.offset..<(spec.offset + spec.count)]))
        }
    }

    /// A copy of tensor `name`'s values, or nil.
    public func values(_ name: String) -> [Float]? {
        withValues(name) { Array($0) }
    }

    /// The tensors whose names satisfy `include` (copied).
    public func filtered(_ include: (String) -> Bool) -> ParameterSet {
        let sub = schema.filtered(include)
        return ParameterSet.build(schema: sub) { flat in
            for spec in sub.specs {
                let source = schema.spec(named: spec.name)!
                withExtendedLifetime(storage) {
                    flat.baseAddress!.advanced(by: spec.offset).update(from: storage.base.advanced(by: source.offset), count: spec.count)
                }
            }
        }
    }

    /// The tensors whose names start with one of `prefixes`, e.g. ``ParameterScope/sharedPrefix``.
    public func filtered(prefixes: [String]) -> ParameterSet {
        filtered { name in prefixes.contains { name.hasPrefix($0) } }
    }

    /// This set with every tensor of `replacement` put in place of the same-named one
    /// (e.g. a new round base into a full checkpoint). Names and shapes must exist here.
    public func replacing(with replacement: ParameterSet) throws(ParameterError) -> ParameterSet {
        for spec in replacement.schema.specs {
            guard let own = schema.spec(named: spec.name) else { throw .schemaMismatch("\"\(spec.name)\" is not in the target set") }
            guard own.shape == spec.shape else {
                throw .schemaMismatch("\"\(spec.name)\" has shape \(spec.shape), target has \(own.shape)")
            }
        }
        return ParameterSet.build(schema: schema) { flat in
            withExtendedLifetime((storage, replacement.storage)) {
                flat.baseAddress!.update(from: storage.base, count: schema.elementCount)
                for spec in replacement.schema.specs {
                    let target = schema.spec(named: spec.name)!
                    flat.baseAddress!.advanced(by: target.offset)
                        .update(from: replacement.storage.base.advanced(by: spec.offset), count: spec.count)
                }
            }
        }
    }

    /// Whether both sets have the same schema and bit-identical values.
    public func isBitIdentical(to other: ParameterSet) -> Bool {
        guard schema == other.schema else { return false }
        return withExtendedLifetime((storage, other.storage)) {
            memcmp(storage.base, other.storage.base, schema.elementCount * 4) == 0
        }
    }
}
