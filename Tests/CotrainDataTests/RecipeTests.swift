// Recipes: the shipped files parse and validate; each kind of mistake gives its own
// error and message; the canonical hash ignores formatting; phases cover the steps.
import Foundation
import Testing
@testable import CotrainCore
@testable import CotrainData
import CotrainSim

/// The repository's policies/ directory.
let policiesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("policies").path

/// A minimal valid recipe as JSON text, with `phases` spliced in.
func recipeText(phases: String = #"[{"name":"main","steps":10,"learning_rate":0.001,"batch_size":4,"mixture":{"robot":1}}]"#, extra: String = "") -> String {
    #"{"format":"cotrain.recipe.v1","name":"t","seed":3,"model":{"image_size":16,"patch_size":8}\#(extra),"phases":\#(phases)}"#
}

func parse(_ text: String) throws(RecipeError) -> Recipe { try Recipe(bytes: Array(text.utf8)) }

@Suite struct RecipeTests {
    static let shipped = ["robot-only", "vl", "dense-annotations", "cross-embodiment", "human-video", "human-video-actions",
                          "discrete-tokens", "chain-of-thought", "vl+cross-embodiment", "all-single-phase", "multi-phase",
                          "multi-phase-no-vl-phase2", "vl-wrist", "vl-pointer", "vl-tool"]

    @Test(arguments: shipped)
    func shippedRecipesParseAndValidate(name: String) throws {
        let recipe = try Recipe.load(path: "\(policiesDirectory)/\(name).json")
        #expect(recipe.name == name)
        #expect(!recipe.question.isEmpty && !recipe.description.isEmpty)
        // Keep default runs within 10 minutes on 2 cores: at most 256 000 samples (about
        // 420 samples/s for the largest shipped model, data-parallel on 2 threads).
        #expect(recipe.phases.reduce(0) { $0 + $1.steps * $1.batchSize } <= 8000 * 32, "keep default runs to minutes on 2 cores")
        let everything = AvailableData(
            ownEmbodiment: .ur5e, episodes: [.ur5e: 10, .panda: 10, .hand: 10], vlSamples: 100, imageSizes: [64])
        try recipe.validate(against: everything)
        // Discrete tokens and chain-of-thought are ablations: never on outside their own recipe.
        if name != "discrete-tokens" { #expect(recipe.phases.allSatisfy { !$0.switches.discreteActions }) }
        if name != "chain-of-thought" { #expect(recipe.phases.allSatisfy { !$0.switches.chainOfThought }) }
    }

    @Test func everyShippedRecipeIsListed() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: policiesDirectory).filter { $0.hasSuffix(".json") }
        #expect(Set(files.map { String($0.dropLast(5)) }) == Set(Self.shipped))
    }

    @Test func multiPhaseSwitchesModalitiesPerPhase() throws {
        let recipe = try Recipe.load(path: "\(policiesDirectory)/multi-phase.json")
        #expect(recipe.phases.map(\.name) == ["pretrain", "finetune"])
        #expect(recipe.phases[0].switches.denseAnnotations && !recipe.phases[1].switches.denseAnnotations)
        #expect(recipe.phases[0].mixture[.crossEmbodiment]! > 0 && recipe.phases[1].mixture[.crossEmbodiment] == nil)
        #expect(recipe.phases.allSatisfy { ($0.mixture[.vl] ?? 0) > 0 })
        #expect(recipe.phase(at: 599)! == (0, 599) && recipe.phase(at: 600)! == (1, 0) && recipe.phase(at: 999)! == (1, 399))
        #expect(recipe.phase(at: 1000) == nil && recipe.phase(at: -1) == nil)
    }

