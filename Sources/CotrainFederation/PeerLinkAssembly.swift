// Reassembling a content-addressed object (a delta or a catch-up checkpoint) from its
// chunks: every byte exactly once, inside the announced size, then hashed.
import CotrainCore

/// Why a chunk or an assembled object was refused.
struct AssemblyError: CotrainError, Equatable {
    let reason: String
    init(_ reason: String) { self.reason = reason }
    var description: String { reason }
}

/// An object arriving as chunks, held in memory (its size is capped by the caller).
struct ChunkAssembly {
    /// The hash the chunks must add up to.
    let hash: SHA256Digest
    /// The announced size.
    let size: Int
    private(set) var bytes: [UInt8]
    /// Received ranges, sorted and disjoint.
    private var ranges: [Range<Int>] = []
    /// Bytes received so far.
    private(set) var received = 0

    init(hash: SHA256Digest, size: Int) {
        self.hash = hash
        self.size = size
        bytes = [UInt8](repeating: 0, count: size)
    }

    /// Whether every byte has arrived.
    var isComplete: Bool { received == size }

    /// Places a chunk. Throws for a chunk outside the object or overlapping one
    /// already received (each byte must come exactly once).
    mutating func add(offset: UInt64, _ chunk: [UInt8]) throws(AssemblyError) {
        guard offset <= UInt64(size), chunk.count <= size - Int(offset) else {
            throw AssemblyError("chunk at \(offset)+\(chunk.count) is outside the \(size)-byte object")
        }
        let range = Int(offset)..<(Int(offset) + chunk.count)
        let index = ranges.firstIndex { $0.lowerBound >= range.upperBound } ?? ranges.count
        if index > 0, ranges[index - 1].upperBound > range.lowerBound {
            throw AssemblyError("chunk at \(offset) overlaps bytes already received")
        }
        ranges.insert(range, at: index)
        bytes.withUnsafeMutableBufferPointer { buffer in
            _ = UnsafeMutableBufferPointer(rebasing: buffer[range]).update(fromContentsOf: chunk)
        }
        received += chunk.count
    }

    /// The complete object after checking its hash.
    func verified() throws(AssemblyError) -> [UInt8] {
        guard isComplete else { throw AssemblyError("only \(received) of \(size) bytes arrived") }
        let actual = try? SHA256.hash(bytes)
        guard actual == hash else {
            throw AssemblyError("the \(size) bytes received hash to \(actual?.hex.prefix(16) ?? "?")…, not the announced \(hash.hex.prefix(16))…")
        }
        return bytes
    }
}
