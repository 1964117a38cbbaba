// Aggregation: each rule equals its naive reference, results are bit-identical for any
// input order and thread count, and the sorting network sorts.
import CotrainCore
import Testing

@testable import CotrainFederation

/// Naive references: one coordinate at a time, written from docs/aggregation.md.
enum AggregationReference {
    static func nodeID(_ seed: Int) -> NodeID { NodeID(digest: try! SHA256.hash(Array("node-\(seed)".utf8))) }

    static func inputs(count: Int, elements: Int, seed: UInt64, sigma: Float = 0.01) -> [AggregationInput] {
        let schema = try! ParameterSchema([("shared.a", [elements / 2]), ("shared.b", [elements - elements / 2])])
        return (0..<count).map { i in
            AggregationInput(
                node: nodeID(i), sampleCount: 10 + 7 * i, deltaHash: try! SHA256.hash([UInt8(i)]),
                values: DeltaFixtures.gaussianSet(schema, seed: seed &+ UInt64(i), sigma: sigma * Float(1 + i % 3)))
        }
    }

    /// Clip scales per the rule's clipping, for inputs in node order.
    static func clipScales(_ sorted: [AggregationInput], _ clipping: NormClipping) -> [Double] {
        let norms = sorted.map(\.values.l2Norm)  // the documented deterministic norm
        let tau: Double?
        switch clipping {
        case .none: tau = nil
        case let .fixed(t): tau = t
        case let .medianNorm(f):
            let s = norms.sorted()
            tau = f * (s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2)
        }
        return norms.map { n in tau.map { n > $0 ? $0 / n : 1 } ?? 1 }
    }

    /// FedAvg in Double (no caps): Σ w_i s_i x_i / Σ w_i.
    static func fedAvgDouble(_ inputs: [AggregationInput], clipping: NormClipping = .none) -> [Double] {
        let sorted = inputs.sorted { $0.node < $1.node }
        let scales = clipScales(sorted, clipping)
        let total = Double(sorted.reduce(0) { $0 + $1.sampleCount })
        var out = [Double](repeating: 0, count: sorted[0].values.elementCount)
        for (i, input) in sorted.enumerated() {
            for (j, x) in DeltaFixtures.flat(input.values).enumerated() {
                out[j] += Double(input.sampleCount) / total * scales[i] * Double(x)
            }
        }
        return out
    }

    /// FedAvg exactly as specified: Float coefficients, fma chain in node order.
    static func fedAvgExact(_ inputs: [AggregationInput], clipping: NormClipping = .none) -> [Float] {
        let sorted = inputs.sorted { $0.node < $1.node }
        let scales = clipScales(sorted, clipping)
        var total = 0.0
        for input in sorted { total += Double(input.sampleCount) }
        let c = (0..<sorted.count).map { Float(Double(sorted[$0].sampleCount) / total * scales[$0]) }
        let xs = sorted.map { DeltaFixtures.flat($0.values) }
        return (0..<xs[0].count).map { j in
            var acc: Float = 0
            for i in 0..<xs.count { acc = acc.addingProduct(c[i], xs[i][j]) }
            return acc
        }
    }

    /// Median (trim = nil) or trimmed mean, by sorting each coordinate's values.
    static func orderStatistic(_ inputs: [AggregationInput], trim: Int?, clipping: NormClipping = .none) -> [Float] {
        let sorted = inputs.sorted { $0.node < $1.node }
        let scales = clipScales(sorted, clipping).map { Float($0) }
        let xs = sorted.map { DeltaFixtures.flat($0.values) }
        let n = xs.count
        return (0..<xs[0].count).map { j in
            let v = (0..<n).map { xs[$0][j] * scales[$0] + 0 }.sorted()
            guard let k = trim else { return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) * 0.5 }
            var sum = v[k]
            for i in (k + 1)..<(n - k) { sum += v[i] }
            return sum / Float(n - 2 * k)
        }
    }
}

@Suite struct AggregatorTests {
    static let inputs = AggregationReference.inputs(count: 7, elements: 70_001, seed: 40)

    func run(_ rule: AggregationRule, _ inputs: [AggregationInput] = inputs, threads: Int = 2) throws -> [Float] {
        DeltaFixtures.flat(try Aggregator(rule: rule, threads: threads).aggregate(inputs).aggregate)
    }

    @Test(arguments: [NormClipping.none, .fixed(0.5), .medianNorm(factor: 1.2)])
    func fedAvgMatchesReferences(clipping: NormClipping) throws {
        let result = try run(AggregationRule(method: .fedAvg(), clipping: clipping))
        #expect(result.map(\.bitPattern) == AggregationReference.fedAvgExact(Self.inputs, clipping: clipping).map(\.bitPattern))
        let reference = AggregationReference.fedAvgDouble(Self.inputs, clipping: clipping)
        let error = zip(result, reference).map { abs(Double($0) - $1) }.max()!
        #expect(error <= 1e-6 * reference.map(abs).max()!)
    }

    @Test(arguments: [NormClipping.none, .medianNorm(factor: 1)])
    func medianAndTrimmedMeanMatchReferences(clipping: NormClipping) throws {
        let all = AggregationReference.inputs(count: 6, elements: 20_011, seed: 42)
        for n in [1, 2, 5, 6] {
            let inputs = Array(all.prefix(n))
            let median = try run(AggregationRule(method: .median, clipping: clipping), inputs)
            #expect(median == AggregationReference.orderStatistic(inputs, trim: nil, clipping: clipping))
            for k in 0...((n - 1) / 2) {
                let trimmed = try run(AggregationRule(method: .trimmedMean(.count(k)), clipping: clipping), inputs)
                #expect(trimmed == AggregationReference.orderStatistic(inputs, trim: k, clipping: clipping), "n \(n) k \(k)")
            }
        }
    }

