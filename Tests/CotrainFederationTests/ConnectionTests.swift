import Foundation
import Testing

@testable import CotrainCore
@testable import CotrainFederation

/// A TLS client that writes whatever bytes a test gives it: the hostile peer.
final class RawTLSPeer {
    let stream: TLSStream

    init(_ node: TLSTestNode, port: UInt16) throws {
        let socket = try Socket.connect(to: SocketEndpoint(host: "127.0.0.1", port: port), deadline: .now + .seconds(5))
        stream = try TLSStream(context: try TLSContext(identity: node.identity, role: .client), socket: socket)
        try stream.handshake(deadline: .now + .seconds(5), timeout: .seconds(5))
    }

    func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let progress = try bytes.withUnsafeBytes { try stream.write(UnsafeRawBufferPointer(rebasing: $0[offset...])) }
            switch progress {
            case .bytes(let n): offset += n
            case .wouldBlock: _ = try Poll.wait(stream.socket.fd, for: Int16(POLLOUT), until: .now + .seconds(5))
            case .closed: return
            }
        }
        stream.flushOutput(until: .now + .seconds(5))
    }

    func send(_ message: WireMessage) throws { try write(message.frame().bytes) }

    /// Sends close_notify and FIN.
    func finish() {
        stream.sendCloseNotify()
        _ = shutdown(stream.socket.fd, Int32(SHUT_WR))
    }

    /// Every frame the server sends until it closes (or `timeout` passes).
    func framesUntilClosed(timeout: Double = 5) throws -> [Frame] {
        var reader = FrameReader()
        var frames: [Frame] = []
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while ContinuousClock.now < deadline {
            let progress = try buffer.withUnsafeMutableBytes { try stream.read(into: $0) }
            switch progress {
            case .bytes(let n): frames += try reader.feed(Array(buffer[..<n]))
            case .wouldBlock: _ = try Poll.wait(stream.socket.fd, for: Int16(POLLIN), until: deadline)
            case .closed: return frames
            }
        }
        return frames
    }
}

@Suite(.serialized) struct ConnectionTests {
    let a: TLSTestNode
    let b: TLSTestNode

    init() throws {
        a = try TLSTestNode("lab-a")
        b = try TLSTestNode("lab-b")
        a.knows(b, as: .approved)
        b.knows(a, as: .approved)
    }

    /// The error frame a hostile peer gets back after sending `bytes` (after a valid
    /// hello if `hello`), checking the server's own hello came first.
    private func errorReply(to bytes: [UInt8], afterHello hello: Bool = true,
                            sourceLocation: SourceLocation = #_sourceLocation) throws -> WireMessage.ErrorMessage? {
        let listener = try a.listen(TLSInbox())
        defer { listener.stop() }
        let peer = try RawTLSPeer(b, port: listener.port)
        if hello { try peer.send(.hello(b.hello())) }
        try peer.write(bytes)
        let frames = try peer.framesUntilClosed()
        #expect(frames.first.map { try? WireMessage(decoding: $0) } == .hello(a.hello()), sourceLocation: sourceLocation)
        guard frames.count >= 2, case .error(let error)? = try? WireMessage(decoding: frames.last!) else { return nil }
        return error
    }

    @Test func garbageGetsAnErrorFrameAndClose() throws {
        #expect(try errorReply(to: [0, 0, 0, 3, 0x99, 1, 2])?.code == .unknownMessageType)
        #expect(try errorReply(to: [0, 0, 0, 0])?.code == .malformedFrame)
        #expect(try errorReply(to: Array("GET / HTTP/1.1\r\n\r\n".utf8))?.code == .frameTooLarge)
    }

    @Test func oversizedFrameIsRefusedBeforeReadingIt() throws {
        let error = try errorReply(to: [0x7F, 0xFF, 0xFF, 0xFF, 0x11])
        #expect(error?.code == .frameTooLarge)
        #expect(error?.message == "frame of 2147483647 bytes exceeds the 4194304-byte limit")
    }

    @Test func malformedBodiesAreRefused() throws {
        #expect(try errorReply(to: Frame(type: MessageType.deltaAck.rawValue, body: Array("{not json".utf8)).bytes)?.code == .malformedMessage)
        let ack = #"{"accepted":true,"delta":"00","reason":""}"#
        #expect(try errorReply(to: Frame(type: MessageType.deltaAck.rawValue, body: Array(ack.utf8)).bytes)?.code == .malformedMessage)
        #expect(try errorReply(to: Frame(type: MessageType.ping.rawValue, body: [1, 2, 3]).bytes)?.code == .malformedMessage)
    }

