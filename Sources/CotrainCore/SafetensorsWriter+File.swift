// Writing a safetensors file to disk atomically, with large writes.

extension SafetensorsWriter {
    /// Writes the file to `path` atomically (temp file, fsync, rename, fsync directory;
    /// see ``AtomicFile``): readers see the old file or the complete new one. Small
    /// pieces are gathered into 1 MiB writes; large tensors are written straight from
    /// their storage. The file gets mode 0644.
    public func write(toFile path: String) throws {
        try AtomicFile.write(to: path) { fd in
            var buffer = SafetensorsWriteBuffer(capacity: 1 << 20)
            try write(to: { chunk in try buffer.append(chunk, to: fd) })
            try buffer.flush(to: fd)
        }
    }
}

/// Gathers small writes into one buffer; passes large ones through.
private struct SafetensorsWriteBuffer {
    private var storage: [UInt8] = []
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
        storage.reserveCapacity(capacity)
    }

    mutating func append(_ chunk: UnsafeRawBufferPointer, to fd: borrowing FileDescriptor) throws(SystemError) {
        if storage.count + chunk.count > capacity { try flush(to: fd) }
        if chunk.count >= capacity {
            try fd.writeAll(chunk)
        } else {
            chunk.withMemoryRebound(to: UInt8.self) { storage.append(contentsOf: $0) }  // memcpy, not per byte
        }
    }

    mutating func flush(to fd: borrowing FileDescriptor) throws(SystemError) {
        let result = storage.withUnsafeBytes { raw in Result { () throws(SystemError) in try fd.writeAll(raw) } }
        try result.get()
        storage.removeAll(keepingCapacity: true)
    }
}
