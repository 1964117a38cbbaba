// An exponential moving average of a model's parameters (Polyak averaging), the weights
// flow-matching and diffusion policies are usually evaluated with: the last iterate of
// a run jitters from step to step, and a policy run in closed loop is sensitive to that
// jitter in a way the training loss is not (docs/model.md, "Weight averaging").
import CotrainTensor

/// The running average of every parameter of a model, in the model's parameter order.
public final class WeightAverage {
    /// The target decay; early steps use less (see `decay(after:)`).
    public let decay: Float
    /// Averaged values, one array per parameter.
    public private(set) var values: [[Float]]

    /// An average that starts at the model's current values.
    public init(model: PolicyModel, decay: Float) {
        self.decay = decay
        values = model.parameters.map(\.tensor.values)
    }

    /// An average restored from stored values (which must match the model's parameters).
    public init(values: [[Float]], decay: Float) {
        self.decay = decay
        self.values = values
    }

    /// The decay used after `updates` updates: `min(decay, (1 + n) / (10 + n))`, so the
    /// average forgets the random initialisation within the first few hundred steps
    /// instead of the 1 / (1 − decay) a constant decay would take.
    public func decay(after updates: Int) -> Float {
        min(decay, Float(1 + updates) / Float(10 + updates))
    }

    /// Folds the model's current parameters in; `updates` counts the earlier updates
    /// (the optimiser step before this one), so a resumed run continues the same sequence.
    public func update(from model: PolicyModel, updates: Int) {
        let d = decay(after: updates), w = 1 - d
        for (k, p) in model.parameters.enumerated() {
            let source = p.tensor.data
            values[k].withUnsafeMutableBufferPointer { average in
                for i in average.indices { average[i] = d * average[i] + w * source[i] }
            }
        }
    }

    /// Exchanges the model's parameters with the averaged ones (call twice to undo).
    public func swap(with model: PolicyModel) {
        for (k, p) in model.parameters.enumerated() {
            let live = p.tensor.values
            p.tensor.copy(from: values[k])
            values[k] = live
        }
    }
}
