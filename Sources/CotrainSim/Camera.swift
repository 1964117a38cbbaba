// CotrainSim/Camera.swift: pinhole cameras (third-person and wrist).
import Foundation

/// A pinhole camera looking from `position` at `target`.
public struct Camera: Sendable, Equatable {
    /// Eye position and look-at point (world).
    public var position: Vec3
    public var target: Vec3
    /// Approximate up direction (must not be parallel to the viewing direction).
    public var up: Vec3
    /// Vertical field of view in radians.
    public var fieldOfView: Float
    /// Image size in pixels.
    public var width: Int
    public var height: Int

    public init(position: Vec3, target: Vec3, up: Vec3 = Vec3(0, 0, 1), fieldOfView: Float, width: Int, height: Int) {
        self.position = position; self.target = target; self.up = up
        self.fieldOfView = fieldOfView; self.width = width; self.height = height
    }

    /// The default third-person view: in front of the table, facing the robot, framing
    /// the spawn region and both push lines.
    public static func thirdPerson(width: Int = 64, height: Int = 64) -> Camera {
        Camera(position: Vec3(0.86, 0, 0.68), target: Vec3(0.44, 0, 0.0), fieldOfView: 50 * .pi / 180, width: width, height: height)
    }

    /// The wrist camera's vertical field of view, in degrees, unless a recording says
    /// otherwise (episodes and checkpoints carry theirs: `SimConfig.wristFieldOfView`).
    public static let defaultWristFieldOfView: Float = 70
    /// The range `data collect --wrist-fov` accepts, in degrees.
    public static let wristFieldOfViewRange: ClosedRange<Float> = 20...120

    /// A camera on the wrist, above and beside the palm, looking at the fingertips, with
    /// a vertical field of view of `fieldOfView` degrees.
    public static func wrist(tool: Pose, width: Int = 64, height: Int = 64, fieldOfView: Float = defaultWristFieldOfView) -> Camera {
        let axis = tool.rotation.c2, side = tool.rotation.c0
        let eye = tool.translation - axis * 0.1 + side * 0.13
        return Camera(
            position: eye, target: tool.translation + axis * 0.02, up: side, fieldOfView: fieldOfView * .pi / 180, width: width, height: height)
    }

    /// Orthonormal view basis: right, image-up, forward (into the scene).
    var basis: (right: Vec3, up: Vec3, forward: Vec3) {
        let f = normalized(target - position)
        let r = normalized(cross(f, up))
        return (r, cross(r, f), f)
    }

    /// Focal length in pixels.
    var focal: Float { Float(height) * 0.5 / tanf(fieldOfView * 0.5) }

    /// Pixel coordinates (x right, y down, pixel centres at +0.5) and depth of a world
    /// point, or nil behind the camera.
    public func project(_ p: Vec3) -> (x: Float, y: Float, depth: Float)? {
        let (r, u, f) = basis
        let d = p - position
        let z = dot(d, f)
        guard z > 1e-3 else { return nil }
        let s = focal / z
        return (Float(width) * 0.5 + dot(d, r) * s, Float(height) * 0.5 - dot(d, u) * s, z)
    }
}
