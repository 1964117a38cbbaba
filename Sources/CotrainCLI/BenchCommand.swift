import CotrainCore
import Foundation

/// `cotrain bench …`: figures for the hot paths, beside references measured in the
/// same run. Speed targets live here, never in timed tests.
enum BenchCommand {
    static let command = Command(
        name: "bench",
        summary: "measure throughput of cotrain's hot paths on this machine",
        help: """
            Usage: cotrain bench SUITE [--json]

            Prints figures beside reference figures measured in the same run, so a
            number can be judged on the machine it came from. Build in release mode
            first (`swift build -c release`); debug builds are many times slower.

            Examples:
              cotrain bench core
              cotrain bench train --threads 2 --json
            """,
        subcommands: [core, sim, train, federation])

    static let core = Command(
        name: "core",
        summary: "SHA-256, zstd, safetensors write/read (base layer)",
        help: """
            Usage: cotrain bench core [--data-mb N] [--file-mb N] [--dir DIR] [--json]

            SHA-256 and zstd level 3 over N MB of model-like float32 data (Gaussian,
            σ = 0.02), and safetensors write (with fsync) and read (mmap, validate,
            copy every tensor out) of a file of --file-mb MB. References measured in
            the same run: `openssl speed -evp sha256`, `zstd -b3` on the same data, and
            a plain read(2) of the same safetensors file. MB = 10^6 bytes.

            Options:
              --data-mb N   hashed/compressed data size (default 64)
              --file-mb N   safetensors file size (default 256)
              --dir DIR     where temporary files go (default: a temp directory)
              --json        one JSON object: sha256_MBps, zstd_compress_MBps,
                            zstd_decompress_MBps, safetensors_write_MBps,
                            safetensors_read_MBps, and the references

            Example:
              cotrain bench core --json
            """,
        run: { args, options in
            let dataMB = try args.int("--data-mb", default: 64, range: 1...4096)
            let fileMB = try args.int("--file-mb", default: 256, range: 4...8192)
            let given = try args.option("--dir")
            try args.finish()
            let directory = try given ?? makeTemporaryDirectory("cotrain-bench")
            defer { if given == nil { try? FileManager.default.removeItem(atPath: directory) } }
            let quiet = options.quiet || options.json
            let report = try CoreBenchmark.run(dataMB: dataMB, fileMB: fileMB, directory: directory) { step in
                if !quiet { Console.error("bench core: \(step)…\n") }
            }
            if options.json {
                print(report.json.canonicalString)
                return ExitCode.ok
            }
            func ref(_ v: Double?) -> String { v.map { format($0, 0) } ?? "not installed" }
            func ratio(_ a: Double, _ b: Double?) -> String { b.map { format(a / $0, 2) + "×" } ?? "" }
            var table = TextTable("operation", "MB/s", "reference MB/s", "vs ref", "reference", rightAligned: [1, 2, 3])
            table.add("SHA-256", format(report.sha256MBps, 0), ref(report.sha256ReferenceMBps),
                      ratio(report.sha256MBps, report.sha256ReferenceMBps), "openssl speed -evp sha256")
            table.add("zstd -\(report.zstdLevel) compress", format(report.zstdCompressMBps, 0), ref(report.zstdReferenceCompressMBps),
                      ratio(report.zstdCompressMBps, report.zstdReferenceCompressMBps), "zstd -b3, same data")
            table.add("zstd decompress", format(report.zstdDecompressMBps, 0), ref(report.zstdReferenceDecompressMBps),
                      ratio(report.zstdDecompressMBps, report.zstdReferenceDecompressMBps), "zstd -b3, same data")
            table.add("safetensors write", format(report.safetensorsWriteMBps, 0), "", "", "includes fsync")
            table.add("safetensors read", format(report.safetensorsReadMBps, 0), format(report.plainReadMBps, 0),
                      ratio(report.safetensorsReadMBps, report.plainReadMBps), "read(2) of the same file")
            print("data: \(format(report.dataMB, 0)) MB float32 (zstd ratio \(format(report.zstdRatio, 3))), safetensors file: \(format(report.safetensorsFileMB, 0)) MB\n")
            print(table.rendered)
            return ExitCode.ok
        })
}
