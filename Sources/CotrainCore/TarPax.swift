// pax extended headers (POSIX.1-2001): "LEN key=value\n" records.

/// The parts of a pax `'x'` header the tar reader uses.
enum TarPax {
    struct Record {
        var path: String?
        var size: Int?
    }

    /// Parses all records, checking the framing of each; keeps `path` and `size`.
    static func parse(_ data: [UInt8], offset: Int) throws(TarError) -> Record {
        var record = Record()
        var index = 0
        while index < data.count {
            // Trailing NUL padding after the last record is tolerated.
            if data[index...].allSatisfy({ $0 == 0 }) { break }
            var cursor = index
            var length = 0
            while cursor < data.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(data[cursor]) {
                length = length * 10 + Int(data[cursor] - UInt8(ascii: "0"))
                guard length <= data.count else { throw .invalidPax(offset: offset, reason: "record length is larger than the header") }
                cursor += 1
            }
            guard cursor > index, cursor < data.count, data[cursor] == UInt8(ascii: " ") else {
                throw .invalidPax(offset: offset, reason: "record at byte \(index) does not start with a length and a space")
            }
            let end = index + length
            guard end <= data.count, end > cursor + 1, data[end - 1] == UInt8(ascii: "\n") else {
                throw .invalidPax(offset: offset, reason: "record at byte \(index) does not end with a newline at its stated length")
            }
            let body = data[(cursor + 1)..<(end - 1)]
            guard let equals = body.firstIndex(of: UInt8(ascii: "=")) else {
                throw .invalidPax(offset: offset, reason: "record at byte \(index) has no '='")
            }
            let key = body[..<equals]
            let value = body[(equals + 1)...]
            if key.elementsEqual("path".utf8) {
                guard !value.contains(0), let path = String(validating: value, as: UTF8.self) else {
                    throw .invalidPax(offset: offset, reason: "path is not valid UTF-8 or contains NUL")
                }
                record.path = path
            } else if key.elementsEqual("size".utf8) {
                guard let size = decimal(value) else { throw .invalidPax(offset: offset, reason: "size is not a decimal number") }
                record.size = size
            }
            index = end
        }
        return record
    }

    /// Non-negative decimal digits that fit Int.
    private static func decimal(_ digits: ArraySlice<UInt8>) -> Int? {
        guard !digits.isEmpty, digits.count <= 18 else { return nil }
        var value = 0
        for byte in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }
}
