// Learning-rate schedule: linear warm-up then cosine decay.
import Foundation

/// Linear warm-up from 0 to `peak` over `warmupSteps`, then cosine decay to
/// `peak · finalRatio` at `totalSteps` (held there afterwards).
public struct CosineSchedule: Sendable, Equatable {
    /// The learning rate at the end of warm-up.
    public var peak: Float
    /// Steps of linear warm-up.
    public var warmupSteps: Int
    /// Step at which the decay reaches its floor.
    public var totalSteps: Int
    /// The floor as a fraction of `peak`.
    public var finalRatio: Float

    /// A schedule; `warmupSteps ≤ totalSteps`.
    public init(peak: Float, warmupSteps: Int, totalSteps: Int, finalRatio: Float = 0.1) {
        precondition(warmupSteps >= 0 && totalSteps >= warmupSteps, "schedule: warmup \(warmupSteps) > total \(totalSteps)")
        (self.peak, self.warmupSteps, self.totalSteps, self.finalRatio) = (peak, warmupSteps, totalSteps, finalRatio)
    }

    /// The learning rate for 0-based `step` (step 0 of a warm-up gets `peak/warmupSteps`).
    public func learningRate(at step: Int) -> Float {
        if step < warmupSteps { return peak * Float(step + 1) / Float(warmupSteps) }
        let span = totalSteps - warmupSteps
        guard span > 0 else { return peak }
        let progress = Double(Swift.min(step - warmupSteps, span)) / Double(span)
        let cosine = Float(0.5 * (1 + cos(Double.pi * progress)))
        return peak * (finalRatio + (1 - finalRatio) * cosine)
    }
}
