import Foundation
import Testing
@testable import CotrainCore

@Suite struct SelfCheckTests {
    @Test func everyCheckPassesOnThisMachine() {
        let dir = TemporaryDirectory()
        let results = SelfCheck.run(in: dir.path)
        #expect(results.count == SelfCheck.checks.count)
        for result in results {
            #expect(result.failure == nil, "\(result.name): \(result.failure ?? "")")
        }
    }

    @Test func coreBenchmarkProducesConsistentFiguresAtSmallSize() throws {
        let dir = TemporaryDirectory()
        let report = try CoreBenchmark.run(dataMB: 1, fileMB: 4, directory: dir.path)
        #expect(report.sha256MBps > 0 && report.zstdCompressMBps > 0 && report.zstdDecompressMBps > 0)
        #expect(report.safetensorsReadMBps > 0 && report.safetensorsWriteMBps > 0 && report.plainReadMBps > 0)
        #expect(report.zstdRatio > 1)  // Gaussian floats compress a little (exponent bits)
        #expect(report.safetensorsFileMB > 4)
        let json = report.json
        for key in ["sha256_MBps", "zstd_compress_MBps", "zstd_decompress_MBps", "safetensors_write_MBps", "safetensors_read_MBps"] {
            #expect(json[key]?.double != nil, "missing \(key)")
        }
        #expect(dir.names().isEmpty, "benchmark left files behind: \(dir.names())")
    }

    @Test func modelLikeFloatsHaveTheIntendedSpread() {
        let values = CoreBenchmark.modelLikeFloats(count: 100_001)
        let mean = values.reduce(0, +) / Float(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(values.count)
        #expect(abs(mean) < 0.001)
        #expect(abs(variance.squareRoot() - 0.02) < 0.001)
    }
}
