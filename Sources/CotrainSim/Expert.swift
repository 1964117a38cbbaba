// CotrainSim/Expert.swift: scripted experts that demonstrate every task on every
// embodiment, with injected noise for diversity and a dense annotation per step.
//
// The expert reads privileged world state, picks a job (one pick-and-place or a push),
// and walks through sub-steps in tool space; `Expert+Motion` turns each tool-space
// waypoint into the embodiment's action through IK. Re-planning every step from the
// current state is what lets it absorb its own noise and retry a missed grasp.
import Foundation

/// One unit of work: move an object somewhere, or push it to a side.
enum ExpertJob: Equatable {
    /// Pick `object`; then, if a destination is given, put it there.
    case pickPlace(object: Int, destination: Destination?)
    case push(object: Int, side: PushSide)

    enum Destination: Equatable {
        /// Into a bowl, at an offset from its centre (so several objects fit side by side).
        case bowl(Int, offset: Vec3)
        case onto(Int)
    }
}

/// Sub-steps of a job; each has an annotation and a completion condition.
enum ExpertPhase: Equatable {
    case approach, descend, close, settle, reopen, lift, carry, lower, release, retreat
    case pushApproach, pushDescend, pushSweep
    case idle
}

/// Per-episode variation of the expert's style.
struct ExpertStyle {
    var speed: Float  // m per step in free space
    var hover: Float  // approach height above an object's top
    var travel: Float  // tool height for carrying
    var graspOffset: Vec3  // deliberate aim error at the grasp point
    var actionNoise: Float  // fraction of the per-step bound
    var hesitation: Float  // chance of a still step in free space
    /// How the approach trades height for planar progress, in -1...1: below 0 the tool
    /// stays high until the planar gap closes (a funnel), above 0 it drops to hover
    /// height first and then slides over, 0 is a straight line. Mixing all three keeps
    /// "the tool is at hover height" from telling a learner "the object is below":
    /// only the cameras can say when to descend.
    var approachLead: Float
    /// How close to the hover point the tool must be before the wrist turns to the
    /// object's faces (where the wrist camera sees them).
    var turnRadius: Float = 0.03

    static func sample(_ rng: inout SimRandom) -> ExpertStyle {
        var style = ExpertStyle(
            speed: rng.uniform(0.03, 0.045), hover: rng.uniform(0.045, 0.08), travel: rng.uniform(0.15, 0.2),
            graspOffset: Vec3(clip(rng.gaussian() * 0.003, 0.006), clip(rng.gaussian() * 0.003, 0.006), 0),
            actionNoise: rng.uniform(0, 0.04), hesitation: rng.uniform(0, 0.04), approachLead: 0)
        style.approachLead = rng.uniform(-1, 1)
        return style
    }
}

func clip(_ x: Float, _ limit: Float) -> Float { min(limit, max(-limit, x)) }

/// A scripted expert for one embodiment.
public struct ScriptedExpert: Sendable {
    /// The embodiment the expert produces actions for.
    public let embodiment: Embodiment
    var rng: SimRandom
    var style: ExpertStyle
    var job: ExpertJob? = nil
    var phase: ExpertPhase = .idle
    var phaseSteps = 0
    var graspYaw: Float = 0
    var slotPhase: Float = 0
    let ikOptions: IKOptions

    /// An expert whose noise is drawn from `seed` (independent of the scene's streams).
    public init(embodiment: Embodiment, seed: UInt64) {
        self.embodiment = embodiment
        rng = SimRandom(seed: seed, stream: 3)
        style = ExpertStyle.sample(&rng)
        slotPhase = rng.uniform(0, 2 * .pi)
        var options = IKOptions(space: embodiment.ikSpace, posture: embodiment.posture)
        options.maxIterations = 12
        ikOptions = options
    }

    /// The next action for `env` and the sub-step it serves, in words.
    public mutating func act(_ env: SimEnvironment) -> (action: [Float], annotation: String) {
        if job == nil || phase == .idle { startNextJob(env) }
        guard let job else { return (holdStill(env), "wait") }
        var command = plan(job, env)
        // Let a finished sub-step hand over to the next one within the same control step.
        for _ in 0..<3 where command.advance {
            phaseSteps = 0
            if phase == .idle {
                startNextJob(env)
                guard let next = self.job, phase != .idle else { return (holdStill(env), "wait") }
                command = plan(next, env)
            } else {
                command = plan(job, env)
            }
        }
        phaseSteps += 1
        return (motion(env, command), command.annotation)
    }

    /// Chooses the next job from the task goal and the world state.
    mutating func startNextJob(_ env: SimEnvironment) {
        let world = env.world
        job = nil
        phase = .idle
        switch env.task.goal {
        case .pick(let i): job = .pickPlace(object: i, destination: nil)
        case .place(let i, let b): job = .pickPlace(object: i, destination: .bowl(b, offset: .zero))
        case .stack(let i, let b): job = .pickPlace(object: i, destination: .onto(b))
        case .push(let i, let side, _): job = .push(object: i, side: side)
        case .containAll(let objects, let bowls):
            guard let k = objects.indices.first(where: { world.container(of: objects[$0]) != bowls[$0] }) else { return }
            let bowl = bowls[k]
            let sharing = bowls.filter { $0 == bowl }.count
            let already = objects.indices.filter { bowls[$0] == bowl && world.container(of: objects[$0]) == bowl }.count
            var offset = Vec3.zero
            if sharing > 1 {
                let ring = world.objects[bowl].innerRadius - world.objects[objects[k]].footprintRadius - 0.006
                let angle = slotPhase + 2 * .pi * Float(already) / Float(sharing)
                offset = Vec3(ring * cosf(angle), ring * sinf(angle), 0)
            }
            job = .pickPlace(object: objects[k], destination: .bowl(bowl, offset: offset))
        }
        if case .push = job { phase = .pushApproach } else if job != nil { phase = .approach }
        phaseSteps = 0
    }
}

extension ScriptedExpert {
    /// With probability `chance` (drawn from `seed`) and when the task grasps an
    /// object: a copy of this expert that aims its first grasp beside the object, beyond
    /// the gripper's planar tolerance (see `ScriptedExpert.record(…misses:)`).
    func missing(_ env: SimEnvironment, chance: Float, seed: UInt64) -> ScriptedExpert? {
        var rng = SimRandom(seed: seed, stream: 0x0155)
        guard rng.chance(chance) else { return nil }
        if case .push = env.task.goal { return nil }
        guard let i = env.namedObjects().first ?? nil, env.world.objects.indices.contains(i) else { return nil }
        let r = env.graspFit(i).planarTolerance * rng.uniform(1.4, 2.2), angle = rng.uniform(0, 2 * .pi)
        var off = self
        off.style.graspOffset = Vec3(r * cosf(angle), r * sinf(angle), 0)
        return off
    }
}
