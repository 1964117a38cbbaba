import CotrainPolicy
import CotrainSim
import Testing

@testable import CotrainData

@Suite struct OfflineEvaluationTests {
    @Test("R² is 1 for exact predictions, 0 for the mean, and undefined for a constant component")
    func rowStatistics() {
        let recorded: [[Float]] = [[1, 5], [2, 5], [3, 5]]
        let exact = OfflineEvaluation.row("all", recorded.map { ($0, $0) }, components: 2)
        #expect(exact.r2[0] == 1 && exact.mse == [0, 0] && exact.r2[1].isNaN && exact.count == 3)
        let mean = OfflineEvaluation.row("all", recorded.map { ([2, 5], $0) }, components: 2)
        #expect(abs(mean.r2[0]) < 1e-12 && abs(mean.mse[0] - 2.0 / 3) < 1e-9)
    }

    @Test("a checkpoint is scored at the chosen steps and over all steps of the store's episodes")
    func runsOnEpisodes() throws {
        let recipe = try tinyRecipe("[" + trainPhase("main", steps: 1, batch: 4, #"{"robot":1}"#) + "]")
        let data = SamplerFixture.shared.data
        let adapter = try PolicyAdapter(recipe: recipe, data: data)
        let model = try PolicyModel(config: adapter.config, tokenizer: try Tokenizer.build(from: Trainer.corpus(data)), normalization: adapter.normalization)
        let episodes = data.pools[.robot]!.episodes
        let report = try OfflineEvaluation.run(
            model: model, episodes: episodes, embodiment: "ur5e", components: Embodiment.make(.ur5e).action.names, steps: [0, 2], limit: 3)
        #expect(report.episodes == 3 && report.rows.map(\.label) == ["t=0", "t=2", "all"])
        #expect(report.rows[0].count == 3 && report.rows[2].count == episodes.prefix(3).reduce(0) { $0 + $1.steps })
        #expect(report.rows.allSatisfy { $0.r2.count == 7 && $0.mse.allSatisfy { $0.isFinite && $0 >= 0 } })
        #expect(throws: TrainerError.self) {
            try OfflineEvaluation.run(model: model, episodes: episodes, embodiment: "panda", components: [], steps: [0], limit: 3)
        }
    }
}
