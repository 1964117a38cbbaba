// TEMPORARY debugging aid (removed before hand-off).
import Foundation
import Testing
@testable import CotrainCore
@testable import CotrainData
import CotrainPolicy
import CotrainRuntime
import CotrainSim
import CotrainTensor

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
        let stats = model.normalization["ur5e"]!.action
        for i in 0..<min(10, pool.episodes.count) {
            let e = pool.episodes[i]
            let p = e.proprioRows(), a = e.actionRows(), img = e.images()
            let o = PolicyObservation(image: Array(img[0..<(64 * 64 * 3)]), proprio: Array(p[0..<7]), instruction: e.metadata.instruction, embodiment: "ur5e")
            let chunk = try model.act(o, seed: 1)
            let predN = stats.normalize(chunk[0]), truthN = stats.normalize(Array(a[0..<7]))
            let pred2 = stats.normalize(chunk[4]), truth2 = stats.normalize(Array(a[28..<35]))
            print("t0 pred", predN.map { String(format: "%+.2f", $0) }, "truth", truthN.map { String(format: "%+.2f", $0) })
            print("t4 pred", pred2.map { String(format: "%+.2f", $0) }, "truth", truth2.map { String(format: "%+.2f", $0) })
        }
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

@Suite struct TrainerDebugBatchTests {
    @Test func batchMatchesRaw() throws {
        guard let store = ProcessInfo.processInfo.environment["DBG_STORE"] else { return }
        let data = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [store], vlStores: [])
        let recipe = try Recipe.load(path: "/tmp/ct/o1.json")
        let sampler = try MixtureSampler(recipe: recipe, data: data)
        let adapter = try PolicyAdapter(recipe: recipe, data: data)
        var batch = sampler.makeBatch()
        sampler.fill(&batch, step: 3)
        let refs = sampler.references(step: 3)
        let (pb, _) = try adapter.policyBatch(batch)
        var bad = 0
        for (row, ref) in refs.enumerated() {
            let e = data.pools[.robot]!.episodes[ref.item]
            let img = e.images(), p = e.proprioRows(), a = e.actionRows()
            let px = 64 * 64 * 3
            let s = pb.samples[row]
            let imgOK = Array(img[(ref.step * px)..<((ref.step + 1) * px)]) == s.image!
            let pErr = zip(s.proprio!, p[(ref.step * 7)..<(ref.step * 7 + 7)]).map { abs($0 - $1) }.max()!
            var aErr: Float = 0
            for (h, rowA) in s.actions!.enumerated() { for j in 0..<7 { aErr = max(aErr, abs(rowA[j] - a[(ref.step + h) * 7 + j])) } }
            if !imgOK || pErr > 1e-4 || aErr > 1e-4 { bad += 1 }
            if row < 4 { print(row, ref.item, ref.step, imgOK, pErr, aErr, s.actions!.count, e.steps, s.prompt!, e.metadata.instruction) }
        }
        print("bad rows", bad, "of", refs.count)
    }
}

@Suite struct TrainerDebugSensitivityTests {
    @Test func sensitivity() throws {
        guard let ckpt = ProcessInfo.processInfo.environment["DBG_CKPT"], let store = ProcessInfo.processInfo.environment["DBG_STORE"] else { return }
        let model = try CheckpointPolicyProvider(path: ckpt).model
        let data = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [store], vlStores: [])
        let e0 = data.pools[.robot]!.episodes[0], e1 = data.pools[.robot]!.episodes[1]
        let px = 64 * 64 * 3
        let i0 = Array(e0.images()[0..<px]), i1 = Array(e1.images()[0..<px])
        let p0 = Array(e0.proprioRows()[0..<7]), p1 = Array(e1.proprioRows()[0..<7])
        func act(_ i: [UInt8], _ p: [Float], _ s: String) throws -> [Float] { try model.act(PolicyObservation(image: i, proprio: p, instruction: s, embodiment: "ur5e"), seed: 1)[0] }
        let base = try act(i0, p0, e0.metadata.instruction)
        print("base      ", base)
        print("image e1  ", try act(i1, p0, e0.metadata.instruction))
        print("black img ", try act([UInt8](repeating: 0, count: px), p0, e0.metadata.instruction))
        print("proprio e1", try act(i0, p1, e0.metadata.instruction))
        print("text e1   ", try act(i0, p0, e1.metadata.instruction))
        for p in model.parameters where p.name.contains("patch") || p.name.contains("proprio") || p.name.contains("context_kv.weight") || p.name.contains("image.positions") {
            let v = p.tensor.values
            let rms = (v.map { $0 * $0 }.reduce(0, +) / Float(v.count)).squareRoot()
            print(p.name, p.shape.dims, "rms", rms)
        }
    }
}

