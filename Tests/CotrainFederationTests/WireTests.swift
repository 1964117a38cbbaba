import Testing

@testable import CotrainCore
@testable import CotrainFederation

/// One valid message of every type.
enum WireFixtures {
    static let h1 = try! SHA256Digest(bytes: [UInt8](0..<32))
    static let h2 = try! SHA256Digest(bytes: [UInt8](repeating: 0xAB, count: 32))

    static let all: [WireMessage] = [
        .hello(.init(nodeID: NodeID(digest: h1), lab: "Lab A (Zürich)", embodiment: "panda", schema: h2, round: 12, base: h1)),
        .joinRequest(.init(lab: "lab-b", embodiment: "ur5e", endpoint: "[2001:db8::1]:7443", message: "Hi!\nMoU attached.")),
        .joinStatus(.init(status: .rejected, reason: "no MoU")),
        .deltaOffer(.init(round: 12, base: h1, delta: h2, size: 123_456, signature: [UInt8](repeating: 0x5A, count: 64),
                          metadata: ["samples": "4096", "embodiment": "panda"])),
        .deltaChunk(.init(hash: h2, offset: 1 << 20, bytes: [1, 2, 3])),
        .deltaAck(.init(delta: h2, accepted: false, reason: "base mismatch")),
        .shardInventory([.init(hash: h1, size: 10_000, samples: 32, source: "lab-a/vqa", licence: "CC-BY-4.0"),
                         .init(hash: h2, size: 1, samples: 0, source: "x", licence: "MIT")]),
        .shardRequest(.init(hash: h1, offset: 4096, length: 1 << 20)),
        .shardChunk(.init(hash: h1, offset: 4096, bytes: [UInt8](repeating: 0xFF, count: 1 << 20))),
        .catchupRequest(fromRound: 7),
        .catchupResponse(.init(records: [["round": 7, "rule": "fedavg"], ["round": 8, "deltas": ["a", "b"]]],
                               checkpoint: h2, checkpointSize: 99)),
        .blobChunk(.init(hash: h2, offset: 0, bytes: [0])),
        .ping(nonce: 0xDEAD_BEEF_0000_0001),
        .pong(nonce: 0),
        .error(.init(code: .notPermitted, message: "approve me first")),
    ]
}

@Suite struct WireTests {
    func decode(_ type: MessageType, _ json: String) throws(WireError) -> WireMessage {
        try WireMessage(decoding: Frame(type: type.rawValue, body: Array(json.utf8)))
    }

    @Test func everyMessageRoundTrips() throws {
        #expect(Set(WireFixtures.all.map(\.type)) == Set(MessageType.allCases))
        for message in WireFixtures.all {
            let frame = try message.frame()
            #expect(frame.type == message.type.rawValue)
            #expect(try WireMessage(decoding: frame) == message)
            var reader = FrameReader()
            #expect(try reader.feed(frame.bytes) == [frame])
        }
    }

    @Test func helloIsCanonicalJSON() throws {
        let frame = try WireFixtures.all[0].frame()
        let text = String(decoding: frame.body, as: UTF8.self)
        #expect(text == #"{"base":"\#(WireFixtures.h1.hex)","embodiment":"panda","lab":"Lab A (Zürich)","node_id":"\#(WireFixtures.h1.hex)","#
            + #""protocol_major":1,"protocol_minor":0,"round":12,"schema":"\#(WireFixtures.h2.hex)"}"#)
        #expect(Array(frame.bytes.prefix(5)) == Frame.header(type: 1, bodyCount: frame.body.count))
    }

    @Test func chunksHaveTheBinaryLayout() throws {
        let frame = try WireMessage.blobChunk(.init(hash: WireFixtures.h1, offset: 0x0102, bytes: [9, 8])).frame()
        #expect(frame.bytes == [0, 0, 0, 43, 0x32] + WireFixtures.h1.bytes + [0, 0, 0, 0, 0, 0, 1, 2, 9, 8])
        #expect(try WireMessage.ping(nonce: 258).frame().bytes == [0, 0, 0, 9, 0x40, 0, 0, 0, 0, 0, 0, 1, 2])
    }

    @Test func versionIsCheckedFirst() {
        #expect(throws: WireError.unsupportedVersion(peer: 2, local: 1)) {
            try decode(.hello, #"{"protocol_major":2,"anything":[1,2,3]}"#)
        }
        #expect(throws: WireError.missingField(.hello, "protocol_major")) { try decode(.hello, #"{"protocol_minor":0}"#) }
    }

