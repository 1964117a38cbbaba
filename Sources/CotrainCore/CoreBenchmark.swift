// `cotrain bench core`: throughput of the base layer's hot paths on model-like data,
// beside reference figures measured in the same run.
import Foundation

/// Figures from one run of the core benchmark. MB = 10^6 bytes.
public struct CoreBenchReport: Sendable {
    public var dataMB: Double = 0
    public var sha256MBps: Double = 0
    /// `openssl speed -evp sha256` (16 KiB blocks) on this machine, if installed.
    public var sha256ReferenceMBps: Double?
    public var zstdLevel = Zstd.defaultLevel
    public var zstdRatio: Double = 0
    public var zstdCompressMBps: Double = 0
    public var zstdDecompressMBps: Double = 0
    /// `zstd -b3` on the same data, if the zstd tool is installed.
    public var zstdReferenceCompressMBps: Double?
    public var zstdReferenceDecompressMBps: Double?
    public var safetensorsFileMB: Double = 0
    /// Write of the whole file, including fsync and rename (so: disk-bound).
    public var safetensorsWriteMBps: Double = 0
    /// Open (mmap), validate the header, and copy every tensor out as [Float].
    public var safetensorsReadMBps: Double = 0
    /// A plain `read(2)` of the same file into one buffer (the memory-copy ceiling).
    public var plainReadMBps: Double = 0

    /// The figures as one JSON object (the keys `cotrain bench core --json` prints).
    public var json: JSONValue {
        func number(_ v: Double?) -> JSONValue { v.map { .double(($0 * 10).rounded() / 10) } ?? .null }
        return .object([
            ("data_MB", number(dataMB)),
            ("sha256_MBps", number(sha256MBps)),
            ("sha256_reference_openssl_speed_MBps", number(sha256ReferenceMBps)),
            ("zstd_level", .int(Int64(zstdLevel))),
            ("zstd_ratio", .double((zstdRatio * 1000).rounded() / 1000)),
            ("zstd_compress_MBps", number(zstdCompressMBps)),
            ("zstd_decompress_MBps", number(zstdDecompressMBps)),
            ("zstd_reference_compress_MBps", number(zstdReferenceCompressMBps)),
            ("zstd_reference_decompress_MBps", number(zstdReferenceDecompressMBps)),
            ("safetensors_file_MB", number(safetensorsFileMB)),
            ("safetensors_write_MBps", number(safetensorsWriteMBps)),
            ("safetensors_read_MBps", number(safetensorsReadMBps)),
            ("plain_read_MBps", number(plainReadMBps)),
        ])
    }
}

