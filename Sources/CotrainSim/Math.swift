// CotrainSim/Math.swift: small fixed-size linear algebra for kinematics and rendering.
//
// Float32 everywhere: the simulator is kinematic (no integration drift to fight), IK
// tolerances are millimetres, and SIMD3<Float> keeps the per-step cost tiny.
import Foundation

/// A point or direction in metres, world frame unless stated: x forward (away from the
/// robot base), y left, z up; the table top is the plane z = 0.
public typealias Vec3 = SIMD3<Float>

/// A joint-space vector. Every embodiment has at most 7 joints, so one SIMD8 register
/// holds a configuration without allocation; lanes past the joint count stay zero.
public typealias JointVector = SIMD8<Float>

func dot(_ a: Vec3, _ b: Vec3) -> Float { (a * b).sum() }

func cross(_ a: Vec3, _ b: Vec3) -> Vec3 {
    Vec3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}

func length(_ a: Vec3) -> Float { dot(a, a).squareRoot() }

func normalized(_ a: Vec3) -> Vec3 {
    let l = length(a)
    return l > 1e-12 ? a / l : Vec3(0, 0, 1)
}

/// Horizontal (xy) distance between two points.
func planarDistance(_ a: Vec3, _ b: Vec3) -> Float {
    let dx = a.x - b.x, dy = a.y - b.y
    return (dx * dx + dy * dy).squareRoot()
}

/// Wraps an angle to (−π, π].
public func wrapAngle(_ a: Float) -> Float {
    var x = a.truncatingRemainder(dividingBy: 2 * .pi)
    if x > .pi { x -= 2 * .pi } else if x <= -.pi { x += 2 * .pi }
    return x
}

/// A 3×3 matrix stored as columns (rotation matrices in this module).
public struct Mat3: Sendable, Equatable {
    /// Columns (for a rotation: the frame's x, y, z axes).
    public var c0: Vec3, c1: Vec3, c2: Vec3

    public init(_ c0: Vec3, _ c1: Vec3, _ c2: Vec3) {
        self.c0 = c0; self.c1 = c1; self.c2 = c2
    }

    /// The identity rotation.
    public static let identity = Mat3(Vec3(1, 0, 0), Vec3(0, 1, 0), Vec3(0, 0, 1))

    /// Matrix–vector and matrix–matrix products.
    public static func * (m: Mat3, v: Vec3) -> Vec3 { m.c0 * v.x + m.c1 * v.y + m.c2 * v.z }
    public static func * (a: Mat3, b: Mat3) -> Mat3 { Mat3(a * b.c0, a * b.c1, a * b.c2) }

    /// The transpose (the inverse, for a rotation).
    public var transposed: Mat3 {
        Mat3(Vec3(c0.x, c1.x, c2.x), Vec3(c0.y, c1.y, c2.y), Vec3(c0.z, c1.z, c2.z))
    }

    /// Rotation about the x axis by `a` radians.
    public static func rotX(_ a: Float) -> Mat3 {
        let c = cosf(a), s = sinf(a)
        return Mat3(Vec3(1, 0, 0), Vec3(0, c, s), Vec3(0, -s, c))
    }
    /// Rotation about the y axis by `a` radians.
    public static func rotY(_ a: Float) -> Mat3 {
        let c = cosf(a), s = sinf(a)
        return Mat3(Vec3(c, 0, -s), Vec3(0, 1, 0), Vec3(s, 0, c))
    }
    /// Rotation about the z axis by `a` radians.
    public static func rotZ(_ a: Float) -> Mat3 {
        let c = cosf(a), s = sinf(a)
        return Mat3(Vec3(c, s, 0), Vec3(-s, c, 0), Vec3(0, 0, 1))
    }

    /// The rotation vector (axis × angle) of this rotation matrix: the SO(3) log map.
    /// IK uses it as the orientation error, so it must stay correct near angle π.
    public var rotationVector: Vec3 {
        // atan2 of (sin, cos) stays well conditioned near 0 and π, where acos does not.
        let skew = Vec3(c1.z - c2.y, c2.x - c0.z, c0.y - c1.x)  // 2 sin(θ) · axis
        let sinA = length(skew) * 0.5
        let cosA = (c0.x + c1.y + c2.z - 1) * 0.5
        let angle = atan2f(sinA, cosA)
        if angle < 1e-4 { return skew * 0.5 }
        if sinA > 1e-3 { return skew * (angle / (2 * sinA)) }
        // Near π the skew part vanishes: take the axis from the symmetric part,
        // R = cos θ I + (1 − cos θ) a aᵀ + sin θ [a]×, and its sign from the skew part.
        let t = max(1 - cosA, 1e-6)
        var axis = Vec3(
            max(0, (c0.x - cosA) / t).squareRoot(), max(0, (c1.y - cosA) / t).squareRoot(),
            max(0, (c2.z - cosA) / t).squareRoot())
        if axis.x >= axis.y && axis.x >= axis.z {
            axis.y = copysignf(axis.y, c0.y + c1.x); axis.z = copysignf(axis.z, c0.z + c2.x)
        } else if axis.y >= axis.z {
            axis.x = copysignf(axis.x, c0.y + c1.x); axis.z = copysignf(axis.z, c1.z + c2.y)
        } else {
            axis.x = copysignf(axis.x, c0.z + c2.x); axis.y = copysignf(axis.y, c1.z + c2.y)
        }
        if dot(axis, skew) < 0 { axis = -axis }
        return normalized(axis) * angle
    }
}

/// A rigid transform: rotation then translation (`p ↦ R p + t`).
public struct Pose: Sendable, Equatable {
    /// Orientation and position of the frame in its parent.
    public var rotation: Mat3
    public var translation: Vec3

    public init(rotation: Mat3 = .identity, translation: Vec3 = .zero) {
        self.rotation = rotation; self.translation = translation
    }

    /// The identity transform.
    public static let identity = Pose()

    /// A pure translation.
    public static func at(_ x: Float, _ y: Float, _ z: Float) -> Pose { Pose(translation: Vec3(x, y, z)) }

    /// A top-down tool pose: the tool z axis points down (−z world) and the tool x axis
    /// has heading `yaw` in the table plane. Experts command poses of this form.
    public static func topDown(at p: Vec3, yaw: Float) -> Pose {
        Pose(rotation: Mat3.rotZ(yaw) * Mat3.rotX(.pi), translation: p)
    }

    /// Composition: `(a * b).apply(p) == a.apply(b.apply(p))`.
    public static func * (a: Pose, b: Pose) -> Pose {
        Pose(rotation: a.rotation * b.rotation, translation: a.rotation * b.translation + a.translation)
    }

    /// Maps a point from this pose's frame to the parent frame.
    public func apply(_ p: Vec3) -> Vec3 { rotation * p + translation }

    /// The inverse transform.
    public var inverse: Pose {
        let rt = rotation.transposed
        return Pose(rotation: rt, translation: -(rt * translation))
    }

    /// Heading of the frame's x axis in the table plane (radians).
    public var yaw: Float { atan2f(rotation.c0.y, rotation.c0.x) }
}
