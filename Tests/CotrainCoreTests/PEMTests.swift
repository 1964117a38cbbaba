import Foundation
import Testing

@testable import CotrainCore

@Suite struct PEMTests {
    let key: Ed25519PrivateKey
    let keyPEM: String
    let certPEM: String

    init() throws {
        key = try Ed25519PrivateKey()
        keyPEM = try key.pemEncoded()
        certPEM = try Certificate.selfSigned(labName: "pem-lab", key: key).pemEncoded()
    }

    static func parseKey(_ text: String) throws(PEMError) -> Ed25519PrivateKey {
        try Ed25519PrivateKey(pemEncoded: Array(text.utf8), source: "identity/node.key")
    }

    static func keyProblem(_ text: String) -> PEMError.Problem? {
        do {
            _ = try parseKey(text)
            return nil
        } catch {
            #expect(error.description.hasPrefix("identity/node.key: "))
            return error.problem
        }
    }

    @Test func keyRoundTripIsPKCS8() throws {
        #expect(keyPEM.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        #expect(keyPEM.hasSuffix("-----END PRIVATE KEY-----\n"))
        let parsed = try Self.parseKey(keyPEM)
        #expect(try parsed.rawRepresentation() == key.rawRepresentation())
        // Tolerated: CRLF line ends and blank lines around the block.
        #expect(throws: Never.self) { try Self.parseKey("\n" + keyPEM.replacingOccurrences(of: "\n", with: "\r\n") + "\n\n") }
    }

    @Test func framingViolationsAreNamed() {
        let pem = keyPEM
        let lines = pem.split(separator: "\n").map(String.init)
        #expect(Self.keyProblem("") == .noBlock)
        #expect(Self.keyProblem("hello\n" + pem) == .unexpectedText(line: 1))
        #expect(Self.keyProblem(pem + "trailing") == .unexpectedText(line: lines.count + 1))
        #expect(Self.keyProblem(pem + pem) == .multipleBlocks)
        #expect(Self.keyProblem(certPEM) == .wrongLabel(found: "CERTIFICATE", expected: "PRIVATE KEY"))
        #expect(Self.keyProblem(pem.replacingOccurrences(of: "PRIVATE KEY", with: "ENCRYPTED PRIVATE KEY"))
            == .wrongLabel(found: "ENCRYPTED PRIVATE KEY", expected: "PRIVATE KEY"))
        #expect(Self.keyProblem(lines.dropLast().joined(separator: "\n")) == .unterminated)
        #expect(Self.keyProblem(pem.replacingOccurrences(of: "END PRIVATE", with: "END PUBLIC")) == .unterminated)
        let headered = [lines[0], "Proc-Type: 4,ENCRYPTED", ""] + lines.dropFirst()
        #expect(Self.keyProblem(headered.joined(separator: "\n")) == .badBody(line: 2))
        #expect(Self.keyProblem(pem.replacingOccurrences(of: "\n-----END", with: "\n\u{1}\n-----END")) == .notText(line: 3))
        #expect(Self.keyProblem(Fixtures.ecPrivateKey) == .notEd25519(found: "EC"))
    }

    @Test func damagedContentIsRefused() {
        let pem = keyPEM
        var lines = pem.split(separator: "\n").map(String.init)
        lines[1] = String(lines[1].dropLast(8))  // truncated base64
        #expect(throws: PEMError.self) { try Self.parseKey(lines.joined(separator: "\n")) }
        var body = Array(pem.utf8)
        body[40] = body[40] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")  // changes the DER header
        #expect(throws: PEMError.self) { try Self.parseKey(String(decoding: body, as: UTF8.self)) }
        #expect(throws: PEMError.self) { try Self.parseKey("-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n") }
        #expect(throws: PEMError.self) { try Self.parseKey("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") }
    }

    @Test func hugeAndBinaryInputsAreRefused() throws {
        let huge = keyPEM + String(repeating: "\n", count: PEM.maximumSize)
        #expect(Self.keyProblem(huge) == .tooLarge(size: huge.utf8.count, limit: PEM.maximumSize))
        var rng = TestRNG(seed: 11)
        for _ in 0..<200 {
            let junk = (0..<Int(rng.next() % 2000)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            #expect(throws: PEMError.self) { try Ed25519PrivateKey(pemEncoded: junk, source: "junk") }
            #expect(throws: PEMError.self) { try Certificate(pemEncoded: junk, source: "junk") }
        }
    }

    @Test func certificateFramingAndTrailingDER() throws {
        let cert = try Certificate(pemEncoded: certPEM, source: "peers/a.pem")
        // A valid certificate followed by extra DER bytes inside the same block.
        let der = try cert.derEncoded() + [0x05, 0x00]
        let pem = "-----BEGIN CERTIFICATE-----\n" + Data(der).base64EncodedString(options: .lineLength64Characters) + "\n-----END CERTIFICATE-----\n"
        let error = #expect(throws: PEMError.self) { try Certificate(pemEncoded: pem, source: "peers/a.pem") }
        #expect(error?.description.contains("peers/a.pem") == true)
        #expect(throws: PEMError.self) { try Certificate(pemEncoded: keyPEM, source: "x") }
        #expect(throws: PEMError.self) { try Certificate(pemEncoded: certPEM + certPEM, source: "x") }
    }

    /// Thousands of seeded mutations of valid PEM keys and certificates: each must
    /// parse or throw PEMError (the typed throw guarantees the type); none may crash.
    @Test func randomizedMutationsNeverCrash() throws {
        var rng = TestRNG(seed: 0xC07_4A1)
        let originals = [Array(keyPEM.utf8), Array(certPEM.utf8)]
        let base64 = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=".utf8)
        var parsed = 0, refused = 0
        for round in 0..<4000 {
            var bytes = originals[round % 2]
            for _ in 0...Int(rng.next() % 3) {
                let at = Int(rng.next() % UInt64(max(bytes.count, 1)))
                switch rng.next() % 6 {
                case 0: if !bytes.isEmpty { bytes[at] ^= UInt8(1) << (rng.next() % 8) }
                case 1: if !bytes.isEmpty { bytes[at] = base64[Int(rng.next() % UInt64(base64.count))] }
                case 2: bytes.removeSubrange(at..<min(bytes.count, at + Int(rng.next() % 16)))
                case 3: bytes.insert(base64[Int(rng.next() % UInt64(base64.count))], at: at)
                case 4: bytes = Array(bytes.prefix(at))
                default: bytes += bytes.prefix(Int(rng.next() % 64))
                }
            }
            do {
                if round % 2 == 0 {
                    let key = try Ed25519PrivateKey(pemEncoded: bytes, source: "fuzz")
                    _ = try key.sign(message: [1], domain: .modelDelta)
                } else {
                    let cert = try Certificate(pemEncoded: bytes, source: "fuzz")
                    _ = cert.hasValidSelfSignature()
                    _ = try? cert.publicKey()
                    _ = try cert.derEncoded()
                }
                parsed += 1
            } catch {
                refused += 1
            }
        }
        #expect(parsed > 0 && refused > 0)
    }
}
