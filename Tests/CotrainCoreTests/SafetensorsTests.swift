import Foundation
import Testing
@testable import CotrainCore

/// A raw safetensors file: length prefix (declared or actual), header text, data.
func safetensorsFile(_ header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> [UInt8] {
    let json = Array(header.utf8)
    var out: [UInt8] = []
    withUnsafeBytes(of: (declaredLength ?? UInt64(json.count)).littleEndian) { out.append(contentsOf: $0) }
    return out + json + data
}

/// A writer holding one tensor of every dtype, plus metadata.
func everyDTypeWriter() throws -> SafetensorsWriter {
    var writer = SafetensorsWriter(metadata: ["format": "pt", "note": "ünïcode \"quoted\""])
    try writer.add("f32", shape: [2, 3], values: [0, -1.5, .pi, .infinity, -0.0, .leastNonzeroMagnitude] as [Float])
    try writer.add("f64", shape: [2], values: [1.0 / 3.0, -1e300])
    try writer.add("f16", shape: [3], floats: [1, 65504, 1e-7], as: .f16)
    try writer.add("bf16", shape: [2], floats: [3.14159, -2], as: .bf16)
    try writer.add("i8", shape: [2], values: [Int8.min, 7])
    try writer.add("u8", shape: [3], values: [0, 128, 255] as [UInt8])
    try writer.add("i16", shape: [1], values: [Int16.min])
    try writer.add("u16", shape: [1], values: [UInt16.max])
    try writer.add("i32", shape: [2, 1], values: [Int32.min, Int32.max])
    try writer.add("u32", shape: [1], values: [UInt32.max])
    try writer.add("i64", shape: [2], values: [Int64.min, 9_007_199_254_740_993])
    try writer.add("u64", shape: [1], values: [UInt64.max])
    try writer.add("bool", dtype: .bool, shape: [3], bytes: [1, 0, 1])
    try writer.add("scalar", shape: [], values: [Float(42)])
    try writer.add("empty", shape: [4, 0], values: [Float]())
    return writer
}

@Suite struct SafetensorsTests {
    @Test func everyDTypeRoundTripsInMemory() throws {
        let file = try SafetensorsFile(bytes: try everyDTypeWriter().bytes())
        #expect(file.metadata == ["format": "pt", "note": "ünïcode \"quoted\""])
        let f32 = try file.values("f32", as: Float.self)
        #expect(f32.map(\.bitPattern) == ([0, -1.5, .pi, .infinity, -0.0, .leastNonzeroMagnitude] as [Float]).map(\.bitPattern))
        #expect(try file.floats("f32") == f32)
        #expect(try file.values("f64", as: Double.self) == [1.0 / 3.0, -1e300])
        #expect(try file.floats("f16") == [1, 65504, HalfFloat.f16.float(HalfFloat.f16.bits(1e-7))])
        #expect(try file.floats("bf16") == [HalfFloat.bf16.float(0x4049), -2])
        #expect(try file.values("i8", as: Int8.self) == [Int8.min, 7])
        #expect(try file.values("u8", as: UInt8.self) == [0, 128, 255])
        #expect(try file.values("i16", as: Int16.self) == [Int16.min])
        #expect(try file.values("u16", as: UInt16.self) == [UInt16.max])
        #expect(try file.values("i32", as: Int32.self) == [Int32.min, Int32.max])
        #expect(try file.values("u32", as: UInt32.self) == [UInt32.max])
        #expect(try file.values("i64", as: Int64.self) == [Int64.min, 9_007_199_254_740_993])
        #expect(try file.values("u64", as: UInt64.self) == [UInt64.max])
        #expect(try file.withBytes(of: file.tensor("bool")) { Array($0) } == [1, 0, 1])
        let scalar = try file.tensor("scalar")
        #expect(scalar.shape == [] && scalar.elementCount == 1)
        #expect(try file.floats("scalar") == [42])
        let empty = try file.tensor("empty")
        #expect(empty.shape == [4, 0] && empty.dataOffsets.isEmpty && empty.elementCount == 0)
        #expect(try file.floats("empty") == [])
    }

    @Test func layoutIsAlignedAndOrderedBySizeThenName() throws {
        let bytes = try everyDTypeWriter().bytes()
        let file = try SafetensorsFile(bytes: bytes)
        #expect(file.header.dataStart % 8 == 0)
        #expect(bytes.count == file.header.dataStart + file.header.dataLength)
        let names = file.tensors.filter { $0.elementCount > 0 }.map(\.name)
        #expect(names == ["f64", "i64", "u64", "f32", "i32", "scalar", "u32", "bf16", "f16", "i16", "u16", "bool", "i8", "u8"])
        for tensor in file.tensors {
            #expect(tensor.dataOffsets.lowerBound % tensor.dtype.byteSize == 0, "\(tensor.name) misaligned")
        }
    }

    @Test func outputIsExactAndDeterministic() throws {
        var first = SafetensorsWriter(metadata: ["k": "v"])
        try first.add("b", shape: [1], values: [UInt8(9)])
        try first.add("a", shape: [2], values: [Float(1), 2])
        var second = SafetensorsWriter()
        try second.add("a", shape: [2], values: [Float(1), 2])
        try second.add("b", shape: [1], values: [UInt8(9)])
        second.metadata = ["k": "v"]
        let bytes = try first.bytes()
        #expect(try second.bytes() == bytes)
        let header = #"{"__metadata__":{"k":"v"},"a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]},"b":{"data_offsets":[8,9],"dtype":"U8","shape":[1]}}"#
        let padded = header + String(repeating: " ", count: (8 - header.utf8.count % 8) % 8)
        #expect(bytes == safetensorsFile(padded, data: [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40, 9]))
    }

    @Test func headerWithoutTensorsOrPaddingIsValid() throws {
        let file = try SafetensorsFile(bytes: safetensorsFile("{}"))
        #expect(file.tensors.isEmpty && file.metadata.isEmpty && file.header.dataLength == 0)
        // Any amount of trailing space padding is accepted.
        let padded = try SafetensorsFile(bytes: safetensorsFile(#"{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}   "#, data: [7]))
        #expect(try padded.values("x", as: UInt8.self) == [7])
    }

    @Test func fileRoundTripUsesAtomicWriteAndMapping() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("model.safetensors")
        let writer = try everyDTypeWriter()
        try writer.write(toFile: path)
        #expect(directory.names() == ["model.safetensors"])
        #expect(try readFile(path, limit: 1 << 20) == writer.bytes())
        let file = try SafetensorsFile.open(path: path)
        #expect(try file.values("i64", as: Int64.self) == [Int64.min, 9_007_199_254_740_993])
        #expect(file.metadata["format"] == "pt")
    }

    @Test func producersStreamInChunksAndAreCounted() throws {
        var writer = SafetensorsWriter()
        let values = (0..<1000).map(Float.init)
        try writer.add("streamed", dtype: .f32, shape: [1000]) { write in
            try values.withUnsafeBytes { raw in
                for start in stride(from: 0, to: raw.count, by: 1000) {
                    try write(UnsafeRawBufferPointer(rebasing: raw[start..<min(raw.count, start + 1000)]))
                }
            }
        }
        #expect(try SafetensorsFile(bytes: writer.bytes()).floats("streamed") == values)

        var short = SafetensorsWriter()
        try short.add("bad", dtype: .f32, shape: [2]) { write in try [UInt8](repeating: 0, count: 4).withUnsafeBytes { try write($0) } }
        #expect(throws: SafetensorsError.producerSizeMismatch(tensor: "bad", wrote: 4, expected: 8)) { try short.bytes() }
        // A failed file write leaves neither the file nor a temp file behind.
        let directory = TemporaryDirectory()
        #expect(throws: SafetensorsError.self) { try short.write(toFile: directory.file("x.safetensors")) }
        #expect(directory.names() == [])
    }

    @Test func writerRejectsBadTensors() throws {
        var writer = SafetensorsWriter()
        try writer.add("a", shape: [1], values: [Float(1)])
        #expect(throws: SafetensorsError.duplicateTensor("a")) { try writer.add("a", shape: [1], values: [Float(1)]) }
        #expect(throws: SafetensorsError.byteCountMismatch(tensor: "b", bytes: 8, expected: 12)) {
            try writer.add("b", shape: [3], values: [Float(1), 2])
        }
        #expect(throws: SafetensorsError.self) { try writer.add("__metadata__", shape: [1], values: [Float(1)]) }
        #expect(throws: SafetensorsError.self) { try writer.add("c", dtype: .u8, shape: [-1], bytes: []) }
        #expect(throws: SafetensorsError.self) { try writer.add("d", dtype: .f64, shape: [1 << 40, 1 << 40], bytes: []) }
    }

    @Test func accessorsCheckNamesAndTypes() throws {
        let file = try SafetensorsFile(bytes: try everyDTypeWriter().bytes())
        #expect(throws: SafetensorsError.tensorNotFound("nope")) { try file.floats("nope") }
        #expect(throws: SafetensorsError.dtypeMismatch(tensor: "i32", dtype: .i32, requested: "F32, F16 or BF16")) {
            try file.floats("i32")
        }
        #expect(throws: SafetensorsError.dtypeMismatch(tensor: "f16", dtype: .f16, requested: "U16")) {
            try file.values("f16", as: UInt16.self)
        }
    }

    @Test func openReportsThePath() throws {
        let directory = TemporaryDirectory()
        let missing = directory.file("missing.safetensors")
        let error = #expect(throws: SafetensorsError.self) { try SafetensorsFile.open(path: missing) }
        #expect(error == .io(SystemError("open", missing, code: ENOENT)))
        let bad = directory.file("bad.safetensors")
        try AtomicFile.write(safetensorsFile("{}", data: [1]), to: bad)
        #expect(throws: SafetensorsError.inFile(path: bad, .sizeMismatch(size: 11, expected: 10))) {
            try SafetensorsFile.open(path: bad)
        }
        let empty = directory.file("empty.safetensors")
        try AtomicFile.write([], to: empty)
        #expect(throws: SafetensorsError.inFile(path: empty, .truncated(size: 0, needed: 8))) { try SafetensorsFile.open(path: empty) }
        #expect(throws: SafetensorsError.inFile(path: directory.path, .notRegularFile)) {
            try SafetensorsFile.open(path: directory.path)
        }
    }

    /// Opening maps the file without reading the data: a 256 MiB sparse tensor stays
    /// out of memory until a caller asks for it.
    @Test func openDoesNotTouchTensorData() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("big.safetensors")
        let count = 64 << 20
        let header = safetensorsFile(#"{"w":{"dtype":"F32","shape":[\#(count)],"data_offsets":[0,\#(4 * count)]}}"#)
        try AtomicFile.write(header, to: path)
        #expect(truncate(path, off_t(header.count + 4 * count)) == 0)
        let file = try SafetensorsFile.open(path: path)
        let tensor = try file.tensor("w")
        let resident = file.withBytes(of: tensor) { raw -> Int in
            let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
            let start = (Int(bitPattern: raw.baseAddress) + pageSize - 1) / pageSize * pageSize
            let pages = (Int(bitPattern: raw.baseAddress) + raw.count - start) / pageSize
            var vector = [UInt8](repeating: 0, count: pages)
            guard mincore(UnsafeMutableRawPointer(bitPattern: start), pages * pageSize, &vector) == 0 else { return -1 }
            return vector.filter { $0 & 1 != 0 }.count
        }
        #expect(resident == 0)
    }

    private static let tensorA = #""a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}"#

    @Test(arguments: [
        (safetensorsFile("{}", declaredLength: 1 << 63), SafetensorsError.headerTooLarge(declared: 1 << 63, limit: 100_000_000)),
        (safetensorsFile("{}", declaredLength: 100_000_001), .headerTooLarge(declared: 100_000_001, limit: 100_000_000)),
        (safetensorsFile("{}", declaredLength: 3), .truncated(size: 10, needed: 11)),
        ([1, 2, 3], .truncated(size: 3, needed: 8)),
        (safetensorsFile(""), .invalidHeader("must be a JSON object starting with '{' right after the 8-byte length")),
        (safetensorsFile(" {}"), .invalidHeader("must be a JSON object starting with '{' right after the 8-byte length")),
        (safetensorsFile("{"), .invalidJSON(.unexpectedEnd(expected: "a key or '}'"))),
        (safetensorsFile("{}x"), .invalidJSON(.trailingData(offset: 2))),
        (safetensorsFile("{} \u{0}"), .invalidJSON(.trailingData(offset: 3))),
        (safetensorsFile("{\(tensorA),\(tensorA)}", data: [0, 0, 0, 0]), .invalidJSON(.duplicateKey("a", offset: 54))),
        (safetensorsFile(#"{"a":{"dtype":"F32","shape":[[1]],"data_offsets":[0,4]}}"#), .invalidJSON(.tooDeep(offset: 29, limit: 3))),
        (safetensorsFile(#"{"a":[]}"#), .invalidTensor(name: "a", reason: "entry is not an object")),
        (safetensorsFile(#"{"a":{"dtype":"F32","shape":[1]}}"#),
            .invalidTensor(name: "a", reason: "\"data_offsets\" must be [begin, end] with 0 <= begin <= end")),
        (safetensorsFile(#"{"a":{"dtype":"F33","shape":[1],"data_offsets":[0,4]}}"#), .unknownDType(tensor: "a", dtype: "F33")),
        (safetensorsFile(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#),
            .invalidTensor(name: "a", reason: "\"shape\" is missing or not an array of non-negative integers")),
        (safetensorsFile(#"{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}"#),
            .invalidTensor(name: "a", reason: "\"shape\" is missing or not an array of non-negative integers")),
        (safetensorsFile(#"{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,0]}}"#),
            .invalidTensor(name: "a", reason: "F32 × shape [4611686018427387904, 4] does not fit in 64 bits")),
        (safetensorsFile(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}"#),
            .invalidTensor(name: "a", reason: "\"data_offsets\" must be [begin, end] with 0 <= begin <= end")),
        (safetensorsFile(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}"#),
            .invalidTensor(name: "a", reason: "\"data_offsets\" must be [begin, end] with 0 <= begin <= end")),
        (safetensorsFile(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}"#),
            .invalidTensor(name: "a", reason: "\"data_offsets\" must be [begin, end] with 0 <= begin <= end")),
        (safetensorsFile(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551615]}}"#),
            .invalidTensor(name: "a", reason: "\"data_offsets\" must be [begin, end] with 0 <= begin <= end")),
        (safetensorsFile(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0]),
            .byteCountMismatch(tensor: "a", bytes: 4, expected: 8)),
        (safetensorsFile(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}"#),
            .invalidTensor(name: "a", reason: "unknown field \"x\"")),
        (safetensorsFile(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#, data: [UInt8](repeating: 0, count: 8)),
            .notContiguous(tensor: "a", begin: 4, expected: 0)),
        (safetensorsFile(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
            data: [UInt8](repeating: 0, count: 12)), .notContiguous(tensor: "b", begin: 8, expected: 4)),
        (safetensorsFile(#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
            data: [UInt8](repeating: 0, count: 12)), .notContiguous(tensor: "b", begin: 4, expected: 8)),
        (safetensorsFile("{\(tensorA)}", data: [0, 0, 0]), .sizeMismatch(size: 65, expected: 66)),
        (safetensorsFile("{\(tensorA)}", data: [0, 0, 0, 0, 0]), .sizeMismatch(size: 67, expected: 66)),
        (safetensorsFile(#"{"__metadata__":{"k":1}}"#), .invalidMetadata("value of \"k\" is not a string")),
        (safetensorsFile(#"{"__metadata__":"k"}"#), .invalidMetadata("must be an object")),
        (safetensorsFile(#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#, declaredLength: 20),
            .invalidJSON(.unexpectedEnd(expected: "a string key"))),
    ] as [([UInt8], SafetensorsError)])
    func rejectsHostileFiles(bytes: [UInt8], expected: SafetensorsError) {
        #expect(throws: expected) { try SafetensorsFile(bytes: bytes) }
    }

    @Test func errorsNameTheTensorAndTheProblem() {
        let gap = SafetensorsError.notContiguous(tensor: "shared.w", begin: 8, expected: 4)
        #expect(gap.description.contains("\"shared.w\"") && gap.description.contains("gap"))
        let wrapped = SafetensorsError.inFile(path: "/x/m.safetensors", .headerTooLarge(declared: 1 << 40, limit: 100_000_000))
        #expect(wrapped.description.hasPrefix("/x/m.safetensors: safetensors header length 1099511627776"))
    }
}
