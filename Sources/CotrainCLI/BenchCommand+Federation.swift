import CotrainCore
import CotrainFederation
import Foundation

/// `cotrain bench federation`: delta codecs, aggregation, TLS transport and
/// connection count, each beside its target.
extension BenchCommand {
    static let federation = Command(
        name: "federation",
        summary: "delta codecs, aggregation, TLS throughput and handshakes, 64 peer connections",
        help: """
            Usage: cotrain bench federation [--parameters N] [--deltas K] [--tls-mb N]
                                            [--handshakes N] [--connections N] [--json]

            - delta codecs on N Gaussian parameters (σ = 1e-3): wire size vs float32,
              relative error, encode (quantise + safetensors + zstd + sign) and decode
              (verify + decompress + decode) throughput; target: int8 ≥ 4× smaller
              with ≤ 1 % error;
            - aggregation of K deltas of N parameters per rule; target: FedAvg of
              16 × 10M in ≤ 0.5 s;
            - the TLS 1.3 transport on loopback: MB of 1 MiB chunks through the real
              connection code (target ≥ 1 GB/s) and the mean time of a full dial
              (connect, handshake with both certificates, hellos); reference in the same
              run: `openssl speed -evp aes-256-gcm` (the negotiated cipher, one core);
            - N peer connections held at once by one listener (target 64).
            MB = 10^6 bytes. Build in release mode first.

            Options:
              --parameters N   parameters per delta (default 10000000)
              --deltas K       deltas aggregated (default 16)
              --tls-mb N       MiB sent over TLS (default 256)
              --handshakes N   dials timed (default 50)
              --connections N  simultaneous connections (default 64)
              --json           one JSON object: int8_size_ratio, int8_rel_error,
                               tls_MBps, fedavg_16x10M_s, handshake_ms,
                               connections_open, and every codec/rule figure

            Example:
              cotrain bench federation --json
            """,
        run: { args, options in
            let parameters = try args.int("--parameters", default: 10_000_000, range: 1000...1_000_000_000)
            let deltas = try args.int("--deltas", default: 16, range: 1...256)
            let tlsMB = try args.int("--tls-mb", default: 256, range: 1...65536)
            let handshakes = try args.int("--handshakes", default: 50, range: 1...10_000)
            let connectionCount = try args.int("--connections", default: 64, range: 1...1000)
            try args.finish()
            let quiet = options.quiet || options.json
            func progress(_ step: String) { if !quiet { Console.error("bench federation: \(step)…\n") } }
            let codecs = try FederationBenchmark.run(parameters: parameters, deltas: deltas, progress: progress)
            progress("TLS transfer of \(tlsMB) MiB and \(handshakes) handshakes")
            let tls = try TLSBenchmark.run(chunks: tlsMB, chunkBytes: 1 << 20, handshakes: handshakes)
            progress("\(connectionCount) simultaneous peer connections")
            let links = try PeerLinkBenchmark.concurrentConnections(count: connectionCount)
            // Reference in the same run: the cipher TLS 1.3 negotiates between two OpenSSL
            // ends (TLS_AES_256_GCM_SHA384), alone on one core — the ceiling of one stream.
            progress("reference: openssl speed -evp aes-256-gcm")
            let aesReference = CoreBenchmark.opensslSpeed(evp: "aes-256-gcm", bytes: 1 << 20)

            let int8 = codecs.codecs.first { $0.codec.hasPrefix("int8") }
            let size = parameters % 1_000_000 == 0 ? "\(parameters / 1_000_000)M" : "\(parameters)"
            let fedavg = codecs.aggregationSeconds.first { $0.rule == "fedavg" }?.seconds ?? .nan
            if options.json {
                guard case var .object(members) = codecs.json, case let .object(tlsMembers) = tls.json else { return ExitCode.failure }
                members += tlsMembers
                members += [
                    ("int8_size_ratio_target", .double(4)), ("int8_rel_error_target", .double(0.01)),
                    ("tls_MBps", .double((tls.throughputMBps * 10).rounded() / 10)), ("tls_MBps_target", .double(1000)),
                    ("tls_reference_aes256gcm_one_core_MBps", aesReference.map { .double(($0 * 10).rounded() / 10) } ?? .null),
                    ("handshake_ms", .double((tls.handshakeMillis * 100).rounded() / 100)),
                    ("fedavg_target_s", .double(0.5)),
                    ("connections_requested", .int(Int64(links.requested))), ("connections_open", .int(Int64(links.open))),
                    ("connections_s", .double((links.seconds * 1000).rounded() / 1000)),
                ]
                if !members.contains(where: { $0.0 == "fedavg_16x10M_s" }) { members.append(("fedavg_\(deltas)x\(size)_s", .double(fedavg))) }
                print(JSONValue.object(members).canonicalString)
                return ExitCode.ok
            }
            func verdict(_ ok: Bool) -> String { ok ? "ok" : "MISSED" }
            var table = TextTable("figure", "measured", "target", "", rightAligned: [1, 2])
            if let int8 {
                table.add("int8 wire size vs float32", format(int8.sizeRatio, 2) + "×", "≥ 4×", verdict(int8.sizeRatio >= 4))
                table.add("int8 relative error", format(int8.relativeError * 100, 2) + " %", "≤ 1 %", verdict(int8.relativeError <= 0.01))
            }
            table.add("FedAvg \(deltas) × \(size)", format(fedavg, 3) + " s", "≤ 0.5 s", verdict(fedavg <= 0.5))
            table.add("TLS 1.3 throughput", format(tls.throughputMBps, 0) + " MB/s", "≥ 1000 MB/s", verdict(tls.throughputMBps >= 1000))
            if let aesReference {
                table.add("  reference: AES-256-GCM, one core", format(aesReference, 0) + " MB/s", "", "openssl speed")
            }
            table.add("dial + handshake + hellos", format(tls.handshakeMillis, 2) + " ms", "", "")
            table.add("simultaneous peer connections", "\(links.open) of \(links.requested) (\(format(links.seconds, 2)) s)",
                      "64", verdict(links.open >= min(64, links.requested)))
            print(table.rendered)
            var details = TextTable("codec", "wire bytes", "fp32 / wire", "rel. error", "encode MB/s", "decode MB/s", rightAligned: [1, 2, 3, 4, 5])
            for c in codecs.codecs {
                details.add(c.codec, String(c.wireBytes), format(c.sizeRatio, 2), format(c.relativeError * 100, 3) + " %",
                            format(c.encodeMBps, 0), format(c.decodeMBps, 0))
            }
            print("\n" + details.rendered)
            var rules = TextTable("rule (\(deltas) × \(size))", "seconds", rightAligned: [1])
            for (rule, seconds) in codecs.aggregationSeconds { rules.add(rule, format(seconds, 3)) }
            print("\n" + rules.rendered)
            return ExitCode.ok
        })
}
