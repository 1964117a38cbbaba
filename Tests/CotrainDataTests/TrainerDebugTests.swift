// TEMPORARY debugging aid (removed before hand-off).
import Foundation
import Testing
@testable import CotrainCore
@testable import CotrainData
import CotrainPolicy
import CotrainRuntime
import CotrainSim

@Suite struct TrainerDebugTests {
    @Test func openLoop() throws {
        guard let ckpt = ProcessInfo.processInfo.environment["DBG_CKPT"], let store = ProcessInfo.processInfo.environment["DBG_STORE"] else { return }
        let provider = try CheckpointPolicyProvider(path: ckpt)
        let model = provider.model
        let data = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [store], vlStores: [])
        let pool = data.pools[.robot]!
        var err = 0.0, base = 0.0, n = 0
        for i in 0..<6 {
            let e = pool.episodes[i]
            let p = e.proprioRows(), a = e.actionRows(), img = e.images()
            let px = 64 * 64 * 3
            for t in stride(from: 0, to: e.steps, by: 4) {
                let o = PolicyObservation(image: Array(img[(t * px)..<((t + 1) * px)]), proprio: Array(p[(t * 7)..<(t * 7 + 7)]), instruction: e.metadata.instruction, embodiment: "ur5e")
                let chunk = try model.act(o, seed: 1)
                let pred = chunk[0], truth = Array(a[(t * 7)..<(t * 7 + 7)])
                if i < 2 { print(e.metadata.instruction, t, pred.map { String(format: "%.3f", $0) }, truth.map { String(format: "%.3f", $0) }) }
                for j in 0..<6 { err += Double((pred[j] - truth[j]) * (pred[j] - truth[j])); base += Double(truth[j] * truth[j]) }
                n += 1
            }
        }
        print("open-loop mse", err / Double(n * 6), "baseline", base / Double(n * 6))
        // Closed loop: compare the sim's observation with the stored episode's first frame.
        var robot = SimRobot(.ur5e)
        let e = pool.episodes[0]
        let obs = try robot.reset(EpisodeRequest(task: TaskSpec(e.metadata.family), seed: e.metadata.seed))
        print("sim instruction", obs.instruction, "stored", e.metadata.instruction)
        print("sim proprio", obs.proprio, "stored", Array(e.proprioRows()[0..<7]))
        let img = e.images()
        var diff = 0
        for k in 0..<(64 * 64 * 3) where img[k] != obs.image[k] { diff += 1 }
        print("image bytes differing", diff, obs.imageWidth, obs.imageHeight)
    }
}
