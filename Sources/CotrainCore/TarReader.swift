// Reading tar archives (WebDataset shards) as a stream, entry by entry, with limits.

/// Reads a tar archive from a byte source one regular file at a time, so a multi-GB
/// shard is never held in memory whole; only the current entry is (up to
/// ``Options/maxEntrySize``).
///
/// Accepted: POSIX ustar and GNU headers with a valid checksum (unsigned or historic
/// signed sum); octal or base-256 numbers. Regular files (`'0'`, `'\0'`, contiguous
/// `'7'`) are returned. Directories are skipped. Long names come from the ustar
/// prefix, GNU `'L'` entries or pax `'x'` headers; from a pax `'x'` header only
/// `path` and `size` are used (other keys, e.g. mtime, are ignored), and pax `'g'`
/// global headers and GNU `'K'` long link names are read and ignored. Links, devices
/// and FIFOs are rejected or skipped per ``Options/specialEntries``; any other type is
/// rejected. Names must be relative, without `..` components or NUL, valid UTF-8.
/// The archive must end with two zero blocks; bytes after them are not read.
public struct TarReader {
    /// Limits and policies.
    public struct Options: Sendable {
        /// Largest regular file returned; a larger one throws ``TarError/entryTooLarge(name:size:limit:)``.
        public var maxEntrySize: Int
        /// Largest pax header or GNU long name.
        public var maxMetadataSize: Int
        /// What to do with links, devices and FIFOs.
        public var specialEntries: SpecialEntryPolicy

        /// Options; the defaults suit WebDataset shards.
        public init(maxEntrySize: Int = 1 << 30, maxMetadataSize: Int = 1 << 20, specialEntries: SpecialEntryPolicy = .reject) {
            self.maxEntrySize = maxEntrySize
            self.maxMetadataSize = maxMetadataSize
            self.specialEntries = specialEntries
        }
    }

    /// Handling of hard links, symbolic links, devices and FIFOs.
    public enum SpecialEntryPolicy: Sendable {
        /// Throw ``TarError/unsupportedEntry(name:type:offset:)`` (the default: shards hold only files).
        case reject
        /// Skip them silently.
        case skip
    }

    private let source: (UnsafeMutableRawBufferPointer) throws -> Int
    private let options: Options
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var bufferStart = 0
    private var bufferEnd = 0
    private var sourceEnded = false
    private var finished = false
    /// Bytes consumed so far: the archive offset used in errors.
    private var position = 0

    /// A reader pulling bytes from `read`, which fills a prefix of the buffer it is
    /// given and returns how many bytes it wrote (0 only at the end of the input),
    /// like `read(2)`. Errors it throws propagate from ``next()``.
    public init(options: Options = Options(), read: @escaping (UnsafeMutableRawBufferPointer) throws -> Int) {
        self.options = options
        self.source = read
    }

