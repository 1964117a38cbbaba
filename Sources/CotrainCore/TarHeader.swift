// The ustar header block: field layout, numbers, checksum and name rules shared by
// the tar reader and writer.

/// Layout and encoding of the 512-byte ustar header (POSIX.1-1988, as GNU tar and
/// Python's `tarfile` write it).
enum TarHeader {
    static let blockSize = 512
    static let name = 0..<100
    static let mode = 100..<108
    static let uid = 108..<116
    static let gid = 116..<124
    static let size = 124..<136
    static let mtime = 136..<148
    static let checksum = 148..<156
    static let typeflag = 156
    static let magic = 257..<265  // magic (6) and version (2)
    static let prefix = 345..<500
    /// "ustar\0" "00": POSIX. Prefix holds the directory part of long names.
    static let posixMagic: [UInt8] = Array("ustar\u{0}00".utf8)
    /// "ustar " " \0": GNU. Bytes 345… hold GNU fields, not a prefix.
    static let gnuMagic: [UInt8] = Array("ustar  \u{0}".utf8)
    /// Largest size or mtime that 11 octal digits hold (8 GiB - 1).
    static let maxOctal11 = 0o77777777777

    /// Writes `value` as `field.count - 1` zero-padded octal digits and a NUL.
    static func putOctal(_ value: Int, into block: inout [UInt8], field: Range<Int>) {
        var digits = Array(String(value, radix: 8).utf8)
        let width = field.count - 1
        digits.insert(contentsOf: repeatElement(UInt8(ascii: "0"), count: max(0, width - digits.count)), at: 0)
        block.replaceSubrange(field.lowerBound..<(field.lowerBound + width), with: digits)
        block[field.upperBound - 1] = 0
    }

    /// Reads a numeric field: octal digits with optional leading spaces and a NUL or
    /// space terminator (all-NUL means 0), or GNU base-256 (first byte 0x80) for
    /// non-negative values. Nil if malformed or larger than Int.
    static func number(_ block: [UInt8], field: Range<Int>) -> Int? {
        let bytes = block[field]
        if bytes.first == 0x80 {
            var value = 0
            for byte in bytes.dropFirst() {
                guard value <= Int.max >> 8 else { return nil }
                value = value << 8 | Int(byte)
            }
            return value
        }
        var index = bytes.startIndex
        while index < bytes.endIndex, bytes[index] == UInt8(ascii: " ") { index += 1 }
        var value = 0
        while index < bytes.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(bytes[index]) {
            guard value <= Int.max >> 3 else { return nil }
            value = value << 3 | Int(bytes[index] - UInt8(ascii: "0"))
            index += 1
        }
        while index < bytes.endIndex {
            guard bytes[index] == 0 || bytes[index] == UInt8(ascii: " ") else { return nil }
            index += 1
        }
        return value
    }

    /// Sums of the block with the checksum field read as spaces: unsigned (POSIX) and
    /// signed (some historic writers).
    static func checksums(_ block: [UInt8]) -> (unsigned: Int, signed: Int) {
        var unsigned = 0
        var signed = 0
        for (index, byte) in block.enumerated() {
            let value = checksum.contains(index) ? UInt8(ascii: " ") : byte
            unsigned += Int(value)
            signed += Int(Int8(bitPattern: value))
        }
        return (unsigned, signed)
    }

    /// Stores the checksum as six octal digits, NUL, space (like GNU tar and Python).
    static func putChecksum(into block: inout [UInt8]) {
        putOctal(checksums(block).unsigned, into: &block, field: 148..<155)
        block[155] = UInt8(ascii: " ")
    }

    /// The bytes of a NUL-terminated text field (up to the first NUL).
    static func text(_ block: [UInt8], field: Range<Int>) -> ArraySlice<UInt8> {
        let bytes = block[field]
        return bytes.prefix(while: { $0 != 0 })
    }

    /// Why `name` is not a safe relative file name, or nil if it is: empty, NUL,
    /// absolute, a `..` component, or a trailing '/' (those are directories).
    static func problem(with name: String) -> String? {
        if name.isEmpty { return "empty name" }
        if name.utf8.contains(0) { return "contains a NUL byte" }
        if name.hasPrefix("/") { return "absolute path" }
        if name.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
            return "contains a '..' component"
        }
        if name.hasSuffix("/") { return "ends with '/'" }
        return nil
    }

    /// Splits a name of more than 100 bytes into (prefix, name) at a '/', the first
    /// split where both fit (as Python's `tarfile` does); nil if none does.
    static func split(_ name: [UInt8]) -> (prefix: ArraySlice<UInt8>, name: ArraySlice<UInt8>)? {
        for index in name.indices where name[index] == UInt8(ascii: "/") {
            let head = name[..<index]
            let tail = name[(index + 1)...]
            if head.count <= prefix.count, tail.count <= self.name.count, !tail.isEmpty {
                return (head, tail)
            }
        }
        return nil
    }
}
