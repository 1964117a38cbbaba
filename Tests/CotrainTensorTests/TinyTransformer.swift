@testable import CotrainTensor

/// A small pre-norm transformer language model built from tape ops, used by the
/// composed gradient check, the overfitting test and the determinism tests. It is also
/// the pattern `CotrainPolicy` follows: named parameters, one forward function.
final class TinyTransformer {
    let vocab: Int, width: Int, heads: Int, layers: Int, context: Int
    let tokenEmbedding: Parameter, positions: Parameter
    let blocks: [[String: Parameter]]
    let finalGamma: Parameter, finalBeta: Parameter, head: Parameter
    var parameters: [Parameter] = []

    init(vocab: Int, width: Int, heads: Int, layers: Int, context: Int, seed: UInt64) {
        (self.vocab, self.width, self.heads, self.layers, self.context) = (vocab, width, heads, layers, context)
        var rng = Xoshiro256(seed: seed)
        var all: [Parameter] = []
        func param(_ name: String, _ shape: Shape, std: Float? = nil, fill: Float = 0, group: String = Parameter.decay) -> Parameter {
            let p = Parameter(name: name, shape: shape, group: group)
            if let std { rng.fillNormal(p.tensor, std: std) } else { p.tensor.fill(fill) }
            all.append(p)
            return p
        }
        let c = width
        tokenEmbedding = param("embed.weight", Shape(vocab, c), std: 0.1)
        positions = param("pos.weight", Shape(context, c), std: 0.1)
        var blocks: [[String: Parameter]] = []
        for l in 0..<layers {
            let n = "trunk.\(l)."
            blocks.append([
                "ln1.g": param(n + "ln1.weight", Shape(c), fill: 1, group: Parameter.noDecay),
                "ln1.b": param(n + "ln1.bias", Shape(c), group: Parameter.noDecay),
                "qkv.w": param(n + "attn.qkv.weight", Shape(3 * c, c), std: 0.1),
                "qkv.b": param(n + "attn.qkv.bias", Shape(3 * c), group: Parameter.noDecay),
                "proj.w": param(n + "attn.proj.weight", Shape(c, c), std: 0.1),
                "proj.b": param(n + "attn.proj.bias", Shape(c), group: Parameter.noDecay),
                "ln2.g": param(n + "ln2.weight", Shape(c), fill: 1, group: Parameter.noDecay),
                "ln2.b": param(n + "ln2.bias", Shape(c), group: Parameter.noDecay),
                "fc.w": param(n + "mlp.fc.weight", Shape(4 * c, c), std: 0.1),
                "fc.b": param(n + "mlp.fc.bias", Shape(4 * c), group: Parameter.noDecay),
                "out.w": param(n + "mlp.proj.weight", Shape(c, 4 * c), std: 0.05),
                "out.b": param(n + "mlp.proj.bias", Shape(c), group: Parameter.noDecay),
            ])
        }
        self.blocks = blocks
        finalGamma = param("ln_f.weight", Shape(c), fill: 1, group: Parameter.noDecay)
        finalBeta = param("ln_f.bias", Shape(c), group: Parameter.noDecay)
        head = param("head.weight", Shape(vocab, c), std: 0.1)
        parameters = all
    }

    /// Logits `(B,T,V)` for `tokens (B·T)`; `keyMask (B,T)` hides padding keys.
    func logits(_ tape: Tape, tokens: IndexTensor, batch: Int, keyMask: Tensor? = nil) -> Tensor {
        let t = tokens.count / batch
        var x = tape.embedding(tokenEmbedding.tensor, indices: tokens, shape: Shape(batch, t, width))
        x = tape.broadcastAdd(x, positions.tensor, repeats: batch)
        let mask = AttentionMask(causal: true, keyMask: keyMask)
        for b in blocks {
            let h = tape.layerNorm(x, gamma: b["ln1.g"]!.tensor, beta: b["ln1.b"]!.tensor)
            let qkv = tape.linear(h, weight: b["qkv.w"]!.tensor, bias: b["qkv.b"]!.tensor)
            let att = tape.selfAttention(qkv: qkv, heads: heads, mask: mask)
            x = tape.add(x, tape.linear(att, weight: b["proj.w"]!.tensor, bias: b["proj.b"]!.tensor))
            let h2 = tape.layerNorm(x, gamma: b["ln2.g"]!.tensor, beta: b["ln2.b"]!.tensor)
            let up = tape.gelu(tape.linear(h2, weight: b["fc.w"]!.tensor, bias: b["fc.b"]!.tensor))
            x = tape.add(x, tape.linear(up, weight: b["out.w"]!.tensor, bias: b["out.b"]!.tensor))
        }
        let h = tape.layerNorm(x, gamma: finalGamma.tensor, beta: finalBeta.tensor)
        return tape.linear(h, weight: head.tensor)
    }
}

/// A fixed batch of next-token data: random token sequences, targets shifted by one.
struct TokenBatch {
    let batch: Int, length: Int
    let tokens: IndexTensor, targets: IndexTensor, weights: Tensor

    init(batch: Int, length: Int, vocab: Int, seed: UInt64) {
        var rng = Xoshiro256(seed: seed)
        let seq = (0..<(batch * (length + 1))).map { _ in Int32(rng.int(below: vocab)) }
        var tokens: [Int32] = [], targets: [Int32] = []
        for b in 0..<batch {
            for t in 0..<length {
                tokens.append(seq[b * (length + 1) + t])
                targets.append(seq[b * (length + 1) + t + 1])
            }
        }
        (self.batch, self.length) = (batch, length)
        self.tokens = IndexTensor(tokens)
        self.targets = IndexTensor(targets)
        // Per-sample loss mask: the last sample does not count (as a VL sample in a
        // robot batch would not count for the action loss).
        weights = Tensor(shape: Shape(batch * length), values: (0..<(batch * length)).map { $0 / length == batch - 1 ? 0 : 1 })
    }
}
