// A signed delta on the wire: header JSON + zstd payload + Ed25519 signature, in a
// strict binary layout with bounded lengths.
//
//   offset  size  field
//   0       8     magic "CTDELTA1"
//   8       4     H, header length, u32 little-endian, 2…16384
//   12      H     header: canonical JSON (DeltaHeader)
//   12+H    8     P, payload length, u64 little-endian, 1…limit
//   20+H    P     payload: one or more zstd frames of a safetensors file
//   20+H+P  64    Ed25519 signature
// Nothing may follow. Signed (domain "model-delta"):
//   message = SHA-256(payload) (32 bytes) || header bytes
import CotrainCore

/// A delta as sent between nodes: header, compressed payload and signature.
///
/// Parsing checks only the layout; ``DeltaVerifier`` does everything else.
public struct SignedDelta: Sendable {
    /// The magic bytes that start every envelope.
    public static let magic: [UInt8] = Array("CTDELTA1".utf8)
    /// The largest header accepted.
    public static let maxHeaderBytes = 16_384

    /// The parsed header.
    public let header: DeltaHeader
    /// The header's bytes as sent (canonical JSON).
    public let headerBytes: [UInt8]
    /// The zstd-compressed safetensors payload.
    public let payload: [UInt8]
    /// The 64-byte Ed25519 signature.
    public let signature: [UInt8]
    /// SHA-256 of the payload.
    public let payloadDigest: SHA256Digest

    /// The bytes signed in domain `model-delta`: `SHA-256(payload) || header bytes`.
    public var signedMessage: [UInt8] { payloadDigest.bytes + headerBytes }

    /// The delta's identity for replay protection and the journal: SHA-256 of ``signedMessage``.
    /// Independent of the signature bytes.
    public var deltaHash: SHA256Digest { try! SHA256.hash(signedMessage) }

    init(header: DeltaHeader, headerBytes: [UInt8], payload: [UInt8], signature: [UInt8]) {
        self.header = header
        self.headerBytes = headerBytes
        self.payload = payload
        self.signature = signature
        payloadDigest = try! SHA256.hash(payload)  // only fails if OpenSSL lacks SHA-256
    }

    /// Signs `payload` under `header` with `key` (which should be the key of `header.node`).
    public static func sign(header: DeltaHeader, payload: [UInt8], key: Ed25519PrivateKey) throws(DeltaError) -> SignedDelta {
        let unsigned = SignedDelta(header: header, headerBytes: header.canonicalBytes, payload: payload, signature: [])
        let signature: [UInt8]
        do { signature = try key.sign(message: unsigned.signedMessage, domain: .modelDelta) } catch {
            throw DeltaError(.encoding, node: header.node, "signing failed: \(error)")
        }
        return SignedDelta(header: header, headerBytes: unsigned.headerBytes, payload: payload, signature: signature)
    }

    /// Whether the signature is `key`'s over ``signedMessage`` in domain `model-delta`.
    public func hasValidSignature(from key: Ed25519PublicKey) -> Bool {
        key.isValidSignature(signature, for: signedMessage, domain: .modelDelta)
    }

    /// The envelope bytes.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(20 + headerBytes.count + payload.count + 64)
        out += Self.magic
        withUnsafeBytes(of: UInt32(headerBytes.count).littleEndian) { out += $0 }
        out += headerBytes
        withUnsafeBytes(of: UInt64(payload.count).littleEndian) { out += $0 }
        out += payload
        out += signature
        return out
    }

    /// Parses envelope bytes, refusing a payload over `maxPayloadBytes` before copying it.
    public init(serialized bytes: [UInt8], maxPayloadBytes: Int) throws(DeltaError) {
        guard bytes.count >= 20 + 64, Array(bytes[0..<8]) == Self.magic else {
            throw DeltaError(.envelope, "not a cotrain delta envelope (bad magic or too short)")
        }
        func load<T: FixedWidthInteger>(_ offset: Int, as: T.Type) -> T {
            bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        }
        let h = Int(load(8, as: UInt32.self))
        guard (2...Self.maxHeaderBytes).contains(h), bytes.count >= 20 + h + 64 else {
            throw DeltaError(.envelope, "header length \(h) is outside 2…\(Self.maxHeaderBytes) or past the end")
        }
        let headerBytes = Array(bytes[12..<(12 + h)])
        let header = try DeltaHeader(canonical: headerBytes)
        let p = load(12 + h, as: UInt64.self)
        guard p >= 1, p <= UInt64(maxPayloadBytes) else {
            throw DeltaError(.size, node: header.node, "compressed payload of \(p) bytes is outside 1…\(maxPayloadBytes)")
        }
        guard UInt64(bytes.count) == UInt64(20 + h + 64) + p else {
            throw DeltaError(.envelope, node: header.node, "envelope is \(bytes.count) bytes but its lengths describe \(UInt64(20 + h + 64) + p)")
        }
        let start = 20 + h
        let end = start + Int(p)
        self.init(header: header, headerBytes: headerBytes, payload: Array(bytes[start..<end]), signature: Array(bytes[end...]))
    }
}
