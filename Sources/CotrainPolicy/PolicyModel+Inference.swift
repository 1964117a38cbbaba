// Inference: action chunks for the runtime, greedy text for the VL probe and the
// chain-of-thought ablation. The prefix runs through the trunk once; each Euler step
// runs only the action expert over the H action tokens.
import CotrainTensor

/// What the policy sees at one control step (the runtime's adapter fills it).
public struct PolicyObservation: Sendable {
    /// RGB8 image, `imageSize × imageSize × 3`, row-major, top row first.
    public var image: [UInt8]
    /// Wrist-camera RGB8 of the same size (models with `wristCamera`); nil: none.
    public var wristImage: [UInt8]?
    /// Proprioception in the robot's units.
    public var proprio: [Float]
    /// The task instruction.
    public var instruction: String
    /// The robot (one of `PolicyConfig.embodiments`).
    public var embodiment: String
    /// Points (per camera and pointer, x and y) that replace the pointers' own before
    /// anything reads them; NaN keeps the pointer's. For oracle experiments only.
    public var pointOverride: [Float]?

    /// An observation.
    public init(image: [UInt8], wristImage: [UInt8]? = nil, proprio: [Float], instruction: String, embodiment: String) {
        (self.image, self.proprio, self.instruction, self.embodiment) = (image, proprio, instruction, embodiment)
        self.wristImage = wristImage
    }
}

/// The conditioning of text generation: optional image and robot state, and a prompt.
public struct TextPrompt: Sendable {
    /// RGB8 image or nil.
    public var image: [UInt8]?
    /// The robot, with `proprio`, or nil.
    public var embodiment: String?
    /// Proprioception in the robot's units, or nil.
    public var proprio: [Float]?
    /// The prompt (question or instruction).
    public var prompt: String

    /// A prompt.
    public init(image: [UInt8]? = nil, embodiment: String? = nil, proprio: [Float]? = nil, prompt: String) {
        (self.image, self.embodiment, self.proprio, self.prompt) = (image, embodiment, proprio, prompt)
    }
}

extension PolicyModel {
    /// The action chunk for `observation`: `chunkLength` rows of the robot's action
    /// dimension, in its units. Flow sampling starts from noise drawn from `seed`,
    /// scaled by `noiseScale` (1: a sample of the learned distribution; 0: the one
    /// deterministic chunk integrated from the noise's mean). With `config.reasoning`,
    /// the reasoning text is generated first and conditions the actions.
    public func act(_ observation: PolicyObservation, seed: UInt64 = 0, noiseScale: Float = 1) throws(PolicyError) -> [[Float]] {
        try act(batch: [observation], seed: seed, noiseScale: noiseScale)[0]
    }

    /// Action chunks for several observations at once (robots may differ).
    public func act(batch observations: [PolicyObservation], seed: UInt64 = 0, noiseScale: Float = 1) throws(PolicyError) -> [[[Float]]] {
        try actAndPoint(batch: observations, seed: seed, noiseScale: noiseScale).chunks
    }

