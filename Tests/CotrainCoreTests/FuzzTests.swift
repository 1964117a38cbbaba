import Testing
@testable import CotrainCore

/// Mutates valid inputs the way a fuzzer does: bit flips, byte overwrites with
/// interesting values, truncations, insertions, deletions, duplications and splices.
struct Mutator {
    var rng: TestRNG
    let corpus: [[UInt8]]

    private static let interesting: [UInt8] = [0, 1, 0x20, 0x22, 0x2C, 0x2D, 0x30, 0x37, 0x39, 0x5B, 0x5D, 0x7B, 0x7D, 0x7F, 0x80, 0xC0, 0xFF]

    mutating func next() -> [UInt8] {
        var bytes = corpus[Int.random(in: 0..<corpus.count, using: &rng)]
        for _ in 0..<Int.random(in: 1...4, using: &rng) { mutate(&bytes) }
        return bytes
    }

    private mutating func position(in bytes: [UInt8]) -> Int { Int.random(in: 0...max(0, bytes.count - 1), using: &rng) }

    private mutating func mutate(_ bytes: inout [UInt8]) {
        guard !bytes.isEmpty else {
            bytes = rng.bytes(Int.random(in: 0...64, using: &rng))
            return
        }
        switch Int.random(in: 0..<8, using: &rng) {
        case 0:  // flip one bit
            bytes[position(in: bytes)] ^= 1 << UInt8.random(in: 0...7, using: &rng)
        case 1:  // overwrite with an interesting byte
            bytes[position(in: bytes)] = Self.interesting.randomElement(using: &rng) ?? 0
        case 2:  // truncate
            bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
        case 3:  // insert random bytes
            bytes.insert(contentsOf: rng.bytes(Int.random(in: 1...16, using: &rng)), at: position(in: bytes))
        case 4:  // delete a range
            let start = position(in: bytes)
            bytes.removeSubrange(start..<min(bytes.count, start + Int.random(in: 1...16, using: &rng)))
        case 5:  // duplicate a range
            let start = position(in: bytes)
            let chunk = bytes[start..<min(bytes.count, start + Int.random(in: 1...64, using: &rng))]
            bytes.insert(contentsOf: chunk, at: position(in: bytes))
        case 6:  // splice: head of this input, tail of another
            let other = corpus[Int.random(in: 0..<corpus.count, using: &rng)]
            let tail = other[Int.random(in: 0...other.count, using: &rng)...]
            bytes = Array(bytes[..<position(in: bytes)]) + tail
        default:  // overwrite a byte with a random one
            bytes[position(in: bytes)] = UInt8.random(in: 0...255, using: &rng)
        }
    }
}

/// Thousands of mutated inputs per parser: each must parse or throw the parser's typed
/// error: no crash, hang or runaway allocation. Seeds are fixed, so failures reproduce.
@Suite struct FuzzTests {
    @Test func jsonParserSurvivesMutations() throws {
        let corpus = [
            #"{"a":[1,-2.5e-3,true,false,null],"b":{"c":"\u00e9\n\ud83d\ude00"},"d":""}"#,
            #"[0,1e308,-0.0,9223372036854775807,-9223372036854775808,"x\"y\\z"]"#,
            #"{"nested":[[[[{"k":[]}]]]],"s":"é😀","n":123456789012345678901234567890}"#,
            "  \"plain\"  ",
        ].map { Array($0.utf8) }
        var mutator = Mutator(rng: TestRNG(seed: 0x15_0A), corpus: corpus)
        var parsed = 0
        let limits = JSONLimits(maxInputBytes: 1 << 16, maxDepth: 8, maxStringBytes: 256, maxValues: 512)
        for _ in 0..<10_000 {
            let input = mutator.next()
            guard let value = try? JSONValue.parse(input, limits: limits) else { continue }
            parsed += 1
            // Whatever parses re-serializes to canonical bytes that parse to the same value.
            let canonical = value.canonicalBytes
            let reparsed = try JSONValue.parse(canonical)
            #expect(reparsed.canonicalBytes == canonical)
            #expect(try JSONValue.parse(value.prettyBytes).canonicalBytes == canonical)
        }
        #expect(parsed > 100, "mutations should keep some inputs valid")
    }

    @Test func safetensorsReaderSurvivesMutations() throws {
        var small = SafetensorsWriter(metadata: ["k": "v"])
        try small.add("a", shape: [2], values: [Float(1), 2])
        try small.add("b", shape: [1, 3], floats: [1, 2, 3], as: .bf16)
        try small.add("c", shape: [], values: [Int64(7)])
        try small.add("e", shape: [0], values: [UInt8]())
        let corpus = [try everyDTypeWriter().bytes(), try small.bytes(), safetensorsFile("{}")]
        var mutator = Mutator(rng: TestRNG(seed: 0x5AFE), corpus: corpus)
        var parsed = 0
        for _ in 0..<10_000 {
            let input = mutator.next()
            let file: SafetensorsFile
            do { file = try SafetensorsFile(bytes: input) } catch { continue }
            parsed += 1
            // A file that validates can be read in full without leaving its bounds.
            var total = 0
            for tensor in file.tensors {
                total += file.withBytes(of: tensor) { $0.count }
                if [.f32, .f16, .bf16].contains(tensor.dtype) {
                    #expect(try file.floats(tensor.name).count == tensor.elementCount)
                }
            }
            #expect(total == file.header.dataLength && file.header.dataStart + total == input.count)
        }
        #expect(parsed > 50)
    }

    @Test func tarReaderSurvivesMutations() throws {
        let longName = String(repeating: "n", count: 150) + ".txt"
        let corpus = [
            try TarWriter.archive(TarTests.sampleEntries),
            tarMember("././@LongLink", type: UInt8(ascii: "L"), Array(longName.utf8) + [0], magic: TarHeader.gnuMagic)
                + tarMember("n", [1, 2], magic: TarHeader.gnuMagic) + tarEnd,
            tarMember("p", type: UInt8(ascii: "x"), paxRecord("path", "pax/name") + paxRecord("size", "2"))
                + tarHeader(name: Array("x".utf8), size: 0) + [5, 6] + [UInt8](repeating: 0, count: 510)
                + tarMember("d/", type: UInt8(ascii: "5"), []) + tarEnd,
        ]
        var mutator = Mutator(rng: TestRNG(seed: 0x7A2), corpus: corpus)
        var parsed = 0
        let options = TarReader.Options(maxEntrySize: 1 << 20, maxMetadataSize: 1 << 12)
        for _ in 0..<4_000 {
            let input = mutator.next()
            do {
                let entries = try readTar(input, options: options)
                parsed += 1
                for entry in entries { #expect(TarHeader.problem(with: entry.name) == nil) }
            } catch {
                #expect(error is TarError, "unexpected \(error)")
            }
        }
        #expect(parsed > 100)
    }
}
