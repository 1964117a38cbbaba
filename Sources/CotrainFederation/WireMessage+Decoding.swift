// Frames to messages, strictly: known type, exact binary sizes, JSON objects with
// exactly the defined fields, each within its limits. Anything else is a WireError.
import CotrainCore

extension WireMessage {
    /// Decodes a frame; throws ``WireError`` for an unknown type or a body that breaks
    /// the protocol or `limits`.
    public init(decoding frame: Frame, limits: WireLimits = .default) throws(WireError) {
        guard let type = MessageType(rawValue: frame.type) else { throw .unknownMessageType(frame.type) }
        guard frame.body.count < limits.maxFrameLength else {
            throw .frameTooLarge(length: frame.body.count + 1, limit: limits.maxFrameLength)
        }
        if type.isBinary {
            self = try Self.decodeBinary(type, frame.body, limits: limits)
            return
        }
        var fields = try WireFields(type, body: frame.body, limits: limits.json)
        if type == .hello {
            // The version first: a peer speaking another major version gets that error,
            // whatever else its hello holds.
            let major = try fields.int("protocol_major", 0...65535)
            guard major == WireProtocol.major else { throw .unsupportedVersion(peer: major, local: WireProtocol.major) }
        }
        self = try Self.decodeJSON(type, &fields, limits: limits)
        try fields.finish()
    }

    private static func decodeBinary(_ type: MessageType, _ body: [UInt8], limits: WireLimits) throws(WireError) -> WireMessage {
        func uint64(at offset: Int) -> UInt64 { body[offset..<offset + 8].reduce(0) { $0 << 8 | UInt64($1) } }
        switch type {
        case .ping, .pong:
            guard body.count == 8 else { throw .badLength(type, expected: "8", found: body.count) }
            return type == .ping ? .ping(nonce: uint64(at: 0)) : .pong(nonce: uint64(at: 0))
        default:
            guard body.count > chunkHeaderSize else { throw .badLength(type, expected: "more than 40", found: body.count) }
            guard let hash = try? SHA256Digest(bytes: Array(body[0..<32])) else {
                throw .badLength(type, expected: "a 32-byte hash", found: body.count)
            }
            let offset = uint64(at: 32)
            try checkChunk(type, offset, body.count - chunkHeaderSize, limits: limits)
            let chunk = Chunk(hash: hash, offset: offset, bytes: Array(body[chunkHeaderSize...]))
            switch type {
            case .deltaChunk: return .deltaChunk(chunk)
            case .shardChunk: return .shardChunk(chunk)
            default: return .blobChunk(chunk)
            }
        }
    }

