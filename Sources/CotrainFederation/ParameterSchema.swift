// The names and shapes of a parameter set, in canonical order, and its schema hash.
import CotrainCore

/// One tensor's place in a parameter set: name, shape, and its span in the flat storage.
public struct ParameterSpec: Hashable, Sendable {
    /// The tensor name, e.g. `shared.trunk.0.attn.wq`.
    public let name: String
    /// The shape (row-major; empty for a scalar).
    public let shape: [Int]
    /// Where the tensor starts in the set's flat storage (in elements).
    public let offset: Int
    /// The number of elements, the product of `shape`.
    public var count: Int { shape.reduce(1, *) }
}

/// Names and shapes of a parameter set, sorted by name (UTF-8 byte order).
///
/// Tensors are laid out back to back in that order, so two sets with equal schemas
/// have the same flat layout: kernels can treat them as plain float vectors.
public struct ParameterSchema: Hashable, Sendable {
    /// The tensors, sorted by name.
    public let specs: [ParameterSpec]
    /// The total number of elements.
    public let elementCount: Int

    /// A schema from (name, shape) pairs in any order.
    public init(_ tensors: [(name: String, shape: [Int])]) throws(ParameterError) {
        let sorted = tensors.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        var specs: [ParameterSpec] = []
        specs.reserveCapacity(sorted.count)
        var offset = 0
        for (index, tensor) in sorted.enumerated() {
            try Self.validate(name: tensor.name)
            if index > 0, sorted[index - 1].name == tensor.name { throw .duplicateName(tensor.name) }
            var count = 1
            for dim in tensor.shape {
                let (product, overflow) = count.multipliedReportingOverflow(by: dim)
                guard dim >= 0, !overflow else { throw .invalidShape(name: tensor.name, shape: tensor.shape) }
                count = product
            }
            let (end, overflow) = offset.addingReportingOverflow(count)
            guard !overflow, end <= 1 << 40 else { throw .invalidShape(name: tensor.name, shape: tensor.shape) }
            specs.append(ParameterSpec(name: tensor.name, shape: tensor.shape, offset: offset))
            offset = end
        }
        self.specs = specs
        self.elementCount = offset
    }

    /// Checks a tensor name: 1–256 characters from `A-Z a-z 0-9 . _ -`.
    public static func validate(name: String) throws(ParameterError) {
        let ok = (1...256).contains(name.utf8.count) && name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
        }
        guard ok else { throw .invalidName(name) }
    }

    /// The spec named `name`, if present (binary search).
    public func spec(named name: String) -> ParameterSpec? {
        var low = 0
        var high = specs.count
        while low < high {
            let mid = (low + high) / 2
            if specs[mid].name == name { return specs[mid] }
            if specs[mid].name.utf8.lexicographicallyPrecedes(name.utf8) { low = mid + 1 } else { high = mid }
        }
        return nil
    }

    /// The names, in order.
    public var names: [String] { specs.map(\.name) }

    /// The schema of the tensors whose names satisfy `include`.
    public func filtered(_ include: (String) -> Bool) -> ParameterSchema {
        // Names were valid and unique, so this cannot throw.
        try! ParameterSchema(specs.filter { include($0.name) }.map { ($0.name, $0.shape) })
    }

    /// SHA-256 over the canonical schema encoding (see docs/aggregation.md):
    ///
    ///     "cotrain-schema-v1" 0x00 || u64 count || per tensor: u64 len, name, u64 rank, u64 dims…
    ///
    /// All integers little-endian, tensors in name order.
    public var hash: SHA256Digest {
        let hasher = try! SHA256Hasher()  // only fails if OpenSSL lacks SHA-256
        hasher.update(encoded(prefix: "cotrain-schema-v1"))
        return try! hasher.finalize()
    }

    /// The canonical header bytes shared by the schema and content hashes.
    func encoded(prefix: String) -> [UInt8] {
        var bytes = Array(prefix.utf8)
        bytes.append(0)
        func u64(_ value: Int) { withUnsafeBytes(of: UInt64(value).littleEndian) { bytes.append(contentsOf: $0) } }
        u64(specs.count)
        for spec in specs {
            u64(spec.name.utf8.count)
            bytes.append(contentsOf: spec.name.utf8)
            u64(spec.shape.count)
            for dim in spec.shape { u64(dim) }
        }
        return bytes
    }
}

/// Name prefixes that decide what is federated with whom (ARCHITECTURE.md, "Parameters").
public enum ParameterScope {
    /// Tensors federated across all labs.
    public static let sharedPrefix = "shared."

    /// The prefix of tensors federated among labs with embodiment `name`.
    public static func embodimentPrefix(_ name: String) -> String { "embodiment.\(name)." }

    /// Whether `embodiment` is a valid embodiment name: 1–64 characters from `a-z 0-9 _ -`.
    public static func isValidEmbodiment(_ embodiment: String) -> Bool {
        (1...64).contains(embodiment.utf8.count) && embodiment.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
        }
    }
}