    @Test(arguments: [
        AggregationRule(method: .fedAvg(maxShare: 0.3)), AggregationRule(method: .median, clipping: .medianNorm(factor: 1)),
        AggregationRule(method: .trimmedMean(.fraction(0.2)), clipping: .fixed(1)),
    ])
    func resultsAreBitIdenticalForAnyOrderAndThreadCount(rule: AggregationRule) throws {
        let inputs = AggregationReference.inputs(count: 6, elements: 300_007, seed: 41)
        let reference = try Aggregator(rule: rule, threads: 1).aggregate(inputs)
        var rng = DeltaRNG(seed: 3)
        for threads in [1, 2, 5] {
            let result = try Aggregator(rule: rule, threads: threads).aggregate(inputs.shuffled(using: &rng))
            #expect(result.aggregate.isBitIdentical(to: reference.aggregate))
            #expect(result.contributions == reference.contributions)
        }
    }

    @Test func sortingNetworksSortEveryZeroOneInput() {
        for n in 1...12 {
            let network = SortingNetwork.comparators(n)
            for mask in 0..<(1 << n) {
                var v = (0..<n).map { (mask >> $0) & 1 }
                for (a, b) in network where v[Int(a)] > v[Int(b)] { v.swapAt(Int(a), Int(b)) }
                #expect(v == v.sorted(), "n \(n) mask \(mask)")
            }
        }
        var rng = DeltaRNG(seed: 8)
        for n in [13, 16, 17, 31, 33, 64] {
            var v = rng.gaussians(n)
            for (a, b) in SortingNetwork.comparators(n) where v[Int(a)] > v[Int(b)] { v.swapAt(Int(a), Int(b)) }
            #expect(v == v.sorted())
        }
    }

    @Test func fedAvgWeightCaps() {
        let nodes = (0..<4).map(AggregationReference.nodeID)
        let capped = AggregationWeights.fedAvg(sampleCounts: [100, 1, 1, 1], nodes: nodes, maxShare: 0.4, maxSamples: nil)
        #expect(capped.map { ($0 * 1e12).rounded() / 1e12 } == [0.4, 0.2, 0.2, 0.2])
        let samples = AggregationWeights.fedAvg(sampleCounts: [100, 1, 1, 1], nodes: nodes, maxShare: nil, maxSamples: 7)
        #expect(samples == [0.7, 0.1, 0.1, 0.1])
        let equal = AggregationWeights.fedAvg(sampleCounts: [9, 5, 1, 1], nodes: nodes, maxShare: 0.2, maxSamples: nil)
        #expect(equal == [0.25, 0.25, 0.25, 0.25])
        let two = AggregationWeights.fedAvg(sampleCounts: [50, 40, 5, 5], nodes: nodes, maxShare: 0.3, maxSamples: nil)
        #expect(two.allSatisfy { $0 <= 0.3 + 1e-12 } && abs(two.reduce(0, +) - 1) < 1e-12)
        #expect(abs(two[0] - 0.3) < 1e-12 && abs(two[1] - 0.3) < 1e-12 && abs(two[2] - 0.2) < 1e-12)
    }

    @Test func applyingUsesTheServerLearningRate() throws {
        let aggregator = Aggregator(rule: AggregationRule(method: .fedAvg(), serverLearningRate: 0.5))
        let result = try aggregator.aggregate(Self.inputs)
        let base = DeltaFixtures.gaussianSet(result.aggregate.schema, seed: 50, sigma: 1)
        let next = try aggregator.apply(result, to: base)
        let expected = zip(DeltaFixtures.flat(base), DeltaFixtures.flat(result.aggregate)).map { $0.addingProduct(0.5, $1) }
        #expect(DeltaFixtures.flat(next) == expected)
        #expect(throws: AggregationError.self) { try aggregator.apply(result, to: try ParameterSet([("shared.a", [1], [0])])) }
    }

    @Test func badInputsAndRulesAreTypedErrors() throws {
        let a = Aggregator(rule: AggregationRule())
        #expect(throws: AggregationError.noInputs) { try a.aggregate([]) }
        #expect(throws: AggregationError.duplicateNode(Self.inputs[0].node)) { try a.aggregate([Self.inputs[0], Self.inputs[0]]) }
        var odd = Self.inputs[1]
        odd.values = try ParameterSet([("shared.a", [1], [0])])
        #expect(throws: AggregationError.schemaMismatch(odd.node)) { try a.aggregate([Self.inputs[0], odd]) }
        let trim = Aggregator(rule: AggregationRule(method: .trimmedMean(.count(2))))
        #expect(throws: AggregationError.tooFewInputs(count: 4, needed: 5)) { try trim.aggregate(Array(Self.inputs.prefix(4))) }
        #expect(throws: AggregationError.self) { try Aggregator(rule: AggregationRule(method: .fedAvg(maxShare: 0))).aggregate(Self.inputs) }
        #expect(throws: AggregationError.self) { try Aggregator(rule: AggregationRule(clipping: .fixed(-1))).aggregate(Self.inputs) }
    }

    @Test(arguments: [
        AggregationRule(), AggregationRule(method: .fedAvg(maxShare: 0.25, maxSamples: 1000), clipping: .medianNorm(factor: 2), serverLearningRate: 0.1),
        AggregationRule(method: .median, clipping: .fixed(3.5)), AggregationRule(method: .trimmedMean(.count(1))),
        AggregationRule(method: .trimmedMean(.fraction(0.1))),
    ])
    func rulesRoundTripThroughJSON(rule: AggregationRule) throws {
        let text = rule.json.canonicalBytes
        #expect(try AggregationRule(json: try JSONValue.parse(text)) == rule)
    }
}
