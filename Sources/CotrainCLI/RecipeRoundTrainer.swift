// The co-training trainer as the node daemon's LocalTrainer (`cotrain serve --trainer
// recipe`): the daemon's ParameterSets become the policy's named tensors and back, and
// CotrainData's RoundTraining does the rest in HOME/state/trainer/. The CLI is the one
// module that sees both sides.
import CotrainCore
import CotrainData
import CotrainFederation
import CotrainPolicy
import CotrainSim
import Foundation

/// Trains a recipe on the node's own data for each federated round.
///
/// The daemon's model is the policy's `shared.*` tensors, plus `embodiment.<own>.*` when
/// the recipe shares `shared+embodiment`; the rest of the policy (the own robot's
/// tensors under sharing `shared`, other robots' stems and heads when the recipe draws
/// cross-embodiment data) stays in the work checkpoint and is trained locally only.
final class RecipeRoundTrainer: LocalTrainer, @unchecked Sendable {
    /// The node's own robot.
    let embodiment: String
    /// Where the work checkpoint lives (`HOME/state/trainer`).
    let workDirectory: String
    private let session: RoundTraining
    private let log: Logger?
    /// Serialises calls (the daemon trains on one thread; this makes it a guarantee).
    private let lock = NSLock()

    /// Loads the recipe and data and opens the work directory (resuming its checkpoint
    /// or starting from `initialCheckpoint`).
    init(recipePath: String, episodeStores: [String], vlStores: [String], embodiment: String, initialCheckpoint: String,
         workDirectory: String, stepsPerRound: Int, threads: Int, log: Logger?) throws {
        guard let own = EmbodimentKind(rawValue: embodiment) else {
            throw UsageError(message: "the recipe trainer trains a built-in robot (\(EmbodimentKind.allCases.map(\.rawValue).joined(separator: ", "))), not \(embodiment)", command: "serve")
        }
        let recipe = try Recipe.load(path: recipePath)
        let data = try TrainingData.load(ownEmbodiment: own, episodeStores: episodeStores, vlStores: vlStores, frame: recipe.model.actionFrame, motionWindow: recipe.model.motionWindow)
        var options = RoundTrainingOptions(workDirectory: workDirectory, initialCheckpoint: initialCheckpoint)
        options.stepsPerRound = stepsPerRound
        options.threads = threads
        do { session = try RoundTraining(recipe: recipe, data: data, options: options) } catch let error as RecipeError {
            throw RecipeError.inFile(recipePath, error)
        }
        self.embodiment = embodiment
        self.workDirectory = workDirectory
        self.log = log
        let model = session.trainer.model
        log?.info("recipe trainer ready", [
            "recipe": recipe.name, "parameters": String(model.parameterCount), "robots": model.config.embodiments.map(\.name).joined(separator: ","),
            "step": String(session.trainer.stepsDone), "total_steps": String(recipe.totalSteps), "steps_per_round": String(stepsPerRound),
            "threads": String(threads),
        ])
    }

    /// The model a federation starts from: the initial checkpoint's `shared.*` tensors
    /// (and this robot's `embodiment.<own>.*` when the recipe shares them).
    func initialModel() throws -> ParameterSet {
        try lock.withLock { try Self.parameterSet(session.initialTensors(embodiment: embodiment)) }
    }

    func train(base: ParameterSet, round: Int) throws -> (trained: ParameterSet, samples: Int) {
        try lock.withLock {
            let result = try session.train(base: Self.tensors(base), round: round)
            let s = result.steps, l = s.losses
            log?.info("round trained", [
                "round": String(round), "steps": "\(s.firstStep)..<\(s.firstStep + s.steps)", "samples": String(result.samples),
                "loss": format(l.total, 4), "action": format(l.action, 4), "text": format(l.text, 4),
                "lr": "\(format(Double(s.firstLearningRate) * 1e4, 2))e-4..\(format(Double(s.lastLearningRate) * 1e4, 2))e-4",
                "seconds": format(s.seconds, 2), "repeated": String(result.repeated),
            ])
            return (try Self.parameterSet(result.tensors), result.samples)
        }
    }

    /// A parameter set's tensors as the policy's named tensors (in name order).
    static func tensors(_ set: ParameterSet) -> [NamedTensor] {
        set.schema.specs.map { NamedTensor(name: $0.name, shape: $0.shape, values: set.values($0.name)!) }
    }

    /// Named tensors as a parameter set.
    static func parameterSet(_ tensors: [NamedTensor]) throws -> ParameterSet {
        try ParameterSet(tensors.map { ($0.name, $0.shape, $0.values) })
    }
}
