// Reading a journal line back into a record, strictly: exact keys, canonical hex,
// and a `record_hash` equal to the hash of the body it came with.
import CotrainCore

extension RoundRecord {
    /// Parses one journal line (`number` counts from 1, for messages).
    public init(line value: JSONValue, number: Int) throws(JournalError) {
        func fail(_ why: String) -> JournalError { .malformed(line: number, why) }
        guard let members = value.object else { throw fail("not a JSON object") }
        let keys = Set(members.map(\.0))
        let required: Set = ["version", "round", "base_hash", "deltas", "rule", "result_hash", "previous_hash", "record_hash"]
        guard keys == required || keys == required.union(["signer", "signature"]), keys.count == members.count else {
            throw fail("unexpected or missing keys")
        }
        guard value["version"]?.int == Self.version else { throw fail("unsupported version") }
        func digest(_ text: JSONValue?, _ what: String) throws(JournalError) -> SHA256Digest {
            guard let s = text?.string, s.utf8.count == 64, s == s.lowercased(), let d = try? SHA256Digest(hex: s) else {
                throw fail("\(what) is not 64 lower-case hex digits")
            }
            return d
        }
        guard let round = value["round"]?.int, round >= 0, let deltas = value["deltas"]?.array, let rule = value["rule"] else {
            throw fail("round, deltas or rule missing or of the wrong type")
        }
        var entries: [RoundRecordEntry] = []
        for item in deltas {
            guard item.object?.count == 3, let samples = item["sample_count"]?.int, samples >= 0 else {
                throw fail("a delta entry is not {node_id, delta_hash, sample_count}")
            }
            entries.append(RoundRecordEntry(
                node: NodeID(digest: try digest(item["node_id"], "node_id")),
                deltaHash: try digest(item["delta_hash"], "delta_hash"), sampleCount: samples))
        }
        self.init(
            round: round, baseHash: try digest(value["base_hash"], "base_hash"), entries: entries, rule: rule,
            resultHash: try digest(value["result_hash"], "result_hash"),
            previousHash: try digest(value["previous_hash"], "previous_hash"))
        guard entries == self.entries else { throw fail("delta entries are not sorted by node id") }
        guard try digest(value["record_hash"], "record_hash") == recordHash else {
            throw fail("record_hash does not match the record's contents")
        }
        if keys.contains("signer") {
            let signer = NodeID(digest: try digest(value["signer"], "signer"))
            guard let hex = value["signature"]?.string, hex.utf8.count == 128,
                let bytes = try? Hex.decode(hex, byteCount: 64, what: "signature")
            else { throw fail("signature is not 128 hex digits") }
            var signed = self
            signed.signature = (signer, bytes)
            self = signed
        }
    }

    /// Whether the record is signed by `key`'s node with a valid signature.
    public func hasValidSignature(from key: Ed25519PublicKey) -> Bool {
        guard let signature, (try? key.nodeID()) == signature.signer else { return false }
        return key.isValidSignature(signature.bytes, for: recordHash.bytes, domain: .roundRecord)
    }
}
