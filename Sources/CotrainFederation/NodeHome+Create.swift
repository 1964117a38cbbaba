// `cotrain init`: a new node home is built in a private temporary directory beside
// the target and renamed into place at the end, so a crash or an error never leaves a
// half-made home behind (and an existing home is never touched).
import CotrainCore
import Foundation

extension NodeHome {
    /// Creates a node home at `root`: config, a new Ed25519 identity, the peer and
    /// state directories (all 0700) and an audit log whose first entry is `init`.
    ///
    /// `root` must not exist or be an empty directory. The parent is created if needed.
    ///
    /// - Parameters:
    ///   - validityDays: how long the certificate is valid (1...36500).
    ///   - actor: who runs the command, for the audit log.
    /// - Returns: the home and its new certificate (whose node id peers will pin).
    /// - Throws: ``NodeHomeError/notEmpty(_:)``, ``CryptoError``, ``SystemError``.
    public static func create(
        at root: String, config: NodeConfig, validityDays: Int = Certificate.defaultValidityDays,
        actor: String = AuditEntry.currentUser(), now: Date = Date()
    ) throws -> (home: NodeHome, certificate: Certificate) {
        let target = NodeHome(root: root)
        try checkEmptyOrAbsent(target.root)
        let parent = AuditLog.directory(of: target.root)
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        let base = target.root.split(separator: "/").last.map(String.init) ?? "home"
        var template = Array("\(parent)/.\(base).init-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw SystemError("mkdtemp", parent, code: errno)
        }
        let staging = NodeHome(root: String(cString: made))
        do {
            let certificate = try populate(staging, config: config, validityDays: validityDays, actor: actor, now: now)
            try checkEmptyOrAbsent(target.root)
            try sysCall("rename", "\(staging.root) → \(target.root)") { rename(staging.root, target.root) }
            try AtomicFile.syncDirectory(parent)
            return (target, certificate)
        } catch {
            try? FileManager.default.removeItem(atPath: staging.root)
            throw error
        }
    }

    /// Writes everything of a home into `home` (an empty 0700 directory).
    private static func populate(
        _ home: NodeHome, config: NodeConfig, validityDays: Int, actor: String, now: Date
    ) throws -> Certificate {
        try sysCall("chmod", home.root) { chmod(home.root, 0o700) }
        for directory in home.directories.dropFirst() {
            try sysCall("mkdir", directory) { mkdir(directory, 0o700) }
        }
        let key = try Ed25519PrivateKey()
        let certificate = try Certificate.selfSigned(labName: config.lab, key: key, validityDays: validityDays, now: now)
        try writePrivateKey(key, to: home.keyPath)
        try AtomicFile.write(Array(try certificate.pemEncoded().utf8), to: home.certificatePath, mode: 0o644)
        try config.write(to: home.configPath)
        try AuditLog(path: home.auditLogPath).append(
            .initialize, actor: actor, nodeID: certificate.nodeID, lab: config.lab,
            detail: "embodiments \(config.embodiments.joined(separator: ",")), listen \(config.listen)", time: now)
        for directory in home.directories { try AtomicFile.syncDirectory(directory) }
        return certificate
    }

    /// Throws unless `path` is absent or an empty directory.
    private static func checkEmptyOrAbsent(_ path: String) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if errno == ENOENT { return }
            throw SystemError("stat", path, code: errno)
        }
        guard st.st_mode & S_IFMT == S_IFDIR,
            (try FileManager.default.contentsOfDirectory(atPath: path)).isEmpty
        else { throw NodeHomeError.notEmpty(path) }
    }

    /// Loads the node's private key and certificate and checks they belong together.
    public func loadIdentity() throws -> (key: Ed25519PrivateKey, certificate: Certificate) {
        let certificate = try loadCertificate()
        let key = try readPrivateKey(from: keyPath)
        guard try key.publicKey.nodeID() == certificate.nodeID else {
            throw NodeHomeError.identityMismatch(key: keyPath, certificate: certificatePath)
        }
        return (key, certificate)
    }
}
