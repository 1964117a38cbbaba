import Foundation
import Testing
@testable import CotrainCore

/// A header block with arbitrary (possibly hostile) fields and a correct checksum.
func tarHeader(
    name: [UInt8], type: UInt8 = UInt8(ascii: "0"), size: Int, prefix: [UInt8] = [],
    magic: [UInt8] = TarHeader.posixMagic
) -> [UInt8] {
    var block = [UInt8](repeating: 0, count: 512)
    block.replaceSubrange(0..<min(100, name.count), with: name.prefix(100))
    TarHeader.putOctal(0o644, into: &block, field: TarHeader.mode)
    TarHeader.putOctal(size, into: &block, field: TarHeader.size)
    TarHeader.putOctal(0, into: &block, field: TarHeader.mtime)
    block[TarHeader.typeflag] = type
    block.replaceSubrange(TarHeader.magic, with: magic)
    block.replaceSubrange(345..<(345 + prefix.count), with: prefix)
    TarHeader.putChecksum(into: &block)
    return block
}

/// A header for `name` followed by `data` padded to a block.
func tarMember(_ name: String, type: UInt8 = UInt8(ascii: "0"), _ data: [UInt8], magic: [UInt8] = TarHeader.posixMagic) -> [UInt8] {
    tarHeader(name: Array(name.utf8), type: type, size: data.count, magic: magic)
        + data + [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
}

let tarEnd = [UInt8](repeating: 0, count: 1024)

func readTar(_ bytes: [UInt8], options: TarReader.Options = .init()) throws -> [TarEntry] {
    var reader = TarReader(bytes: bytes, options: options)
    var entries: [TarEntry] = []
    while let entry = try reader.next() { entries.append(entry) }
    return entries
}

@Suite struct TarTests {
    static let sampleEntries = [
        TarEntry(name: "000001.txt", contents: Array("a caption".utf8)),
        TarEntry(name: "000001.json", contents: []),
        TarEntry(name: "000002.ppm", contents: (0..<512).map { UInt8($0 & 0xFF) }),
        TarEntry(name: "000003.ppm", contents: (0..<1025).map { UInt8($0 % 251) }),
        TarEntry(name: String(repeating: "d", count: 120) + "/" + String(repeating: "f", count: 100), contents: [1]),
        TarEntry(name: "ünï/cødé.txt", contents: [2, 3]),
    ]

    @Test func roundTripsEntries() throws {
        let bytes = try TarWriter.archive(Self.sampleEntries)
        #expect(bytes.count % 512 == 0)
        #expect(try readTar(bytes) == Self.sampleEntries)
    }

    @Test func headerFieldsAreExactAndDeterministic() throws {
        let bytes = try TarWriter.archive([TarEntry(name: "a.txt", contents: Array("hi".utf8))], mtime: 1_700_000_000)
        #expect(bytes.count == 4 * 512)
        #expect(try TarWriter.archive([TarEntry(name: "a.txt", contents: Array("hi".utf8))], mtime: 1_700_000_000) == bytes)
        let header = Array(bytes[0..<512])
        func field(_ range: Range<Int>) -> String { String(decoding: header[range], as: UTF8.self) }
        #expect(field(0..<6) == "a.txt\0")
        #expect(field(TarHeader.mode) == "0000644\0")
        #expect(field(TarHeader.uid) == "0000000\0")
        #expect(field(TarHeader.size) == "00000000002\0")
        #expect(field(TarHeader.mtime) == "14524770400\0")
        #expect(field(TarHeader.magic) == "ustar\u{0}00")
        #expect(header[TarHeader.typeflag] == UInt8(ascii: "0"))
        #expect(TarHeader.number(header, field: TarHeader.checksum) == TarHeader.checksums(header).unsigned)
        #expect(header[155] == UInt8(ascii: " "))
        #expect(bytes[512..<514].elementsEqual("hi".utf8) && bytes[514...].allSatisfy { $0 == 0 })
    }

    @Test func longNamesUseThePrefixField() throws {
        let directory = String(repeating: "d", count: 60) + "/" + String(repeating: "e", count: 60)
        let name = directory + "/" + String(repeating: "f", count: 90)
        let header = try TarWriter.header(name: name, size: 0, mtime: 0)
        #expect(Array(TarHeader.text(header, field: TarHeader.prefix)) == Array(directory.utf8))
        #expect(Array(TarHeader.text(header, field: TarHeader.name)) == Array(String(repeating: "f", count: 90).utf8))
        let exactly100 = String(repeating: "x", count: 100)
        #expect(try readTar(TarWriter.archive([TarEntry(name: exactly100, contents: [])])).map(\.name) == [exactly100])
    }

    @Test(arguments: [
        String(repeating: "a", count: 101),  // no '/'
        String(repeating: "a", count: 156) + "/b",  // prefix too long
        "a/" + String(repeating: "b", count: 101),  // name part too long
        String(repeating: "a/", count: 128) + "b",  // 257 bytes
    ])
    func writerRejectsNamesThatDoNotFit(name: String) {
        #expect(throws: TarError.nameTooLong(name)) { try TarWriter.archive([TarEntry(name: name, contents: [])]) }
    }

    @Test(arguments: [("", "empty name"), ("/etc/passwd", "absolute path"), ("a/../b", "contains a '..' component"),
                      ("..", "contains a '..' component"), ("a\0b", "contains a NUL byte"), ("dir/", "ends with '/'")])
    func writerRejectsUnsafeNames(name: String, reason: String) {
        #expect(throws: TarError.invalidName(name, reason: reason, offset: nil)) {
            try TarWriter.archive([TarEntry(name: name, contents: [])])
        }
    }

    @Test func readsFromASourceInTinyChunks() throws {
        let bytes = try TarWriter.archive(Self.sampleEntries)
        var offset = 0
        var rng = TestRNG(seed: 7)
        var reader = TarReader { destination in
            let count = min(destination.count, bytes.count - offset, Int.random(in: 1...700, using: &rng))
            bytes.withUnsafeBytes { destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + count)])) }
            offset += count
            return count
        }
        var entries: [TarEntry] = []
        while let entry = try reader.next() { entries.append(entry) }
        #expect(entries == Self.sampleEntries)
        #expect(try reader.next() == nil)
    }

    @Test func readsFromAFileDescriptor() throws {
        let directory = TemporaryDirectory()
        let path = directory.file("shard.tar")
        try AtomicFile.write(try TarWriter.archive(Self.sampleEntries), to: path)
        let fd = open(path, O_RDONLY)
        defer { close(fd) }
        var reader = TarReader(fileDescriptor: fd)
        var names: [String] = []
        while let entry = try reader.next() { names.append(entry.name) }
        #expect(names == Self.sampleEntries.map(\.name))
    }

    @Test func entryLimitIsEnforcedBeforeReading() throws {
        let bytes = try TarWriter.archive([TarEntry(name: "big", contents: [UInt8](repeating: 1, count: 2000))])
        #expect(throws: TarError.entryTooLarge(name: "big", size: 2000, limit: 1000)) {
            try readTar(bytes, options: .init(maxEntrySize: 1000))
        }
    }

    @Test func aLyingSizeDoesNotAllocateItAndEndsTruncated() {
        // Declares 8 GiB - 1 with no limit; memory follows the bytes actually present.
        let bytes = tarHeader(name: Array("x".utf8), size: TarHeader.maxOctal11) + [1, 2, 3]
        #expect(throws: TarError.truncated(offset: 515, reading: "the data of \"x\"")) {
            try readTar(bytes, options: .init(maxEntrySize: .max))
        }
    }

    @Test func directoriesAreSkippedAndSpecialEntriesFollowThePolicy() throws {
        let symlink = tarHeader(name: Array("link".utf8), type: UInt8(ascii: "2"), size: 0)
        let archive = tarMember("dir/", type: UInt8(ascii: "5"), []) + tarMember("old-style-dir/", type: 0, [])
            + symlink + tarMember("dir/a", [7]) + tarEnd
        #expect(throws: TarError.unsupportedEntry(name: "link", type: UInt8(ascii: "2"), offset: 1024)) { try readTar(archive) }
        #expect(try readTar(archive, options: .init(specialEntries: .skip)) == [TarEntry(name: "dir/a", contents: [7])])
        for type in "1346".utf8 {
            let special = tarMember("s", type: type, []) + tarEnd
            #expect(throws: TarError.self) { try readTar(special) }
            #expect(try readTar(special, options: .init(specialEntries: .skip)) == [])
        }
        // Unknown types (here GNU sparse) are rejected whatever the policy.
        let sparse = tarMember("s", type: UInt8(ascii: "S"), []) + tarEnd
        #expect(throws: TarError.unsupportedEntry(name: "s", type: UInt8(ascii: "S"), offset: 0)) {
            try readTar(sparse, options: .init(specialEntries: .skip))
        }
    }

    @Test func gnuLongNamesAndPaxHeadersRenameTheNextEntry() throws {
        let longName = String(repeating: "n", count: 300) + ".txt"
        let gnu = tarMember("././@LongLink", type: UInt8(ascii: "L"), Array(longName.utf8) + [0], magic: TarHeader.gnuMagic)
            + tarMember("nnnn", [1], magic: TarHeader.gnuMagic) + tarEnd
        #expect(try readTar(gnu) == [TarEntry(name: longName, contents: [1])])

        let records = paxRecord("mtime", "1.5") + paxRecord("path", "pax/" + longName) + paxRecord("size", "3")
        let pax = tarMember("global", type: UInt8(ascii: "g"), paxRecord("path", "ignored"))
            + tarMember("./PaxHeaders/x", type: UInt8(ascii: "x"), records)
            + tarHeader(name: Array("short".utf8), size: 0) + [4, 5, 6] + [UInt8](repeating: 0, count: 509)
            + tarMember("next", [9]) + tarEnd
        #expect(try readTar(pax) == [TarEntry(name: "pax/" + longName, contents: [4, 5, 6]), TarEntry(name: "next", contents: [9])])
    }

    @Test(arguments: ["4 a=\n", "x path=a\n", "8 path=a\n", "20 path=a\n", "7 path\n", "6 size=\n", "13 size=12a4\n", "99999999999999999999 a=b\n"])
    func rejectsMalformedPaxRecords(record: String) {
        let archive = tarMember("p", type: UInt8(ascii: "x"), Array(record.utf8)) + tarMember("f", []) + tarEnd
        let error = #expect(throws: TarError.self) { try readTar(archive) }
        if case .invalidPax(offset: 0, _)? = error {} else { Issue.record("got \(String(describing: error))") }
    }

    @Test func readsBase256Sizes() throws {
        var header = tarHeader(name: Array("b".utf8), size: 0)
        header.replaceSubrange(TarHeader.size, with: [0x80] + [UInt8](repeating: 0, count: 10) + [2])
        header.replaceSubrange(TarHeader.checksum, with: [UInt8](repeating: 0x20, count: 8))
        TarHeader.putChecksum(into: &header)
        #expect(try readTar(header + [1, 2] + [UInt8](repeating: 0, count: 510) + tarEnd) == [TarEntry(name: "b", contents: [1, 2])])
    }

    @Test func acceptsHistoricSignedChecksums() throws {
        var header = tarHeader(name: Array("é".utf8), size: 0)
        header.replaceSubrange(TarHeader.checksum, with: [UInt8](repeating: 0x20, count: 8))
        TarHeader.putOctal(TarHeader.checksums(header).signed, into: &header, field: 148..<155)
        #expect(try readTar(header + tarEnd).map(\.name) == ["é"])
    }

    /// A named hostile archive (the name keeps test output readable).
    struct Hostile: CustomTestStringConvertible, Sendable {
        let label: String
        let bytes: [UInt8]
        let expected: TarError
        var testDescription: String { label }
    }

    static let hostile: [Hostile] = {
        let good = tarMember("a", [1, 2, 3])
        var flipped = good
        flipped[0] ^= 0x20
        var badMagic = tarHeader(name: Array("a".utf8), size: 0, magic: Array("ustaR\u{0}00".utf8))
        badMagic[0] = UInt8(ascii: "a")
        var badSize = tarHeader(name: Array("a".utf8), size: 0)
        badSize[TarHeader.size.lowerBound] = UInt8(ascii: "9")
        badSize.replaceSubrange(TarHeader.checksum, with: [UInt8](repeating: 0x20, count: 8))
        TarHeader.putChecksum(into: &badSize)
        var badChecksum = good
        badChecksum[TarHeader.checksum.lowerBound] = UInt8(ascii: "x")
        let sums = TarHeader.checksums(Array(good[0..<512]))
        let cases: [(String, [UInt8], TarError)] = [
            ("empty", [], .truncated(offset: 0, reading: "the end-of-archive marker")),
            ("no end marker", good, .truncated(offset: 1024, reading: "the end-of-archive marker")),
            ("truncated header", Array(good[0..<100]), .truncated(offset: 0, reading: "a header")),
            ("truncated data", Array(good[0..<514]), .truncated(offset: 514, reading: "the data of \"a\"")),
            ("one end block", good + [UInt8](repeating: 0, count: 512), .truncated(offset: 1536, reading: "the second end-of-archive block")),
            ("lone zero block", good + [UInt8](repeating: 0, count: 512) + good, .malformed(offset: 1024, reason: "a single zero block followed by data")),
            ("bit flip", flipped + tarEnd, .badChecksum(offset: 0, stored: sums.unsigned, computed: sums.unsigned - 0x20)),
            ("bad checksum field", badChecksum + tarEnd, .invalidField(field: "checksum", offset: 0)),
            ("bad magic", badMagic + tarEnd, .notUSTAR(offset: 0)),
            ("bad octal size", badSize + tarEnd, .invalidField(field: "size", offset: 0)),
            ("dot-dot", tarMember("../etc/passwd", []) + tarEnd, .invalidName("../etc/passwd", reason: "contains a '..' component", offset: 0)),
            ("nested dot-dot", tarMember("a/../../b", []) + tarEnd, .invalidName("a/../../b", reason: "contains a '..' component", offset: 0)),
            ("absolute", tarMember("/etc/passwd", []) + tarEnd, .invalidName("/etc/passwd", reason: "absolute path", offset: 0)),
            ("empty name", tarMember("", []) + tarEnd, .invalidName("", reason: "empty name", offset: 0)),
            ("trailing slash", tarMember("file/", []) + tarEnd, .invalidName("file/", reason: "ends with '/'", offset: 0)),
            ("invalid UTF-8 name", tarHeader(name: [0x61, 0xFF], size: 0) + tarEnd, .invalidName("a\u{FFFD}", reason: "not valid UTF-8", offset: 0)),
            ("NUL in long name", tarMember("L", type: UInt8(ascii: "L"), Array("a\0b".utf8)) + tarMember("x", []) + tarEnd,
                .invalidName("a\0b", reason: "contains a NUL byte", offset: 1024)),
            ("dot-dot in long name", tarMember("L", type: UInt8(ascii: "L"), Array("evil/../x".utf8)) + tarMember("x", []) + tarEnd,
                .invalidName("evil/../x", reason: "contains a '..' component", offset: 1024)),
            ("absolute pax path", tarMember("p", type: UInt8(ascii: "x"), paxRecord("path", "/abs")) + tarMember("x", []) + tarEnd,
                .invalidName("/abs", reason: "absolute path", offset: 1024)),
            ("long name then end", tarMember("L", type: UInt8(ascii: "L"), Array("name".utf8)) + tarEnd,
                .malformed(offset: 1024, reason: "archive ends right after a pax or long-name header")),
            ("huge long name", tarHeader(name: Array("L".utf8), type: UInt8(ascii: "L"), size: 2 << 20) + tarEnd,
                .entryTooLarge(name: "L", size: 2 << 20, limit: 1 << 20)),
        ]
        return cases.map { Hostile(label: $0.0, bytes: $0.1, expected: $0.2) }
    }()

    @Test(arguments: hostile)
    func rejectsHostileArchives(archive: Hostile) {
        #expect(throws: archive.expected) { try readTar(archive.bytes) }
    }

    @Test func errorsSayWhatAndWhere() {
        #expect(TarError.unsupportedEntry(name: "l", type: UInt8(ascii: "2"), offset: 1024).description
            == "tar entry \"l\" at byte 1024 is a symbolic link; only regular files and directories are accepted")
        #expect(TarError.truncated(offset: 7, reading: "a header").description == "tar archive truncated at byte 7 while reading a header")
    }
}

/// One pax record "LEN key=value\n" with the right length.
func paxRecord(_ key: String, _ value: String) -> [UInt8] {
    let body = " \(key)=\(value)\n"
    var length = body.utf8.count + 1
    while String(length).utf8.count + body.utf8.count != length { length += 1 }
    return Array((String(length) + body).utf8)
}
