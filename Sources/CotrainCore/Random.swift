// Cryptographically secure random bytes from OpenSSL's DRBG (seeded from the OS).
import COpenSSL

/// Secure random bytes for keys, serial numbers, nonces and temporary file names.
public enum SecureRandom {
    /// Fills `buffer` with secure random bytes.
    ///
    /// Throws only if OpenSSL's generator cannot be seeded (no entropy source), in
    /// which case nothing secret should be produced at all.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(CryptoError) {
        var rest = buffer
        while let base = rest.baseAddress, rest.count > 0 {
            // RAND_bytes takes an Int32 length; fill huge buffers in pieces.
            let count = min(rest.count, 1 << 30)
            try openSSLCall("RAND_bytes") { RAND_bytes(base.assumingMemoryBound(to: UInt8.self), Int32(count)) }
            rest = UnsafeMutableRawBufferPointer(rebasing: rest[count...])
        }
    }

    /// `count` secure random bytes.
    public static func bytes(count: Int) throws(CryptoError) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        try result.withUnsafeMutableBytes { buffer in Result { () throws(CryptoError) in try fill(buffer) } }.get()
        return result
    }
}
