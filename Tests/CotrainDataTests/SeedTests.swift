// Seed derivation used by the data jobs (progress lines are tested in CotrainCoreTests).
import Testing
@testable import CotrainData

@Suite struct SeedTests {
    @Test func derivedSeedsAreDistinctAndStable() {
        let seeds = (0..<1000).map { mixSeed(1, UInt64($0)) }
        #expect(Set(seeds).count == 1000)
        #expect(mixSeed(1, 0) == mixSeed(1, 0) && mixSeed(1, 0) != mixSeed(2, 0))
    }
}