    /// Each mistake: its text and the error it must produce.
    static let mistakes: [(String, RecipeError)] = [
        (recipeText(phases: #"[{"name":"main","steps":10,"learning_rate":0.001,"batch_size":4,"mixture":{"robot":1,"web_video":1}}]"#),
         .unknownModality(path: "phases[0].mixture", name: "web_video", known: DataSource.allCases.map(\.rawValue))),
        (recipeText(phases: #"[{"name":"main","steps":10,"learning_rate":0.001,"batch_size":4,"mixture":{"robot":1},"modalities":{"depth_maps":true}}]"#),
         .unknownModality(path: "phases[0].modalities", name: "depth_maps", known: ModalitySwitches.keys)),
        (recipeText(extra: #","dropout":0.1"#),
         .field(.unknownKey(path: "(top level)", key: "dropout", allowed: []))),
        (recipeText(phases: #"[{"name":"main","steps":10,"learning_rate":0.001,"batch_size":4,"mixture":{"robot":0,"vl":0}}]"#),
         .weightsNotPositive(phase: "main")),
        (recipeText(phases: #"[{"name":"main","steps":10,"learning_rate":0.001,"batch_size":4,"mixture":{"robot":1,"vl":-0.5}}]"#),
         .negativeWeight(phase: "main", source: "vl", weight: -0.5)),
        (recipeText(phases: #"[{"name":"main","steps":-5,"learning_rate":0.001,"batch_size":4,"mixture":{"robot":1}}]"#),
         .nonPositiveSteps(phase: "main", steps: -5)),
        (recipeText(phases: "[]"), .noPhases),
        (recipeText(phases: #"[{"name":"a","steps":1,"learning_rate":0.001,"batch_size":4,"mixture":{"robot":1}},{"name":"a","steps":1,"learning_rate":0.001,"batch_size":4,"mixture":{"robot":1}}]"#),
         .duplicatePhase("a")),
        (recipeText(phases: #"[{"name":"main","learning_rate":0.001,"batch_size":4,"mixture":{"robot":1}}]"#),
         .field(.missing(path: "phases[0]", key: "steps"))),
        (recipeText(phases: #"[{"name":"main","steps":"many","learning_rate":0.001,"batch_size":4,"mixture":{"robot":1}}]"#),
         .field(.wrongType(path: "phases[0].steps", expected: "an integer"))),
        (recipeText(extra: #","sharing":"everything""#),
         .invalidValue(path: "sharing", reason: "must be \"shared\" or \"shared+embodiment\", not \"everything\"")),
        (#"{"format":"cotrain.recipe.v9","name":"t","phases":[]}"#, .unsupportedFormat("cotrain.recipe.v9")),
        ("{\"format\":", .notJSON("")),
    ]

    @Test func eachMistakeHasItsOwnError() {
        var messages = Set<String>()
        for (text, expected) in Self.mistakes {
            do {
                _ = try parse(text)
                Issue.record("accepted: \(text)")
            } catch {
                switch (error, expected) {
                case (.field(.unknownKey(let p, let k, _)), .field(.unknownKey(let ep, let ek, _))):
                    #expect(p == ep && k == ek)
                case (.notJSON, .notJSON): break
                default: #expect(error == expected)
                }
                messages.insert(error.description)
            }
        }
        #expect(messages.count == Self.mistakes.count, "every mistake has a distinct message")
    }

    @Test func validationAgainstAvailableDataNamesWhatIsMissing() throws {
        let recipe = try Recipe.load(path: "\(policiesDirectory)/multi-phase.json")
        let full = AvailableData(ownEmbodiment: .ur5e, episodes: [.ur5e: 5, .panda: 5], vlSamples: 10, imageSizes: [64])
        try recipe.validate(against: full)
        var cases: [(AvailableData, String)] = []
        var d = full; d.episodes = [.panda: 5]; cases.append((d, "robot"))
        d = full; d.episodes = [.ur5e: 5, .hand: 3]; cases.append((d, "cross_embodiment"))
        d = full; d.vlSamples = 0; cases.append((d, "vl"))
        d = full; d.hasAnnotations = false; cases.append((d, "dense annotations"))
        var messages = Set<String>()
        for (data, modality) in cases {
            do {
                try recipe.validate(against: data)
                Issue.record("accepted data without \(modality)")
            } catch {
                guard case .missingData(let phase, let m, _) = error else { Issue.record("\(error)"); continue }
                #expect(phase == "pretrain" && m == modality)
                messages.insert(error.description)
            }
        }
        #expect(messages.count == cases.count)
        d = full; d.imageSizes = [64, 32]
        #expect(throws: RecipeError.imageSizeMismatch(model: 64, data: [32, 64])) { try recipe.validate(against: d) }
        let hv = try Recipe.load(path: "\(policiesDirectory)/human-video.json")
        #expect(throws: RecipeError.self) { try hv.validate(against: full) }
    }

    @Test func canonicalHashIgnoresFormattingAndDefaults() throws {
        let compact = try parse(recipeText())
        let spelled = try parse("""
            {
              "phases": [{"mixture": {"vl": 0, "robot": 1.0}, "batch_size": 4, "learning_rate": 1e-3, "steps": 10, "warmup": 0,
                          "name": "main", "modalities": {"dense_annotations": false}}],
              "model": {"patch_size": 8, "image_size": 16, "width": 64, "action_head": "flow_matching", "expert_layers": 2},
              "seed": 3, "name": "t", "format": "cotrain.recipe.v1", "sharing": "shared"
            }
            """)
        #expect(compact.hash == spelled.hash && compact.hash.count == 64)
        let changed = try parse(recipeText(phases: #"[{"name":"main","steps":11,"learning_rate":0.001,"batch_size":4,"mixture":{"robot":1}}]"#))
        #expect(changed.hash != compact.hash)
        #expect(try Recipe(bytes: compact.json.prettyBytes) == compact)
    }

    /// `model.action_frame`: "joint" is the default (and leaves the hash alone), "tool"
    /// is written into the canonical recipe, anything else names the accepted values.
    @Test func actionFrame() throws {
        let base = try parse(recipeText())
        func withFrame(_ frame: String) -> String {
            #"{"format":"cotrain.recipe.v1","name":"t","seed":3,"model":{"image_size":16,"patch_size":8,"action_frame":"\#(frame)"},"#
                + #""phases":[{"name":"main","steps":10,"learning_rate":0.001,"batch_size":4,"mixture":{"robot":1}}]}"#
        }
        let joint = try parse(withFrame("joint")), tool = try parse(withFrame("tool"))
        #expect(base.model.actionFrame == .joint && joint.hash == base.hash)
        #expect(tool.model.actionFrame == .tool && tool.hash != base.hash)
        #expect(try Recipe(bytes: tool.json.prettyBytes) == tool)
        #expect(throws: RecipeError.invalidValue(path: "model.action_frame", reason: #"must be "joint" or "tool", not "cartesian""#)) {
            try parse(withFrame("cartesian"))
        }
    }
}
