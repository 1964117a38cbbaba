// CotrainRuntime/TemporalEnsemble.swift: temporal ensembling of action chunks (Zhao et
// al. 2023, ACT). A policy that plans H steps ahead is asked again every step; the
// action executed is the weighted mean of what each plan still covering this step
// predicted for it. Each chunk alone is an open-loop plan whose errors a re-plan every
// k steps executes whole; the mean follows the newest observation while no single
// plan's error dominates.
import Foundation

/// The running state of one episode's ensemble.
public struct TemporalEnsemble: Sendable, Equatable {
    /// Weight exp(−decay · age) for the chunk sampled `age` steps ago; 0 weighs every
    /// covering chunk equally, larger values trust the newest plan more (a policy's
    /// configuration bounds it: `PolicyConfig.ensembleDecayRange`).
    public let decay: Float
    /// The chunks that may still cover a coming step, newest first.
    private(set) var recent: [[[Float]]] = []

    public init(decay: Float) {
        precondition(decay.isFinite && decay >= 0, "temporal ensemble decay \(decay) must be a finite number ≥ 0")
        self.decay = decay
    }

    /// Forgets every plan (a new episode).
    public mutating func reset() { recent.removeAll(keepingCapacity: true) }

    /// Takes the chunk planned at this step (at least one action, all of one width)
    /// and returns the action to execute now: the weighted mean of this chunk's first
    /// action, the previous chunk's second, and so on, over the chunks long enough to
    /// reach this step.
    public mutating func next(_ chunk: [[Float]]) -> [Float] {
        precondition(!chunk.isEmpty, "an action chunk has at least one action")
        recent.insert(chunk, at: 0)
        let horizon = recent.map(\.count).max() ?? 1
        if recent.count > horizon { recent.removeLast(recent.count - horizon) }
        var mean = [Float](repeating: 0, count: chunk[0].count)
        var total: Float = 0
        for (age, plan) in recent.enumerated() where age < plan.count && plan[age].count == mean.count {
            let w = exp(-decay * Float(age))
            for j in mean.indices { mean[j] += w * plan[age][j] }
            total += w
        }
        return mean.map { $0 / total }
    }
}
