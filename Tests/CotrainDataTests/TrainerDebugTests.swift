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
        for i in 0..<10 {
            let e = pool.episodes[i]
            let p = e.proprioRows(), a = e.actionRows(), img = e.images()
            let px = 64 * 64 * 3
            for t in stride(from: 0, to: e.steps, by: 3) {
                let o = PolicyObservation(image: Array(img[(t * px)..<((t + 1) * px)]), proprio: Array(p[(t * 7)..<(t * 7 + 7)]), instruction: e.metadata.instruction, embodiment: "ur5e")
                let chunk = try model.act(o, seed: 1)
                for h in 0..<min(8, e.steps - t) {
                    let pred = chunk[h], truth = Array(a[((t + h) * 7)..<((t + h) * 7 + 7)])
                    for j in 0..<6 { err += Double((pred[j] - truth[j]) * (pred[j] - truth[j])); base += Double(truth[j] * truth[j]) }
                    n += 1
                }
            }
        }
        print("open-loop mse (8-step chunks)", err / Double(n * 6), "baseline", base / Double(n * 6))
        // Closed loop on training scenes.
        var wins = 0
        for i in 0..<10 {
            let e = pool.episodes[i]
            var robot = SimRobot(.ur5e)
            var policy = try provider.makePolicy(for: EpisodeContext(capabilities: robot.capabilities, request: EpisodeRequest(task: TaskSpec(e.metadata.family), seed: e.metadata.seed)))
            var obs = try robot.reset(EpisodeRequest(task: TaskSpec(e.metadata.family), seed: e.metadata.seed))
            var steps = 0, success = false, completion: Float = 0
            loop: while steps < 90 {
                for action in policy.act(obs) {
                    let lo = robot.capabilities.actionLower, hi = robot.capabilities.actionUpper
                    let clipped = (0..<action.count).map { min(max(action[$0], lo[$0]), hi[$0]) }
                    let r = try robot.act(clipped)
                    obs = r.observation; steps += 1
                    completion = r.completion ?? 0
                    if i < 2 { print(steps, obs.proprio.map { String(format: "%.2f", $0) }, action.map { String(format: "%.3f", $0) }) }
                    if r.success == true { success = true; break loop }
                    if r.done { break loop }
                }
            }
            print(e.metadata.family, e.metadata.instruction, "expert steps", e.steps, "learned", success, steps, completion)
            wins += success ? 1 : 0
        }
        print("training scenes success", wins, "/ 10")
    }
}

@Suite struct TrainerDebugProbeTests {
    @Test func probe() throws {
        guard let ckpt = ProcessInfo.processInfo.environment["DBG_PROBE"], let vl = ProcessInfo.processInfo.environment["DBG_VL"] else { return }
        let provider = try CheckpointPolicyProvider(path: ckpt)
        let store = try VLShardStore.open(at: vl)
        let probe = try VLProbe.run(model: provider.model, samples: try store.samples(split: "probe"))
        print("probe", probe.correct, probe.total, probe.accuracy)
        for (k, v) in probe.byType.sorted(by: { $0.key < $1.key }) { print(k, v.correct, v.total) }
        for e in probe.examples { print(e.question, "|", e.expected, "|", e.answer) }
    }
}
