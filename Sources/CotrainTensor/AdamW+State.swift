// Exporting and restoring AdamW's state, so a run resumed from a checkpoint continues
// bit-identically to one that never stopped.

extension AdamW {
    /// Copies of the first (`m`) and second (`v`) moments of `parameters[index]`.
    public func moments(of index: Int) -> (m: [Float], v: [Float]) {
        let n = parameters[index].tensor.count
        let (m, v) = moments[index]
        return (Array(UnsafeBufferPointer(start: m, count: n)), Array(UnsafeBufferPointer(start: v, count: n)))
    }

    /// Restores the step count and every parameter's moments (one pair per parameter,
    /// in `parameters` order, each with the parameter's element count).
    public func restore(stepCount: Int, moments values: [(m: [Float], v: [Float])]) {
        precondition(stepCount >= 0 && values.count == parameters.count,
                     "AdamW.restore: \(values.count) moment pairs for \(parameters.count) parameters")
        for (index, pair) in values.enumerated() {
            let n = parameters[index].tensor.count
            precondition(pair.m.count == n && pair.v.count == n,
                         "AdamW.restore: moments of \(parameters[index].name) have the wrong size")
            let (m, v) = moments[index]
            pair.m.withUnsafeBufferPointer { m.update(from: $0.baseAddress!, count: n) }
            pair.v.withUnsafeBufferPointer { v.update(from: $0.baseAddress!, count: n) }
        }
        self.stepCount = stepCount
    }
}