/// The core benchmark.
public enum CoreBenchmark {
    /// Runs every measurement. `progress` receives a short line before each step.
    /// - Parameters:
    ///   - dataMB: size of the float data hashed and compressed (the figure: 64).
    ///   - fileMB: size of the safetensors file written and read (256).
    ///   - directory: where the temporary files go (removed afterwards).
    public static func run(
        dataMB: Int = 64, fileMB: Int = 256, directory: String, progress: (String) -> Void = { _ in }
    ) throws -> CoreBenchReport {
        var report = CoreBenchReport()
        let data = modelLikeFloats(count: dataMB * 1_000_000 / 4)
        let bytes = data.withUnsafeBytes { Array($0) }
        let megabytes = Double(bytes.count) / 1e6
        report.dataMB = megabytes

        progress("SHA-256 over \(Int(megabytes)) MB")
        report.sha256MBps = megabytes / (try best(of: 3) { _ = try SHA256.hash(bytes) })
        report.sha256ReferenceMBps = opensslSpeedSHA256()

        progress("zstd level \(Zstd.defaultLevel) compress/decompress")
        // Into reused buffers, as a hot path runs: no allocation or zero-fill timed.
        let compressor = try ZstdCompressor(level: Zstd.defaultLevel)
        let packedBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Zstd.compressBound(bytes.count), alignment: 64)
        let unpackedBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 64)
        defer { packedBuffer.deallocate(); unpackedBuffer.deallocate() }
        var packedCount = 0
        report.zstdCompressMBps = megabytes / (try best(of: 2) {
            packedCount = try bytes.withUnsafeBytes { try compressor.compress($0, into: packedBuffer) }
        })
        report.zstdRatio = Double(bytes.count) / Double(max(packedCount, 1))
        let decompressor = try ZstdDecompressor(limit: bytes.count)
        let packed = UnsafeRawBufferPointer(rebasing: packedBuffer[..<packedCount])
        var unpackedCount = 0
        report.zstdDecompressMBps = megabytes / (try best(of: 3) {
            unpackedCount = try decompressor.decompress(packed, into: unpackedBuffer)
        })
        guard unpackedCount == bytes.count, bytes.withUnsafeBytes({ memcmp($0.baseAddress!, unpackedBuffer.baseAddress!, bytes.count) == 0 })
        else { throw SelfCheck.CheckFailed(description: "zstd round trip changed the data") }
        let rawPath = "\(directory)/bench-floats.bin"
        try AtomicFile.write(bytes, to: rawPath)
        (report.zstdReferenceCompressMBps, report.zstdReferenceDecompressMBps) = zstdToolBenchmark(file: rawPath)
        unlink(rawPath)

        progress("safetensors write/read of a \(fileMB) MB file")
        let path = "\(directory)/bench.safetensors"
        defer { unlink(path) }
        let tensorCount = max(1, fileMB * 1_000_000 / (1024 * 1024 * 4))
        var writer = SafetensorsWriter(metadata: ["bench": "core"])
        let tensor = modelLikeFloats(count: 1024 * 1024)
        for index in 0..<tensorCount {
            try writer.add("shared.trunk.\(index).weight", shape: [1024, 1024], values: tensor)
        }
        let writeSeconds = try best(of: 1) { try writer.write(toFile: path) }
        let fileBytes = Double(try FileDescriptor(path: path, flags: O_RDONLY).status().st_size)
        report.safetensorsFileMB = fileBytes / 1e6
        report.safetensorsWriteMBps = fileBytes / 1e6 / writeSeconds
        // Reference: read(2) of the same file into one preallocated, already-touched
        // buffer — the kernel's page-cache copy, the ceiling for a copying reader.
        let plain = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(fileBytes), alignment: 64)
        defer { plain.deallocate() }
        memset(plain.baseAddress!, 0, plain.count)
        report.plainReadMBps = fileBytes / 1e6 / (try best(of: 3) {
            let fd = try FileDescriptor(path: path, flags: O_RDONLY)
            var filled = 0
            while filled < plain.count {
                let n = try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: plain[filled...]))
                if n == 0 { break }
                filled += n
            }
        })
        // Ours: open (mmap), validate the header, copy every tensor out as [Float].
        // The checksum consumes every copy so the optimiser cannot drop one.
        var checksum: Float = 0
        report.safetensorsReadMBps = fileBytes / 1e6 / (try best(of: 3) {
            let file = try SafetensorsFile.open(path: path)
            for entry in file.tensors {
                let values = try file.floats(entry.name)
                checksum += values[values.count / 2] + values[values.count - 1]
            }
        })
        guard checksum.isFinite else { throw SelfCheck.CheckFailed(description: "safetensors read returned non-finite values") }
        return report
    }

    /// Gaussian floats with σ = 0.02, like initialised weights or small deltas
    /// (deterministic; SplitMix64 + Box–Muller).
    static func modelLikeFloats(count: Int) -> [Float] {
        var state: UInt64 = 0x5EED
        func next() -> Double {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Double((z ^ (z >> 31)) >> 11) * 0x1p-53
        }
        return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            var i = 0
            while i < count {
                let r = (-2 * log(max(next(), 1e-300))).squareRoot(), theta = 2 * Double.pi * next()
                buffer[i] = Float(0.02 * r * cos(theta))
                if i + 1 < count { buffer[i + 1] = Float(0.02 * r * sin(theta)) }
                i += 2
            }
            initialized = count
        }
    }

    /// The fastest of `runs` timings of `body`, in seconds.
    static func best(of runs: Int, _ body: () throws -> Void) throws -> Double {
        var fastest = Double.infinity
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return max(fastest, 1e-9)
    }

    /// `openssl speed -evp sha256 -bytes 16384`, in MB/s.
    static func opensslSpeedSHA256() -> Double? { opensslSpeed(evp: "sha256", bytes: 16384) }

    /// `openssl speed -evp ALGORITHM -bytes N -seconds 2` on one core, in MB/s (it
    /// prints 1000s of bytes/s in the last column of the line naming the algorithm).
    public static func opensslSpeed(evp algorithm: String, bytes: Int) -> Double? {
        guard let tool = ExternalTool.find("openssl"),
            let text = ExternalTool.output(tool, ["speed", "-evp", algorithm, "-bytes", String(bytes), "-seconds", "2"])
        else { return nil }
        guard let line = text.split(separator: "\n").last(where: { $0.lowercased().hasPrefix(algorithm.lowercased()) }),
            let field = line.split(separator: " ").last, field.hasSuffix("k"),
            let kilobytes = Double(field.dropLast())
        else { return nil }
        return kilobytes / 1000
    }

    /// `zstd -b3 -i2 FILE` → (compress, decompress) MB/s from its last progress line.
    static func zstdToolBenchmark(file: String) -> (Double?, Double?) {
        guard let tool = ExternalTool.find("zstd"),
            let text = ExternalTool.output(tool, ["-b\(Zstd.defaultLevel)", "-i2", file])
        else { return (nil, nil) }
        // The tool redraws its line with \r; the last segment that carries both speeds
        // ("… (x1.080),  326.4 MB/s,  963.5 MB/s") is the final result.
        let segments = text.split(whereSeparator: { $0 == "\r" || $0 == "\n" })
        guard let last = segments.last(where: { $0.split(separator: "MB/s", omittingEmptySubsequences: false).count == 3 })
        else { return (nil, nil) }
        let speeds = last.split(separator: ",").compactMap { part -> Double? in
            let words = part.split(separator: " ")
            guard words.count == 2, words[1] == "MB/s" else { return nil }
            return Double(words[0])
        }
        guard speeds.count == 2 else { return (nil, nil) }
        return (speeds[0], speeds[1])
    }
}
