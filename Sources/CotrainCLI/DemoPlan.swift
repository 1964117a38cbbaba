// What `cotrain demo` runs: the labs, which tasks each demonstrates, and every size
// (episodes, VL samples, training steps, rounds, evaluation episodes, threads) in one
// place, with the three presets. Tune the sizes here; the runner only reads them.
import CotrainCore

/// One lab of the demo federation: its robot and the task families it demonstrates.
struct DemoLab: Sendable, Equatable {
    /// The lab's name, e.g. `lab-a` (the certificate's name, what other admins see).
    let name: String
    /// The simulated robot, e.g. `ur5e`.
    let embodiment: String
    /// The task families this lab records demonstrations of.
    let tasks: [String]
    /// The seed of its demonstrations (each lab's scenes differ).
    let seed: UInt64

    /// The three labs, in the order they are created. With `--labs 2` the first two.
    ///
    /// Every embodiment's scripted expert solves every task family (checked with
    /// `cotrain eval --policy expert --embodiment E`), so the split is a choice: each lab
    /// demonstrates two of pick, place and push, and every family is demonstrated by
    /// at least one lab but missing at another — what a lab never demonstrated, another
    /// lab's robot did, and the federated policy is evaluated on it as an unseen task.
    static let all = [
        DemoLab(name: "lab-a", embodiment: "ur5e", tasks: ["pick", "place"], seed: 1),
        DemoLab(name: "lab-b", embodiment: "panda", tasks: ["pick", "push"], seed: 2),
        DemoLab(name: "lab-c", embodiment: "scara", tasks: ["place", "push"], seed: 3),
    ]

    /// Task families other labs of `federation` demonstrate and this one does not.
    func unseenTasks(in federation: [DemoLab]) -> [String] {
        var unseen: [String] = []
        for lab in federation where lab != self {
            for task in lab.tasks where !tasks.contains(task) && !unseen.contains(task) { unseen.append(task) }
        }
        return unseen
    }
}

/// The demo's presets.
enum DemoPreset: String, Sendable, CaseIterable {
    /// About 5–10 minutes on 2 cores.
    case standard = "default"
    /// Under 3 minutes.
    case quick
    /// Seconds of compute: two rounds of a few steps (the CI test).
    case tiny
}

/// Every size of a demo run. The federated labs train as many optimiser steps in total
/// (`rounds × stepsPerRound`) as each local-only baseline (`localSteps`), so the
/// comparison is of what they learned from, not of how long they trained.
struct DemoPlan: Sendable, Equatable {
    var preset: DemoPreset
    /// Labs in the federation (2 or 3).
    var labCount: Int
    /// Scripted-expert demonstrations each lab records of its own tasks.
    var episodesPerLab: Int
    /// VL samples lab-a generates and shares (training split), and samples per shard.
    var vlSamples: Int
    var vlShardSize: Int
    /// VL probe samples (kept by lab-a, never trained on or shared).
    var vlProbeSamples: Int
    /// Optimiser steps of each lab's local-only robot-only baseline.
    var localSteps: Int
    /// Optimiser steps of the VL-pretrained common base (lab-a, VL data only).
    var baseSteps: Int
    /// Federated rounds, and each lab's optimiser steps per round.
    var rounds: Int
    var stepsPerRound: Int
    /// Samples per optimiser step (nil: the recipe's own, 16 in the shipped recipes).
    var batchSize: Int?
    /// Evaluation episodes per cell (task × condition), the same seeds for both policies.
    var evalEpisodes: Int
    /// Compute threads of each training, node and evaluation process. The labs run side
    /// by side (three processes on two cores), which uses the cores better than one lab
    /// at a time with two threads: a batch of 16 does not scale past one thread.
    var threadsPerProcess: Int
    /// Round deadline in seconds. A round closes as soon as every lab's delta is in;
    /// the deadline only matters when a lab falls behind.
    var roundDeadline: Int

    /// The preset's sizes for `labs` labs.
    static func preset(_ preset: DemoPreset, labs: Int) -> DemoPlan {
        switch preset {
        case .standard:
            return DemoPlan(
                preset: preset, labCount: labs, episodesPerLab: 240, vlSamples: 3072, vlShardSize: 1024, vlProbeSamples: 64,
                localSteps: 1200, baseSteps: 480, rounds: 6, stepsPerRound: 200, batchSize: nil, evalEpisodes: 30,
                threadsPerProcess: 1, roundDeadline: 600)
        case .quick:
            return DemoPlan(
                preset: preset, labCount: labs, episodesPerLab: 120, vlSamples: 1024, vlShardSize: 512, vlProbeSamples: 32,
                localSteps: 300, baseSteps: 120, rounds: 4, stepsPerRound: 75, batchSize: nil, evalEpisodes: 10,
                threadsPerProcess: 1, roundDeadline: 300)
        case .tiny:
            return DemoPlan(
                preset: preset, labCount: labs, episodesPerLab: 12, vlSamples: 96, vlShardSize: 48, vlProbeSamples: 8,
                localSteps: 8, baseSteps: 4, rounds: 2, stepsPerRound: 4, batchSize: 8, evalEpisodes: 2,
                threadsPerProcess: 1, roundDeadline: 120)
        }
    }

    /// The labs taking part.
    var labs: [DemoLab] { Array(DemoLab.all.prefix(labCount)) }

    /// Steps between the local runs' checkpoints (their training log is written with
    /// each one, which is how the demo follows their progress).
    var checkpointInterval: Int { max(2, min(localSteps, baseSteps) / 20) }

    /// The evaluation conditions besides unseen tasks (built-in suite conditions).
    static let conditions = ["nominal", "lighting", "distractors", "held_out_colours", "paraphrase"]

    /// What each condition tests, for the tables.
    static func describe(condition: String) -> String {
        switch condition {
        case "nominal": return "nominal (as trained)"
        case "lighting": return "lighting shift"
        case "distractors": return "distractors"
        case "held_out_colours": return "held-out colours"
        case "paraphrase": return "paraphrased instructions"
        case "unseen_task": return "unseen tasks"
        default: return condition
        }
    }

    /// The plan as JSON (for demo.json).
    var json: JSONValue {
        .object([
            ("preset", .string(preset.rawValue)), ("labs", .int(Int64(labCount))),
            ("episodes_per_lab", .int(Int64(episodesPerLab))), ("vl_samples", .int(Int64(vlSamples))),
            ("vl_shard_size", .int(Int64(vlShardSize))), ("local_steps", .int(Int64(localSteps))),
            ("base_steps", .int(Int64(baseSteps))), ("rounds", .int(Int64(rounds))),
            ("steps_per_round", .int(Int64(stepsPerRound))), ("batch_size", batchSize.map { .int(Int64($0)) } ?? .null),
            ("eval_episodes_per_cell", .int(Int64(evalEpisodes))), ("threads_per_process", .int(Int64(threadsPerProcess))),
            ("round_deadline_seconds", .int(Int64(roundDeadline))),
        ])
    }
}
