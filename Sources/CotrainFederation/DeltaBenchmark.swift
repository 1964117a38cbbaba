// `cotrain bench federation`: codec throughput, wire size and error per codec, and
// aggregation time per rule, on model-sized Gaussian deltas.
import CotrainCore
import Foundation

/// Figures for one codec. MB = 10^6 bytes of float32 delta.
public struct DeltaCodecFigures: Sendable {
    /// The codec name (`int8/64`, `fp16`, …).
    public var codec: String
    /// Encode throughput: delta − quantise − safetensors − zstd − sign.
    public var encodeMBps: Double
    /// Decode throughput: parse − verify signature − decompress − decode.
    public var decodeMBps: Double
    /// Envelope bytes on the wire.
    public var wireBytes: Int
    /// Raw float32 bytes of the same delta.
    public var fp32Bytes: Int
    /// ‖decoded − delta‖ / ‖delta‖.
    public var relativeError: Double
    /// fp32 bytes / wire bytes.
    public var sizeRatio: Double { Double(fp32Bytes) / Double(wireBytes) }
}

/// Figures from one run of the federation benchmark.
public struct FederationBenchReport: Sendable {
    /// Parameters per delta.
    public var parameters = 0
    /// Deltas aggregated.
    public var deltas = 0
    /// Threads used by the aggregation kernels.
    public var threads = 0
    /// Per codec.
    public var codecs: [DeltaCodecFigures] = []
    /// Seconds per aggregation rule (`fedavg`, `fedavg_clipped`, `median`, `trimmed_mean`).
    public var aggregationSeconds: [(rule: String, seconds: Double)] = []

    /// The figures as one JSON object: `<codec>_encode_MBps`, `<codec>_decode_MBps`,
    /// `<codec>_wire_bytes`, `<codec>_size_ratio`, `<codec>_rel_error` per codec, and
    /// `<rule>_<deltas>x<M>M_s` per rule (e.g. `int8_size_ratio`, `fedavg_16x10M_s`).
    public var json: JSONValue {
        func round(_ v: Double, _ digits: Double) -> JSONValue { .double((v * digits).rounded() / digits) }
        var members: [(String, JSONValue)] = [
            ("parameters", .int(Int64(parameters))), ("deltas", .int(Int64(deltas))), ("threads", .int(Int64(threads))),
            ("fp32_bytes", .int(Int64(parameters * 4))),
        ]
        for c in codecs {
            let key = c.codec.split(separator: "/").first.map(String.init) ?? c.codec
            members += [
                ("\(key)_encode_MBps", round(c.encodeMBps, 10)), ("\(key)_decode_MBps", round(c.decodeMBps, 10)),
                ("\(key)_wire_bytes", .int(Int64(c.wireBytes))), ("\(key)_size_ratio", round(c.sizeRatio, 1000)),
                ("\(key)_rel_error", .double(Double(String(format: "%.3g", c.relativeError)) ?? c.relativeError)),
            ]
        }
        let size = parameters % 1_000_000 == 0 ? "\(parameters / 1_000_000)M" : "\(parameters)"
        for (rule, seconds) in aggregationSeconds { members.append(("\(rule)_\(deltas)x\(size)_s", round(seconds, 10_000))) }
        return .object(members)
    }
}

