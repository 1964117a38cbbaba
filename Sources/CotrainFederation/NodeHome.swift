// The layout of a node home (DIR): where the config, identity, peers and state live.
// One value names every path, so no other file spells "state/pending" itself.
import CotrainCore

/// The paths of a node home directory (see docs/operations.md for what each holds).
///
/// ```
/// DIR/config.json            settings (pretty canonical JSON)
/// DIR/identity/node.key      Ed25519 private key, 0600 — the only secret
/// DIR/identity/node.crt      self-signed certificate
/// DIR/peers/<hex-id>.json    approved peers
/// DIR/policies/              recipes
/// DIR/state/pending/         join requests waiting for the admin
/// DIR/state/outgoing/        join requests this node sent
/// DIR/state/revoked.json     revoked node ids (stay revoked)
/// DIR/state/rejected.json    recently rejected node ids
/// DIR/state/audit.log        hash-chained audit log
/// DIR/state/control.sock     admin socket while `cotrain serve` runs
/// ```
public struct NodeHome: Sendable, Equatable {
    /// The home directory.
    public let root: String

    /// The home at `root` (nothing is checked; see ``open(_:)``).
    public init(root: String) {
        var trimmed = root
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        self.root = trimmed
    }

    /// The default home when no `--home` is given: `COTRAIN_HOME`, else `./cotrain-node`.
    public static func resolve(flag: String?, environment: [String: String]) -> NodeHome {
        if let flag { return NodeHome(root: flag) }
        if let env = environment["COTRAIN_HOME"], !env.isEmpty { return NodeHome(root: env) }
        return NodeHome(root: "cotrain-node")
    }

    /// config.json: the node's settings.
    public var configPath: String { "\(root)/config.json" }
    /// identity/: the key and certificate.
    public var identityDirectory: String { "\(root)/identity" }
    /// identity/node.key: the Ed25519 private key (0600), the only secret.
    public var keyPath: String { "\(identityDirectory)/node.key" }
    /// identity/node.crt: the self-signed certificate.
    public var certificatePath: String { "\(identityDirectory)/node.crt" }
    /// peers/: one record per approved peer.
    public var peersDirectory: String { "\(root)/peers" }
    /// policies/: training recipes.
    public var policiesDirectory: String { "\(root)/policies" }
    /// state/: everything the node writes as it runs.
    public var stateDirectory: String { "\(root)/state" }
    /// state/pending/: join requests waiting for the admin.
    public var pendingDirectory: String { "\(stateDirectory)/pending" }
    /// state/outgoing/: join requests this node sent.
    public var outgoingDirectory: String { "\(stateDirectory)/outgoing" }
    /// state/revoked.json: revoked node ids.
    public var revokedPath: String { "\(stateDirectory)/revoked.json" }
    /// state/rejected.json: recently rejected node ids.
    public var rejectedPath: String { "\(stateDirectory)/rejected.json" }
    /// state/audit.log: the hash-chained audit log.
    public var auditLogPath: String { "\(stateDirectory)/audit.log" }
    /// state/control.sock: the admin socket of a running node.
    public var controlSocketPath: String { "\(stateDirectory)/control.sock" }

    /// Every directory of a home, parents first; all are created 0700.
    var directories: [String] {
        [root, identityDirectory, peersDirectory, policiesDirectory, stateDirectory, pendingDirectory, outgoingDirectory]
    }

    /// The file of an approved peer.
    public func peerPath(_ id: NodeID) -> String { "\(peersDirectory)/\(id.digest.hex).json" }
    /// The file of a pending join request.
    public func pendingPath(_ id: NodeID) -> String { "\(pendingDirectory)/\(id.digest.hex).json" }
    /// The file of a join request this node sent.
    public func outgoingPath(_ id: NodeID) -> String { "\(outgoingDirectory)/\(id.digest.hex).json" }

    /// Checks that `root` is an initialised home and recreates missing (empty) state
    /// directories, which a backup tool may have skipped.
    ///
    /// - Throws: ``NodeHomeError/notInitialized(_:)`` when there is no config.json.
    public func validate() throws {
        var st = stat()
        guard stat(configPath, &st) == 0 else { throw NodeHomeError.notInitialized(root) }
        for directory in directories.dropFirst() where stat(directory, &st) != 0 {
            try sysCall("mkdir", directory) { mkdir(directory, 0o700) }
        }
    }

    /// The node's config with the environment applied (file < environment < `overrides`).
    public func loadConfig(environment: [String: String] = [:], overrides: [(String, String)] = []) throws -> NodeConfig {
        try validate()
        return try NodeConfig.load(from: configPath, environment: environment, overrides: overrides)
    }

    /// The node's certificate (the public half of its identity).
    public func loadCertificate() throws -> Certificate {
        try validate()
        return try Certificate(pemFile: certificatePath)
    }

    /// The names of regular `*.json` files in `directory`, sorted.
    static func jsonFiles(in directory: String) throws -> [String] {
        try directoryEntries(directory).filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
    }
}

/// A node home that is missing, not initialised, or cannot be created.
public enum NodeHomeError: CotrainError, Equatable {
    /// There is no config.json: not a node home.
    case notInitialized(String)
    /// `cotrain init` was pointed at a directory that has files in it.
    case notEmpty(String)
    /// The identity's key and certificate do not belong together.
    case identityMismatch(key: String, certificate: String)
    /// A path is too long for a Unix socket address.
    case socketPathTooLong(String, length: Int, limit: Int)

    public var description: String {
        switch self {
        case .notInitialized(let root):
            return "\(root) is not a cotrain node home (no config.json); create one with `cotrain init \(root) --lab NAME --embodiment E` or pass --home"
        case .notEmpty(let root):
            return "\(root) already exists and is not empty; choose a new directory (an existing node home is never overwritten)"
        case .identityMismatch(let key, let certificate):
            return "\(key) does not match \(certificate): restore both files from the same backup"
        case .socketPathTooLong(let path, let length, let limit):
            return "control socket path \(path) is \(length) bytes, the system limit is \(limit); move the node home to a shorter path"
        }
    }
}
