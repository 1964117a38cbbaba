// CotrainSim/Expert+Plans.swift: the sub-step logic of pick-and-place and push jobs.

/// What the expert wants this step: a tool target, a gripper command, and words.
struct ExpertCommand {
    var target: Vec3
    var yaw: Float
    var close: Bool
    var annotation: String
    /// Free-space motion (fast, noisy) rather than a precise one.
    var coarse = false
    /// The current sub-step is complete; re-plan with the next phase.
    var advance = false
}

extension ScriptedExpert {
    var suction: Bool { embodiment.gripper == .suction }

    /// Tool height that grasps `o`: mid-height between fingers, on the top for suction.
    func graspHeight(_ o: SimObject) -> Float {
        switch embodiment.gripper {
        case .parallel: o.position.z + min(0.5 * o.height, o.height - 0.015)
        case .hand: o.position.z + 0.45 * o.height
        case .suction: o.top + 0.001
        }
    }

    /// Yaw that aligns the fingers with a cube's faces with the least rotation.
    func alignedYaw(_ o: SimObject, from yaw: Float) -> Float {
        guard !suction, o.graspSymmetry > 0 else { return yaw }
        return yaw + wrapSymmetric(o.yaw - yaw, period: o.graspSymmetry)
    }

    mutating func plan(_ job: ExpertJob, _ env: SimEnvironment) -> ExpertCommand {
        switch job {
        case .pickPlace(let i, let destination): planPickPlace(i, destination, env)
        case .push(let i, let side): planPush(i, side, env)
        }
    }

    mutating func planPickPlace(_ i: Int, _ destination: ExpertJob.Destination?, _ env: SimEnvironment) -> ExpertCommand {
        let world = env.world, tool = env.tool.translation
        let o = world.objects[i], name = "the \(o.name)"
        let holding = world.held == i
        let closeWord = suction ? "turn on the suction" : "close the gripper"
        let openWord = suction ? "turn off the suction" : "open the gripper"
        func reached(_ p: Vec3, _ tolerance: Float) -> Bool { length(p - tool) < tolerance }
        switch phase {
        case .approach:
            if phaseSteps == 0 { graspYaw = alignedYaw(o, from: env.tool.yaw) }
            let p = o.position + style.graspOffset + Vec3(0, 0, o.height + style.hover)
            let yawDone = abs(wrapAngle(graspYaw - env.tool.yaw)) < 0.08
            let ready = suction || env.opening > 0.95
            // Turn the wrist only once above the object, where a wrist camera sees the
            // object's faces (from the start pose it is a few pixels wide in every view).
            let above = reached(p, style.turnRadius)
            var c = ExpertCommand(
                target: above ? p : approachWaypoint(p, tool), yaw: above ? graspYaw : env.tool.yaw, close: false,
                annotation: above && !yawDone ? "turn the gripper to \(name)" : "move above \(name)", coarse: !above)
            if reached(p, 0.015) && yawDone && ready { phase = .descend; c.advance = true }
            return c
        case .descend:
            let p = Vec3(o.position.x + style.graspOffset.x, o.position.y + style.graspOffset.y, graspHeight(o))
            var c = ExpertCommand(target: p, yaw: graspYaw, close: false, annotation: suction ? "lower the suction cup onto \(name)" : "lower the gripper around \(name)")
            if reached(p, 0.004) { phase = .close; c.advance = true }
            return c
        case .close:
            var c = ExpertCommand(target: tool, yaw: graspYaw, close: true, annotation: closeWord)
            if holding { phase = .settle; c.advance = true } else if phaseSteps >= (suction ? 1 : 4) { phase = .reopen; c.advance = true }
            return c
        case .settle:
            // Fingers hold still, closed, for a moment before lifting (as a real grasp
            // needs to build force). A learner that lifts a step or two early, while the
            // fingers still close, then lifts a held object rather than missing it: the
            // policies of docs/study.md lifted on the second closing step.
            guard holding else { phase = .approach; return retry(name) }
            var c = ExpertCommand(target: tool, yaw: graspYaw, close: true, annotation: closeWord)
            if phaseSteps >= Self.settleSteps(embodiment.gripper) { phase = .lift; c.advance = true }
            return c
        case .reopen:
            // Missed: open, aim at the centre this time, and try again.
            var c = ExpertCommand(target: tool + Vec3(0, 0, 0.01), yaw: graspYaw, close: false, annotation: openWord)
            if phaseSteps >= 3 { style.graspOffset = .zero; phase = .approach; c.advance = true }
            return c
        case .lift:
            guard holding else { phase = .approach; return retry(name) }
            let p = Vec3(tool.x, tool.y, style.travel)
            var c = ExpertCommand(target: p, yaw: graspYaw, close: true, annotation: "lift \(name)", coarse: true)
            if abs(tool.z - style.travel) < 0.01 {
                if destination == nil { c.target = tool } else { phase = .carry; c.advance = true }
            }
            return c
        case .carry, .lower:
            guard holding, let destination else { phase = .approach; return retry(name) }
            let (spot, words) = destinationPoint(destination, world)
            // Aim the object, not the tool: the grasp may be off-centre.
            let aim = spot - (o.position - tool)
            if phase == .carry {
                let p = Vec3(aim.x, aim.y, style.travel)
                var c = ExpertCommand(target: p, yaw: env.tool.yaw, close: true, annotation: "carry \(name) above \(words)", coarse: true)
                if planarDistance(p, tool) < Self.lowerRadius { phase = .lower; c.advance = true }
                return c
            }
            let rest = world.restingHeight(at: spot, radius: o.footprintRadius) { $0 == i }.z
            let p = Vec3(aim.x, aim.y, rest + 0.012 + (tool.z - o.position.z))
            var c = ExpertCommand(target: p, yaw: env.tool.yaw, close: true, annotation: "lower \(name) \(destination.isBowl ? "into" : "onto") \(words)")
            if abs(tool.z - p.z) < 0.005 && planarDistance(p, tool) < Self.releaseRadius { phase = .release; c.advance = true }
            return c
        case .release:
            var c = ExpertCommand(target: tool, yaw: env.tool.yaw, close: false, annotation: openWord)
            if !holding && (suction || phaseSteps >= 2) { phase = .retreat; c.advance = true }
            return c
        case .retreat:
            let p = Vec3(tool.x, tool.y, style.travel)
            var c = ExpertCommand(target: p, yaw: env.tool.yaw, close: false, annotation: "move the gripper up", coarse: true)
            if abs(tool.z - style.travel) < 0.015 { phase = .idle; c.advance = true }
            return c
        default:
            phase = .approach
            return retry(name)
        }
    }

