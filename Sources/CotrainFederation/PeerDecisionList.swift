// DIR/state/revoked.json and DIR/state/rejected.json: node ids an admin said no to.
// Revoked ids stay revoked until an explicit `cotrain peers unrevoke`; rejected ids
// are remembered (newest 1024) only so the requesting node can learn the outcome.
import CotrainCore

/// A list of admin decisions against node ids, kept in one JSON file.
struct PeerDecisionList: Sendable {
    /// Decisions in the order they were made.
    private(set) var entries: [PeerDecision] = []
    /// The most entries kept; the oldest are dropped beyond it.
    let capacity: Int

    init(capacity: Int = .max) { self.capacity = capacity }

    /// The decision about `id`, if any.
    func entry(for id: NodeID) -> PeerDecision? { entries.first { $0.nodeID == id } }

    /// Records a decision, replacing an earlier one about the same id.
    mutating func insert(_ entry: PeerDecision) {
        remove(entry.nodeID)
        entries.append(entry)
        if entries.count > capacity { entries.removeFirst(entries.count - capacity) }
    }

    /// Forgets `id`; returns whether it was listed.
    @discardableResult
    mutating func remove(_ id: NodeID) -> Bool {
        let before = entries.count
        entries.removeAll { $0.nodeID == id }
        return entries.count != before
    }

    /// Loads the list at `path`; a missing file is an empty list.
    static func load(from path: String, capacity: Int = .max) throws -> PeerDecisionList {
        var list = PeerDecisionList(capacity: capacity)
        var st = stat()
        guard lstat(path, &st) == 0 else { return list }
        var top = try ConfigObject.parse(readFile(path, limit: 16 << 20), source: path)
        _ = try top.int("format", in: 1...1)
        let items = try top.array("entries")
        try top.finish()
        for (index, item) in items.enumerated() {
            var object = try ConfigObject(item, source: path, path: "entries[\(index)]")
            list.entries.append(PeerDecision(
                nodeID: try PeerFields.nodeID(object.string("node_id"), source: path),
                lab: try object.optionalString("lab"), at: try object.string("at"),
                by: try object.string("by"), reason: try object.string("reason")))
            try object.finish()
        }
        return list
    }

    /// Writes the list to `path` atomically (0600).
    func write(to path: String) throws {
        let items: [JSONValue] = entries.map {
            .object([
                ("node_id", .string($0.nodeID.digest.hex)), ("lab", $0.lab.map { .string($0) } ?? .null),
                ("at", .string($0.at)), ("by", .string($0.by)), ("reason", .string($0.reason)),
            ])
        }
        try AtomicFile.write(JSONValue.object([("format", 1), ("entries", .array(items))]).prettyBytes, to: path, mode: 0o600)
    }
}

/// An admin's decision against a node id: a revocation or a rejection.
public struct PeerDecision: Sendable, Equatable {
    /// The node the decision is about.
    public var nodeID: NodeID
    /// Its lab name, when known.
    public var lab: String?
    /// When it was decided (UTC, RFC 3339).
    public var at: String
    /// Who decided.
    public var by: String
    /// Why (may be empty).
    public var reason: String
}
