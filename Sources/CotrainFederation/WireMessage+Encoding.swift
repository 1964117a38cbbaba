// Messages to frames: canonical JSON for control messages, a fixed binary layout for
// chunks, ping and pong. A message that breaks the limits is refused here, so a node
// never sends what a conforming peer would reject.
import CotrainCore

/// A frame ready to write, in two pieces so a chunk's payload is written from the
/// caller's array without being copied into the frame.
struct EncodedFrame: Sendable {
    /// Frame header and the fixed part of the body.
    var head: [UInt8]
    /// The rest of the body (a chunk's bytes; empty for other messages).
    var payload: [UInt8]
    /// Total bytes on the wire.
    var count: Int { head.count + payload.count }
}

extension WireMessage {
    /// The message as one frame, after checking it against `limits`.
    public func frame(limits: WireLimits = .default) throws(WireError) -> Frame {
        let encoded = try encodedFrame(limits: limits)
        return Frame(type: type.rawValue, body: Array(encoded.head.dropFirst(Frame.headerSize)) + encoded.payload)
    }

    /// The frame's bytes, after checking the message against `limits`.
    func encodedFrame(limits: WireLimits) throws(WireError) -> EncodedFrame {
        switch self {
        case .deltaChunk(let chunk), .shardChunk(let chunk), .blobChunk(let chunk):
            try Self.checkChunk(type, chunk.offset, chunk.bytes.count, limits: limits)
            var head = Frame.header(type: type.rawValue, bodyCount: Self.chunkHeaderSize + chunk.bytes.count)
            chunk.hash.withUnsafeBytes { head += $0 }
            Self.appendBigEndian(chunk.offset, to: &head)
            return EncodedFrame(head: head, payload: chunk.bytes)
        case .ping(let nonce), .pong(let nonce):
            var head = Frame.header(type: type.rawValue, bodyCount: 8)
            Self.appendBigEndian(nonce, to: &head)
            return EncodedFrame(head: head, payload: [])
        default:
            let body = jsonBody().canonicalBytes
            guard body.count < limits.maxFrameLength else { throw .frameTooLarge(length: body.count + 1, limit: limits.maxFrameLength) }
            // Decoding our own body applies every field rule in one place.
            _ = try WireMessage(decoding: Frame(type: type.rawValue, body: body), limits: limits)
            return EncodedFrame(head: Frame.header(type: type.rawValue, bodyCount: body.count) + body, payload: [])
        }
    }

    /// Hash (32 bytes) and offset (8 bytes) before a chunk's payload.
    static let chunkHeaderSize = 40

    static func checkChunk(_ type: MessageType, _ offset: UInt64, _ count: Int, limits: WireLimits) throws(WireError) {
        guard count > 0, count <= limits.maxChunkBytes, Self.chunkHeaderSize + count < limits.maxFrameLength else {
            throw .badLength(type, expected: "40 + 1...\(min(limits.maxChunkBytes, limits.maxFrameLength - 41))",
                             found: Self.chunkHeaderSize + count)
        }
        guard offset <= UInt64(WireProtocol.maxInteger - count) else {
            throw .invalidField(type, "offset", reason: "puts the chunk's end beyond 2^53 - 1")
        }
    }

    static func appendBigEndian(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    /// The JSON body of a control message.
    private func jsonBody() -> JSONValue {
        func int(_ v: Int) -> JSONValue { .int(Int64(v)) }
        func hex(_ d: SHA256Digest) -> JSONValue { .string(d.hex) }
        switch self {
        case .hello(let h):
            return .object([("protocol_major", int(h.protocolMajor)), ("protocol_minor", int(h.protocolMinor)),
                            ("node_id", hex(h.nodeID.digest)), ("lab", .string(h.lab)), ("embodiment", .string(h.embodiment)),
                            ("schema", hex(h.schema)), ("round", int(h.round)), ("base", hex(h.base))])
        case .joinRequest(let j):
            return .object([("lab", .string(j.lab)), ("embodiment", .string(j.embodiment)),
                            ("endpoint", .string(j.endpoint)), ("message", .string(j.message))])
        case .joinStatus(let s):
            return .object([("status", .string(s.status.rawValue)), ("reason", .string(s.reason))])
        case .deltaOffer(let o):
            return .object([("round", int(o.round)), ("base", hex(o.base)), ("delta", hex(o.delta)), ("size", int(o.size)),
                            ("signature", .string(Hex.encode(o.signature))),
                            ("metadata", .object(o.metadata.map { ($0.key, .string($0.value)) }))])
        case .deltaAck(let a):
            return .object([("delta", hex(a.delta)), ("accepted", .bool(a.accepted)), ("reason", .string(a.reason))])
        case .shardInventory(let shards):
            return .object([("shards", .array(shards.map { m in
                .object([("hash", hex(m.hash)), ("size", int(m.size)), ("samples", int(m.samples)),
                         ("source", .string(m.source)), ("licence", .string(m.licence))])
            }))])
        case .shardRequest(let r):
            return .object([("hash", hex(r.hash)), ("offset", int(r.offset)), ("length", int(r.length))])
        case .catchupRequest(let fromRound):
            return .object([("from_round", int(fromRound))])
        case .catchupResponse(let c):
            return .object([("records", .array(c.records)), ("checkpoint", hex(c.checkpoint)),
                            ("checkpoint_size", int(c.checkpointSize))])
        case .error(let e):
            return .object([("code", .string(e.code.rawValue)), ("message", .string(e.message))])
        case .deltaChunk, .shardChunk, .blobChunk, .ping, .pong:
            preconditionFailure("binary message \(type) has no JSON body")
        }
    }
}
