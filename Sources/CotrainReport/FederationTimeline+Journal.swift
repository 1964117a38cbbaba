// Reading `round-journal.jsonl` for the report: each line parsed strictly, and the hash
// chain re-checked (record hashes, links, bases) so the report can say whether the
// history it shows is intact. A broken chain is shown, not refused: the report is how
// a person looks at what went wrong.
import CotrainCore

extension FederationTimeline {
    /// The largest journal read (1 GiB, as the node allows).
    public static let maxJournalBytes = 1 << 30

    /// Reads a round journal file.
    public static func load(journal path: String, labs: [String: String] = [:]) throws(ReportError) -> FederationTimeline {
        var timeline = try parse(journal: readInput(path, limit: maxJournalBytes), file: path)
        timeline.labs = labs
        return timeline
    }

    /// Parses journal lines. A final line without its newline (a torn append) is
    /// ignored, as the node does.
    public static func parse(journal bytes: [UInt8], file: String) throws(ReportError) -> FederationTimeline {
        var rounds: [FederationRound] = []
        var problems: [String] = []
        var previous: (record: String, result: String, round: Int)?
        let lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() where index < lines.count - 1 {
            var r = FieldReader(file: file)
            r.line = index + 1
            let value = try r.parse(Array(line))
            guard let members = value.object else { throw r.fail("(line)", "is not a JSON object") }
            guard try r.int(value, "version") == 1 else { throw r.fail("version", "is not 1") }
            let round = try r.int(value, "round")
            var contributions: [RoundContribution] = []
            for (i, item) in try r.array(value, "deltas").enumerated() {
                let path = "deltas[\(i)]"
                _ = try r.hash(item, "delta_hash", at: path)
                contributions.append(RoundContribution(nodeID: try r.hash(item, "node_id", at: path), sampleCount: try r.int(item, "sample_count", at: path)))
            }
            let rule = try r.member(value, "rule", "")
            guard rule.object != nil else { throw r.fail("rule", "is not an object") }
            let base = try r.hash(value, "base_hash"), result = try r.hash(value, "result_hash")
            let previousHash = try r.hash(value, "previous_hash"), recordHash = try r.hash(value, "record_hash")

            let body = JSONValue.object(members.filter { !["record_hash", "signer", "signature"].contains($0.0) })
            if (try? SHA256.hash(body.canonicalBytes).hex) != recordHash {
                problems.append("round \(round) (line \(index + 1)): record_hash does not match the record's contents")
            }
            if previousHash != (previous?.record ?? String(repeating: "0", count: 64)) {
                problems.append("round \(round) (line \(index + 1)): previous_hash does not link to the record before")
            }
            if let previous, base != previous.result { problems.append("round \(round): base_hash is not round \(previous.round)'s result") }
            if let previous, round <= previous.round { problems.append("round \(round): round numbers do not increase") }
            previous = (recordHash, result, round)
            rounds.append(FederationRound(round: round, contributions: contributions, rule: shortRule(rule), baseHash: base, resultHash: result))
        }
        return FederationTimeline(rounds: rounds, chainProblems: problems)
    }

    /// The aggregation rule JSON in a few words, e.g. "trimmed mean (20 %), clip 2× median norm".
    static func shortRule(_ rule: JSONValue) -> String {
        var text: String
        switch rule["method"]?.string {
        case "fedavg"?:
            text = "FedAvg"
            if let share = rule["max_share"]?.double { text += " (share ≤ \(NumberText.fixed(share * 100, 0)) %)" }
            if let cap = rule["max_samples"]?.int { text += " (≤ \(cap) samples)" }
        case "median"?: text = "median"
        case "trimmed_mean"?:
            if let k = rule["trim"]?.int { text = "trimmed mean (\(k) per side)" } else {
                text = "trimmed mean (\(NumberText.fixed((rule["trim_fraction"]?.double ?? 0) * 100, 0)) %)"
            }
        case let other?: text = other
        case nil: text = "?"
        }
        switch (rule["clipping"]?.string, rule["clip_value"]?.double) {
        case let ("fixed"?, t?): text += ", clip ≤ \(NumberText.compact(t))"
        case let ("median_norm"?, f?): text += ", clip \(NumberText.compact(f))× median norm"
        default: break
        }
        if let lr = rule["server_lr"]?.double, lr != 1 { text += ", server lr \(NumberText.compact(lr))" }
        return text
    }
}
