// Helpers shared by the CotrainSim tests.
import Testing
@testable import CotrainSim

/// Expects two points to agree within `tolerance` metres.
func expectClose(
    _ a: Vec3, _ b: Vec3, _ tolerance: Float, _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(length(a - b) <= tolerance, "\(a) vs \(b) \(comment.map { "\($0)" } ?? "")", sourceLocation: sourceLocation)
}

/// Angle between two rotations (radians).
func rotationDistance(_ a: Mat3, _ b: Mat3) -> Float { length((a * b.transposed).rotationVector) }

/// A random top-down tool pose inside the object region, at a grasping height.
func randomTopDownPose(_ rng: inout SimRandom) -> Pose {
    Pose.topDown(
        at: Vec3(rng.uniform(0.33, 0.62), rng.uniform(-0.25, 0.25), rng.uniform(0.01, 0.3)),
        yaw: rng.uniform(-.pi / 2, .pi / 2))
}

/// A bare world with the given objects resting where placed.
func world(_ objects: [SimObject]) -> World {
    var w = World(objects: objects)
    w.settleAll()
    return w
}

func cube(_ colour: SimColour, at x: Float, _ y: Float, z: Float = 0) -> SimObject {
    var o = SimObject.standard(.cube, colour: colour)
    o.position = Vec3(x, y, z)
    return o
}

func bowl(_ colour: SimColour, at x: Float, _ y: Float) -> SimObject {
    var o = SimObject.standard(.bowl, colour: colour)
    o.position = Vec3(x, y, 0)
    return o
}
