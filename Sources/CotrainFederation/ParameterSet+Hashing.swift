// Content hashes of parameter sets: what a round's "base hash" and "result hash" are.
import CotrainCore

extension ParameterSet {
    /// SHA-256 over the canonical encoding (see docs/aggregation.md):
    ///
    ///     "cotrain-params-v1" 0x00 || u64 count || per tensor: u64 len, name, u64 rank, u64 dims…
    ///     || all values as little-endian IEEE float32, tensors in name order
    ///
    /// All integers are little-endian u64, tensors sorted by name (UTF-8 bytes). Values
    /// are hashed bit for bit (so -0 and 0 differ, NaN payloads count).
    public var contentHash: SHA256Digest {
        let hasher = try! SHA256Hasher()  // only fails if OpenSSL lacks SHA-256
        hasher.update(schema.encoded(prefix: "cotrain-params-v1"))
        withFlatValues { values in
            #if _endian(little)
            hasher.update(UnsafeRawBufferPointer(values))
            #else
            var chunk = [UInt32](repeating: 0, count: 1 << 14)
            var start = 0
            while start < values.count {
                let n = min(chunk.count, values.count - start)
                for i in 0..<n { chunk[i] = values[start + i].bitPattern.littleEndian }
                chunk.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<(4 * n)])) }
                start += n
            }
            #endif
        }
        return try! hasher.finalize()
    }

    /// The content hash of the `shared.*` tensors: the "base hash" of a round whose
    /// base is this checkpoint.
    public var sharedBaseHash: SHA256Digest {
        filtered(prefixes: [ParameterScope.sharedPrefix]).contentHash
    }
}
