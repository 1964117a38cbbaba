// CotrainRuntime/BridgeChannel.swift: whole messages over a bridge socket.
import CotrainCore

/// Sends and receives arm-bridge messages on one connection, enforcing the limits.
public struct BridgeChannel: Sendable {
    /// The connection.
    public let socket: BridgeSocket
    /// Size bounds applied to every received frame.
    public let limits: BridgeLimits

    public init(socket: BridgeSocket, limits: BridgeLimits = BridgeLimits()) {
        self.socket = socket; self.limits = limits
    }

    /// Sends one message.
    public func send(_ message: BridgeMessage) throws(BridgeError) {
        try socket.send(message.frame.encoded)
    }

    /// Receives one frame within `seconds`.
    public func receiveFrame(
        within seconds: Double, waitingFor what: String, interrupted: () -> Bool = { false }
    ) throws(BridgeError) -> BridgeFrame {
        let deadline = monotonicSeconds() + seconds
        let prefix = try socket.receive(8, deadline: deadline, waitingFor: what, interrupted: interrupted)
        let (h, p) = try BridgeFrame.lengths(prefix: prefix, limits: limits)
        let header = try socket.receive(h, deadline: deadline, waitingFor: what, interrupted: interrupted)
        let payload = p == 0 ? [] : try socket.receive(p, deadline: deadline, waitingFor: what, interrupted: interrupted)
        return BridgeFrame(header: try BridgeFrame.parseHeader(header, limits: limits), payload: payload)
    }

    /// Receives and decodes one message within `seconds`.
    public func receive(
        within seconds: Double, waitingFor what: String, interrupted: () -> Bool = { false }
    ) throws(BridgeError) -> BridgeMessage {
        try BridgeMessage.decode(try receiveFrame(within: seconds, waitingFor: what, interrupted: interrupted), limits: limits)
    }
}