    /// As `act`, and where the pointers pointed for each observation (see `points`; nil
    /// for a model without pointers), from the same pass of the prefix.
    public func actAndPoint(
        batch observations: [PolicyObservation], seed: UInt64 = 0, noiseScale: Float = 1
    ) throws(PolicyError) -> (chunks: [[[Float]]], points: [[Float]]?) {
        guard !observations.isEmpty else { return ([], nil) }
        let tape = inferenceTape()
        var flops = FlopCount()
        let (items, prefix, trunk, points, glimpse) = try observe(observations, tape: tape, flops: &flops)
        let context = expertContext(tape, trunk: trunk, prefix: prefix, points: points, glimpse: glimpse, flops: &flops)
        let (b, h) = (items.count, config.chunkLength)
        transposedWeights = transposedStorage
        transposedStorage.refresh(stepLayers)
        defer { transposedWeights = nil }
        var rng = Xoshiro256(seed: seed)
        var x: [[Float]] = observations.map { o in
            let n = h * config.embodiment(o.embodiment)!.actionDimension
            return config.actionHead == .l1Regression ? [Float](repeating: 0, count: n) : (0..<n).map { _ in noiseScale * rng.normal() }
        }
        let steps = config.actionHead == .l1Regression ? 1 : config.flowSteps
        for k in 0..<steps {
            let t = 1 - Float(k) / Float(steps)
            let inputs = actionInputs(tape, embodimentOf: items.map(\.embodiment), include: { _ in true }, fill: { s, _ in x[s] })
            let features = expertForward(tape, context, inputs: inputs, time: [Float](repeating: t, count: b), flops: &flops)
            for input in inputs {
                let out = linear(tape, features, input.layers.actionOut, &flops)
                let n = h * input.layers.spec.actionDimension
                for s in input.members {
                    let v = out.data + s * n
                    if config.actionHead == .l1Regression {
                        for i in 0..<n { x[s][i] = v[i] }
                    } else {
                        let dt = -1 / Float(steps)
                        for i in 0..<n { x[s][i] += dt * v[i] }
                    }
                }
            }
        }
        let chunks = observations.indices.map { s in
            let stats = normalization[observations[s].embodiment]!.action
            let a = stats.dimension
            return (0..<h).map { r in
                stats.denormalize(x[s][(r * a)..<((r + 1) * a)].map {
                    Swift.min(Swift.max($0, -NormalizationStats.clip), NormalizationStats.clip)
                })
            }
        }
        return (chunks, points.map { Self.rows($0, count: b) })
    }

    /// The observations' prefixes on `tape` (reset first): validated items (with the
    /// reasoning text generated first under `config.reasoning`), the trunk run once, and
    /// the pointers' points for models with pointers (and the glimpse for models with one).
    private func observe(
        _ observations: [PolicyObservation], tape: Tape, flops: inout FlopCount
    ) throws(PolicyError) -> (items: [PrefixItem], prefix: EncodedPrefix, trunk: Tensor, points: Tensor?, glimpse: GlimpseOutput?) {
        var items: [PrefixItem] = []
        for o in observations {
            guard config.embodiment(o.embodiment) != nil else {
                throw .invalidInput("unknown embodiment \"\(o.embodiment)\" (model has \(config.embodiments.map(\.name)))")
            }
            let prompt = tokenizer.encode(o.instruction)
            var item = PrefixItem(image: o.image, wristImage: o.wristImage, embodiment: o.embodiment, proprio: o.proprio,
                                  text: TextLayout(prompt: prompt, target: nil, length: config.textTokens))
            if config.reasoning {
                let reasoning = try generate(item, prompt: prompt, maxTokens: config.textTokens)
                item.text = TextLayout(prompt: prompt, target: reasoning, length: config.textTokens)
            }
            items.append(item)
        }
        tape.reset()
        let prefix = try encodePrefix(tape, items, slot: "infer", trim: true)
        let (trunk, stem) = trunkPass(tape, prefix, flops: &flops)
        var points: Tensor?
        var glimpse: GlimpseOutput?
        if config.pointers != nil, let stem {
            let pointed = pointerForward(tape, trunk: trunk, stem: stem, flops: &flops).points
            let width = config.pointerOutputs
            for (s, o) in observations.enumerated() {
                guard let override = o.pointOverride, override.count == width else { continue }
                for i in 0..<width where !override[i].isNaN { pointed.data[s * width + i] = override[i] }
            }
            points = pointed
            glimpse = glimpseForward(tape, stem: stem, points: points!, slot: "infer", flops: &flops)
        }
        return (items, prefix, trunk, points, glimpse)
    }

    /// `(count, 1, W)` tensor values as `count` rows of W.
    static func rows(_ t: Tensor, count: Int) -> [[Float]] {
        let w = t.count / count, values = t.values
        return (0..<count).map { Array(values[($0 * w)..<(($0 + 1) * w)]) }
    }