    /// How close above the destination (planar, metres) the carry turns into the descent,
    /// and how close the release must be. The descent keeps correcting towards the spot,
    /// so neither needs the 8 mm / 5 mm the expert first used: a bowl takes a cube up to
    /// 4.4 cm from its centre. Learned policies arrive within 1–4 cm, and with the tight
    /// thresholds they had seen the descent and the release only from states closer than
    /// that; most that carried the object to the bowl hovered above it to the end
    /// (docs/study.md, ninth round).
    static let lowerRadius: Float = 0.02
    static let releaseRadius: Float = 0.015

    /// Where the approach to hover point `p` heads this step, by the style's lead: a
    /// funnel keeps the tool above a 45° cone (scaled by the lead) around `p` without
    /// climbing; a drop-first approach limits the planar step until the tool is at hover
    /// height.
    func approachWaypoint(_ p: Vec3, _ tool: Vec3) -> Vec3 {
        let lead = style.approachLead, gap = planarDistance(p, tool)
        if lead < 0 {
            let funnelZ = p.z - lead * gap
            return Vec3(p.x, p.y, min(funnelZ, max(tool.z, p.z)))
        }
        guard abs(tool.z - p.z) > 0.01, gap > 0 else { return p }
        let cap = style.speed * (1 - 0.8 * lead)
        let planar = min(1, cap / gap)
        return Vec3(tool.x + (p.x - tool.x) * planar, tool.y + (p.y - tool.y) * planar, p.z)
    }

    /// Still steps after the fingers hold an object, before the lift (none for suction,
    /// which holds at once).
    static func settleSteps(_ gripper: GripperKind) -> Int { gripper == .suction ? 0 : 2 }

    func retry(_ name: String) -> ExpertCommand {
        ExpertCommand(target: .zero, yaw: 0, close: false, annotation: "move above \(name)", advance: true)
    }

    /// Where a carried object should land, and how to say it.
    func destinationPoint(_ d: ExpertJob.Destination, _ world: World) -> (Vec3, String) {
        switch d {
        case .bowl(let b, let offset): (world.objects[b].position + offset, "the \(world.objects[b].name)")
        case .onto(let b): (world.objects[b].position, "the \(world.objects[b].name)")
        }
    }

    mutating func planPush(_ i: Int, _ side: PushSide, _ env: SimEnvironment) -> ExpertCommand {
        let world = env.world, tool = env.tool.translation
        let o = world.objects[i], name = "the \(o.name)", s = side.sign
        let standoff = world.pushRadius(o) + embodiment.pusherRadius + 0.02
        let pushZ = o.position.z + min(0.015, 0.4 * o.height)
        let closed = !suction
        switch phase {
        case .pushApproach:
            let p = Vec3(o.position.x, o.position.y - s * standoff, o.top + style.hover)
            let ready = suction || env.opening < 0.05
            var c = ExpertCommand(target: p, yaw: env.tool.yaw, close: closed, annotation: "move beside \(name)", coarse: true)
            if length(p - tool) < 0.015 && ready { phase = .pushDescend; c.advance = true }
            return c
        case .pushDescend:
            let p = Vec3(o.position.x, o.position.y - s * standoff, pushZ)
            var c = ExpertCommand(target: p, yaw: env.tool.yaw, close: closed, annotation: "lower the gripper next to \(name)")
            if length(p - tool) < 0.005 { phase = .pushSweep; c.advance = true }
            return c
        default:
            // Lost the object (it slid past the pusher line): go around again.
            if (o.position.y - tool.y) * s < 0 { phase = .pushApproach }
            // Pushing a round contact is unstable sideways: steer the pusher past the
            // object's centre line so any lateral slip is corrected within a step or two.
            let lateral = o.position.x + 0.6 * (o.position.x - tool.x)
            let p = Vec3(lateral, tool.y + s * 0.02, pushZ)
            return ExpertCommand(target: p, yaw: env.tool.yaw, close: closed, annotation: "push \(name) to the \(side.rawValue)")
        }
    }
}

extension ExpertJob.Destination {
    var isBowl: Bool { if case .bowl = self { true } else { false } }
}
