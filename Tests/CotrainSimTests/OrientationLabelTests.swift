import Foundation
import Testing

@testable import CotrainSim

/// `namedOrientation()`: how the object to move is turned against the fingers, labelled
/// only where a wrist camera sees a cube and a parallel gripper must match its yaw.
@Suite struct OrientationLabelTests {
    @Test("a cube's label is a unit vector of 4 × its yaw against the tool, and the expert's close is aligned")
    func cubeLabels() {
        var labelled = 0
        for seed in UInt64(0)..<24 {
            var env = SimEnvironment(embodiment: .ur5e, config: SimConfig(renderImages: false, wristCamera: true))
            var expert = ScriptedExpert(embodiment: .ur5e, seed: seed)
            env.resetState(task: TaskSpec(.pick), seed: seed)
            guard case .pick(let i) = env.task.goal, env.world.objects[i].shape == .cube else { continue }
            while !env.isDone {
                let label = env.namedOrientation()
                #expect(label.count == SimEnvironment.orientationWidth)
                let (action, annotation) = expert.act(env)
                if label[2] == 1 {
                    labelled += 1
                    #expect(abs(label[0] * label[0] + label[1] * label[1] - 1) < 1e-4)
                    let phi = wrapSymmetric(env.tool.yaw - env.world.objects[i].yaw, period: .pi / 2)
                    #expect(abs(label[0] - cosf(4 * phi)) < 1e-4 && abs(label[1] - sinf(4 * phi)) < 1e-4)
                    // Where the expert closes, the fingers are aligned: ψ near 0.
                    if annotation == "close the gripper" && env.world.held == nil { #expect(label[0] > cosf(4 * 0.1)) }
                }
                _ = env.advance(action)
            }
        }
        #expect(labelled > 100)
    }

    @Test("no label without a wrist camera, for a cylinder, or for a suction gripper")
    func unlabelled() {
        for seed in UInt64(0)..<12 {
            var env = SimEnvironment(embodiment: .ur5e, config: SimConfig(renderImages: false))
            env.resetState(task: TaskSpec(.pick), seed: seed)
            #expect(env.namedOrientation() == [0, 0, 0])
            var wrist = SimEnvironment(embodiment: .ur5e, config: SimConfig(renderImages: false, wristCamera: true))
            wrist.resetState(task: TaskSpec(.pick), seed: seed)
            if case .pick(let i) = wrist.task.goal, wrist.world.objects[i].shape == .cylinder {
                #expect(wrist.namedOrientation() == [0, 0, 0])
            }
            var scara = SimEnvironment(embodiment: .scara, config: SimConfig(renderImages: false, wristCamera: true))
            scara.resetState(task: TaskSpec(.pick), seed: seed)
            #expect(scara.namedOrientation() == [0, 0, 0])
        }
    }

    @Test("recorded episodes carry one label per step when rendered with the wrist camera")
    func recorded() {
        var env = SimEnvironment(embodiment: .ur5e, config: SimConfig(imageWidth: 16, imageHeight: 16, wristCamera: true))
        let e = ScriptedExpert.record(env: &env, task: TaskSpec(.pick), seed: 3)
        #expect(e.orientations.count == e.steps * SimEnvironment.orientationWidth)
        var blind = SimEnvironment(embodiment: .ur5e, config: SimConfig(renderImages: false))
        #expect(ScriptedExpert.record(env: &blind, task: TaskSpec(.pick), seed: 3).orientations.isEmpty)
    }
}
