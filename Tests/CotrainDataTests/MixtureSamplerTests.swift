// The mixture sampler: source frequencies match the weights (chi-square), phases
// switch at the right step, draws are deterministic per step, and batch rows hold
// what each source and switch promises.
import Foundation
import Testing
@testable import CotrainCore
@testable import CotrainData
import CotrainSim

/// Own ur5e episodes, panda episodes (cross-embodiment), hand episodes (human video),
/// and a small VL corpus, all at 16×16; built once for the suite.
final class SamplerFixture: Sendable {
    let scratch = Scratch("cotrain-sampler")
    let data: TrainingData

    init() throws {
        let episodes = scratch.file("episodes"), vl = scratch.file("vl")
        try collect(smallPlan(.ur5e, [.pick, .place], count: 4, seed: 1), into: episodes)
        try collect(smallPlan(.panda, [.pick], count: 2, seed: 2), into: episodes)
        try collect(smallPlan(.hand, [.pick], count: 2, seed: 3), into: episodes)
        var store = try VLShardStore.openOrCreate(at: vl)
        var plan = VLGeneratePlan(count: 24, seed: 4)
        plan.imageSize = testImageSize
        plan.probeCount = 4
        try VLCorpusGenerator.generate(plan, into: &store)
        data = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [episodes], vlStores: [vl])
    }

    /// Built once; a failure to build the fixture fails every test that uses it.
    static let shared = try! SamplerFixture()
}

