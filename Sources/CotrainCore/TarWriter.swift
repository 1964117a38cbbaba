// Writing ustar archives (WebDataset shards) deterministically.

/// A file in a tar archive: what the reader returns and the writer stores.
public struct TarEntry: Sendable, Equatable {
    /// The relative path, e.g. `sample000001.txt`.
    public var name: String
    /// The file's bytes.
    public var contents: [UInt8]

    /// An entry with the given name and contents.
    public init(name: String, contents: [UInt8]) {
        self.name = name
        self.contents = contents
    }
}

/// Writes a POSIX ustar archive of regular files to a caller-supplied sink.
///
/// Output depends only on the entries and `mtime`: mode 0644, uid/gid 0, empty owner
/// names, the given mtime, and names over 100 bytes split into the ustar prefix at
/// the first '/' that makes both parts fit (as Python's `tarfile` does). The archive
/// ends with two zero blocks (no padding to a 10 KiB record). Names must be relative,
/// without `..` components or NUL, at most 255 bytes.
public struct TarWriter {
    private let sink: (UnsafeRawBufferPointer) throws -> Void
    private let mtime: Int
    private var finished = false

    /// A writer that passes the archive's bytes to `sink`, in order.
    ///
    /// - Parameter mtime: modification time stored in every header (seconds since
    ///   1970), fixed so that the same files give the same archive.
    /// - Precondition: `0 <= mtime < 8^11`.
    public init(mtime: Int = 0, sink: @escaping (UnsafeRawBufferPointer) throws -> Void) {
        precondition((0...TarHeader.maxOctal11).contains(mtime), "tar mtime \(mtime) does not fit 11 octal digits")
        self.mtime = mtime
        self.sink = sink
    }

    /// Appends a regular file. After an error (a rejected name, or one `sink` threw)
    /// nothing or part of the entry was written; discard the archive.
    public mutating func append(name: String, contents: UnsafeRawBufferPointer) throws {
        precondition(!finished, "TarWriter.append after finish()")
        let header = try Self.header(name: name, size: contents.count, mtime: mtime)
        try header.withUnsafeBytes { try sink($0) }
        try sink(contents)
        let padding = (TarHeader.blockSize - contents.count % TarHeader.blockSize) % TarHeader.blockSize
        if padding > 0 { try Self.zeroBlock.withUnsafeBytes { try sink(UnsafeRawBufferPointer(rebasing: $0[..<padding])) } }
    }

    /// Appends a regular file.
    public mutating func append(name: String, contents: [UInt8]) throws {
        try contents.withUnsafeBytes { try append(name: name, contents: $0) }
    }

    /// Writes the end-of-archive marker (two zero blocks). Call once, last.
    public mutating func finish() throws {
        precondition(!finished, "TarWriter.finish called twice")
        finished = true
        try Self.zeroBlock.withUnsafeBytes { block in
            try sink(block)
            try sink(block)
        }
    }

    /// A whole archive of `entries`, in order, in memory.
    public static func archive(_ entries: [TarEntry], mtime: Int = 0) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(entries.reduce(2 * TarHeader.blockSize) { total, entry in
            total + TarHeader.blockSize + (entry.contents.count + TarHeader.blockSize - 1) / TarHeader.blockSize * TarHeader.blockSize
        })
        var writer = TarWriter(mtime: mtime) { chunk in chunk.withMemoryRebound(to: UInt8.self) { out.append(contentsOf: $0) } }
        for entry in entries { try writer.append(name: entry.name, contents: entry.contents) }
        try writer.finish()
        return out
    }

    private static let zeroBlock = [UInt8](repeating: 0, count: TarHeader.blockSize)

    /// The header block for a regular file.
    static func header(name: String, size: Int, mtime: Int) throws(TarError) -> [UInt8] {
        if let problem = TarHeader.problem(with: name) { throw .invalidName(name, reason: problem, offset: nil) }
        guard size <= TarHeader.maxOctal11 else {
            throw .entryTooLarge(name: name, size: size, limit: TarHeader.maxOctal11)
        }
        var block = [UInt8](repeating: 0, count: TarHeader.blockSize)
        let nameBytes = Array(name.utf8)
        if nameBytes.count <= TarHeader.name.count {
            block.replaceSubrange(0..<nameBytes.count, with: nameBytes)
        } else if let (prefix, rest) = TarHeader.split(nameBytes) {
            block.replaceSubrange(0..<rest.count, with: rest)
            block.replaceSubrange(TarHeader.prefix.lowerBound..<(TarHeader.prefix.lowerBound + prefix.count), with: prefix)
        } else {
            throw .nameTooLong(name)
        }
        TarHeader.putOctal(0o644, into: &block, field: TarHeader.mode)
        TarHeader.putOctal(0, into: &block, field: TarHeader.uid)
        TarHeader.putOctal(0, into: &block, field: TarHeader.gid)
        TarHeader.putOctal(size, into: &block, field: TarHeader.size)
        TarHeader.putOctal(mtime, into: &block, field: TarHeader.mtime)
        block[TarHeader.typeflag] = UInt8(ascii: "0")
        block.replaceSubrange(TarHeader.magic, with: TarHeader.posixMagic)
        TarHeader.putChecksum(into: &block)
        return block
    }
}
