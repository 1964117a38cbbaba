// An owned OpenSSL memory BIO: how PEM text moves between Swift and OpenSSL.
import COpenSSL

/// A growable in-memory OpenSSL BIO, freed in `deinit`.
///
/// Reading input copies it into the BIO first (`BIO_write`), so no Swift buffer has to
/// outlive a call, unlike `BIO_new_mem_buf`, which borrows its buffer.
final class MemoryBIO {
    /// The `BIO*`, for OpenSSL calls.
    let raw: OpaquePointer

    /// An empty BIO. With `secure`, it lives on OpenSSL's secure heap and is cleansed
    /// when freed (use it for private key material).
    init(secure: Bool = false) throws(CryptoError) {
        raw = try openSSLObject("BIO_new") { BIO_new(secure ? BIO_s_secmem() : BIO_s_mem()) }
    }

    /// A BIO holding a copy of `bytes`, ready to be read by a `PEM_read_bio_*` call.
    convenience init(copying bytes: UnsafeRawBufferPointer, secure: Bool = false) throws(CryptoError) {
        try self.init(secure: secure)
        guard bytes.count > 0 else { return }
        guard let base = bytes.baseAddress, bytes.count <= Int(Int32.max) else {
            throw CryptoError.invalidLength(what: "PEM input", expected: Int(Int32.max), found: bytes.count)
        }
        OpenSSLErrorQueue.clear()
        guard BIO_write(raw, base, Int32(bytes.count)) == Int32(bytes.count) else {
            throw CryptoError.openSSL("BIO_write")
        }
    }

    deinit { BIO_free(raw) }

    /// Calls `body` with the bytes written to the BIO and not yet read (valid only inside).
    func withContents<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        var pointer: UnsafeMutablePointer<CChar>? = nil
        let length = cotrain_BIO_get_mem_data(raw, &pointer)
        guard let pointer, length > 0 else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: pointer, count: length))
    }

    /// The BIO's contents as text (PEM output is ASCII).
    var string: String {
        withContents { String(decoding: $0, as: UTF8.self) }
    }
}
