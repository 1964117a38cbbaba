// The action expert: H action tokens (noisy actions + positions + time embedding)
// attend to themselves and to the trunk's output. The trunk's keys and values are
// computed once per observation (the prefix cache), so each Euler step of sampling
// runs only the expert over H tokens.
import CotrainTensor
import Foundation

/// The prefix as the action expert sees it: per-layer keys/values of the trunk output.
struct ExpertContext {
    /// `(B, T, 2E)` per expert layer.
    let keyValues: [Tensor]
    /// `(B, T + H)`: the prefix key mask, then ones for the action tokens.
    let keyMask: Tensor
    /// `(B, E)` added to every action token (models with pointers): the points and the
    /// state token, so the expert reads "the named object is here" without attention.
    let condition: Tensor?
}

/// One robot's action-side input: `(B,H,A)` actions and the `(B,H,E)` sample mask.
struct ActionInput {
    let layers: EmbodimentLayers
    let actions: Tensor
    let mask: Tensor?
    let members: [Int]
}

extension PolicyModel {
    /// Projects the trunk output into every expert layer's keys and values.
    /// `points` are the pointers' output (models with pointers), `glimpse` the
    /// glimpse's output (models with a glimpse).
    func expertContext(
        _ tape: Tape, trunk: Tensor, prefix: EncodedPrefix, points: Tensor?, glimpse: GlimpseOutput? = nil, flops: inout FlopCount
    ) -> ExpertContext {
        let (b, t, h) = (prefix.batch, prefix.sequenceLength, config.chunkLength)
        let keyMask = tape.constant(Shape(b, t + h))
        for s in 0..<b {
            (keyMask.data + s * (t + h)).update(from: prefix.keyMask.data + s * t, count: t)
            (keyMask.data + s * (t + h) + t).update(repeating: 1, count: h)
            // Target text (an answer, or a dense annotation as an extra target) conditions
            // the actions only in the chain-of-thought ablation, where `act` generates it
            // first; otherwise the actions would see text that inference never has.
            if !config.reasoning, let start = prefix.items[s].text.targetStart, start < prefix.textLength {
                (keyMask.data + s * (t + h) + config.textStart + start).update(repeating: 0, count: prefix.textLength - start)
            }
        }
        let kv = expert.map { block in linear(tape, trunk, block.context, &flops) }
        var condition: Tensor?
        if let points, let pointerCondition, let pointerState {
            let state = tape.sliceTokens(trunk, start: config.proprioToken, count: 1)
            var sum = tape.add(linear(tape, points, pointerCondition, &flops), linear(tape, state, pointerState, &flops))
            if let glimpse { sum = tape.add(sum, tape.reshape(glimpseConditioning(tape, glimpse, flops: &flops), sum.shape)) }
            if let tablePointCondition {
                sum = tape.add(sum, linear(tape, tablePointOffsets(tape, points, prefix.items), tablePointCondition, &flops))
            }
            condition = tape.reshape(sum, Shape(b, config.expertWidth))
        }
        return ExpertContext(keyValues: kv, keyMask: keyMask, condition: condition)
    }

    /// `(B, 1, tablePointOutputs)`: the pointers' points as offsets from the tool on the
    /// table (`TablePoints`), for samples of tool-frame robots with proprioception;
    /// zeros for the rest. A constant: the pointers learn from the pointing loss, and the
    /// calibration is not a parameter.
    func tablePointOffsets(_ tape: Tape, _ points: Tensor, _ items: [PrefixItem]) -> Tensor {
        let (width, stride) = (config.tablePointOutputs, config.pointerOutputs)
        let out = tape.constant(Shape(items.count, 1, width))
        out.fill(0)
        guard let table = config.tablePoints else { return out }
        for (s, item) in items.enumerated() {
            guard let name = item.embodiment, let spec = config.embodiment(name), spec.toolFrame == true,
                let proprio = item.proprio, proprio.count == spec.stateDimension
            else { continue }
            table.offsets(
                points: UnsafeBufferPointer(start: points.data + s * stride, count: stride), pointers: config.pointers!,
                tool: proprio[(proprio.count - EmbodimentSpec.toolPoseWidth)...],
                into: UnsafeMutableBufferPointer(start: out.data + s * width, count: width))
        }
        return out
    }

