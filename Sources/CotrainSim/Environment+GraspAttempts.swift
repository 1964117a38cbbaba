// CotrainSim/Environment+GraspAttempts.swift: where the gripper was when it started to
// close, relative to the object the task names, and where that object was when it let
// go of it. A policy that reaches the object but closes 2 cm beside it and one that never
// gets near both score 0 %, as do one that lets go on the bowl's rim and one that never
// lets go; this tells them apart (`cotrain eval` prints it per cell, docs/evaluation.md).

/// The tool's placement, relative to one object, against the grasp tolerances of
/// `fingerCandidate` / `suctionCandidate`.
public struct GraspFit: Sendable, Equatable {
    /// Planar distance from the fingertip centre (or cup) to the object's centre, metres.
    public var planarOffset: Float
    /// How far the tip is outside the height band that grasps (metres below its bottom
    /// are negative, above its top positive; 0 inside).
    public var heightError: Float
    /// Yaw from the nearest face-aligned pose, radians; nil when yaw does not matter
    /// (round objects, suction).
    public var yawError: Float?
    /// The tolerances each was judged against.
    public var planarTolerance: Float
    public var yawTolerance: Float

    public var withinPlanar: Bool { planarOffset < planarTolerance }
    public var withinHeight: Bool { heightError == 0 }
    public var withinYaw: Bool { yawError.map { abs($0) < yawTolerance } ?? true }
    /// Every tolerance met: closing now grasps the object (given the fingers are open
    /// wider than it).
    public var aligned: Bool { withinPlanar && withinHeight && withinYaw }
}

/// One start of a close (or suction-on) command with nothing held.
public struct GraspAttempt: Sendable, Equatable {
    /// The step at which the command started (0 = the first action).
    public var step: Int
    /// The tool against the object the task names for moving.
    public var fit: GraspFit
}

/// One release of the object to move, on a task that names where it goes (place,
/// stack, put-all): where it was against the destination when the gripper let go (or,
/// for `SimEnvironment.carried`, where it is while held).
public struct Release: Sendable, Equatable {
    /// The step at which it was let go (0 = the first action).
    public var step: Int
    /// Planar distance from the object's centre to the destination's centre, metres.
    public var planarOffset: Float
    /// The largest planar offset at which it can land in (or on) the destination:
    /// a bowl's inner radius less the object's footprint; for a base object, the two
    /// footprints.
    public var tolerance: Float
    /// Height of the object's bottom above the table at that moment (before it fell), metres.
    public var height: Float
    /// Whether it came to rest in (or on) the destination (false while held).
    public var landed: Bool

    public init(step: Int, planarOffset: Float, tolerance: Float, height: Float, landed: Bool) {
        (self.step, self.planarOffset, self.tolerance, self.height, self.landed) = (step, planarOffset, tolerance, height, landed)
    }
}

extension SimEnvironment {
    /// Notes a release when the object to move was held before this step's gripper
    /// update (`heldBefore`) and is not now.
    mutating func noteRelease(heldBefore: Int?, height: Float) {
        guard let i = heldBefore, world.held != i, let release = destinationFit(i, height: height) else { return }
        releases.append(release)
    }

    /// The object to move against its destination now, if it is held: the object the
    /// policy still carries (at an episode's end, one it never let go of).
    public var carried: Release? {
        guard let i = world.held else { return nil }
        return destinationFit(i, height: world.objects[i].position.z)
    }

    /// Object `i` against the destination now, at bottom height `height`, if `i` is the
    /// object to move of a task with a destination.
    func destinationFit(_ i: Int, height: Float) -> Release? {
        let named = namedObjects()
        guard named.count > 1, named[0] == i, let d = named[1], world.objects.indices.contains(d) else { return nil }
        let o = world.objects[i], dest = world.objects[d]
        let bowl = dest.shape == .bowl
        return Release(
            step: stepCount, planarOffset: planarDistance(o.position, dest.position),
            tolerance: bowl ? dest.innerRadius - o.footprintRadius : o.footprintRadius + dest.footprintRadius, height: height,
            landed: world.held != i && (bowl ? world.container(of: i) == d : world.isResting(i, on: d)))
    }

    /// How `tool` sits against object `i` for the embodiment's gripper.
    func graspFit(_ i: Int) -> GraspFit {
        let o = world.objects[i], tip = tool.translation
        let planar = planarDistance(tip, o.position)
        func outside(_ z: Float, _ low: Float, _ high: Float) -> Float { z < low ? z - low : (z > high ? z - high : 0) }
        switch embodiment.gripper {
        case .suction:
            return GraspFit(
                planarOffset: planar, heightError: outside(tip.z, o.top - 0.01, o.top + 0.012), yawError: nil,
                planarTolerance: 0.8 * o.halfWidth, yawTolerance: .pi)
        case .parallel, .hand:
            let isHand = embodiment.gripper == .hand
            let yaw = !isHand && o.graspSymmetry > 0 ? wrapSymmetric(tool.yaw - o.yaw, period: o.graspSymmetry) : nil
            return GraspFit(
                planarOffset: planar, heightError: outside(tip.z, o.position.z - 0.006, o.top - (isHand ? 0 : 0.008)),
                yawError: yaw, planarTolerance: isHand ? 0.03 : 0.016, yawTolerance: 0.35)
        }
    }

    /// Notes a grasp attempt when `close` starts a close command with nothing held, on
    /// tasks that move an object (a closed gripper pushing is not a grasp).
    mutating func noteGraspAttempt(close: Bool) {
        defer { closeCommanded = close }
        guard close, !closeCommanded, world.held == nil else { return }
        if case .push = task.goal { return }
        guard let i = namedObjects().first ?? nil, world.objects.indices.contains(i) else { return }
        graspAttempts.append(GraspAttempt(step: stepCount, fit: graspFit(i)))
    }
}