    @Test func firstMessageMustBeHello() throws {
        let error = try errorReply(to: WireMessage.ping(nonce: 1).frame().bytes, afterHello: false)
        #expect(error?.code == .unexpectedMessage)
        #expect(error?.message == "the first message must be hello, got ping")
    }

    @Test func otherMajorVersionIsRefusedWithItsNumber() throws {
        let hello = #"{"protocol_major":2,"protocol_minor":0,"something":"new"}"#
        let error = try errorReply(to: Frame(type: MessageType.hello.rawValue, body: Array(hello.utf8)).bytes, afterHello: false)
        #expect(error?.code == .protocolVersion)
        #expect(error?.message == "protocol version 2 not supported (this node speaks 1)")
    }

    @Test func helloMustNameTheCertificatesNode() throws {
        var forged = b.hello()
        forged.nodeID = a.id
        let error = try errorReply(to: WireMessage.hello(forged).frame().bytes, afterHello: false)
        #expect(error?.code == .helloMismatch)
    }

    @Test func truncatedFrameEndsTheConnection() throws {
        let server = TLSInbox()
        let listener = try a.listen(server)
        defer { listener.stop() }
        let peer = try RawTLSPeer(b, port: listener.port)
        try peer.send(.hello(b.hello()))
        try peer.write([0, 0, 0, 100, MessageType.deltaAck.rawValue] + [UInt8](repeating: 0x20, count: 10))
        peer.finish()
        guard case .protocolViolation(_, .truncatedFrame(received: 15, expected: 104))? = server.closed() else {
            Issue.record("expected a truncated-frame close")
            return
        }
    }

    @Test func silentPeerTimesOut() throws {
        var options = ConnectionOptions.test
        options.timing.helloTimeout = .milliseconds(200)
        let listener = try a.listen(TLSInbox(), options: options)
        defer { listener.stop() }
        let peer = try RawTLSPeer(b, port: listener.port)
        let frames = try peer.framesUntilClosed()
        #expect(frames.count == 2)
        guard case .error(let error)? = frames.last.flatMap({ try? WireMessage(decoding: $0) }) else {
            Issue.record("expected an error frame")
            return
        }
        #expect(error == .init(code: .timeout, message: "no hello within 0.2 s"))
    }

    @Test func asyncDialAndSend() async throws {
        let server = TLSInbox()
        let listener = try a.listen(server)
        defer { listener.stop() }
        let connection = try await b.dialer().dial(SocketEndpoint(host: "127.0.0.1", port: listener.port), expecting: a.id,
                                                   hello: b.hello())
        let chunk = WireMessage.blobChunk(.init(hash: HandshakeTests.digest, offset: 5, bytes: [UInt8](repeating: 1, count: 1 << 20)))
        try await connection.send(chunk)
        #expect(server.message() == chunk)
        connection.close(reason: "done")
        guard case .disconnected = await connection.closed() else { Issue.record("expected disconnected"); return }
    }

    @Test func holds64ConcurrentConnections() async throws {
        let server = TLSInbox()
        let listener = try a.listen(server)
        let client = TLSInbox()
        let dialer = try b.dialer()
        let endpoint = SocketEndpoint(host: "127.0.0.1", port: listener.port)
        let connections = try await withThrowingTaskGroup(of: Connection.self) { group in
            for _ in 0..<64 {
                group.addTask { try await dialer.dial(endpoint, expecting: a.id, hello: b.hello(), events: client.events) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(connections.count == 64)
        #expect(listener.accepted.count == 64)
        for (index, connection) in connections.enumerated() { try await connection.send(.ping(nonce: UInt64(index))) }
        var nonces = Set<UInt64>()
        for _ in 0..<64 {
            guard case .pong(let nonce)? = client.message() else { break }
            nonces.insert(nonce)
        }
        #expect(nonces == Set(0..<64))
        listener.stop()
        #expect(listener.accepted.count == 0)
        var closed = 0
        for _ in 0..<64 {
            if case .refusedByPeer(_, "shutting-down", _)? = client.closed() { closed += 1 }
        }
        #expect(closed == 64)
    }
}