/// A recipe over the fixture's 16×16 data.
func samplerRecipe(_ phases: String, chunk: Int = 4) throws -> Recipe {
    try Recipe(bytes: Array(#"{"format":"cotrain.recipe.v1","name":"s","seed":42,"model":{"image_size":16,"patch_size":8,"chunk":\#(chunk),"action_bins":8},"phases":\#(phases)}"#.utf8))
}

func phaseText(_ name: String, steps: Int, batch: Int, _ mixture: String, _ modalities: String = "{}") -> String {
    #"{"name":"\#(name)","steps":\#(steps),"learning_rate":0.001,"batch_size":\#(batch),"mixture":\#(mixture),"modalities":\#(modalities)}"#
}

@Suite struct MixtureSamplerTests {
    let data: TrainingData

    init() { data = SamplerFixture.shared.data }

    @Test func loadedDataIsSplitBySource() {
        #expect(data.episodeCount(.robot) == 4 && data.episodeCount(.crossEmbodiment) == 2 && data.episodeCount(.humanVideo) == 2)
        #expect(data.vlSamples.count == 24 && data.probeSamples.count == 4)
        #expect(data.available.imageSizes == [testImageSize])
        #expect(data.deploymentStats(for: .ur5e)?.source == "sim")
    }

    @Test func sourceFrequenciesMatchTheWeights() throws {
        let weights: [DataSource: Double] = [.robot: 0.4, .crossEmbodiment: 0.3, .vl: 0.2, .humanVideo: 0.1]
        let recipe = try samplerRecipe("[" + phaseText("main", steps: 300, batch: 16, #"{"robot":4,"cross_embodiment":3,"vl":2,"human_video":1}"#) + "]")
        let sampler = try MixtureSampler(recipe: recipe, data: data)
        var counts: [DataSource: Int] = [:]
        for step in 0..<300 { for ref in sampler.references(step: step) { counts[ref.source, default: 0] += 1 } }
        let total = Double(counts.values.reduce(0, +))
        #expect(total == 4800)
        let chiSquare = weights.reduce(0.0) { sum, item in
            let expected = total * item.value
            let observed = Double(counts[item.key] ?? 0)
            return sum + (observed - expected) * (observed - expected) / expected
        }
        // 3 degrees of freedom: P(χ² > 16.27) = 0.001.
        #expect(chiSquare < 16.27, "χ² = \(chiSquare), counts \(counts)")
        // And the test can fail: the same counts against other weights are far off.
        let wrong = counts.reduce(0.0) { s, item in let e = total / 4, o = Double(item.value); return s + (o - e) * (o - e) / e }
        #expect(wrong > 100)
    }

    @Test func phasesSwitchAtTheRightStep() throws {
        let recipe = try samplerRecipe("[" + phaseText("one", steps: 5, batch: 8, #"{"robot":1,"cross_embodiment":1}"#, #"{"dense_annotations":true}"#)
            + "," + phaseText("two", steps: 3, batch: 4, #"{"vl":1}"#) + "]")
        let sampler = try MixtureSampler(recipe: recipe, data: data)
        var batch = sampler.makeBatch()
        #expect(batch.capacity == 8)
        for step in 0..<8 {
            sampler.fill(&batch, step: step)
            let rows = (0..<batch.count).map { batch.sample($0) }
            if step < 5 {
                #expect(batch.phase == 0 && batch.count == 8)
                #expect(rows.allSatisfy { $0.source != .vl && $0.losses.contains(.annotation) && $0.annotation != nil })
            } else {
                #expect(batch.phase == 1 && batch.count == 4)
                #expect(rows.allSatisfy { $0.source == .vl && $0.losses == .text && $0.textTarget != nil })
            }
        }
    }

    @Test func drawsAreDeterministicPerStepAndSeed() throws {
        let text = "[" + phaseText("main", steps: 50, batch: 8, #"{"robot":1,"vl":1}"#) + "]"
        let a = try MixtureSampler(recipe: samplerRecipe(text), data: data)
        let b = try MixtureSampler(recipe: samplerRecipe(text), data: data)
        #expect(a.references(step: 17) == b.references(step: 17))
        _ = a.references(step: 3)
        #expect(a.references(step: 17) == b.references(step: 17), "no hidden state: resumable at any step")
        #expect(a.references(step: 17) != a.references(step: 18))
        var first = a.makeBatch(), second = b.makeBatch()
        a.fill(&first, step: 9); b.fill(&second, step: 9)
        #expect(first.images == second.images && first.actions == second.actions && first.prompts == second.prompts)
    }

    @Test func robotRowsHoldNormalisedChunksWithPaddingAtTheEnd() throws {
        let recipe = try samplerRecipe("[" + phaseText("main", steps: 1, batch: 1, #"{"robot":1}"#, #"{"discrete_actions":true}"#) + "]", chunk: 6)
        let sampler = try MixtureSampler(recipe: recipe, data: data)
        let pool = data.pools[.robot]!
        let episode = pool.episodes[0], stats = pool.stats[0]
        let last = episode.steps - 2
        let sample = sampler.sample(SampleRef(source: .robot, item: 0, step: last, textChoice: 0), phase: 0)
        #expect(sample.embodiment == .ur5e && sample.prompt == episode.metadata.instruction)
        #expect(sample.actionMask == [1, 1, 0, 0, 0, 0])
        let a = episode.metadata.actionDimension, raw = episode.actionRows()
        for h in 0..<2 {
            for d in 0..<a {
                #expect(sample.actions[h * a + d] == stats.actions.normalise(raw[(last + h) * a + d], dimension: d))
            }
        }
        #expect(sample.actions[(2 * a)...].allSatisfy { $0 == 0 })
        #expect(sample.actions.allSatisfy { (-1.5...1.5).contains($0) })
        let proprio = episode.proprioRows()
        #expect(sample.proprio == (0..<episode.metadata.proprioDimension).map { stats.proprio.normalise(proprio[last * episode.metadata.proprioDimension + $0], dimension: $0) })
        #expect(sample.losses == [.action, .discreteAction])
        #expect(sample.actionTokens.count == 6 * a && sample.actionTokens[(2 * a)...].allSatisfy { $0 == -1 })
        #expect(sample.actionTokens.prefix(2 * a).allSatisfy { (0..<8).contains($0) })
        var image = [UInt8](repeating: 0, count: testImageSize * testImageSize * 3)
        image.withUnsafeMutableBytes { episode.copyImage(step: last, to: $0.baseAddress!) }
        #expect(sample.image == image)
    }

    @Test func humanVideoModesAndChainOfThought() throws {
        let text = try samplerRecipe("[" + phaseText("main", steps: 1, batch: 1, #"{"robot":1,"human_video":1}"#, #"{"human_video":"text","chain_of_thought":true}"#) + "]")
        let actions = try samplerRecipe("[" + phaseText("main", steps: 1, batch: 1, #"{"robot":1,"human_video":1}"#, #"{"human_video":"actions"}"#) + "]")
        let ref = SampleRef(source: .humanVideo, item: 1, step: 3, textChoice: 0)
        let asText = try MixtureSampler(recipe: text, data: data).sample(ref, phase: 0)
        #expect(asText.embodiment == .hand && asText.losses == .text && asText.textTarget == data.pools[.humanVideo]!.episodes[1].metadata.annotations[3])
        #expect(asText.actions.isEmpty && asText.actionMask.isEmpty)
        let asActions = try MixtureSampler(recipe: actions, data: data).sample(ref, phase: 0)
        #expect(asActions.losses == .action && asActions.actions.count == 4 * 7 && asActions.textTarget == nil)
        let robot = try MixtureSampler(recipe: text, data: data).sample(SampleRef(source: .robot, item: 0, step: 0, textChoice: 0), phase: 0)
        #expect(robot.losses == [.action, .reasoning] && robot.reasoning != nil && robot.annotation == nil)
    }

    @Test func vlRowsCarryOneTextTaskEach() throws {
        let recipe = try samplerRecipe("[" + phaseText("main", steps: 1, batch: 1, #"{"vl":1}"#) + "]")
        let sampler = try MixtureSampler(recipe: recipe, data: data)
        let vl = data.vlSamples[0]
        let count = MixtureSampler.textChoices(vl)
        #expect(count == 1 + vl.qa.count + vl.referring.count)
        let texts = (0..<count).map { sampler.sample(SampleRef(source: .vl, item: 0, step: 0, textChoice: $0), phase: 0) }
        #expect(texts[0].prompt == "describe the image." && texts[0].textTarget == vl.caption)
        #expect(texts[1].prompt == vl.qa[0].question && texts[1].textTarget == vl.qa[0].answer)
        #expect(texts.allSatisfy { $0.embodiment == nil && $0.proprio.isEmpty && $0.image == vl.image.pixels })
    }

    @Test func missingDataIsRefusedBeforeSampling() throws {
        let onlyVL = TrainingData(ownEmbodiment: .ur5e, episodes: [], vlSamples: data.vlSamples)
        let recipe = try samplerRecipe("[" + phaseText("main", steps: 1, batch: 1, #"{"robot":1}"#) + "]")
        #expect(throws: RecipeError.self) { try MixtureSampler(recipe: recipe, data: onlyVL) }
    }
}

@Suite struct EpisodeStartSamplingTests {
    @Test("episode_start_fraction draws that share of episode samples from the first chunk; recipes without it are unchanged")
    func startsAreOversampled() throws {
        let data = SamplerFixture.shared.data
        func recipe(_ extra: String) throws -> Recipe {
            try tinyRecipe(#"[{"name":"main","steps":400,"learning_rate":0.001,"batch_size":32,"mixture":{"robot":1}\#(extra)}]"#)
        }
        let plain = try MixtureSampler(recipe: try recipe(""), data: data)
        let starts = try MixtureSampler(recipe: try recipe(#","episode_start_fraction":0.5"#), data: data)
        let chunk = try recipe("").model.chunk
        func share(_ sampler: MixtureSampler) -> Double {
            let refs = (0..<400).flatMap { sampler.references(step: $0) }
            return Double(refs.filter { $0.step < chunk }.count) / Double(refs.count)
        }
        let base = share(plain), boosted = share(starts)
        #expect(abs(boosted - (0.5 + 0.5 * base)) < 0.03, "first-chunk share \(boosted), uniform \(base)")
        #expect(try recipe("").hash != recipe(#","episode_start_fraction":0.5"#).hash)
        #expect(throws: RecipeError.self) { try recipe(#","episode_start_fraction":1.5"#).validate() }
    }
}
