import Foundation
import Testing

@testable import CotrainRuntime

/// `TemporalEnsemble`: the action executed at each step is the weighted mean of the
/// covering plans' predictions for that step.
@Suite struct TemporalEnsembleTests {
    /// A 3-step chunk planned at step `t` whose action for step t + i is [10·t + i, −t].
    static func plan(_ t: Int) -> [[Float]] { (0..<3).map { [Float(10 * t + $0), Float(-t)] } }

    @Test("equal weights: the mean of the newest plan's first action, the previous plan's second, ...")
    func equalWeights() {
        var e = TemporalEnsemble(decay: 0)
        #expect(e.next(Self.plan(0)) == [0, 0])
        // Step 1: plan 1's action 0 (10) and plan 0's action 1 (1).
        #expect(e.next(Self.plan(1)) == [5.5, -0.5])
        // Step 2: 20, 11, 2.
        #expect(e.next(Self.plan(2)) == [11, -1])
        // Step 3: plan 0 (3 actions) no longer reaches it: 30, 21, 12.
        #expect(e.next(Self.plan(3)) == [21, -2])
        #expect(e.recent.count == 3)
    }

    @Test("decay weighs the newest plan more; a large decay follows it almost alone; reset forgets")
    func decayAndReset() {
        var e = TemporalEnsemble(decay: 1)
        _ = e.next(Self.plan(0))
        let a = e.next(Self.plan(1))[0]
        let w = Float(1).exponentiallyWeighted
        #expect(abs(a - (10 + w * 1) / (1 + w)) < 1e-5)
        var sharp = TemporalEnsemble(decay: 10)
        _ = sharp.next(Self.plan(0))
        #expect(abs(sharp.next(Self.plan(1))[0] - 10) < 1e-3)
        e.reset()
        #expect(e.next(Self.plan(5)) == Self.plan(5)[0])
    }

    @Test("a one-action chunk is executed as it is")
    func singleAction() {
        var e = TemporalEnsemble(decay: 0.5)
        for t in 0..<4 { #expect(e.next([[Float(t), 1]]) == [Float(t), 1]) }
    }
}

extension Float {
    /// exp(−self): the weight of a plan one step old at decay `self`.
    fileprivate var exponentiallyWeighted: Float { Float(Foundation.exp(Double(-self))) }
}
