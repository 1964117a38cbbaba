// CotrainRuntime/EvaluationSuite.swift: what an evaluation runs — tasks × conditions ×
// N episodes with fixed seeds, plus unseen task families under nominal conditions.
// Built-in suites are named; labs write their own as JSON (docs/evaluation.md).
import CotrainSim

/// A test condition: the nominal distribution or one kind of shift.
public struct EvalCondition: Sendable, Equatable {
    /// Name in tables and result files, e.g. "lighting".
    public var name: String
    /// Rendering and clutter shift.
    public var shift: DistributionShift
    /// Instruction templates to use instead of the task's (held-out paraphrases).
    public var phrasing: PhrasingSet?
    /// Colours to use instead of the task's (held-out concepts).
    public var colours: [SimColour]?
    /// Added to every seed: layouts from a range robot data never uses.
    public var seedOffset: UInt64

    public init(name: String, shift: DistributionShift = .none, phrasing: PhrasingSet? = nil, colours: [SimColour]? = nil, seedOffset: UInt64 = 0) {
        self.name = name; self.shift = shift; self.phrasing = phrasing; self.colours = colours; self.seedOffset = seedOffset
    }

    /// Seeds at or above this are reserved for evaluation layouts ("positions").
    public static let heldOutSeedBase: UInt64 = 1 << 40
    /// Colours no robot data shows (only vision-language data names them).
    public static let heldOutColours: [SimColour] = [.orange, .purple, .cyan, .pink]

    /// The built-in conditions by name.
    public static let builtIn: [String: EvalCondition] = [
        "nominal": EvalCondition(name: "nominal"),
        "positions": EvalCondition(name: "positions", seedOffset: heldOutSeedBase),
        "distractors": EvalCondition(name: "distractors", shift: .distractors),
        "lighting": EvalCondition(name: "lighting", shift: .lighting),
        "camera": EvalCondition(name: "camera", shift: .camera),
        "appearance": EvalCondition(name: "appearance", shift: .appearance),
        "paraphrase": EvalCondition(name: "paraphrase", phrasing: .heldOut),
        "held_out_colours": EvalCondition(name: "held_out_colours", colours: heldOutColours),
    ]

    /// The task as this condition changes it.
    public func apply(to task: TaskSpec) -> TaskSpec {
        var t = task
        if let phrasing { t.phrasing = phrasing }
        if let colours { t.scene.colours = colours }
        return t
    }
}

/// One cell of a suite: a task under a condition, with its seeds.
public struct EvalCell: Sendable, Equatable {
    /// Task family name and condition name, as in tables.
    public var task: String
    public var condition: String
    /// The task spec and shift the robot gets.
    public var spec: TaskSpec
    public var shift: DistributionShift
    /// One seed per episode (the same for every policy, so comparisons are paired).
    public var seeds: [UInt64]
}

/// An evaluation suite.
public struct EvaluationSuite: Sendable, Equatable {
    public var name: String
    /// Tasks run under every condition.
    public var tasks: [TaskSpec]
    public var conditions: [EvalCondition]
    /// Task families held out of training, run under the nominal condition as "unseen_task".
    public var unseenTasks: [TaskSpec]
    /// Episodes per cell, and the first seed.
    public var episodes: Int
    public var seed: UInt64

    public init(name: String, tasks: [TaskSpec], conditions: [EvalCondition], unseenTasks: [TaskSpec] = [], episodes: Int = 50, seed: UInt64 = 1000) {
        self.name = name; self.tasks = tasks; self.conditions = conditions; self.unseenTasks = unseenTasks
        self.episodes = episodes; self.seed = seed
    }

    /// The cells in run order: tasks × conditions, then unseen tasks.
    public var cells: [EvalCell] {
        func seeds(_ offset: UInt64) -> [UInt64] { (0..<UInt64(episodes)).map { seed + offset + $0 } }
        var out: [EvalCell] = []
        for task in tasks {
            for c in conditions {
                out.append(EvalCell(task: task.family.rawValue, condition: c.name, spec: c.apply(to: task), shift: c.shift, seeds: seeds(c.seedOffset)))
            }
        }
        for task in unseenTasks {
            out.append(EvalCell(task: task.family.rawValue, condition: "unseen_task", spec: task, shift: .none, seeds: seeds(0)))
        }
        return out
    }

    /// Names of the built-in suites, for help texts.
    public static let builtInNames = ["smoke", "quick", "standard"]

    /// A built-in suite: `smoke` (pick, nominal, 2 episodes), `quick` (pick/place/push ×
    /// nominal/distractors/paraphrase, 10 episodes), `standard` (four tasks × eight
    /// conditions + two unseen long-horizon families, 50 episodes).
    public static func named(_ name: String) throws(RuntimeError) -> EvaluationSuite {
        let c = EvalCondition.builtIn
        switch name {
        case "smoke":
            return EvaluationSuite(name: name, tasks: [TaskSpec(.pick)], conditions: [c["nominal"]!], episodes: 2)
        case "quick":
            return EvaluationSuite(
                name: name, tasks: [TaskSpec(.pick), TaskSpec(.place), TaskSpec(.push)],
                conditions: ["nominal", "distractors", "paraphrase"].map { c[$0]! }, episodes: 10)
        case "standard":
            let names = ["nominal", "positions", "distractors", "lighting", "camera", "appearance", "paraphrase", "held_out_colours"]
            return EvaluationSuite(
                name: name, tasks: [TaskSpec(.pick), TaskSpec(.place), TaskSpec(.push), TaskSpec(.stack)],
                conditions: names.map { c[$0]! }, unseenTasks: [TaskSpec(.putAllOfColour), TaskSpec(.sortByColour)], episodes: 50)
        default:
            throw .invalidSuite("no built-in suite '\(name)'; use \(builtInNames.joined(separator: ", ")) or a .json suite file")
        }
    }

    /// Checks that every cell can be sampled.
    public func validate() throws(RuntimeError) {
        guard (1...100_000).contains(episodes) else { throw .invalidSuite("episodes must be 1...100000 (got \(episodes))") }
        guard !cells.isEmpty else { throw .invalidSuite("the suite has no cells; list at least one task and one condition") }
        guard seed < (1 << 62) else { throw .invalidSuite("the seed must be below 2^62") }
        for cell in cells {
            do { try cell.spec.validate() } catch { throw .invalidSuite("cell \(cell.task)/\(cell.condition): \(error.description)") }
        }
        let keys = cells.map { "\($0.task)/\($0.condition)" }
        guard Set(keys).count == keys.count else { throw .invalidSuite("two cells share a task and condition name; rename a condition") }
    }
}
