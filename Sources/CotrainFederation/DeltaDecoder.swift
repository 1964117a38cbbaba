// Decoding a delta's safetensors payload against the expected schema: every tensor
// present with the codec's dtype and the expected shape, nothing else, finite values.
import CotrainCore

/// Turns a verified payload into float deltas.
enum DeltaDecoder {
    /// Decodes `file` (encoded with `header.codec`) into a parameter set with `schema`.
    static func decode(_ file: SafetensorsFile, header: DeltaHeader, schema: ParameterSchema) throws(DeltaError) -> ParameterSet {
        let node = header.node
        let codec = header.codec
        let scalesPerTensor = codec.blockSize > 0 ? 1 : 0
        guard file.tensors.count == schema.specs.count * (1 + scalesPerTensor) else {
            throw DeltaError(.schema, node: node, "payload has \(file.tensors.count) tensors, expected \(schema.specs.count * (1 + scalesPerTensor))")
        }
        for spec in schema.specs {
            guard let tensor = file.header.tensor(named: spec.name) else {
                throw DeltaError(.schema, node: node, "tensor \"\(spec.name)\" is missing")
            }
            guard tensor.dtype == codec.dtype, tensor.shape == spec.shape else {
                throw DeltaError(.schema, node: node, "tensor \"\(spec.name)\" is \(tensor.dtype.rawValue)\(tensor.shape), expected \(codec.dtype.rawValue)\(spec.shape)")
            }
            if case let .int8(blockSize) = codec {
                let name = spec.name + DeltaCodec.scalesSuffix
                let blocks = Int8BlockQuantizer.blockCount(spec.count, blockSize: blockSize)
                guard let scales = file.header.tensor(named: name), scales.dtype == .f32, scales.shape == [blocks] else {
                    throw DeltaError(.schema, node: node, "tensor \"\(name)\" is missing or not F32[\(blocks)]")
                }
            }
        }
        var failure: DeltaError?
        let values = ParameterSet.build(schema: schema) { flat in
            for spec in schema.specs where failure == nil {
                let target = UnsafeMutableBufferPointer(rebasing: flat[spec.offset..<(spec.offset + spec.count)])
                do {
                    try decodeTensor(file, spec: spec, codec: codec, into: target)
                } catch let error as DeltaError {
                    failure = DeltaError(.values, node: node, error.detail)
                } catch {
                    failure = DeltaError(.payload, node: node, "\(error)")
                }
            }
        }
        if let failure { throw failure }
        guard values.isFinite else { throw DeltaError(.values, node: node, "decoded values include NaN or infinity") }
        return values
    }

    private static func decodeTensor(
        _ file: SafetensorsFile, spec: ParameterSpec, codec: DeltaCodec, into target: UnsafeMutableBufferPointer<Float>
    ) throws {
        switch codec {
        case .fp32:
            let values = try file.values(spec.name, as: Float.self)
            _ = target.update(fromContentsOf: values)
        case .fp16, .bf16:
            let values = try file.floats(spec.name)
            _ = target.update(fromContentsOf: values)
        case let .int8(blockSize):
            let scales = try file.values(spec.name + DeltaCodec.scalesSuffix, as: Float.self)
            for (block, scale) in scales.enumerated() where !(scale.isFinite && scale >= 0) {
                throw DeltaError(.values, "block \(block) of \"\(spec.name)\" has scale \(scale) (must be finite and ≥ 0)")
            }
            let tensor = try file.tensor(spec.name)
            file.withBytes(of: tensor) { raw in
                raw.withMemoryRebound(to: Int8.self) { codes in
                    scales.withUnsafeBufferPointer { s in
                        Int8BlockQuantizer.dequantize(codes, scales: s, blockSize: blockSize, into: target)
                    }
                }
            }
        }
    }
}
