import Foundation
import Testing
@testable import CotrainCore

/// Runs the Python interoperability scripts in `Tests/interop`.
///
/// When python3 or a module is missing the tests are skipped with a note, unless
/// `COTRAIN_INTEROP=required` (CI), where they fail and say what to install.
enum Interop {
    static let required = ProcessInfo.processInfo.environment["COTRAIN_INTEROP"] == "required"
    static let hasPython = run(["-c", "import tarfile"]).status == 0
    static let hasSafetensors = run(["-c", "import safetensors, numpy"]).status == 0

    /// `Tests/interop/NAME`, found from this source file's location.
    static func script(_ name: String) -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("interop").appendingPathComponent(name).path
    }

    /// Runs python3 with `arguments`; returns its status and combined output.
    static func run(_ arguments: [String]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return (-1, "cannot run python3: \(error)") }
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// Runs a script and records an issue (with its output) if it fails.
    static func check(_ script: String, _ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) {
        let result = run([Self.script(script)] + arguments)
        if result.status != 0 {
            Issue.record("\(script) \(arguments.joined(separator: " ")) failed (\(result.status)):\n\(result.output)",
                sourceLocation: sourceLocation)
        }
    }

    /// False (after recording an issue) when a required Python setup is missing.
    static func ready(safetensors: Bool, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        if hasPython && (!safetensors || hasSafetensors) { return true }
        let missing = safetensors ? "python3 with safetensors and numpy" : "python3"
        Issue.record("COTRAIN_INTEROP=required but \(missing) is missing: install python3 and run `pip install safetensors numpy`",
            sourceLocation: sourceLocation)
        return false
    }

    static let safetensorsTrait = Testing.ConditionTrait.enabled(
        if: hasSafetensors || required,
        "python3 with safetensors and numpy not found (pip install safetensors numpy); set COTRAIN_INTEROP=required to fail instead")
}

@Suite struct SafetensorsInteropTests {
    static let floatSources: [Float] = [
        0, -0.0, 1, -1.5, 65504, 65520, 1e-8, 6e-5, .pi, .infinity, -.infinity, .nan, 0.1, 3.4e38, -.leastNonzeroMagnitude,
    ]

    /// Writes `writer` to `path` and its expected contents (source values per tensor)
    /// to `path.json` for safetensors_check.py.
    private func writeWithSpec(_ writer: SafetensorsWriter, _ sources: [String: (SafetensorsDType, [Int], [Int64])], to path: String) throws {
        try writer.write(toFile: path)
        let tensors = sources.map { name, entry in
            (name, JSONValue.object([
                ("dtype", .string(entry.0.rawValue)), ("shape", .array(entry.1.map { .int(Int64($0)) })),
                ("values", .array(entry.2.map { .int($0) })),
            ]))
        }
        let spec: JSONValue = [
            "metadata": .object(writer.metadata.map { ($0.key, .string($0.value)) }), "tensors": .object(tensors),
        ]
        try AtomicFile.write(spec.canonicalBytes, to: path + ".json")
    }

    @Test(Interop.safetensorsTrait) func pythonReadsEveryDTypeWeWrite() throws {
        guard Interop.ready(safetensors: true) else { return }
        let directory = TemporaryDirectory()
        let floatBits = Self.floatSources.map { Int64($0.bitPattern) }
        let count = Self.floatSources.count
        var writer = SafetensorsWriter(metadata: ["format": "np", "ünïcode": "välue \"q\"\n"])
        var sources: [String: (SafetensorsDType, [Int], [Int64])] = [:]
        try writer.add("shared.f32", shape: [3, 5], values: Self.floatSources)
        sources["shared.f32"] = (.f32, [3, 5], floatBits)
        try writer.add("f16", shape: [count], floats: Self.floatSources, as: .f16)
        sources["f16"] = (.f16, [count], floatBits)
        let doubles: [Double] = [1.0 / 3.0, -1e300, .infinity, .leastNonzeroMagnitude]
        try writer.add("f64", shape: [2, 2], values: doubles)
        sources["f64"] = (.f64, [2, 2], doubles.map { Int64(bitPattern: $0.bitPattern) })
        func add<T: SafetensorsScalar & FixedWidthInteger>(_ name: String, _ values: [T]) throws {
            try writer.add(name, shape: [values.count], values: values)
            sources[name] = (T.safetensorsDType, [values.count], values.map { Int64(truncatingIfNeeded: $0) })
        }
        try add("i8", [Int8.min, -1, 0, .max])
        try add("u8", [UInt8](0...255))
        try add("i16", [Int16.min, .max])
        try add("u16", [UInt16.min, .max])
        try add("i32", [Int32.min, .max])
        try add("u32", [UInt32.max])
        try add("i64", [Int64.min, 9_007_199_254_740_993, .max])
        try add("u64", [UInt64.max, 1])  // the spec carries u64 as its Int64 bit pattern
        try writer.add("bool", dtype: .bool, shape: [3], bytes: [1, 0, 1])
        sources["bool"] = (.bool, [3], [1, 0, 1])
        try writer.add("scalar", shape: [], values: [Float(2.5)])
        sources["scalar"] = (.f32, [], [Int64(Float(2.5).bitPattern)])
        try writer.add("empty", shape: [3, 0], values: [Int32]())
        sources["empty"] = (.i32, [3, 0], [])
        let path = directory.file("numpy.safetensors")
        try writeWithSpec(writer, sources, to: path)
        Interop.check("safetensors_check.py", "read", path)

        // BF16 (NumPy has no bfloat16): checked through the Rust deserializer's raw bytes.
        var bf16 = SafetensorsWriter(metadata: ["kind": "bf16"])
        try bf16.add("w", shape: [count], floats: Self.floatSources, as: .bf16)
        try bf16.add("x", shape: [1], values: [Float(1)])
        let bf16Path = directory.file("bf16.safetensors")
        try writeWithSpec(bf16, ["w": (.bf16, [count], floatBits), "x": (.f32, [1], [Int64(Float(1).bitPattern)])], to: bf16Path)
        Interop.check("safetensors_check.py", "read", bf16Path)
    }

    @Test(Interop.safetensorsTrait, arguments: ["write", "write-bf16"])
    func weReadWhatPythonWrites(mode: String) throws {
        guard Interop.ready(safetensors: true) else { return }
        let directory = TemporaryDirectory()
        let path = directory.file("python.safetensors")
        Interop.check("safetensors_check.py", mode, path)
        let file = try SafetensorsFile.open(path: path)
        let spec = try JSONValue.parse(readFile(path + ".json", limit: 1 << 20))
        let metadata = spec["metadata"]?.object?.map { ($0.0, $0.1.string ?? "?") } ?? []
        #expect(file.metadata == Dictionary(uniqueKeysWithValues: metadata))
        let tensors = try #require(spec["tensors"]?.object)
        #expect(Set(file.tensors.map(\.name)) == Set(tensors.map(\.0)))
        for (name, expected) in tensors {
            let tensor = try file.tensor(name)
            #expect(tensor.dtype.rawValue == expected["dtype"]?.string, "\(name)")
            #expect(tensor.shape == expected["shape"]?.array?.compactMap(\.int), "\(name)")
            #expect(file.withBytes(of: tensor) { Hex.encode($0) } == expected["hex"]?.string, "\(name)")
            if let bits = expected["f32"]?.array {
                #expect(try file.floats(name).map { Int64($0.bitPattern) } == bits.compactMap(\.int64), "\(name)")
            }
        }
    }
}