    private static func decodeJSON(_ type: MessageType, _ f: inout WireFields, limits: WireLimits) throws(WireError) -> WireMessage {
        switch type {
        case .hello:
            let minor = try f.int("protocol_minor", 0...65535)
            let nodeID = NodeID(digest: try f.digest("node_id"))
            return .hello(Hello(nodeID: nodeID, lab: try labName(&f, "lab"), embodiment: try f.text("embodiment", maxBytes: WireProtocol.maxNameBytes),
                                schema: try f.digest("schema"), round: try f.int("round"), base: try f.digest("base"),
                                protocolMinor: minor))
        case .joinRequest:
            let lab = try labName(&f, "lab")
            let embodiment = try f.text("embodiment", maxBytes: WireProtocol.maxNameBytes)
            let endpoint = try f.text("endpoint", maxBytes: WireProtocol.maxEndpointBytes)
            do { _ = try NodeEndpoint(parsing: endpoint) } catch {
                throw .invalidField(type, "endpoint", reason: "must be HOST:PORT, got \(endpoint.debugDescription)")
            }
            return .joinRequest(JoinRequest(lab: lab, embodiment: embodiment, endpoint: endpoint,
                                            message: try f.text("message", maxBytes: WireProtocol.maxTextBytes, allowEmpty: true, multiline: true)))
        case .joinStatus:
            let text = try f.text("status", maxBytes: 16)
            guard let status = JoinStatus.Status(rawValue: text) else {
                throw .invalidField(type, "status", reason: "must be pending, approved or rejected")
            }
            return .joinStatus(JoinStatus(status: status, reason: try f.text("reason", maxBytes: WireProtocol.maxTextBytes, allowEmpty: true, multiline: true)))
        case .deltaOffer:
            let signatureText = try f.text("signature", maxBytes: 128)
            guard signatureText.utf8.count == 128, signatureText == signatureText.lowercased(),
                let signature = try? Hex.decode(signatureText, byteCount: 64, what: "signature")
            else { throw .invalidField(type, "signature", reason: "must be 128 lower-case hex digits") }
            return .deltaOffer(DeltaOffer(round: try f.int("round"), base: try f.digest("base"), delta: try f.digest("delta"),
                                          size: try f.int("size", 1...WireProtocol.maxInteger), signature: signature,
                                          metadata: try f.stringMap("metadata", maxCount: limits.maxMetadataEntries)))
        case .deltaAck:
            return .deltaAck(DeltaAck(delta: try f.digest("delta"), accepted: try f.bool("accepted"),
                                      reason: try f.text("reason", maxBytes: WireProtocol.maxTextBytes, allowEmpty: true, multiline: true)))
        case .shardInventory:
            let entries = try f.array("shards", maxCount: limits.maxInventoryShards)
            var shards: [ShardManifest] = []
            shards.reserveCapacity(entries.count)
            for (index, entry) in entries.enumerated() {
                var m = try WireFields(type, entry, path: "shards[\(index)].")
                shards.append(ShardManifest(hash: try m.digest("hash"), size: try m.int("size", 1...WireProtocol.maxInteger),
                                            samples: try m.int("samples"), source: try m.text("source", maxBytes: WireProtocol.maxLabelBytes),
                                            licence: try m.text("licence", maxBytes: WireProtocol.maxLabelBytes)))
                try m.finish()
            }
            return .shardInventory(shards)
        case .shardRequest:
            let hash = try f.digest("hash")
            let offset = try f.int("offset", 0...WireProtocol.maxInteger - 1)
            let length = try f.int("length", 1...WireProtocol.maxInteger - offset)
            return .shardRequest(ShardRequest(hash: hash, offset: offset, length: length))
        case .catchupRequest:
            return .catchupRequest(fromRound: try f.int("from_round"))
        case .catchupResponse:
            let records = try f.array("records", maxCount: limits.maxCatchupRecords)
            for (index, record) in records.enumerated() {
                guard case .object = record else { throw .notAnObject(type, field: "records[\(index)]") }
            }
            return .catchupResponse(CatchupResponse(records: records, checkpoint: try f.digest("checkpoint"),
                                                    checkpointSize: try f.int("checkpoint_size", 1...WireProtocol.maxInteger)))
        case .error:
            let text = try f.text("code", maxBytes: 64)
            guard let code = WireErrorCode(rawValue: text) else { throw .invalidField(type, "code", reason: "must be 1-64 characters of a-z 0-9 -") }
            return .error(ErrorMessage(code: code, message: try f.text("message", maxBytes: WireProtocol.maxTextBytes, allowEmpty: true)))
        case .deltaChunk, .shardChunk, .blobChunk, .ping, .pong:
            preconditionFailure("binary message \(type) decoded as JSON")
        }
    }

    /// A lab name under the certificate common-name rules.
    private static func labName(_ f: inout WireFields, _ key: String) throws(WireError) -> String {
        let lab = try f.text(key, maxBytes: 4 * WireProtocol.maxNameBytes)
        do { try Certificate.validateLabName(lab) } catch {
            throw .invalidField(f.type, key, reason: "is not a valid lab name: \(error.description)")
        }
        return lab
    }
}