    /// What a glimpse adds to every action token: its features or, with an orientation
    /// head, only the head's (cos ψ, sin ψ) through `shared.glimpse.condition`. The
    /// narrow path carries the yaw the labels train and nothing else: fed the whole
    /// window, policies memorised scenes by it and missed cylinders more often
    /// (docs/study.md, seventh round).
    func glimpseConditioning(_ tape: Tape, _ glimpse: GlimpseOutput, flops: inout FlopCount) -> Tensor {
        guard let glimpseCondition, let orientation = glimpse.orientation else { return glimpse.features }
        return linear(tape, orientation, glimpseCondition, &flops)
    }

    /// The expert over action inputs at times `time (B)` → normed features `(B, H, E)`.
    func expertForward(
        _ tape: Tape, _ context: ExpertContext, inputs: [ActionInput], time: [Float], flops: inout FlopCount
    ) -> Tensor {
        let (b, h, e) = (time.count, config.chunkLength, config.expertWidth)
        var tokens: Tensor?
        for input in inputs {
            var x = linear(tape, input.actions, input.layers.actionIn, &flops)
            if let mask = input.mask { x = tape.mul(x, mask) }
            tokens = tokens.map { tape.add($0, x) } ?? x
        }
        var a = tokens ?? {
            let zero = tape.constant(Shape(b, h, e))
            zero.fill(0)
            return zero
        }()
        a = tape.broadcastAdd(a, actionPositions.tensor, repeats: b)
        let features = timeFeatures(tape, time)
        var embedding = linear(tape, tape.gelu(linear(tape, features, time1, &flops)), time2, &flops)
        if let condition = context.condition { embedding = tape.add(embedding, condition) }
        a = tape.broadcastAdd(a, embedding, outer: b, repeats: h)
        let mask = AttentionMask(keyMask: context.keyMask)
        for (block, prefixKV) in zip(expert, context.keyValues) {
            let x = layerNorm(tape, a, block.norm1)
            let q = linear(tape, x, block.q, &flops)
            let kv = tape.concatTokens(prefixKV, linear(tape, x, block.kv, &flops))
            flops.attention(batch: b, queries: h, keys: kv.shape[1], width: e, tape: tape)
            let att = tape.attention(q: q, kv: kv, heads: config.heads, mask: mask)
            a = tape.add(a, linear(tape, att, block.proj, &flops))
            let up = tape.gelu(linear(tape, layerNorm(tape, a, block.norm2), block.fc, &flops))
            a = tape.add(a, linear(tape, up, block.out, &flops))
        }
        return layerNorm(tape, a, expertNorm)
    }

    /// Sinusoidal features of `t ∈ [0, 1]`: `(B, E)`, sin then cos at E/2 frequencies
    /// with periods spaced geometrically from 0.004 to 4 (as π0).
    func timeFeatures(_ tape: Tape, _ time: [Float]) -> Tensor {
        let c = config.expertWidth, half = c / 2
        let out = tape.constant(Shape(time.count, c))
        for (s, t) in time.enumerated() {
            for i in 0..<half {
                let fraction = half > 1 ? Double(i) / Double(half - 1) : 0
                let period = 0.004 * pow(1000, fraction)
                let angle = Double(t) * 2 * Double.pi / period
                out[s * c + i] = Float(sin(angle))
                out[s * c + half + i] = Float(cos(angle))
            }
        }
        return out
    }

    /// Builds one `ActionInput` per robot present, filling `(B,H,A)` rows of member
    /// samples with `fill(sample, embodiment) -> H·A values` and zeros elsewhere.
    func actionInputs(
        _ tape: Tape, embodimentOf: [String?], include: (Int) -> Bool, fill: (Int, EmbodimentLayers) -> [Float]
    ) -> [ActionInput] {
        let (b, h, c) = (embodimentOf.count, config.chunkLength, config.expertWidth)
        var result: [ActionInput] = []
        for spec in config.embodiments {
            let members = (0..<b).filter { embodimentOf[$0] == spec.name && include($0) }
            guard !members.isEmpty, let layers = embodiments[spec.name] else { continue }
            let a = spec.actionDimension
            let x = tape.constant(Shape(b, h, a))
            x.fill(0)
            for s in members {
                let values = fill(s, layers)
                values.withUnsafeBufferPointer { (x.data + s * h * a).update(from: $0.baseAddress!, count: h * a) }
            }
            result.append(ActionInput(
                layers: layers, actions: x, mask: sampleMask(tape, members: members, batch: b, rows: h, width: c),
                members: members))
        }
        return result
    }
}
