// Deterministic aggregation of a round's deltas: sort by node id, measure norms, clip,
// combine with the rule's method, apply to the base with the server learning rate.
import CotrainCore

/// One delta going into an aggregation.
public struct AggregationInput: Sendable {
    /// The sender.
    public var node: NodeID
    /// Its sample count (FedAvg weight before caps).
    public var sampleCount: Int
    /// Its delta hash (recorded in the journal).
    public var deltaHash: SHA256Digest
    /// The decoded delta.
    public var values: ParameterSet

    /// An input from its parts.
    public init(node: NodeID, sampleCount: Int, deltaHash: SHA256Digest, values: ParameterSet) {
        self.node = node
        self.sampleCount = sampleCount
        self.deltaHash = deltaHash
        self.values = values
    }

    /// The input for a verified delta.
    public init(_ delta: VerifiedDelta) {
        self.init(node: delta.header.node, sampleCount: delta.header.sampleCount, deltaHash: delta.deltaHash, values: delta.values)
    }

    /// This input restricted to tensors starting with one of `prefixes` (e.g. to
    /// aggregate `embodiment.<e>.*` among the deltas that carry it, separately from `shared.*`).
    public func filtered(prefixes: [String]) -> AggregationInput {
        AggregationInput(node: node, sampleCount: sampleCount, deltaHash: deltaHash, values: values.filtered(prefixes: prefixes))
    }
}

/// What one delta contributed.
public struct AggregationContribution: Sendable, Equatable {
    /// The sender.
    public let node: NodeID
    /// Its delta hash.
    public let deltaHash: SHA256Digest
    /// Its declared sample count.
    public let sampleCount: Int
    /// Its normalised FedAvg weight after caps (1/n for median and trimmed mean).
    public let weight: Double
    /// Its global L2 norm before clipping.
    public let norm: Double
    /// The clipping factor applied (1 when not clipped).
    public let clipScale: Double
}

/// The outcome of an aggregation.
public struct AggregationResult: Sendable {
    /// The aggregate delta.
    public let aggregate: ParameterSet
    /// Per delta, in node-id order.
    public let contributions: [AggregationContribution]
    /// The clipping threshold used, if any.
    public let clipThreshold: Double?
}

/// Aggregates deltas with a rule. Same inputs (in any order) ⇒ bit-identical output,
/// for any `threads`.
public struct Aggregator: Sendable {
    /// The rule.
    public var rule: AggregationRule
    /// Threads for the coordinate-parallel kernels (never changes the result).
    public var threads: Int

    /// An aggregator for `rule` on up to `threads` threads.
    public init(rule: AggregationRule, threads: Int = 2) {
        self.rule = rule
        self.threads = max(1, threads)
    }

    /// Combines `inputs` (any order; all with the same schema, distinct nodes).
    public func aggregate(_ inputs: [AggregationInput]) throws(AggregationError) -> AggregationResult {
        try rule.validate()
        guard let first = inputs.first else { throw .noInputs }
        let sorted = inputs.sorted { $0.node < $1.node }
        for (index, input) in sorted.enumerated() {
            if index > 0, sorted[index - 1].node == input.node { throw .duplicateNode(input.node) }
            guard input.values.schema == first.values.schema else { throw .schemaMismatch(input.node) }
        }
        let n = sorted.count
        let schema = first.values.schema
        if case let .trimmedMean(trim) = rule.method, n - 2 * trim.perSide(n) < 1 {
            throw .tooFewInputs(count: n, needed: 2 * trim.perSide(n) + 1)
        }
        let norms = sorted.map { input in
            input.values.withFlatValues { parameterL2Norm($0.baseAddress!, count: $0.count, threads: threads) }
        }
        let threshold = clipThreshold(norms)
        let clip = norms.map { norm in threshold.map { norm > $0 ? $0 / norm : 1 } ?? 1 }
        var weights = [Double](repeating: 1 / Double(n), count: n)

        let aggregate: ParameterSet = withExtendedLifetime(sorted) {
            let sources = UnsafeMutableBufferPointer<UnsafePointer<Float>>.allocate(capacity: n)
            defer { sources.deallocate() }
            for i in 0..<n { sources[i] = UnsafePointer(sorted[i].values.storage.base) }
            return ParameterSet.build(schema: schema) { out in
                switch rule.method {
                case let .fedAvg(maxShare, maxSamples):
                    weights = AggregationWeights.fedAvg(
                        sampleCounts: sorted.map(\.sampleCount), nodes: sorted.map(\.node), maxShare: maxShare, maxSamples: maxSamples)
                    let coefficients = (0..<n).map { Float(weights[$0] * clip[$0]) }
                    AggregationKernels.weightedSum(UnsafeBufferPointer(sources), coefficients: coefficients, into: out, threads: threads)
                case .median:
                    AggregationKernels.orderStatistic(
                        UnsafeBufferPointer(sources), scales: clip.map { Float($0) }, statistic: .median, into: out, threads: threads)
                case let .trimmedMean(trim):
                    AggregationKernels.orderStatistic(
                        UnsafeBufferPointer(sources), scales: clip.map { Float($0) }, statistic: .trimmedMean(trim.perSide(n)),
                        into: out, threads: threads)
                }
            }
        }
        let contributions = (0..<n).map { i in
            AggregationContribution(
                node: sorted[i].node, deltaHash: sorted[i].deltaHash, sampleCount: sorted[i].sampleCount,
                weight: weights[i], norm: norms[i], clipScale: clip[i])
        }
        return AggregationResult(aggregate: aggregate, contributions: contributions, clipThreshold: threshold)
    }

    /// The new base: `fma(Float(serverLearningRate), aggregate, base)` per element.
    /// `base` must have the aggregate's schema (e.g. the `shared.*` tensors).
    public func apply(_ result: AggregationResult, to base: ParameterSet) throws(AggregationError) -> ParameterSet {
        do {
            return try base.applying(result.aggregate, rate: Float(rule.serverLearningRate), threads: threads)
        } catch {
            throw .baseMismatch("\(error)")
        }
    }

    /// τ for these norms, or nil without clipping. The median of an even count is the
    /// mean of the two middle norms.
    func clipThreshold(_ norms: [Double]) -> Double? {
        switch rule.clipping {
        case .none: return nil
        case let .fixed(t): return t
        case let .medianNorm(factor):
            let s = norms.sorted()
            let m = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
            return factor * m
        }
    }
}