    @Test func decodingIsStrict() {
        let h = WireFixtures.h1.hex
        let cases: [(MessageType, String, WireError)] = [
            (.deltaAck, #"{"accepted":true,"delta":"\#(h)","reason":"","extra":1}"#, .unknownField(.deltaAck, "extra")),
            (.deltaAck, #"{"accepted":true,"reason":""}"#, .missingField(.deltaAck, "delta")),
            (.deltaAck, #"{"accepted":1,"delta":"\#(h)","reason":""}"#, .invalidField(.deltaAck, "accepted", reason: "must be true or false")),
            (.deltaAck, #"{"accepted":true,"delta":"\#(h.uppercased())","reason":""}"#,
             .invalidField(.deltaAck, "delta", reason: "must be 64 lower-case hex digits")),
            (.deltaAck, "[]", .notAnObject(.deltaAck, field: "")),
            (.catchupRequest, #"{"from_round":-1}"#,
             .invalidField(.catchupRequest, "from_round", reason: "must be in 0...9007199254740991, got -1")),
            (.catchupRequest, #"{"from_round":1.5}"#, .invalidField(.catchupRequest, "from_round", reason: "must be an integer")),
            (.joinStatus, #"{"status":"maybe","reason":""}"#,
             .invalidField(.joinStatus, "status", reason: "must be pending, approved or rejected")),
            (.error, #"{"code":"Bad Code","message":""}"#, .invalidField(.error, "code", reason: "must be 1-64 characters of a-z 0-9 -")),
            (.shardInventory, #"{"shards":[{"hash":"\#(h)","size":0,"samples":1,"source":"s","licence":"l"}]}"#,
             .invalidField(.shardInventory, "shards[0].size", reason: "must be in 1...9007199254740991, got 0")),
            (.shardRequest, #"{"hash":"\#(h)","offset":9007199254740991,"length":1}"#,
             .invalidField(.shardRequest, "offset", reason: "must be in 0...9007199254740990, got 9007199254740991")),
            (.shardRequest, #"{"hash":"\#(h)","offset":9007199254740990,"length":2}"#,
             .invalidField(.shardRequest, "length", reason: "must be in 1...1, got 2")),
        ]
        for (type, json, expected) in cases {
            #expect(throws: expected, "\(json)") { try decode(type, json) }
        }
    }

    @Test func textLimitsAreEnforcedBothWays() {
        let long = String(repeating: "x", count: 1025)
        let join = WireMessage.joinRequest(.init(lab: "lab-b", embodiment: "ur5e", endpoint: "b.example.org:7443", message: long))
        #expect(throws: WireError.invalidField(.joinRequest, "message", reason: "is 1025 bytes, at most 1024 allowed")) {
            try join.frame()
        }
        let badLab = WireMessage.joinRequest(.init(lab: " lab", embodiment: "ur5e", endpoint: "b.example.org:7443", message: ""))
        #expect(throws: WireError.self) { try badLab.frame() }
        let badEndpoint = WireMessage.joinRequest(.init(lab: "lab-b", embodiment: "ur5e", endpoint: "nowhere", message: ""))
        #expect(throws: WireError.self) { try badEndpoint.frame() }
        let control = WireMessage.deltaAck(.init(delta: WireFixtures.h1, accepted: false, reason: "a\u{1}b"))
        #expect(throws: WireError.invalidField(.deltaAck, "reason", reason: "must not hold control characters")) { try control.frame() }
    }

    @Test func countsAreBounded() throws {
        let limits = WireLimits(maxInventoryShards: 2, maxMetadataEntries: 1)
        let shards = WireMessage.ShardManifest(hash: WireFixtures.h1, size: 1, samples: 1, source: "s", licence: "l")
        #expect(throws: WireError.invalidField(.shardInventory, "shards", reason: "has 3 entries, at most 2 allowed")) {
            try WireMessage.shardInventory([shards, shards, shards]).frame(limits: limits)
        }
        let offer = WireMessage.deltaOffer(.init(round: 1, base: WireFixtures.h1, delta: WireFixtures.h2, size: 1,
                                                 signature: [UInt8](repeating: 0, count: 64), metadata: ["a": "1", "b": "2"]))
        #expect(throws: WireError.self) { try offer.frame(limits: limits) }
        #expect(throws: WireError.self) {
            try WireMessage.deltaOffer(.init(round: 1, base: WireFixtures.h1, delta: WireFixtures.h2, size: 1, signature: [1])).frame()
        }
    }

    @Test func binaryBodiesHaveExactSizes() throws {
        let big = WireMessage.deltaChunk(.init(hash: WireFixtures.h1, offset: 0, bytes: [UInt8](repeating: 0, count: (1 << 20) + 1)))
        #expect(throws: WireError.badLength(.deltaChunk, expected: "40 + 1...1048576", found: 40 + (1 << 20) + 1)) { try big.frame() }
        #expect(throws: WireError.self) { try WireMessage.deltaChunk(.init(hash: WireFixtures.h1, offset: 0, bytes: [])).frame() }
        #expect(throws: WireError.self) {
            try WireMessage.shardChunk(.init(hash: WireFixtures.h1, offset: UInt64.max - 1, bytes: [1])).frame()
        }
        #expect(throws: WireError.badLength(.pong, expected: "8", found: 9)) {
            try WireMessage(decoding: Frame(type: MessageType.pong.rawValue, body: [UInt8](repeating: 0, count: 9)))
        }
        #expect(throws: WireError.badLength(.blobChunk, expected: "more than 40", found: 40)) {
            try WireMessage(decoding: Frame(type: MessageType.blobChunk.rawValue, body: [UInt8](repeating: 0, count: 40)))
        }
        #expect(throws: WireError.unknownMessageType(0x99)) { try WireMessage(decoding: Frame(type: 0x99, body: [])) }
    }

    @Test func errorCodesMapFromWireErrors() {
        #expect(WireError.frameTooLarge(length: 9, limit: 8).code == .frameTooLarge)
        #expect(WireError.truncatedFrame(received: 1, expected: 5).code == .malformedFrame)
        #expect(WireError.unknownMessageType(0).code == .unknownMessageType)
        #expect(WireError.missingField(.hello, "lab").code == .malformedMessage)
        #expect(WireErrorCode(rawValue: "custom-code-7") != nil)
        #expect(WireErrorCode(rawValue: "") == nil)
    }
}
