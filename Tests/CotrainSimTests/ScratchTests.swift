import Testing
@testable import CotrainSim

@Test func scratchPush() {
    for kind in [EmbodimentKind.ur5e, .panda, .scara] {
        var env = SimEnvironment(embodiment: .make(kind), config: SimConfig(renderImages: false))
        for seed in 0..<40 {
            let r = ScriptedExpert.rollout(env: &env, task: TaskSpec(.push), seed: UInt64(seed))
            if !r.success {
                print(kind, seed, env.task.instruction, env.task.goal)
                var expert = ScriptedExpert(embodiment: env.embodiment, seed: UInt64(seed))
                env.resetState(task: TaskSpec(.push), seed: UInt64(seed))
                while !env.isDone {
                    let (a, ann) = expert.act(env)
                    let info = env.advance(a)
                    let o = env.world.objects[0]
                    print(env.stepCount, ann, "tool", env.tool.translation, "obj", o.position, info.motionRefused, env.opening)
                }
            }
        }
    }
}
