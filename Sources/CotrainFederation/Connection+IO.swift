// Moving bytes for the connection thread: writing queued frames without copying chunk
// payloads, reading frames straight into their buffers, and closing so that the
// peer gets to read our error frame before the socket goes away.
import CotrainCore

extension ConnectionDriver {
    /// Writes queued frames until the queue is empty or the socket is full, then
    /// pushes the buffered records to the socket; returns the close reason if the
    /// stream failed.
    func flush() -> ConnectionError? {
        if let end = writeFrames() { return end }
        let flushed: TLSStream.Flush
        do { flushed = try stream.flushOutput() } catch { return perform(machine.streamEnded(.tls(error))) }
        outputBlocked = flushed == .blocked
        if flushed == .closed { return perform(machine.streamEnded(.closedByPeer(peer: machine.peerLabel))) }
        return nil
    }

    private func writeFrames() -> ConnectionError? {
        while true {
            if writing == nil {
                writing = connection.shared.withLock { $0.outgoing.isEmpty ? nil : $0.outgoing.removeFirst() }
                written = 0
            }
            guard let item = writing else {
                writeWantsWrite = false
                return nil
            }
            let progress: TLSStream.Progress
            do { progress = try writeSome(item.frame) } catch { return perform(machine.streamEnded(.tls(error))) }
            switch progress {
            case .bytes(let count):
                written += count
                guard written == item.frame.count else { continue }
                writing = nil
                connection.shared.withLock { $0.queuedBytes -= item.frame.count }
                item.completion?(nil)
            case .wouldBlock(let wantsWrite):
                writeWantsWrite = wantsWrite
                return nil
            case .closed:
                return perform(machine.streamEnded(.closedByPeer(peer: machine.peerLabel)))
            }
        }
    }

    /// Writes from where the current frame stopped: its head, then its payload.
    private func writeSome(_ frame: EncodedFrame) throws(TLSError) -> TLSStream.Progress {
        let (bytes, offset) = written < frame.head.count ? (frame.head, written) : (frame.payload, written - frame.head.count)
        return try bytes.withUnsafeBytes { buffer in
            Result { () throws(TLSError) in try stream.write(UnsafeRawBufferPointer(rebasing: buffer[offset...])) }
        }.get()
    }

    /// Reads and handles frames until the socket is drained or a per-pass budget is
    /// spent (so writes and timers get their turn). Returns the close reason if the
    /// connection ended, and whether more may be waiting.
    func readAvailable() -> (end: ConnectionError?, more: Bool) {
        var budget = 4 << 20
        while budget > 0 {
            var progress = TLSStream.Progress.bytes(0)
            let count: Int
            do {
                count = try reader.fill { (buffer) throws(TLSError) -> Int in
                    progress = try stream.read(into: buffer)
                    if case .bytes(let n) = progress { return n }
                    return 0
                }
            } catch { return (perform(machine.streamEnded(.tls(error))), false) }
            switch progress {
            case .bytes:
                budget -= count
                readWantsWrite = false
                let frame: Frame?
                do { frame = try reader.didRead(count) } catch { return (perform(machine.receivedInvalid(error)), false) }
                if let frame, let end = handle(frame) { return (end, false) }
            case .wouldBlock(let wantsWrite):
                readWantsWrite = wantsWrite
                return (nil, false)
            case .closed:
                let error: ConnectionError = reader.isInsideFrame
                    ? .protocolViolation(peer: machine.peerLabel, reader.truncation) : .closedByPeer(peer: machine.peerLabel)
                return (perform(machine.streamEnded(error)), false)
            }
        }
        return (nil, true)
    }

    /// Decodes a frame and lets the machine judge it with the peer's standing now.
    private func handle(_ frame: Frame) -> ConnectionError? {
        let message: WireMessage
        do { message = try WireMessage(decoding: frame, limits: options.limits) } catch {
            return perform(machine.receivedInvalid(error))
        }
        guard let peer = machine.peer else { return perform(machine.received(message, standing: .unknown, now: .now)) }
        return perform(machine.received(message, standing: connection.authorizer.standing(of: peer), now: .now))
    }

    /// Ends the connection: abandons queued frames, sends `notify` as an error frame
    /// (unless a frame is half written), close_notify and FIN, then reads until the
    /// peer closes or the linger time ends, so it can read the error before a reset.
    func closeGracefully(notify: WireMessage.ErrorMessage?, error: ConnectionError) {
        connection.shared.withLock { $0.isOpen = false }
        let deadline = ContinuousClock.now + options.lingerTimeout
        if let abandoned = writing, written > 0 {
            abandoned.completion?(error)
            writing = nil
        } else if let notify, let frame = try? WireMessage.error(notify).encodedFrame(limits: options.limits) {
            if let queued = writing { queued.completion?(error) }
            writing = Connection.Outgoing(frame: frame, completion: nil)
            written = 0
            while let item = writing, ContinuousClock.now < deadline {
                guard case .bytes(let count)? = try? writeSome(item.frame) else {
                    guard (try? stream.flushOutput()) == .blocked,
                        (try? Poll.wait(stream.socket.fd, for: Int16(POLLOUT), until: deadline)) == true
                    else { break }
                    continue
                }
                written += count
                if written == item.frame.count { writing = nil }
            }
        }
        writing = nil
        stream.sendCloseNotify(flushingUntil: deadline)
        _ = shutdown(stream.socket.fd, Int32(SHUT_WR))
        guard notify != nil else { return }
        var scratch = [UInt8](repeating: 0, count: 64 << 10)
        while ContinuousClock.now < deadline {
            let progress = scratch.withUnsafeMutableBytes { try? stream.read(into: $0) }
            switch progress {
            case .bytes?: continue
            case .wouldBlock?:
                guard (try? Poll.wait(stream.socket.fd, for: Int16(POLLIN), until: deadline)) == true else { return }
            case .closed?, nil: return
            }
        }
    }
}
