import Testing

@testable import CotrainCore

@Suite struct Ed25519Tests {
    static func bytes(_ hex: String) throws -> [UInt8] {
        try Hex.decode(hex, byteCount: hex.utf8.count / 2, what: "test vector")
    }

    @Test func rfc8032KeyDerivation() throws {
        // RFC 8032 section 7.1, TEST 1 and TEST 2.
        let vectors = [
            ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
             "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"),
            ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
             "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c"),
        ]
        for (secret, publicKey) in vectors {
            let key = try Ed25519PrivateKey(rawRepresentation: try Self.bytes(secret))
            #expect(Hex.encode(key.publicKey.rawRepresentation) == publicKey)
            #expect(Hex.encode(try key.rawRepresentation()) == secret)
        }
    }

    @Test func signAndVerifyWithDomains() throws {
        let key = try Ed25519PrivateKey()
        let message = Array("delta sha256 and metadata".utf8)
        let signature = try key.sign(message: message, domain: .modelDelta)
        #expect(signature.count == 64)
        #expect(try key.sign(message: message, domain: .modelDelta) == signature)  // deterministic
        #expect(key.publicKey.isValidSignature(signature, for: message, domain: .modelDelta))
        #expect(!key.publicKey.isValidSignature(signature, for: message, domain: .roundRecord))
        #expect(!key.publicKey.isValidSignature(signature, for: message + [0], domain: .modelDelta))
        #expect(!key.publicKey.isValidSignature(Array(signature.dropLast()), for: message, domain: .modelDelta))
        var flipped = signature
        flipped[10] ^= 1
        #expect(!key.publicKey.isValidSignature(flipped, for: message, domain: .modelDelta))
        let other = try Ed25519PrivateKey()
        #expect(!other.publicKey.isValidSignature(signature, for: message, domain: .modelDelta))
        #expect(key.publicKey != other.publicKey)
        let empty = try key.sign(message: [], domain: .joinRequest)
        #expect(key.publicKey.isValidSignature(empty, for: [UInt8](), domain: .joinRequest))
    }

    @Test func signedBytesEncoding() throws {
        let domain = try #require(SignatureDomain(rawValue: "model-delta"))
        #expect(domain == .modelDelta)
        let bytes = [UInt8](arrayLiteral: 1, 2).withUnsafeBytes { domain.signedBytes(for: $0) }
        #expect(bytes == Array("cotrain-v1:model-delta".utf8) + [0, 1, 2])
    }

    @Test func domainNamesAreValidated() {
        #expect(SignatureDomain(rawValue: "shard-manifest.v2") != nil)
        for bad in ["", "Upper", "with space", "nul\u{0}", "é", String(repeating: "a", count: 65), "colon:"] {
            #expect(SignatureDomain(rawValue: bad) == nil, "\(bad.debugDescription) should be refused")
        }
    }

    @Test func badRawKeysAreTypedErrors() throws {
        #expect(throws: CryptoError.invalidLength(what: "Ed25519 private key", expected: 32, found: 31)) {
            try Ed25519PrivateKey(rawRepresentation: [UInt8](repeating: 1, count: 31))
        }
        #expect(throws: CryptoError.self) { try Ed25519PublicKey(rawRepresentation: []) }
        // 32 bytes that are not a valid point: accepted as a value, but nothing verifies.
        let junk = try Ed25519PublicKey(rawRepresentation: [UInt8](repeating: 0xff, count: 32))
        #expect(!junk.isValidSignature([UInt8](repeating: 0, count: 64), for: [UInt8](), domain: .modelDelta))
    }

    @Test func subjectPublicKeyInfoAndNodeID() throws {
        let key = try Ed25519PrivateKey()
        let spki = try key.publicKey.subjectPublicKeyInfo()
        // RFC 8410: SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (32 bytes) }.
        #expect(spki == [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00] + key.publicKey.rawRepresentation)
        #expect(try key.publicKey.nodeID() == NodeID(digest: SHA256.hash(spki)))
    }
}