/// The federation benchmark.
public enum FederationBenchmark {
    /// Runs every measurement on `parameters`-element deltas (`deltas` of them for
    /// aggregation; the figures: 10M and 16). `progress` gets a line per step.
    public static func run(
        parameters: Int = 10_000_000, deltas: Int = 16, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        progress: (String) -> Void = { _ in }
    ) throws -> FederationBenchReport {
        var report = FederationBenchReport()
        report.parameters = parameters
        report.deltas = deltas
        report.threads = threads
        let schema = try ParameterSchema(benchTensors(parameters))
        progress("generating \(parameters) Gaussian parameters")
        let delta = gaussianSet(schema, seed: 1, sigma: 1e-3)
        let key = try Ed25519PrivateKey()
        let node = try key.publicKey.nodeID()
        let base = try SHA256.hash(Array("bench-base".utf8))
        let expectation = DeltaExpectation(round: 1, baseHash: base, sharedSchema: schema)
        let keys: (NodeID) -> Ed25519PublicKey? = { $0 == node ? key.publicKey : nil }
        let megabytes = Double(parameters * 4) / 1e6
        for codec in [DeltaCodec.int8Default, .fp16, .bf16, .fp32] {
            progress("codec \(codec)")
            let (signed, encodeTime) = try timed { try DeltaEncoder(codec: codec).encode(delta: delta, round: 1, baseHash: base, sampleCount: 1, key: key) }
            let wire = signed.serialized()
            let (verified, decodeTime) = try timed {
                try DeltaVerifier().verify(serialized: wire, expecting: expectation, keys: keys)
            }
            let error = try verified.values.subtracting(delta).l2Norm / delta.l2Norm
            report.codecs.append(DeltaCodecFigures(
                codec: codec.description, encodeMBps: megabytes / encodeTime, decodeMBps: megabytes / decodeTime,
                wireBytes: wire.count, fp32Bytes: parameters * 4, relativeError: error))
        }
        progress("building \(deltas) deltas for aggregation")
        let inputs = (0..<deltas).map { i in
            AggregationInput(
                node: NodeID(digest: try! SHA256.hash([UInt8(truncatingIfNeeded: i), 0x42])), sampleCount: 100 + i,
                deltaHash: try! SHA256.hash([UInt8(truncatingIfNeeded: i)]), values: perturbed(delta, index: i))
        }
        let rules: [(String, AggregationRule)] = [
            ("fedavg", AggregationRule(method: .fedAvg())),
            ("fedavg_clipped", AggregationRule(method: .fedAvg(maxShare: 0.25), clipping: .medianNorm(factor: 2))),
            ("median", AggregationRule(method: .median)),
            ("trimmed_mean", AggregationRule(method: .trimmedMean(.fraction(0.2)))),
        ]
        for (name, rule) in rules {
            progress("aggregating with \(name)")
            let aggregator = Aggregator(rule: rule, threads: threads)
            _ = try aggregator.aggregate(inputs)  // warm up (page in, thread pool)
            let (_, seconds) = try timed { try aggregator.aggregate(inputs) }
            report.aggregationSeconds.append((name, seconds))
        }
        return report
    }

    /// Tensors of 1M elements (the last one shorter) named like a trunk.
    static func benchTensors(_ parameters: Int) -> [(name: String, shape: [Int])] {
        stride(from: 0, to: parameters, by: 1_000_000).enumerated().map { index, start in
            ("shared.trunk.\(index).w", [min(1_000_000, parameters - start)])
        }
    }

    static func gaussianSet(_ schema: ParameterSchema, seed: UInt64, sigma: Float) -> ParameterSet {
        var state = seed
        func next() -> Float {  // SplitMix64 → uniform (0, 1]
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Float((z ^ (z >> 31)) >> 40 + 1) * 0x1p-24
        }
        return ParameterSet.build(schema: schema) { flat in
            var i = 0
            while i < flat.count {  // Box–Muller, two values per pair of uniforms
                let r = (-2 * Foundation.log(next())).squareRoot() * sigma
                let t = 2 * Float.pi * next()
                flat[i] = r * Foundation.cos(t)
                if i + 1 < flat.count { flat[i + 1] = r * Foundation.sin(t) }
                i += 2
            }
        }
    }

    /// A cheap distinct delta per node: a scaled, rotated copy of `delta`.
    static func perturbed(_ delta: ParameterSet, index: Int) -> ParameterSet {
        delta.withFlatValues { source in
            ParameterSet.build(schema: delta.schema) { flat in
                let n = flat.count
                let shift = (index * 7919) % max(n, 1)
                let scale = 1 + Float(index) * 0.01
                let head = n - shift
                flat.baseAddress!.update(from: source.baseAddress! + shift, count: head)
                (flat.baseAddress! + head).update(from: source.baseAddress!, count: shift)
                for j in 0..<n { flat[j] *= scale }
            }
        }
    }

    static func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        let value = try body()
        return (value, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
}
