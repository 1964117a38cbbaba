// Strict, bounded PEM decoding. Key and certificate files come from disk and from
// peers, so the framing is checked in Swift before OpenSSL sees a byte, and the DER
// inside must be consumed exactly.
//
// Accepted (everything else is a PEMError):
// - at most `PEM.maximumSize` (64 KiB) of printable ASCII, tabs and line breaks (LF or CRLF);
// - exactly one `-----BEGIN <label>-----` … `-----END <label>-----` block with the label
//   the caller expects, e.g. `PRIVATE KEY` (PKCS#8) or `CERTIFICATE`;
// - only blank lines before and after the block (no explanatory text, no second block);
// - base64 body lines only: no RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`), `=` only at the end;
// - DER that decodes to exactly one object with no trailing bytes.
import COpenSSL

/// A PEM file or text that cotrain refuses, naming where it came from.
public struct PEMError: CotrainError, Equatable {
    /// What was wrong.
    public enum Problem: Sendable, Equatable {
        /// Larger than ``PEM/maximumSize``.
        case tooLarge(size: Int, limit: Int)
        /// A byte that is not printable ASCII, tab, CR or LF, on a 1-based line.
        case notText(line: Int)
        /// No `-----BEGIN …-----` line.
        case noBlock
        /// A block with another label than the one expected.
        case wrongLabel(found: String, expected: String)
        /// More than one block where one is expected.
        case multipleBlocks
        /// Text before or after the block, on a 1-based line.
        case unexpectedText(line: Int)
        /// No `-----END …-----` line matching the BEGIN line.
        case unterminated
        /// A body line that is not base64, or a header line (encrypted PEM), 1-based.
        case badBody(line: Int)
        /// The base64 or the DER inside did not decode to exactly one object.
        case badContent(details: [String])
        /// A key of another type than Ed25519.
        case notEd25519(found: String)
    }

    /// The file path, or a description such as "certificate from peer 1.2.3.4".
    public let source: String
    /// What was expected, e.g. "certificate" or "private key".
    public let expected: String
    /// The problem found.
    public let problem: Problem

    public var description: String {
        let head = "\(source): not a usable PEM \(expected)"
        switch problem {
        case .tooLarge(let size, let limit): return "\(head): \(size) bytes, more than the \(limit)-byte limit"
        case .notText(let line): return "\(head): binary data on line \(line)"
        case .noBlock: return "\(head): no '-----BEGIN' line"
        case .wrongLabel(let found, let expected):
            let hint = found.contains("ENCRYPTED") ? " (encrypted keys are not supported; store it unencrypted with mode 0600)" : ""
            return "\(head): the block is '\(found)', expected '\(expected)'\(hint)"
        case .multipleBlocks: return "\(head): more than one PEM block; keep exactly one per file"
        case .unexpectedText(let line): return "\(head): unexpected text on line \(line), outside the PEM block"
        case .unterminated: return "\(head): the '-----END' line is missing or does not match"
        case .badBody(let line): return "\(head): line \(line) is not base64 (headers and encrypted PEM are not supported)"
        case .badContent(let details):
            let tail = details.isEmpty ? "" : " (" + details.joined(separator: "; ") + ")"
            return "\(head): the encoded data is corrupt or truncated\(tail)"
        case .notEd25519(let found): return "\(head): the key is \(found), cotrain identities use Ed25519"
        }
    }
}

/// PEM framing shared by keys and certificates.
enum PEM {
    /// The largest PEM input accepted (an Ed25519 key is ~120 bytes, a certificate ~700).
    static let maximumSize = 64 * 1024

