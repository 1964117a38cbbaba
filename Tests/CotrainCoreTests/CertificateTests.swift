import COpenSSL
import Foundation
import Testing

@testable import CotrainCore

@Suite struct CertificateTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func make(_ name: String = "Lab Zürich (arm-7)", days: Int = 3650) throws -> (Ed25519PrivateKey, Certificate) {
        let key = try Ed25519PrivateKey()
        return (key, try Certificate.selfSigned(labName: name, key: key, validityDays: days, now: now))
    }

    @Test func selfSignedFields() throws {
        let (key, cert) = try Self.make()
        #expect(cert.commonName == "Lab Zürich (arm-7)")
        #expect(cert.notBefore == Self.now - 300)
        #expect(cert.notAfter == Self.now + 3650 * 86_400)
        #expect(try cert.publicKey() == key.publicKey)
        #expect(try cert.nodeID == key.publicKey.nodeID())
        #expect(cert.hasValidSelfSignature())
        #expect(cert.isValid(at: Self.now))
        #expect(cert.isValid(at: Self.now - 299))  // clock skew allowance
        #expect(!cert.isValid(at: Self.now - 301))
        #expect(!cert.isValid(at: Self.now + 3651 * 86_400))
    }

    @Test func extensionsMakeATLSLeaf() throws {
        let (_, cert) = try Self.make()
        let x = cert.raw
        #expect(X509_get_version(x) == 2)
        #expect(X509_check_ca(x) == 0)
        #expect(X509_get_key_usage(x) == UInt32(KU_DIGITAL_SIGNATURE))
        #expect(X509_get_extended_key_usage(x) == UInt32(XKU_SSL_SERVER | XKU_SSL_CLIENT))
        #expect(X509_get0_subject_key_id(x) != nil)
        for nid in [NID_basic_constraints, NID_key_usage] {
            let index = X509_get_ext_by_NID(x, nid, -1)
            #expect(index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(x, index)) == 1)
        }
        let serial = try #require(X509_get0_serialNumber(x))
        #expect(serial.pointee.length == 16 && serial.pointee.type == V_ASN1_INTEGER)  // positive, 16 octets
        let text = try cert.pemEncoded()
        #expect(text.hasPrefix("-----BEGIN CERTIFICATE-----\n"))
    }

    @Test func serialsAndIDsDifferPerCertificate() throws {
        let key = try Ed25519PrivateKey()
        let a = try Certificate.selfSigned(labName: "lab", key: key)
        let b = try Certificate.selfSigned(labName: "lab", key: key, validityDays: 30, organization: nil)
        #expect(try a.derEncoded() != b.derEncoded())
        #expect(a.nodeID == b.nodeID)  // the id is the key's, not the certificate's
        #expect(try Certificate.selfSigned(labName: "lab", key: Ed25519PrivateKey()).nodeID != a.nodeID)
    }

    @Test func derAndPEMRoundTrip() throws {
        let (_, cert) = try Self.make()
        let der = try cert.derEncoded()
        let fromDER = try Certificate(derEncoded: der)
        #expect(fromDER.nodeID == cert.nodeID && fromDER.commonName == cert.commonName)
        let fromPEM = try Certificate(pemEncoded: try cert.pemEncoded(), source: "test")
        #expect(try fromPEM.derEncoded() == der)
        #expect(fromPEM.hasValidSelfSignature())
        #expect(throws: CryptoError.self) { try Certificate(derEncoded: der + [0]) }
        #expect(throws: CryptoError.self) { try Certificate(derEncoded: Array(der.dropLast())) }
        #expect(throws: CryptoError.self) { try Certificate(derEncoded: []) }
    }

    @Test func tamperedCertificateFailsSelfSignature() throws {
        let (_, cert) = try Self.make()
        var der = try cert.derEncoded()
        der[der.count - 5] ^= 0x01  // inside the signature
        let tampered = try Certificate(derEncoded: der)
        #expect(!tampered.hasValidSelfSignature())
    }

    @Test func nonEd25519CertificateParsesButHasNoKey() throws {
        let cert = try Certificate(pemEncoded: Fixtures.ecCertificate, source: "ec.crt")
        #expect(cert.commonName == "ec-lab")
        let error = #expect(throws: CryptoError.self) { try cert.publicKey() }
        guard case .notEd25519(_, let found)? = error else { Issue.record("expected notEd25519"); return }
        #expect(found == "EC")
    }

    @Test(arguments: [
        "", String(repeating: "x", count: 65), "tab\there", "new\nline", "nul\u{0}", "zero\u{200B}width", " padded", "padded ",
    ])
    func badLabNamesAreRefused(_ name: String) {
        #expect(throws: CryptoError.self) { try Certificate.validateLabName(name) }
    }

    @Test func goodLabNamesAndValidity() throws {
        for name in ["a", String(repeating: "é", count: 64), "TU Delft / Robot Lab 3", "東京ロボット研究室"] {
            try Certificate.validateLabName(name)
        }
        let key = try Ed25519PrivateKey()
        #expect(throws: CryptoError.invalidValidity(days: 0)) { try Certificate.selfSigned(labName: "a", key: key, validityDays: 0) }
        let long = try Certificate.selfSigned(labName: "a", key: key, validityDays: 36500, now: Self.now)
        #expect(long.notAfter == Self.now + 36500 * 86_400)  // past 2050: GeneralizedTime
    }
}

/// Non-Ed25519 inputs, made once with `openssl req -x509 -newkey ec` (P-256).
enum Fixtures {
    static let ecPrivateKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg9V/dH7LH95DvSuqT
        2qaFjz822WT8mr2ecIKranw1eUuhRANCAAT4UmTd8prNCoT2k9F7qQ+E/ADJk2E4
        6NzdvQYyUgrqCcHUzCfhovPan1Wj8PVr9yt+y08K9hpbO1s4OG3GRMaf
        -----END PRIVATE KEY-----

        """
    static let ecCertificate = """
        -----BEGIN CERTIFICATE-----
        MIIBdjCCAR2gAwIBAgIUPYHuNf67Kx456ldKxO4WGSxtoQswCgYIKoZIzj0EAwIw
        ETEPMA0GA1UEAwwGZWMtbGFiMB4XDTI2MTEyMTA1MjE1M1oXDTM2MTExODA1MjE1
        M1owETEPMA0GA1UEAwwGZWMtbGFiMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE
        +FJk3fKazQqE9pPRe6kPhPwAyZNhOOjc3b0GMlIK6gnB1Mwn4aLz2p9Vo/D1a/cr
        fstPCvYaWztbODhtxkTGn6NTMFEwHQYDVR0OBBYEFKtsvvQq6zfCklShw+SbGAnu
        vwaGMB8GA1UdIwQYMBaAFKtsvvQq6zfCklShw+SbGAnuvwaGMA8GA1UdEwEB/wQF
        MAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgAb5NtPbLD8YuTgJawsiGHR4CoKvG0Lur
        1CVhlH3Iyz4CIFWiRLCMxx6ovhxxTrJg8n1zVtSIKkCD0MKoj5Cjhm2X
        -----END CERTIFICATE-----

        """
}
