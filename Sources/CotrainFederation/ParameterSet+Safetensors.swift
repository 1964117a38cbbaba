// Parameter sets as safetensors files (F32), the format the policy module and outside
// trainers (PyTorch) exchange checkpoints in.
import CotrainCore

extension ParameterSet {
    /// A set from a safetensors file's tensors. F32 is taken bit for bit; F16 and BF16
    /// are widened exactly; any other dtype throws ``ParameterError/unsupportedDType(name:dtype:)``.
    /// With `include`, only tensors whose names pass it are read.
    public init(safetensors file: SafetensorsFile, include: (String) -> Bool = { _ in true }) throws(ParameterError) {
        let selected = file.tensors.filter { include($0.name) }
        for tensor in selected where ![.f32, .f16, .bf16].contains(tensor.dtype) {
            throw .unsupportedDType(name: tensor.name, dtype: tensor.dtype.rawValue)
        }
        let schema = try ParameterSchema(selected.map { ($0.name, $0.shape) })
        var failure: SafetensorsError?
        self = ParameterSet.build(schema: schema) { flat in
            for spec in schema.specs where failure == nil {
                do throws(SafetensorsError) {
                    let values = try file.floats(spec.name)
                    values.withUnsafeBufferPointer { source in
                        _ = UnsafeMutableBufferPointer(rebasing: flat[spec.offset..<(spec.offset + spec.count)]).update(fromContentsOf: source)
                    }
                } catch {
                    failure = error
                }
            }
        }
        if let failure { throw .safetensors(failure) }
    }

    /// Loads the safetensors file at `path` (memory-mapped while copying).
    public static func load(path: String, include: (String) -> Bool = { _ in true }) throws(ParameterError) -> ParameterSet {
        let file: SafetensorsFile
        do { file = try SafetensorsFile.open(path: path) } catch { throw .safetensors(error) }
        return try ParameterSet(safetensors: file, include: include)
    }

    /// A safetensors writer holding every tensor as F32, straight from this set's
    /// storage (no copy), with `metadata`.
    public func safetensorsWriter(metadata: [String: String] = [:]) -> SafetensorsWriter {
        var writer = SafetensorsWriter(metadata: metadata)
        let storage = self.storage
        for spec in schema.specs {
            // Names are validated and unique, and shapes match counts, so add cannot fail.
            try! writer.add(spec.name, dtype: .f32, shape: spec.shape) { write in
                try withExtendedLifetime(storage) {
                    let bytes = UnsafeRawBufferPointer(start: storage.base + spec.offset, count: spec.count * 4)
                    #if _endian(little)
                    try write(bytes)
                    #else
                    let swapped = (0..<spec.count).map { storage.base[spec.offset + $0].bitPattern.littleEndian }
                    try swapped.withUnsafeBytes { try write($0) }
                    #endif
                }
            }
        }
        return writer
    }

    /// Writes the set to `path` as an F32 safetensors file, atomically.
    public func save(path: String, metadata: [String: String] = [:]) throws(ParameterError) {
        do { try safetensorsWriter(metadata: metadata).write(toFile: path) } catch { throw .io("\(error)") }
    }
}
