// What a study runs: recipes (the first is the baseline), one evaluation suite, the
// data, and how every recipe starts (a shared VL-pretrained base, as the paper's
// policies start from a vision-language model). Presets and the study suites too.
import CotrainCore
import CotrainRuntime
import CotrainSim
import CotrainTensor

/// A study: train each recipe, evaluate each on the same suite, probe VL knowledge.
public struct StudyPlan: Sendable {
    /// The recipes, compared with the first (the baseline).
    public var recipes: [Recipe]
    /// The suite every policy is evaluated on, and an episodes-per-cell override.
    public var suite: EvaluationSuite
    public var episodes: Int?
    /// Where data, runs and the report go.
    public var outputDirectory: String
    /// Compute threads for training.
    public var threads = Compute.availableCores
    /// Existing stores to train on; both empty: built-in data from `builtInData`.
    public var episodeStores: [String] = []
    public var vlStores: [String] = []
    public var builtInData = StudyDataPlan()
    /// The robot the policies act for.
    public var ownEmbodiment = EmbodimentKind.ur5e
    /// Steps of VL-only pretraining of a shared base every recipe starts from (its
    /// tokenizer and shared weights); 0: every recipe starts from scratch.
    public var baseSteps = 0
    /// Multiplies every phase's steps and warm-up (e.g. 0.35 for a quick study).
    public var stepScale = 1.0
    /// Training seeds: every recipe (and the shared base) trains once per seed, and a
    /// condition's success pools the episodes of every seed's policy, so a ranking does
    /// not rest on one lucky initialisation. Empty: each recipe's own seed, one run.
    public var seeds: [UInt64] = []

    /// A plan; the rest takes the defaults above.
    public init(recipes: [Recipe], suite: EvaluationSuite, outputDirectory: String) {
        self.recipes = recipes
        self.suite = suite
        self.outputDirectory = outputDirectory
    }

    /// The seeds the study trains with: `seeds`, or one nil (each recipe's own).
    public var runSeeds: [UInt64?] { seeds.isEmpty ? [nil] : seeds.map { $0 } }

    /// The recipes as trained with `seed` (nil: their own): steps scaled, seed set.
    public func trainedRecipes(seed: UInt64? = nil) -> [Recipe] { recipes.map { adjusted($0, seed: seed) } }

    /// `recipe` with `stepScale` and `seed` (nil: its own) applied.
    public func adjusted(_ recipe: Recipe, seed: UInt64? = nil) -> Recipe {
        var r = recipe
        if let seed { r.seed = seed }
        for i in r.phases.indices where stepScale != 1 {
            r.phases[i].steps = max(1, Int((Double(r.phases[i].steps) * stepScale).rounded()))
            r.phases[i].warmup = min(r.phases[i].steps, Int((Double(r.phases[i].warmup) * stepScale).rounded()))
        }
        return r
    }

    /// The VL-only recipe of the shared base (for the runs of `seed`): the recipes'
    /// model, one phase of VL data.
    public func baseRecipe(seed: UInt64? = nil) -> Recipe? {
        guard baseSteps > 0, let first = trainedRecipes(seed: seed).first, let phase = first.phases.first else { return nil }
        var r = first
        r.name = "vl-base"
        r.description = "Vision-language pretraining of the base every recipe of the study starts from."
        r.question = ""
        r.phases = [RecipePhase(
            name: "vl", steps: baseSteps, learningRate: phase.learningRate, warmup: min(baseSteps, max(phase.warmup, baseSteps / 10)),
            batchSize: phase.batchSize, mixture: [.vl: 1])]
        return r
    }

    /// Checks that the recipes can be compared: unique names, and one model size when
    /// they share a base.
    public func validate() throws(TrainerError) {
        guard !recipes.isEmpty else { throw .policy("a study needs at least one recipe (--recipes A,B,…)") }
        let names = recipes.map(\.name)
        guard Set(names).count == names.count else { throw .policy("two recipes of the study are named alike: \(names.joined(separator: ", "))") }
        guard Set(seeds).count == seeds.count, seeds.count <= 32 else { throw .policy("the study's seeds (--seeds) must be distinct and at most 32, got \(seeds.map(String.init).joined(separator: ","))") }
        if baseSteps > 0, let other = recipes.first(where: { $0.model != recipes[0].model }) {
            throw .policy("recipe \(other.name) has other model sizes than \(recipes[0].name); a shared base needs one model (or pass --base-steps 0)")
        }
    }
}

/// Named study setups.
public enum StudyPreset {
    /// The quick preset's recipes: the baseline, VL co-training, and VL plus
    /// cross-embodiment data (do the two gains add up?).
    public static let quickRecipes = ["robot-only", "vl", "vl+cross-embodiment"]

    /// Applies the quick preset (about 2 minutes on two cores): fewer episodes of
    /// data, a shorter schedule, a short VL base, the `study-quick` suite.
    public static func quick(_ plan: inout StudyPlan) throws(RuntimeError) {
        plan.stepScale = 0.35
        plan.baseSteps = 300
        plan.builtInData.robotEpisodes = 300
        plan.builtInData.crossEmbodimentEpisodes = 150
        plan.builtInData.humanVideoEpisodes = 60
        plan.builtInData.vlSamples = 3000
        plan.suite = try StudySuites.named("study-quick")
    }
}

/// Suites made for studies on the built-in data: the seen tasks (pick, place) under
/// every kind of change, and task families no robot data shows.
public enum StudySuites {
    /// `study` (50 episodes per cell) and `study-quick` (20; fewer shifts).
    public static let names = ["study", "study-quick"]

    /// A study suite, a built-in runtime suite (`smoke`, `quick`, `standard`), or a
    /// suite file (`.json`).
    public static func named(_ name: String) throws(RuntimeError) -> EvaluationSuite {
        let c = EvalCondition.builtIn
        let seen = [TaskSpec(.pick), TaskSpec(.place)], unseen = [TaskSpec(.push), TaskSpec(.stack)]
        switch name {
        case "study":
            let conditions = ["nominal", "positions", "lighting", "camera", "appearance", "distractors", "paraphrase", "held_out_colours"]
            return EvaluationSuite(name: name, tasks: seen, conditions: conditions.map { c[$0]! }, unseenTasks: unseen, episodes: 50)
        case "study-quick":
            let conditions = ["nominal", "lighting", "distractors", "paraphrase", "held_out_colours"]
            return EvaluationSuite(name: name, tasks: seen, conditions: conditions.map { c[$0]! }, unseenTasks: unseen, episodes: 20)
        default:
            return name.hasSuffix(".json") ? try EvaluationSuite.load(path: name) : try EvaluationSuite.named(name)
        }
    }
}