@Suite struct TrainerDebugGradTests {
    @Test func gradients() throws {
        guard let ckpt = ProcessInfo.processInfo.environment["DBG_CKPT"], let store = ProcessInfo.processInfo.environment["DBG_STORE"] else { return }
        let model = try CheckpointPolicyProvider(path: ckpt).model
        let data = try TrainingData.load(ownEmbodiment: .ur5e, episodeStores: [store], vlStores: [])
        let recipe = try Recipe.load(path: "/tmp/ct/o1.json")
        let sampler = try MixtureSampler(recipe: recipe, data: data)
        let adapter = try PolicyAdapter(recipe: recipe, data: data)
        var batch = sampler.makeBatch()
        sampler.fill(&batch, step: 3)
        let (pb, w) = try adapter.policyBatch(batch)
        let trainer = try PolicyTrainer(model: model, lossWeights: w, seed: 1, threads: 2)
        let (losses, _) = try trainer.accumulateGradients(pb)
        print("loss", losses.action)
        for p in model.parameters {
            let g = p.tensor.gradient, v = p.tensor.values
            let gr = (g.map { $0 * $0 }.reduce(0, +) / Float(g.count)).squareRoot()
            let vr = (v.map { $0 * $0 }.reduce(0, +) / Float(v.count)).squareRoot()
            print(p.name, p.shape.dims, "grad rms", gr, "value rms", vr)
        }
    }
}

@Suite struct TrainerDebugBlobTests {
    @Test func blob() throws {
        guard let spec = ProcessInfo.processInfo.environment["DBG_BLOB"] else { return }
        let parts = spec.split(separator: ",").map { Double($0)! }
        var config = PolicyConfig(embodiments: [EmbodimentSpec(name: "ur5e", stateDimension: 7, actionDimension: 7)])
        config.width = Int(parts[0]); config.layers = Int(parts[1]); config.patchSize = Int(parts[2]); config.expertWidth = Int(parts[0])
        config.chunkLength = 4; config.executeSteps = 2; config.textTokens = 8
        if parts.count > 6, parts[6] == 1 { config.actionHead = .l1Regression }
        let steps = Int(parts[3]), lr = Float(parts[4]), blobSize = Int(parts[5])
        let model = try PolicyModel(config: config, tokenizer: try Tokenizer.build(from: ["pick up the red cube"]), seed: 1)
        var rng = SplitMix64(seed: 9)
        func sample() -> (PolicySample, [Float]) {
            var img = [UInt8](repeating: 0, count: 64 * 64 * 3)
            for i in 0..<(64 * 64) { img[i * 3] = 150; img[i * 3 + 1] = 120; img[i * 3 + 2] = 80 }
            let x = Int(rng.next() % UInt64(64 - blobSize)), y = Int(rng.next() % UInt64(64 - blobSize))
            for dy in 0..<blobSize { for dx in 0..<blobSize { let k = ((y + dy) * 64 + x + dx) * 3; img[k] = 220; img[k + 1] = 30; img[k + 2] = 30 } }
            let fx = Float(x) / Float(64 - blobSize) * 2 - 1, fy = Float(y) / Float(64 - blobSize) * 2 - 1
            let a: [Float] = [fx, fy, fx * fy, 0, 0, 0, 1.0]
            return (PolicySample(image: img, embodiment: "ur5e", proprio: [Float](repeating: 0, count: 7), actions: [a, a, a, a], prompt: "pick up the red cube"), a)
        }
        let trainer = try PolicyTrainer(model: model, seed: 3, threads: 2)
        let schedule = CosineSchedule(peak: lr, warmupSteps: 50, totalSteps: steps)
        for s in 0..<steps {
            let batch = PolicyBatch((0..<32).map { _ in sample().0 })
            let r = try trainer.step(batch, learningRate: schedule.learningRate(at: s))
            if s % (steps / 10) == 0 { print(s, r.losses.action) }
        }
        var err = 0.0, base = 0.0
        for _ in 0..<50 {
            let (smp, a) = sample()
            let pred = try model.act(PolicyObservation(image: smp.image!, proprio: smp.proprio!, instruction: smp.prompt!, embodiment: "ur5e"), seed: 1)[0]
            for j in 0..<2 { err += Double((pred[j] - a[j]) * (pred[j] - a[j])); base += Double(a[j] * a[j]) }
        }
        print("blob R2", 1 - err / base)
        for _ in 0..<3 {
            let (smp, a) = sample()
            let l = try trainer.evaluate(PolicyBatch([smp]))
            let pred = try model.act(PolicyObservation(image: smp.image!, proprio: smp.proprio!, instruction: smp.prompt!, embodiment: "ur5e"), seed: 1)
            var l1: Float = 0
            for r in 0..<4 { for j in 0..<7 { l1 += abs(pred[r][j] - a[j]) } }
            l1 /= 28
            print("train-mode loss", l.action, "inference L1", l1, "pred", pred[0].map { String(format: "%.2f", $0) }, "truth", a)
        }
    }
}
