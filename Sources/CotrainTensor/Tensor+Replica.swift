// Copying values and summing gradients between tensors of the same shape: what a
// data-parallel step needs to keep replicas of a model in step with the original.

extension Tensor {
    /// Overwrites this tensor's values with `source`'s (same element count).
    public func copyValues(from source: Tensor) {
        precondition(source.count == count, "copying \(source.count) values into \(count) elements")
        data.update(from: source.data, count: count)
    }

    /// Adds `other`'s accumulated gradient to this tensor's (taking it over when this one
    /// holds none). A tensor without a gradient contributes nothing.
    public func addGradient(from other: Tensor) {
        precondition(other.count == count, "adding a gradient of \(other.count) elements to \(count)")
        guard other.gradValid, let source = other.gradStorage else { return }
        let target = grad
        if gradValid {
            for i in 0..<count { target[i] += source[i] }
        } else {
            target.update(from: source, count: count)
            gradValid = true
        }
    }
}

extension Compute {
    /// Runs `body(worker)` for every worker in `0..<workers`, concurrently when there is
    /// more than one. Each worker must write only what it owns (its own model replica and
    /// tape, its own result slot), so the outcome does not depend on scheduling.
    public static func forEachWorker(_ workers: Int, _ body: (Int) -> Void) {
        parallelWorkers(workers, body)
    }
}