    /// Checks `text` against the rules at the top of this file and calls `body` with
    /// the decoded DER of its single block. The DER lives on OpenSSL's heap only and
    /// is cleansed after `body` returns (it may be a private key).
    static func withDecodedBlock<R>(
        _ text: UnsafeRawBufferPointer, label: String, source: String, expected: String,
        _ body: (UnsafeRawBufferPointer) throws(PEMError) -> R
    ) throws(PEMError) -> R {
        func fail(_ problem: PEMError.Problem) -> PEMError {
            PEMError(source: source, expected: expected, problem: problem)
        }
        try checkFraming(text, label: label, fail: fail)
        // The framing is sound; let OpenSSL decode the base64 of the exact input.
        guard let bio = try? MemoryBIO(copying: text, secure: true) else {
            throw fail(.badContent(details: OpenSSLErrorQueue.drain()))
        }
        var data: UnsafeMutablePointer<UInt8>? = nil
        var length = 0
        var name: UnsafeMutablePointer<CChar>? = nil
        OpenSSLErrorQueue.clear()
        // The callback refuses any password prompt (OpenSSL's default reads the TTY).
        let ok = PEM_bytes_read_bio(&data, &length, &name, label, bio.raw, { _, _, _, _ in -1 }, nil)
        defer {
            if let data { OPENSSL_cleanse(data, length); cotrain_OPENSSL_free(data) }
            cotrain_OPENSSL_free(name)
        }
        guard ok == 1, let data, length > 0 else { throw fail(.badContent(details: OpenSSLErrorQueue.drain())) }
        return try body(UnsafeRawBufferPointer(start: data, count: length))
    }

    /// The framing rules, without decoding: size, text, one block, label, base64 body.
    private static func checkFraming(
        _ text: UnsafeRawBufferPointer, label: String, fail: (PEMError.Problem) -> PEMError
    ) throws(PEMError) {
        guard text.count <= maximumSize else { throw fail(.tooLarge(size: text.count, limit: maximumSize)) }
        enum State { case before, body, after }
        var state = State.before
        var sawPadding = false
        var lineNumber = 0
        for rawLine in text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            var line = rawLine[...]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            guard line.allSatisfy({ ($0 >= 0x20 && $0 < 0x7f) || $0 == 0x09 }) else { throw fail(.notText(line: lineNumber)) }
            let content = String(decoding: line, as: UTF8.self).trimmingASCIISpaces()
            switch state {
            case .before, .after:
                if content.isEmpty { continue }
                if let found = boundaryLabel(content, kind: "BEGIN") {
                    guard state == .before else { throw fail(.multipleBlocks) }
                    guard found == label else { throw fail(.wrongLabel(found: found, expected: label)) }
                    state = .body
                } else {
                    throw fail(.unexpectedText(line: lineNumber))
                }
            case .body:
                if content.hasPrefix("-----") {
                    guard boundaryLabel(content, kind: "END") == label else { throw fail(.unterminated) }
                    state = .after
                    continue
                }
                // '=' may only end the last body line; nothing may follow a padded line.
                guard !content.isEmpty, !sawPadding, isBase64Line(content) else { throw fail(.badBody(line: lineNumber)) }
                sawPadding = content.hasSuffix("=")
            }
        }
        switch state {
        case .before: throw fail(.noBlock)
        case .body: throw fail(.unterminated)
        case .after: return
        }
    }

    /// The label of a `-----BEGIN label-----` (or END) line, or nil if it is not one.
    private static func boundaryLabel(_ line: String, kind: String) -> String? {
        let head = "-----\(kind) ", tail = "-----"
        guard line.hasPrefix(head), line.hasSuffix(tail), line.count >= head.count + tail.count else { return nil }
        return String(line.dropFirst(head.count).dropLast(tail.count))
    }

    private static func isBase64Line(_ line: String) -> Bool {
        let body = line.utf8.prefix { $0 != UInt8(ascii: "=") }
        let padding = line.utf8.count - body.count
        return padding <= 2 && line.utf8.suffix(padding).allSatisfy { $0 == UInt8(ascii: "=") }
            && body.allSatisfy { c in
                (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z"))
                    || (c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9")) || c == UInt8(ascii: "+") || c == UInt8(ascii: "/")
            }
    }

    /// Runs an OpenSSL `PEM_write_bio_*` call into a memory BIO and returns the text.
    static func encode(_ operation: String, secure: Bool = false, _ write: (OpaquePointer) -> Int32) throws(CryptoError) -> String {
        let bio = try MemoryBIO(secure: secure)
        try openSSLCall(operation) { write(bio.raw) }
        return bio.string
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    fileprivate func trimmingASCIISpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
