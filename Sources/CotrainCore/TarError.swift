// Errors from reading and writing tar archives.

/// Why a tar archive was rejected or an entry could not be written.
///
/// Offsets are byte offsets of the entry's header block in the archive.
public enum TarError: CotrainError, Equatable {
    /// The archive ends in the middle of something (`reading` says what).
    case truncated(offset: Int, reading: String)
    /// A header's stored checksum does not match its contents (corruption).
    case badChecksum(offset: Int, stored: Int, computed: Int)
    /// A numeric header field is not valid octal or base-256.
    case invalidField(field: String, offset: Int)
    /// A header without the ustar magic (pre-POSIX tar or not a tar file at all).
    case notUSTAR(offset: Int)
    /// Structure that no valid archive has, e.g. a single zero block followed by data.
    case malformed(offset: Int, reason: String)
    /// An entry name that is unsafe or unusable; `offset` is nil when writing.
    case invalidName(String, reason: String, offset: Int?)
    /// An entry larger than the caller's limit.
    case entryTooLarge(name: String, size: Int, limit: Int)
    /// A link, device, FIFO or unknown entry type (when the options reject them).
    case unsupportedEntry(name: String, type: UInt8, offset: Int)
    /// A pax extended header that breaks the record format.
    case invalidPax(offset: Int, reason: String)
    /// A name the writer cannot store in ustar (over 255 bytes, or no usable '/' split).
    case nameTooLong(String)

    /// One line saying what was wrong and where.
    public var description: String {
        switch self {
        case let .truncated(offset, reading):
            return "tar archive truncated at byte \(offset) while reading \(reading)"
        case let .badChecksum(offset, stored, computed):
            return "tar header at byte \(offset) has checksum \(stored) but its bytes sum to \(computed) (corrupt archive)"
        case let .invalidField(field, offset):
            return "tar header at byte \(offset): the \(field) field is not a valid number"
        case let .notUSTAR(offset):
            return "tar header at byte \(offset) lacks the ustar magic (not a POSIX/GNU tar archive)"
        case let .malformed(offset, reason):
            return "tar archive at byte \(offset): \(reason)"
        case let .invalidName(name, reason, offset):
            let place = offset.map { " at byte \($0)" } ?? ""
            return "tar entry name \"\(name)\"\(place) is rejected: \(reason)"
        case let .entryTooLarge(name, size, limit):
            return "tar entry \"\(name)\" is \(size) bytes, over the \(limit)-byte limit"
        case let .unsupportedEntry(name, type, offset):
            let kind = Self.kindName(type)
            return "tar entry \"\(name)\" at byte \(offset) is a \(kind); only regular files and directories are accepted"
        case let .invalidPax(offset, reason):
            return "tar pax header at byte \(offset): \(reason)"
        case let .nameTooLong(name):
            return "tar entry name \"\(name)\" does not fit ustar (at most 100 bytes, or a 155-byte directory prefix + '/' + 100-byte name)"
        }
    }

    private static func kindName(_ type: UInt8) -> String {
        switch type {
        case UInt8(ascii: "1"): return "hard link"
        case UInt8(ascii: "2"): return "symbolic link"
        case UInt8(ascii: "3"): return "character device"
        case UInt8(ascii: "4"): return "block device"
        case UInt8(ascii: "6"): return "FIFO"
        case 0x21..<0x7F: return "entry of unsupported type '\(Character(Unicode.Scalar(type)))'"
        default: return "entry of unsupported type \(type)"
        }
    }
}
