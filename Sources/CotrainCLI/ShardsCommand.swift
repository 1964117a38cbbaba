import CotrainCore
import CotrainFederation
import Foundation

/// `cotrain shards …`: the node's VL shards (stored in state/shards/, exchanged with
/// approved peers while the node runs).
enum ShardsCommand {
    static let command = Command(
        name: "shards",
        summary: "publish VL shards to peers and list the node's shards",
        help: """
            Usage: cotrain shards COMMAND [--home DIR] [--json]

            Shards are WebDataset tar files, stored by SHA-256 with a signed manifest
            (hash, size, samples, source, licence). A running node announces them to
            its approved peers and fetches theirs within limits.shard_disk_quota_bytes.
            Both commands work whether or not the node runs.

            Examples:
              cotrain shards publish vl-000001.tar --source "lab-a scenes v1" --licence CC-BY-4.0 --home ./lab-a-node
              cotrain shards list --home ./lab-a-node
            """,
        subcommands: [publish, list])

    static let publish = Command(
        name: "publish", summary: "store a shard so approved peers can fetch it",
        help: """
            Usage: cotrain shards publish FILE --source S --licence L [--samples N] [--home DIR] [--json]

            Copies FILE into state/shards/ (verified by hash) and writes its manifest,
            signed with the node's key (domain shard-manifest). The running node
            announces it to its peers within a second. The sample count is the number
            of distinct WebDataset keys in the tar, unless --samples is given.

            Options:
              --source S    where the data came from (1-256 bytes), e.g. "COCO captions subset"
              --licence L   its licence (1-256 bytes), e.g. CC-BY-4.0
              --samples N   the number of samples, when FILE is not a tar to count

            Example:
              cotrain shards publish vl-000001.tar --source "lab-a scenes v1" --licence CC-BY-4.0
            """,
        run: { args, options in
            let home = try takeHome(&args)
            let source = try args.option("--source")
            let licence = try args.option("--licence")
            let samplesText = try args.option("--samples")
            let file = try args.requiredPositional("the shard FILE")
            guard let source else { throw UsageError(message: "--source S is required", command: "shards publish") }
            guard let licence else { throw UsageError(message: "--licence L is required", command: "shards publish") }
            let givenSamples = try samplesText.map { text in
                guard let n = Int(text), n >= 0 else { throw UsageError(message: "--samples must be an integer ≥ 0", command: "shards publish") }
                return n
            }
            try args.finish()
            let bytes = try readFile(file, limit: 4 << 30)
            let samples = try givenSamples ?? countSamples(bytes, file: file)
            let config = try home.loadConfig(environment: ProcessInfo.processInfo.environment)
            let (key, _) = try home.loadIdentity()
            let store = try ShardStore(root: "\(home.stateDirectory)/shards")
            let stored = try store.publish(bytes, samples: samples, source: source, licence: licence, key: key,
                                           quota: config.limits.shardDiskQuotaBytes)
            if options.json {
                print(describe(stored).canonicalString)
            } else {
                print("published \(stored.manifest.hash.hex) (\(stored.manifest.size) bytes, \(samples) samples)")
            }
            return ExitCode.ok
        })

    static let list = Command(
        name: "list", summary: "list the shards stored on this node",
        help: """
            Usage: cotrain shards list [--home DIR] [--json]

            One line per stored shard: hash, size, samples, source, licence, and the
            node it came from (this node for shards published here).

            Example:
              cotrain shards list --json
            """,
        run: { args, options in
            let home = try takeHome(&args)
            try args.finish()
            let (key, certificate) = try home.loadIdentity()
            let store = try ShardStore(root: "\(home.stateDirectory)/shards")
            let shards = store.list(key: key.publicKey)
            if options.json {
                print(JSONValue.object([("shards", .array(shards.map(describe)))]).canonicalString)
                return ExitCode.ok
            }
            guard !shards.isEmpty else { print("no shards"); return ExitCode.ok }
            var table = TextTable("hash", "bytes", "samples", "source", "licence", "from", rightAligned: [1, 2])
            for shard in shards {
                let m = shard.manifest
                table.add(String(m.hash.hex.prefix(16)), String(m.size), String(m.samples), m.source, m.licence,
                          shard.origin == certificate.nodeID ? "this node" : shard.origin.short)
            }
            print(table.rendered)
            return ExitCode.ok
        })

    static func describe(_ shard: StoredShard) -> JSONValue {
        let m = shard.manifest
        return .object([("hash", .string(m.hash.hex)), ("size", .int(Int64(m.size))), ("samples", .int(Int64(m.samples))),
                        ("source", .string(m.source)), ("licence", .string(m.licence)),
                        ("origin", .string(shard.origin.digest.hex)), ("stored_at", .string(shard.storedAt))])
    }

    /// The number of distinct WebDataset sample keys (file name up to the first dot).
    static func countSamples(_ bytes: [UInt8], file: String) throws -> Int {
        var reader = TarReader(bytes: bytes)
        var keys = Set<String>()
        do {
            while let entry = try reader.next() {
                let name = entry.name.split(separator: "/").last.map(String.init) ?? entry.name
                keys.insert(String(name.prefix { $0 != "." }))
            }
        } catch {
            throw UsageError(message: "\(file) is not a tar archive (\(error)); give --samples N", command: "shards publish")
        }
        return keys.count
    }
}
