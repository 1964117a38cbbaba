// CotrainSim/Evaluation.swift: running a policy for one episode in the simulator.

/// How one policy episode went.
public struct EpisodeOutcome: Sendable, Equatable {
    /// Whether the task was completed within the step budget.
    public var success: Bool
    /// Fraction of milestones reached (task-completion score).
    public var completion: Float
    /// Steps executed.
    public var steps: Int
}

extension SimEnvironment {
    /// Runs `policy` on `task` from `seed`, executing each returned action chunk in full
    /// (or until the episode ends) before asking again.
    public mutating func run<P: Policy>(
        _ policy: inout P, task: TaskSpec, seed: UInt64, shifts: DistributionShift = .none
    ) -> EpisodeOutcome {
        policy.reset()
        var observation = reset(task: task, seed: seed, shifts: shifts)
        chunks: while !isDone {
            let chunk = policy.act(observation)
            precondition(!chunk.isEmpty, "a policy must return at least one action")
            for action in chunk {
                let (next, info) = step(action)
                observation = next
                if info.done { break chunks }
            }
        }
        return EpisodeOutcome(success: success, completion: completion, steps: stepCount)
    }
}
