// Length-prefixed frames: 4-byte big-endian length, then the type byte and the body.
// The length counts the type byte and the body, never the length field itself.

/// One frame as it travels: a type byte (not yet checked against ``MessageType``) and
/// the body bytes.
public struct Frame: Sendable, Equatable {
    /// The size of the length field plus the type byte.
    public static let headerSize = 5
    /// The default largest length field: 4 MiB (chunks are at most 1 MiB).
    public static let defaultMaxLength = 4 << 20

    /// The type byte.
    public var type: UInt8
    /// The body (everything after the type byte).
    public var body: [UInt8]

    /// A frame of `type` carrying `body`.
    public init(type: UInt8, body: [UInt8]) {
        self.type = type
        self.body = body
    }

    /// The 5 header bytes for a frame of `type` with a body of `bodyCount` bytes.
    public static func header(type: UInt8, bodyCount: Int) -> [UInt8] {
        let length = UInt32(bodyCount + 1)
        return [UInt8(truncatingIfNeeded: length >> 24), UInt8(truncatingIfNeeded: length >> 16),
                UInt8(truncatingIfNeeded: length >> 8), UInt8(truncatingIfNeeded: length), type]
    }

    /// The frame's bytes: header then body.
    public var bytes: [UInt8] { Self.header(type: type, bodyCount: body.count) + body }
}

/// Reassembles frames from a byte stream, reading straight into the frame's buffer.
///
/// Use: read up to `readBuffer` bytes into it, call ``didRead(_:)`` with the count,
/// which returns a frame when one is complete. The declared length is checked against
/// `maxLength` before any body memory is allocated.
struct FrameReader {
    /// The largest length field accepted.
    let maxLength: Int
    private var header = [UInt8](repeating: 0, count: Frame.headerSize)
    private var headerFilled = 0
    private var body: [UInt8] = []
    private var bodyFilled = 0

    init(maxLength: Int = Frame.defaultMaxLength) {
        self.maxLength = maxLength
    }

    /// Whether part of a frame has arrived (so end of stream now means truncation).
    var isInsideFrame: Bool { headerFilled > 0 }

    /// The truncation error for end of stream now.
    var truncation: WireError {
        headerFilled < Frame.headerSize
            ? .truncatedFrame(received: headerFilled, expected: Frame.headerSize)
            : .truncatedFrame(received: Frame.headerSize + bodyFilled, expected: Frame.headerSize + body.count)
    }

    /// Calls `read` with the unfilled part of the current header or body; `read`
    /// returns how many bytes it wrote there.
    mutating func fill<E: Error>(_ read: (UnsafeMutableRawBufferPointer) throws(E) -> Int) throws(E) -> Int {
        if headerFilled < Frame.headerSize {
            // The length field alone first: it is checked before the type byte is read.
            let range = headerFilled..<(headerFilled < 4 ? 4 : Frame.headerSize)
            return try header.withUnsafeMutableBytes { raw in
                Result { () throws(E) in try read(UnsafeMutableRawBufferPointer(rebasing: raw[range])) }
            }.get()
        }
        let filled = bodyFilled
        return try body.withUnsafeMutableBytes { raw in
            Result { () throws(E) in try read(UnsafeMutableRawBufferPointer(rebasing: raw[filled...])) }
        }.get()
    }

    /// Accounts for `count` bytes written by the last ``fill(_:)``; returns the frame
    /// when it is complete. Throws when the header declares a length of 0 or above
    /// `maxLength`.
    mutating func didRead(_ count: Int) throws(WireError) -> Frame? {
        if headerFilled < Frame.headerSize {
            headerFilled += count
            if headerFilled == 4 {
                let length = header[0..<4].reduce(0) { $0 << 8 | Int($1) }
                guard length > 0 else { throw .emptyFrame }
                guard length <= maxLength else { throw .frameTooLarge(length: length, limit: maxLength) }
            }
            guard headerFilled == Frame.headerSize else { return nil }
            let length = header[0..<4].reduce(0) { $0 << 8 | Int($1) }
            body = [UInt8](repeating: 0, count: length - 1)
            bodyFilled = 0
        } else {
            bodyFilled += count
        }
        guard bodyFilled == body.count else { return nil }
        let frame = Frame(type: header[4], body: body)
        body = []
        headerFilled = 0
        bodyFilled = 0
        return frame
    }

    /// Feeds `bytes` (e.g. from a test or a buffer) and returns every frame completed.
    mutating func feed(_ bytes: [UInt8]) throws(WireError) -> [Frame] {
        var frames: [Frame] = []
        var offset = 0
        while offset < bytes.count {
            let taken = fill { buffer in
                let n = min(buffer.count, bytes.count - offset)
                bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[offset..<offset + n])) }
                return n
            }
            offset += taken
            if let frame = try didRead(taken) { frames.append(frame) }
        }
        return frames
    }
}