    /// A reader over an archive in memory.
    public init(bytes: [UInt8], options: Options = Options()) {
        var offset = 0
        self.init(options: options) { destination in
            let count = min(destination.count, bytes.count - offset)
            bytes.withUnsafeBytes { raw in
                destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + count)]))
            }
            offset += count
            return count
        }
    }

    /// A reader over an open file descriptor (not closed by the reader; keep it open
    /// while reading). Read errors throw ``SystemError``.
    public init(fileDescriptor: Int32, options: Options = Options()) {
        self.init(options: options) { destination in
            try sysCall("read", "tar input (fd \(fileDescriptor))") { Glibc.read(fileDescriptor, destination.baseAddress, destination.count) }
        }
    }

    /// The next regular file, or nil after the end-of-archive marker.
    ///
    /// Throws ``TarError`` for a malformed, hostile or truncated archive, or what the
    /// source throws.
    public mutating func next() throws -> TarEntry? {
        guard !finished else { return nil }
        var longName: String?  // from a GNU 'L' entry
        var paxPath: String?
        var paxSize: Int?
        var pending: Bool { longName != nil || paxPath != nil || paxSize != nil }
        while true {
            let offset = position
            var block = [UInt8](repeating: 0, count: TarHeader.blockSize)
            let got = try block.withUnsafeMutableBytes { try read(into: $0) }
            guard got == TarHeader.blockSize else {
                throw TarError.truncated(offset: offset, reading: got == 0 && !pending ? "the end-of-archive marker" : "a header")
            }
            if block.allSatisfy({ $0 == 0 }) {
                guard !pending else { throw TarError.malformed(offset: offset, reason: "archive ends right after a pax or long-name header") }
                let second = try block.withUnsafeMutableBytes { try read(into: $0) }
                guard second == TarHeader.blockSize else {
                    throw TarError.truncated(offset: offset + TarHeader.blockSize, reading: "the second end-of-archive block")
                }
                guard block.allSatisfy({ $0 == 0 }) else {
                    throw TarError.malformed(offset: offset, reason: "a single zero block followed by data")
                }
                finished = true
                return nil
            }
            let header = try ParsedHeader(block, offset: offset)
            let type = header.type
            let isFile = type == UInt8(ascii: "0") || type == 0 || type == UInt8(ascii: "7")
            let isMetadata = [UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K")].contains(type)
            let size = isMetadata ? header.size : (paxSize ?? header.size)
            let displayName = paxPath ?? longName ?? String(decoding: header.name, as: UTF8.self)
            if isMetadata {
                guard size <= options.maxMetadataSize else {
                    throw TarError.entryTooLarge(name: displayName, size: size, limit: options.maxMetadataSize)
                }
                let data = try readEntryData(size: size, name: displayName, offset: offset)
                switch type {
                case UInt8(ascii: "x"):
                    let record = try TarPax.parse(data, offset: offset)
                    paxPath = record.path ?? paxPath
                    paxSize = record.size ?? paxSize
                case UInt8(ascii: "L"):
                    longName = try Self.longName(data, offset: offset)
                default: break  // 'g' and 'K': read and ignored
                }
                continue
            }
            let name: String
            if let override = paxPath ?? longName {
                name = override
            } else {
                guard let decoded = String(validating: header.name, as: UTF8.self) else {
                    throw TarError.invalidName(displayName, reason: "not valid UTF-8", offset: offset)
                }
                name = decoded
            }
            longName = nil
            paxPath = nil
            paxSize = nil
            if type == UInt8(ascii: "5") || (type == 0 && name.hasSuffix("/")) {
                try skip(size, reading: "directory \"\(name)\"", offset: offset)
                continue
            }
            guard isFile else {
                let special = (UInt8(ascii: "1")...UInt8(ascii: "6")).contains(type)
                guard special, options.specialEntries == .skip else {
                    throw TarError.unsupportedEntry(name: name, type: type, offset: offset)
                }
                try skip(size, reading: "entry \"\(name)\"", offset: offset)
                continue
            }
            if let problem = TarHeader.problem(with: name) {
                throw TarError.invalidName(name, reason: problem, offset: offset)
            }
            guard size <= options.maxEntrySize else {
                throw TarError.entryTooLarge(name: name, size: size, limit: options.maxEntrySize)
            }
            return TarEntry(name: name, contents: try readEntryData(size: size, name: name, offset: offset))
        }
    }

    /// The fields of one header block that the reader uses.
    private struct ParsedHeader {
        let type: UInt8
        let size: Int
        /// Full name bytes (prefix + '/' + name for POSIX headers).
        let name: [UInt8]

        init(_ block: [UInt8], offset: Int) throws(TarError) {
            guard let stored = TarHeader.number(block, field: TarHeader.checksum) else {
                throw .invalidField(field: "checksum", offset: offset)
            }
            let sums = TarHeader.checksums(block)
            guard stored == sums.unsigned || stored == sums.signed else {
                throw .badChecksum(offset: offset, stored: stored, computed: sums.unsigned)
            }
            let magic = Array(block[TarHeader.magic])
            let posix = magic[0..<6].elementsEqual(TarHeader.posixMagic[0..<6])
            guard posix || magic == TarHeader.gnuMagic else { throw .notUSTAR(offset: offset) }
            guard let size = TarHeader.number(block, field: TarHeader.size) else {
                throw .invalidField(field: "size", offset: offset)
            }
            self.type = block[TarHeader.typeflag]
            self.size = size
            let base = TarHeader.text(block, field: TarHeader.name)
            let prefix = posix ? TarHeader.text(block, field: TarHeader.prefix) : []
            self.name = prefix.isEmpty ? Array(base) : Array(prefix) + [UInt8(ascii: "/")] + Array(base)
        }
    }

    /// A GNU long name: the entry's data up to its trailing NULs, valid UTF-8, no NUL inside.
    private static func longName(_ data: [UInt8], offset: Int) throws(TarError) -> String {
        var bytes = data[...]
        while bytes.last == 0 { bytes.removeLast() }
        guard let name = String(validating: bytes, as: UTF8.self) else {
            throw .invalidName(String(decoding: bytes, as: UTF8.self), reason: "not valid UTF-8", offset: offset)
        }
        return name
    }

    // MARK: - Input

    /// Reads `size` bytes of entry data plus padding to the block boundary. Memory
    /// grows with the data actually received, so a lying size field costs nothing.
    private mutating func readEntryData(size: Int, name: String, offset: Int) throws -> [UInt8] {
        var data: [UInt8] = []
        data.reserveCapacity(min(size, 1 << 20))
        while data.count < size {
            let start = data.count
            let count = min(size - start, 1 << 20)
            data.append(contentsOf: repeatElement(0, count: count))
            let got = try data.withUnsafeMutableBytes { raw in
                try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[start..<(start + count)]))
            }
            guard got == count else { throw TarError.truncated(offset: position, reading: "the data of \"\(name)\"") }
        }
        try skipBytes(Self.padding(size), reading: "the padding of \"\(name)\"")
        return data
    }

    /// Skips `size` bytes of entry data and its padding.
    private mutating func skip(_ size: Int, reading what: String, offset: Int) throws {
        let (total, overflow) = size.addingReportingOverflow(Self.padding(size))
        guard !overflow else { throw TarError.invalidField(field: "size", offset: offset) }
        try skipBytes(total, reading: what)
    }

    private mutating func skipBytes(_ count: Int, reading what: String) throws {
        var left = count
        var scratch = [UInt8](repeating: 0, count: min(left, 1 << 16))
        while left > 0 {
            let count = min(left, scratch.count)
            let got = try scratch.withUnsafeMutableBytes { raw in
                try read(into: UnsafeMutableRawBufferPointer(rebasing: raw[0..<count]))
            }
            guard got == count else { throw TarError.truncated(offset: position, reading: what) }
            left -= count
        }
    }

    private static func padding(_ size: Int) -> Int {
        (TarHeader.blockSize - size % TarHeader.blockSize) % TarHeader.blockSize
    }

    /// Fills `destination` unless the source ends first; returns the bytes filled.
    private mutating func read(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        let source = self.source
        var filled = 0
        while filled < destination.count {
            if bufferStart < bufferEnd {
                let count = min(bufferEnd - bufferStart, destination.count - filled)
                buffer.withUnsafeBytes { raw in
                    UnsafeMutableRawBufferPointer(rebasing: destination[filled..<(filled + count)])
                        .copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[bufferStart..<(bufferStart + count)]))
                }
                bufferStart += count
                filled += count
                continue
            }
            if sourceEnded { break }
            let wanted = destination.count - filled
            if wanted >= buffer.count {  // large reads bypass the buffer
                let got = try source(UnsafeMutableRawBufferPointer(rebasing: destination[filled...]))
                precondition((0...wanted).contains(got), "tar source returned \(got) for a \(wanted)-byte buffer")
                if got == 0 { sourceEnded = true }
                filled += got
            } else {
                let capacity = buffer.count
                let got = try buffer.withUnsafeMutableBytes { try source($0) }
                precondition((0...capacity).contains(got), "tar source returned \(got) for a \(capacity)-byte buffer")
                if got == 0 { sourceEnded = true }
                bufferStart = 0
                bufferEnd = got
            }
        }
        position += filled
        return filled
    }
}
