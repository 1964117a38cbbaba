// CotrainSim/Environment+Gripper.swift: grasping, releasing and carrying.
//
// A parallel gripper (or hand) grasps when its closing fingers reach the width of an
// object that sits between them; suction grasps a flat top the cup touches. Opening or
// switching off drops the object, which falls to its support.

extension SimEnvironment {
    /// Closing speed: fraction of the full opening per step (fully closed in 3 steps).
    static let closingRate: Float = 0.35

    /// Whether the tool currently pushes objects it runs into (closed, empty gripper or
    /// an idle suction quill; open fingers straddle objects instead).
    var pusherActive: Bool {
        guard world.held == nil else { return false }
        return embodiment.gripper == .suction || opening < 0.35
    }

    mutating func updateGripper(close: Bool) {
        switch embodiment.gripper {
        case .suction:
            if close {
                if world.held == nil, let i = suctionCandidate() { grasp(i) }
                opening = 1
            } else {
                if world.held != nil { release() }
                opening = 0
            }
        case .parallel, .hand:
            if close {
                guard world.held == nil else { return }
                let next = max(0, opening - Self.closingRate)
                if let i = fingerCandidate() {
                    let contact = world.objects[i].graspWidth / embodiment.maxOpening
                    if opening >= contact && next <= contact {
                        grasp(i)
                        opening = contact
                        return
                    }
                }
                opening = next
            } else {
                if world.held != nil { release() }
                opening = min(1, opening + Self.closingRate)
            }
        }
    }

    /// The object between the fingers, if any: centred within tolerance, fingertips below
    /// its top and above its base, and (for the parallel gripper on a cube) faces aligned.
    /// (`graspFit` holds the tolerances.)
    func fingerCandidate() -> Int? {
        var best: Int? = nil
        var bestDistance = Float.infinity
        for (i, o) in world.objects.enumerated() where o.shape.isGraspable {
            let fit = graspFit(i)
            guard fit.aligned, fit.planarOffset < bestDistance else { continue }
            guard o.graspWidth <= embodiment.maxOpening * opening else { continue }
            best = i; bestDistance = fit.planarOffset
        }
        return best
    }

    /// The object whose top the suction cup touches, if any.
    func suctionCandidate() -> Int? {
        world.objects.indices.first { world.objects[$0].shape.isGraspable && graspFit($0).aligned }
    }

    mutating func grasp(_ i: Int) {
        let o = world.objects[i]
        world.held = i
        world.heldOffset = tool.inverse * Pose(rotation: .rotZ(o.yaw), translation: o.position)
        world.objects[i].support = nil
        // Whatever was stacked on the object falls.
        world.settleAll()
    }

    mutating func release() {
        guard let i = world.held else { return }
        world.held = nil
        world.drop(i)
    }

    /// Carries the held object rigidly with the tool (objects stay upright).
    mutating func followHeldObject() {
        guard let i = world.held else { return }
        let pose = tool * world.heldOffset
        world.objects[i].position = pose.translation
        world.objects[i].yaw = pose.yaw
    }
}

/// Wraps `a` into (−period/2, period/2]: the smallest rotation to a symmetric pose.
func wrapSymmetric(_ a: Float, period: Float) -> Float {
    var x = a.truncatingRemainder(dividingBy: period)
    if x > period / 2 { x -= period } else if x <= -period / 2 { x += period }
    return x
}
