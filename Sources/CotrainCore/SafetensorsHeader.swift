// The safetensors header: parsing and strict validation against the whole input.

/// One tensor as described by a safetensors header.
public struct SafetensorsTensor: Sendable, Equatable {
    /// The tensor's name (any string except `__metadata__`).
    public let name: String
    /// The element type.
    public let dtype: SafetensorsDType
    /// The dimensions; `[]` is a scalar (one element), a 0 anywhere means no elements.
    public let shape: [Int]
    /// The tensor's bytes within the data section (which starts right after the header).
    public let dataOffsets: Range<Int>

    /// Number of elements: the product of `shape`.
    public var elementCount: Int { dataOffsets.count / dtype.byteSize }
}

/// A validated safetensors header.
///
/// Validation is strict and follows the format exactly: 8-byte little-endian header
/// length N ≤ 100 MB; N bytes of JSON whose top level is an object starting with `{`
/// (trailing spaces allowed); each tensor has exactly `dtype`, `shape` and
/// `data_offsets`; byte counts equal dtype size × product(shape) (overflow-checked);
/// sorted by offset the tensors tile the data section from 0 with no gap or overlap;
/// the input is exactly 8 + N + data length bytes; `__metadata__`, if present, maps
/// strings to strings; no key appears twice.
public struct SafetensorsHeader: Sendable, Equatable {
    /// The largest header accepted, as in the reference implementation.
    public static let maxHeaderBytes = 100_000_000

    /// JSON limits for headers: a 100 MB header could otherwise expand to gigabytes of
    /// parsed values; 4 million values is about 400 000 tensors.
    static let jsonLimits = JSONLimits(
        maxInputBytes: maxHeaderBytes, maxDepth: 3, maxStringBytes: maxHeaderBytes, maxValues: 4_000_000)

    /// The tensors, in file order (by data offset; ties between empty tensors by name).
    public let tensors: [SafetensorsTensor]
    /// The `__metadata__` entries (empty if absent).
    public let metadata: [String: String]
    /// Where the data section starts: 8 + header length.
    public let dataStart: Int
    /// Length of the data section in bytes.
    public let dataLength: Int
    private let indexByName: [String: Int]

    /// The tensor called `name`, if any.
    public func tensor(named name: String) -> SafetensorsTensor? {
        indexByName[name].map { tensors[$0] }
    }

    /// Parses and validates the header of a complete safetensors file held in `file`.
    ///
    /// Reads only the first 8 + N bytes; the data section is checked for size, not read.
    public static func parse(_ file: UnsafeRawBufferPointer) throws(SafetensorsError) -> SafetensorsHeader {
        guard file.count >= 8 else { throw .truncated(size: file.count, needed: 8) }
        let declared = UInt64(littleEndian: file.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(maxHeaderBytes) else {
            throw .headerTooLarge(declared: declared, limit: maxHeaderBytes)
        }
        let headerLength = Int(declared)
        guard headerLength <= file.count - 8 else { throw .truncated(size: file.count, needed: 8 + headerLength) }
        let headerBytes = UnsafeRawBufferPointer(rebasing: file[8..<(8 + headerLength)])
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw .invalidHeader("must be a JSON object starting with '{' right after the 8-byte length")
        }
        let json: JSONValue
        do { json = try JSONValue.parse(headerBytes, limits: jsonLimits) } catch { throw .invalidJSON(error) }
        guard case let .object(members) = json else { throw .invalidHeader("top level is not an object") }

        var metadata: [String: String] = [:]
        var tensors: [SafetensorsTensor] = []
        tensors.reserveCapacity(members.count)
        for (name, entry) in members {
            if name == "__metadata__" {
                metadata = try parseMetadata(entry)
            } else {
                tensors.append(try parseTensor(name: name, entry))
            }
        }
        tensors.sort { a, b in
            if a.dataOffsets.lowerBound != b.dataOffsets.lowerBound {
                return a.dataOffsets.lowerBound < b.dataOffsets.lowerBound
            }
            if a.dataOffsets.upperBound != b.dataOffsets.upperBound {
                return a.dataOffsets.upperBound < b.dataOffsets.upperBound
            }
            return a.name.utf8.lexicographicallyPrecedes(b.name.utf8)
        }
        var end = 0
        for tensor in tensors {
            guard tensor.dataOffsets.lowerBound == end else {
                throw .notContiguous(tensor: tensor.name, begin: tensor.dataOffsets.lowerBound, expected: end)
            }
            end = tensor.dataOffsets.upperBound
        }
        let dataStart = 8 + headerLength
        guard file.count - dataStart == end else {
            // end ≤ Int64.max and dataStart ≤ 100_000_008, so the sum cannot overflow.
            throw .sizeMismatch(size: file.count, expected: dataStart + end)
        }
        var index: [String: Int] = [:]
        for (position, tensor) in tensors.enumerated() { index[tensor.name] = position }
        return SafetensorsHeader(
            tensors: tensors, metadata: metadata, dataStart: dataStart, dataLength: end, indexByName: index)
    }

    private static func parseMetadata(_ entry: JSONValue) throws(SafetensorsError) -> [String: String] {
        guard case let .object(members) = entry else { throw .invalidMetadata("must be an object") }
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard case let .string(text) = value else {
                throw .invalidMetadata("value of \"\(key)\" is not a string")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func parseTensor(name: String, _ entry: JSONValue) throws(SafetensorsError) -> SafetensorsTensor {
        guard case let .object(fields) = entry else { throw .invalidTensor(name: name, reason: "entry is not an object") }
        for (key, _) in fields where !["dtype", "shape", "data_offsets"].contains(key) {
            throw .invalidTensor(name: name, reason: "unknown field \"\(key)\"")
        }
        guard case let .string(dtypeName) = entry["dtype"] else {
            throw .invalidTensor(name: name, reason: "\"dtype\" is missing or not a string")
        }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw .unknownDType(tensor: name, dtype: dtypeName)
        }
        guard let shape = nonNegativeInts(entry["shape"]) else {
            throw .invalidTensor(name: name, reason: "\"shape\" is missing or not an array of non-negative integers")
        }
        guard let offsets = nonNegativeInts(entry["data_offsets"]), offsets.count == 2, offsets[0] <= offsets[1] else {
            throw .invalidTensor(name: name, reason: "\"data_offsets\" must be [begin, end] with 0 <= begin <= end")
        }
        guard let expected = dtype.byteCount(shape: shape) else {
            throw .invalidTensor(name: name, reason: "\(dtype.rawValue) × shape \(shape) does not fit in 64 bits")
        }
        guard offsets[1] - offsets[0] == expected else {
            throw .byteCountMismatch(tensor: name, bytes: offsets[1] - offsets[0], expected: expected)
        }
        return SafetensorsTensor(name: name, dtype: dtype, shape: shape, dataOffsets: offsets[0]..<offsets[1])
    }

    /// The elements of a JSON array of integers ≥ 0 that fit Int, or nil.
    private static func nonNegativeInts(_ value: JSONValue?) -> [Int]? {
        guard case let .array(elements)? = value else { return nil }
        var result: [Int] = []
        result.reserveCapacity(elements.count)
        for element in elements {
            guard case let .int(number) = element, number >= 0, let exact = Int(exactly: number) else { return nil }
            result.append(exact)
        }
        return result
    }
}

extension SafetensorsDType {
    /// Size × product(shape), or nil if a dimension is negative or the product overflows.
    func byteCount(shape: [Int]) -> Int? {
        var total = byteSize
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            total = product
        }
        return total
    }
}
