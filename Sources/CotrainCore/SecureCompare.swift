// Comparison whose running time does not depend on where two secrets differ.
import COpenSSL

/// Whether `a` and `b` hold the same bytes, comparing in time that depends only on
/// their length (never on the position of the first difference).
///
/// Use it for MACs, tokens, signatures and digests that gate access. Lengths are not
/// secret: buffers of different lengths return `false` at once.
public func constantTimeEquals(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    guard let pa = a.baseAddress, let pb = b.baseAddress else { return true }  // both empty
    return CRYPTO_memcmp(pa, pb, a.count) == 0
}

/// Whether two byte arrays are equal, in time that depends only on their length.
/// Same contract as the buffer-pointer overload.
public func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in constantTimeEquals(pa, pb) } }
}
