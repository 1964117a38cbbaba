// Poisoning: one peer among honest ones sends a delta scaled ×100 or large noise. The
// robust rules stay within a stated bound of the honest aggregate; plain FedAvg does
// not (which shows the bound can fail).
import CotrainCore
import Testing

@testable import CotrainFederation

@Suite struct AggregationPoisoningTests {
    enum Attack: CaseIterable { case scaled, noise }

    /// Honest deltas share a signal g plus their own noise (equal sample counts); the
    /// attacker (one extra node) sends 100 × an honest delta, or noise with 50× the σ.
    static func scenario(honest: Int, attack: Attack) -> (all: [AggregationInput], honest: [AggregationInput]) {
        let schema = try! ParameterSchema([("shared.w", [5_000])])
        var rng = DeltaRNG(seed: 77)
        let signal = rng.gaussians(schema.elementCount, sigma: 0.01)
        let honestInputs = (0..<honest).map { i in
            AggregationInput(
                node: AggregationReference.nodeID(i), sampleCount: 100, deltaHash: try! SHA256.hash([UInt8(i)]),
                values: DeltaFixtures.gaussianSet(schema, seed: 100 + UInt64(i), sigma: 0.01, offset: signal))
        }
        let values: ParameterSet
        switch attack {
        case .scaled: values = DeltaFixtures.set(schema, DeltaFixtures.flat(honestInputs[0].values).map { $0 * 100 })
        case .noise: values = DeltaFixtures.gaussianSet(schema, seed: 999, sigma: 0.5)
        }
        let attacker = AggregationInput(node: AggregationReference.nodeID(1000), sampleCount: 100, deltaHash: try! SHA256.hash([0xAA]), values: values)
        return (honestInputs + [attacker], honestInputs)
    }

    /// ‖aggregate(all) − FedAvg(honest)‖ / max honest norm.
    static func deviation(_ rule: AggregationRule, honest: Int, attack: Attack) throws -> Double {
        let (all, honestInputs) = scenario(honest: honest, attack: attack)
        let reference = DeltaFixtures.flat(try Aggregator(rule: AggregationRule()).aggregate(honestInputs).aggregate)
        let result = DeltaFixtures.flat(try Aggregator(rule: rule).aggregate(all).aggregate)
        let maxNorm = honestInputs.map(\.values.l2Norm).max()!
        return DeltaFixtures.distance(result, reference) / maxNorm
    }

    static let robust: [AggregationRule] = [
        AggregationRule(method: .median),
        AggregationRule(method: .trimmedMean(.count(1))),
        AggregationRule(method: .trimmedMean(.fraction(0.2))),
        AggregationRule(method: .fedAvg(), clipping: .medianNorm(factor: 1.5)),
        AggregationRule(method: .median, clipping: .medianNorm(factor: 1.5)),
    ]

    /// The stated bound: the robust aggregate stays within 0.5 × the largest honest delta
    /// norm of the honest FedAvg (docs/aggregation.md derives ≤ (τ/max‖h‖ + 1)/n for
    /// clipped FedAvg and per-coordinate honest-range bounds for median / trimmed mean).
    @Test(arguments: [5, 6, 8])
    func robustRulesStayNearTheHonestAggregate(honest: Int) throws {
        for attack in Attack.allCases {
            for rule in Self.robust {
                let d = try Self.deviation(rule, honest: honest, attack: attack)
                #expect(d <= 0.5, "\(rule.method) \(rule.clipping) vs \(attack): deviation \(d)")
            }
            // Clipped FedAvg has the tighter proven bound p·(τ + max‖h‖) with p = 1/n.
            let clipped = try Self.deviation(AggregationRule(method: .fedAvg(), clipping: .medianNorm(factor: 1.5)), honest: honest, attack: attack)
            #expect(clipped <= 2.6 / Double(honest + 1) + 0.05)
        }
    }

    @Test(arguments: [5, 6, 8])
    func plainFedAvgIsPulledAway(honest: Int) throws {
        for attack in Attack.allCases {
            let d = try Self.deviation(AggregationRule(), honest: honest, attack: attack)
            #expect(d > 1.0, "plain FedAvg vs \(attack): deviation \(d)")
        }
    }

    @Test func sampleCountShareCapLimitsAnInflatedClaim() throws {
        var (all, honest) = Self.scenario(honest: 6, attack: .scaled)
        all[all.count - 1].sampleCount = 1_000_000  // the attacker also claims a huge sample count
        let capped = AggregationRule(method: .fedAvg(maxShare: 0.2), clipping: .medianNorm(factor: 1.5))
        let reference = DeltaFixtures.flat(try Aggregator(rule: AggregationRule()).aggregate(honest).aggregate)
        let result = try Aggregator(rule: capped).aggregate(all)
        #expect(result.contributions.allSatisfy { $0.weight <= 0.2 + 1e-12 })
        let maxNorm = honest.map(\.values.l2Norm).max()!
        #expect(DeltaFixtures.distance(DeltaFixtures.flat(result.aggregate), reference) / maxNorm <= 0.2 * 2.5 + 0.05)
    }
}
