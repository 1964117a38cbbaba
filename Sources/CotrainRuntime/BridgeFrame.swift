// CotrainRuntime/BridgeFrame.swift: the arm-bridge wire framing (docs/arm-bridge.md).
//
//   u32 big-endian  header length H   (1 ... maxHeaderBytes)
//   u32 big-endian  payload length P  (0 ... maxPayloadBytes)
//   H bytes         JSON object, UTF-8, with a "type" member
//   P bytes         binary payload (camera frames, RGB8), described by the header
//
// Lengths are checked before anything is allocated, so garbage or a hostile peer costs
// at most one bounded buffer.
import CotrainCore

/// Protocol constants.
public enum BridgeProtocol {
    /// The protocol version this build speaks (sent in `hello` and `capabilities`).
    public static let version = 1
    /// Default TCP port for `arm-sim` and the reference bridge.
    public static let defaultPort = 7600
}

/// Size bounds for frames and their contents.
public struct BridgeLimits: Sendable, Equatable {
    /// Largest JSON header, in bytes.
    public var maxHeaderBytes = 64 << 10
    /// Largest binary payload, in bytes (four 1024×1024 RGB8 frames fit).
    public var maxPayloadBytes = 16 << 20
    /// Most joints, cameras, and the longest string in a message.
    public var maxJoints = 8
    public var maxCameras = 4
    public var maxStringBytes = 4096
    /// Largest camera side, in pixels.
    public var maxImageSide = 1024

    public init() {}

    /// JSON parser limits matching these bounds.
    var json: JSONLimits {
        JSONLimits(maxInputBytes: maxHeaderBytes, maxDepth: 8, maxStringBytes: maxStringBytes, maxValues: 4096)
    }
}

/// One frame: a JSON header object and an optional binary payload.
public struct BridgeFrame: Sendable, Equatable {
    public var header: JSONValue
    public var payload: [UInt8]

    public init(header: JSONValue, payload: [UInt8] = []) {
        self.header = header; self.payload = payload
    }

    /// The bytes on the wire.
    public var encoded: [UInt8] {
        let json = header.canonicalBytes
        var out: [UInt8] = []
        out.reserveCapacity(8 + json.count + payload.count)
        appendBigEndian(UInt32(json.count), to: &out)
        appendBigEndian(UInt32(payload.count), to: &out)
        out += json
        out += payload
        return out
    }

    /// Validates an 8-byte prefix and returns (header length, payload length).
    public static func lengths(prefix: [UInt8], limits: BridgeLimits) throws(BridgeError) -> (header: Int, payload: Int) {
        precondition(prefix.count == 8, "the frame prefix is 8 bytes")
        let h = Int(readBigEndian(prefix, at: 0)), p = Int(readBigEndian(prefix, at: 4))
        guard h >= 2 else { throw .malformed("frame header length \(h) is too short for a JSON object") }
        guard h <= limits.maxHeaderBytes else { throw .frameTooLarge(part: "header", size: h, limit: limits.maxHeaderBytes) }
        guard p <= limits.maxPayloadBytes else { throw .frameTooLarge(part: "payload", size: p, limit: limits.maxPayloadBytes) }
        return (h, p)
    }

    /// Parses the header bytes of a frame (strict JSON, must be an object with a string "type").
    public static func parseHeader(_ bytes: [UInt8], limits: BridgeLimits) throws(BridgeError) -> JSONValue {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes, limits: limits.json)
        } catch {
            throw .malformed("header is not valid JSON (\(error.description))")
        }
        guard value.object != nil else { throw .malformed("header is not a JSON object") }
        guard value["type"]?.string != nil else { throw .malformed("header has no string member \"type\"") }
        return value
    }

    /// Decodes one complete frame from `bytes` (tests and tools; sockets use `BridgeChannel`).
    public static func decode(_ bytes: [UInt8], limits: BridgeLimits = BridgeLimits()) throws(BridgeError) -> BridgeFrame {
        guard bytes.count >= 8 else { throw .malformed("frame is \(bytes.count) bytes, shorter than its 8-byte prefix") }
        let (h, p) = try lengths(prefix: Array(bytes[0..<8]), limits: limits)
        guard bytes.count == 8 + h + p else {
            throw .malformed("frame is \(bytes.count) bytes, its prefix announces \(8 + h + p)")
        }
        let header = try parseHeader(Array(bytes[8..<(8 + h)]), limits: limits)
        return BridgeFrame(header: header, payload: Array(bytes[(8 + h)...]))
    }
}

func appendBigEndian(_ value: UInt32, to out: inout [UInt8]) {
    out.append(UInt8(value >> 24)); out.append(UInt8((value >> 16) & 0xFF))
    out.append(UInt8((value >> 8) & 0xFF)); out.append(UInt8(value & 0xFF))
}

func readBigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
    UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
}
