import CotrainCore
import Foundation

/// `cotrain selfcheck`.
enum SelfCheckCommand {
    static let command = Command(
        name: "selfcheck",
        summary: "check that crypto, compression and storage work on this machine",
        help: """
            Usage: cotrain selfcheck [--dir DIR] [--json]

            Runs the base layer for real at a small size — SHA-256, Ed25519 signatures
            with domain separation, a self-signed node certificate and a 0600 key file,
            zstd with its size cap, safetensors and tar round trips, atomic writes, the
            node lock and the blob store — and prints one line per check.
            Exits 1 if any check fails.

            Options:
              --dir DIR   where to put the scratch files (default: a new temp directory,
                          removed afterwards)

            Example:
              cotrain selfcheck
            """,
        run: { args, options in
            let given = try args.option("--dir")
            try args.finish()
            let directory = try given ?? makeTemporaryDirectory()
            defer { if given == nil { try? FileManager.default.removeItem(atPath: directory) } }
            let results = SelfCheck.run(in: directory)
            let failed = results.filter { $0.failure != nil }
            if options.json {
                let items = results.map { result -> JSONValue in
                    .object([
                        ("check", .string(result.name)), ("ok", .bool(result.failure == nil)),
                        ("detail", .string(result.failure ?? result.detail)),
                        ("ms", .double((result.seconds * 10_000).rounded() / 10)),
                    ])
                }
                print(JSONValue.object([("ok", .bool(failed.isEmpty)), ("checks", .array(items))]).canonicalString)
            } else {
                var table = TextTable("check", "result", "ms", "detail", rightAligned: [2])
                for result in results {
                    table.add(result.name, result.failure == nil ? "ok" : "FAILED", format(result.seconds * 1000, 1),
                              result.failure ?? result.detail)
                }
                if !options.quiet { print(table.rendered) }
                print(failed.isEmpty ? "selfcheck: all \(results.count) checks passed"
                                     : "selfcheck: \(failed.count) of \(results.count) checks FAILED")
            }
            return failed.isEmpty ? ExitCode.ok : ExitCode.failure
        })
}

/// A new private temp directory (mode 0700).
func makeTemporaryDirectory(_ label: String = "cotrain") throws -> String {
    var template = Array("\(NSTemporaryDirectory())/\(label).XXXXXX".utf8CString)
    guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw SystemError("mkdtemp", NSTemporaryDirectory(), code: errno)
    }
    return String(cString: made)
}