    /// Where the pointers point for `observation`: per camera (main, then wrist) and
    /// pointer, (x, y) in [−1, 1] across the image (x right, y down); nil for a model
    /// without pointers. What the action expert is told "the named object is here".
    public func points(_ observation: PolicyObservation) throws(PolicyError) -> [Float]? {
        guard config.pointers != nil else { return nil }
        var flops = FlopCount()
        return try observe([observation], tape: inferenceTape(), flops: &flops).points?.values
    }

    /// The orientation head's (cos ψ, sin ψ) for `observation` (`PolicySample.orientation`);
    /// nil for a model without the head. For evaluation and debugging: actions do not
    /// read it directly.
    public func orientation(_ observation: PolicyObservation) throws(PolicyError) -> [Float]? {
        guard orientationHead != nil else { return nil }
        var flops = FlopCount()
        let tape = inferenceTape()
        let observed = try observe([observation], tape: tape, flops: &flops)
        return orientationForward(tape, trunk: observed.trunk, glimpse: observed.glimpse, flops: &flops)?.values
    }

    /// The orientation head's estimate: from the glimpse's pass (models with one) or over
    /// the trunk's state token.
    func orientationForward(_ tape: Tape, trunk: Tensor, glimpse: GlimpseOutput?, flops: inout FlopCount) -> Tensor? {
        guard let orientationHead else { return nil }
        if let estimate = glimpse?.orientation { return estimate }
        return linear(tape, tape.sliceTokens(trunk, start: config.proprioToken, count: 1), orientationHead, &flops)
    }

    /// Greedy text after `prefix`: up to `maxTokens` tokens or until `eos`.
    public func generateText(prefix: TextPrompt, maxTokens: Int) throws(PolicyError) -> String {
        let prompt = tokenizer.encode(prefix.prompt)
        let item = PrefixItem(image: prefix.image, embodiment: prefix.embodiment, proprio: prefix.proprio,
                              text: TextLayout(prompt: prompt, target: nil, length: config.textTokens))
        return tokenizer.decode(try generate(item, prompt: prompt, maxTokens: maxTokens))
    }

    /// Greedy answer to `question` about `image` (the vision-language probe).
    public func answer(image: [UInt8]?, question: String, maxTokens: Int = 16) throws(PolicyError) -> String {
        try generateText(prefix: TextPrompt(image: image, prompt: question), maxTokens: maxTokens)
    }

    /// Greedy token ids after the prompt (the trunk runs once per token).
    func generate(_ base: PrefixItem, prompt: [Int32], maxTokens: Int) throws(PolicyError) -> [Int32] {
        let tape = inferenceTape()
        var generated: [Int32] = []
        let v = tokenizer.count
        while generated.count < maxTokens {
            var item = base
            item.text = TextLayout(prompt: prompt, target: generated, closed: false, length: config.textTokens)
            let start = item.text.targetStart!
            guard start + generated.count < config.textTokens else { break }  // no slot left
            tape.reset()
            var flops = FlopCount()
            let prefix = try encodePrefix(tape, [item], slot: "generate", trim: true)
            let out = trunkForward(tape, prefix, flops: &flops)
            let position = config.textStart + start - 1 + generated.count
            let logits = linear(tape, tape.sliceTokens(out, start: position, count: 1), textHead, &flops)
            var best = Tokenizer.eos, bestValue = -Float.infinity
            for id in Int(Tokenizer.eos)..<v where id != Int(Tokenizer.sep) && logits[id] > bestValue {
                (best, bestValue) = (Int32(id), logits[id])
            }
            if best == Tokenizer.eos { break }
            generated.append(best)
        }
        return generated
    }

    /// The model's evaluation tape (records nothing; buffers reused across calls).
    func inferenceTape() -> Tape {
        if let tape = inferenceTapeStorage { return tape }
        let tape = Tape(threads: inferenceThreads)
        tape.isRecording = false
        inferenceTapeStorage = tape
        return tape
    }
}
