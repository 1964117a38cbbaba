// Turning what an admin typed into a node id: the full grouped form, 64 hex digits,
// or a prefix of the grouped form (at least 4 characters) that matches exactly one
// node among those the command acts on.
import CotrainCore
import Foundation

/// Which registry entries an id prefix is matched against.
public enum PeerIDScope: Sendable, CaseIterable {
    /// Pending join requests (approve, reject).
    case pending
    /// Approved peers.
    case approved
    /// Revoked nodes (unrevoke).
    case revoked

    var noun: String {
        switch self {
        case .pending: return "pending request"
        case .approved: return "approved peer"
        case .revoked: return "revoked node"
        }
    }
}

extension PeerRegistry {
    /// The shortest prefix accepted, in base32 characters (20 bits).
    static let minimumPrefix = 4

    /// Resolves `text` to a node id.
    ///
    /// A full id (grouped base32, with or without dashes, or 64 hex digits) is returned
    /// as is, known or not. Anything shorter is a prefix of the grouped form and must
    /// match exactly one node in `scopes`.
    public func resolve(_ text: String, in scopes: Set<PeerIDScope>) throws -> NodeID {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.count == 64, trimmed.allSatisfy(\.isHexDigit) {
            do {
                return NodeID(digest: try SHA256Digest(hex: trimmed))
            } catch {
                throw PeerRegistryError.invalidID(text, reason: error.description)
            }
        }
        let compact = trimmed.uppercased().filter { $0 != "-" && $0 != " " }
        guard compact.allSatisfy({ ("A"..."Z").contains($0) || ("2"..."7").contains($0) }) else {
            throw PeerRegistryError.invalidID(text, reason: "use the grouped form (letters A-Z, digits 2-7) or 64 hex digits")
        }
        if compact.count >= 52 {
            do {
                return try NodeID(parsing: compact)
            } catch {
                throw PeerRegistryError.invalidID(text, reason: error.description)
            }
        }
        guard !scopes.isEmpty else {
            throw PeerRegistryError.invalidID(text, reason: "give the full node id (13 groups of 4) or 64 hex digits")
        }
        guard compact.count >= Self.minimumPrefix else {
            throw PeerRegistryError.invalidID(text, reason: "give at least \(Self.minimumPrefix) characters of the id")
        }
        let candidates: [NodeID] = snapshot.withLock { state in
            var ids: [NodeID] = []
            if scopes.contains(.pending) { ids += state.pending.keys }
            if scopes.contains(.approved) { ids += state.peers.keys }
            if scopes.contains(.revoked) { ids += state.revoked.entries.map(\.nodeID) }
            return ids
        }
        return try Self.match(text, prefix: compact, candidates: candidates, among: scopes.map(\.noun).sorted().joined(separator: " or "))
    }

    /// The one candidate whose grouped form (without dashes) starts with `prefix`.
    static func match(_ text: String, prefix: String, candidates: [NodeID], among: String) throws -> NodeID {
        let matches = Set(candidates.filter { $0.description.filter { $0 != "-" }.hasPrefix(prefix) }).sorted()
        guard let first = matches.first else { throw PeerRegistryError.noMatch(text, among: among) }
        guard matches.count == 1 else { throw PeerRegistryError.ambiguous(text, matches: matches) }
        return first
    }
}
