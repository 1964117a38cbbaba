// The node's private key on disk: created 0600 (never briefly readable by others),
// written atomically, and refused on read when anyone but the owner could read or
// change it (as ssh refuses an unprotected identity file).
import COpenSSL

/// A key file cotrain refuses to read or write.
public enum KeyFileError: CotrainError, Equatable {
    /// Group or others have some access; `mode` holds the permission bits.
    case insecurePermissions(path: String, mode: UInt32)
    /// Not a regular file (a directory, device, FIFO or socket).
    case notRegularFile(path: String)
    /// Owned by another user than the one running the node.
    case wrongOwner(path: String, owner: UInt32, expected: UInt32)
    /// Larger than a PEM key can be.
    case tooLarge(path: String, size: Int, limit: Int)
    /// Writing would replace an existing key.
    case alreadyExists(path: String)

    public var description: String {
        switch self {
        case .insecurePermissions(let path, let mode):
            return "private key \(path) is accessible by other users (mode 0\(String(mode, radix: 8))); "
                + "run: chmod 600 \(path)"
        case .notRegularFile(let path):
            return "private key \(path) is not a regular file"
        case .wrongOwner(let path, let owner, let expected):
            return "private key \(path) is owned by uid \(owner), not by the node's user (uid \(expected)); "
                + "run: chown \(expected) \(path)"
        case .tooLarge(let path, let size, let limit):
            return "private key \(path) is \(size) bytes, more than the \(limit)-byte limit for a key file"
        case .alreadyExists(let path):
            return "private key \(path) already exists; move it away first if you really mean to replace the node's identity"
        }
    }
}

/// Writes `key` to `path` as unencrypted PKCS#8 PEM with mode 0600.
///
/// The file is created 0600 under a temporary name (never readable by others, even
/// briefly), synced, renamed over `path` and the directory synced. The key never
/// passes through a Swift buffer: it goes from OpenSSL's cleansed memory to the file.
///
/// - Parameter overwrite: replace an existing file. Without it an existing `path` is a
///   ``KeyFileError/alreadyExists(path:)`` (checked before writing; a key appearing
///   concurrently is replaced).
/// - Throws: ``KeyFileError``, ``SystemError`` or ``CryptoError``.
public func writePrivateKey(_ key: Ed25519PrivateKey, to path: String, overwrite: Bool = false) throws {
    var existing = stat()
    if !overwrite && lstat(path, &existing) == 0 { throw KeyFileError.alreadyExists(path: path) }
    try AtomicFile.write(to: path, mode: 0o600) { fd in
        try key.withPEM { pem in try fd.writeAll(pem) }
    }
}

/// Reads the Ed25519 private key at `path`, refusing unsafe files.
///
/// Refused before reading: not a regular file; owned by another user (unless running
/// as root); any group or other permission bit set (the error says `chmod 600 PATH`);
/// larger than 64 KiB. Symbolic links are followed; the checks apply to the target.
/// The content must be one strict PKCS#8 `PRIVATE KEY` PEM block of an Ed25519 key.
///
/// - Throws: ``KeyFileError``, ``SystemError`` (e.g. missing file) or ``PEMError``.
public func readPrivateKey(from path: String) throws -> Ed25519PrivateKey {
    // O_NONBLOCK: opening a FIFO must not hang; it is refused below as not regular.
    let fd = try FileDescriptor(path: path, flags: O_RDONLY | O_NONBLOCK | O_NOCTTY)
    let status = try fd.status()
    guard status.st_mode & S_IFMT == S_IFREG else { throw KeyFileError.notRegularFile(path: path) }
    let user = geteuid()
    guard status.st_uid == user || user == 0 else {
        throw KeyFileError.wrongOwner(path: path, owner: status.st_uid, expected: user)
    }
    guard status.st_mode & 0o077 == 0 else {
        throw KeyFileError.insecurePermissions(path: path, mode: UInt32(status.st_mode & 0o7777))
    }
    let limit = PEM.maximumSize
    guard Int(status.st_size) <= limit else {
        throw KeyFileError.tooLarge(path: path, size: Int(status.st_size), limit: limit)
    }
    // Read one byte past the limit so a file that grew after fstat is still caught.
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: limit + 1, alignment: 1)
    defer {
        OPENSSL_cleanse(buffer.baseAddress, buffer.count)
        buffer.deallocate()
    }
    var filled = 0
    while filled < buffer.count {
        let count = try fd.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
        if count == 0 { break }
        filled += count
    }
    guard filled <= limit else { throw KeyFileError.tooLarge(path: path, size: filled, limit: limit) }
    return try Ed25519PrivateKey(pemEncoded: UnsafeRawBufferPointer(rebasing: buffer[..<filled]), source: path)
}
