// Table points: the pointers' image points lifted onto the table through the cameras'
// calibration, as offsets from the tool in metres (docs/model.md, "Table points").
//
// A pointer says where the named object is in an image; an action says how far to move
// the tool in metres. Between the two lie the camera's projection and the tool's own
// position, which a few hundred demonstrations teach only roughly: the policies arrived
// a centimetre or two beside the object and at the bowl's rim. The calibration is known
// (a lab measures its cameras once), so the model computes the map instead of learning
// it: the ray through each point meets the plane z = `planeHeight`, and the action
// tokens read where it meets it relative to the tool, in the frame the tool's actions
// use. The wrist camera rides on the tool, so its rays are placed by the tool pose in
// the proprioception: close to the object they give the last centimetres.

import Foundation

/// A pinhole camera as the model knows it: eye, look-at point, up direction and
/// vertical field of view, for square images.
public struct CameraCalibration: Codable, Sendable, Equatable {
    /// Eye position, look-at point and approximate up direction, `[x, y, z]` each.
    public var position: [Float]
    public var target: [Float]
    public var up: [Float]
    /// Vertical field of view in degrees.
    public var fieldOfView: Float

    /// A camera at `position` looking at `target`.
    public init(position: [Float], target: [Float], up: [Float], fieldOfView: Float) {
        (self.position, self.target, self.up, self.fieldOfView) = (position, target, up, fieldOfView)
    }

    func validate(_ name: String) throws(PolicyError) {
        for (field, v) in [("position", position), ("target", target), ("up", up)] where v.count != 3 || !v.allSatisfy(\.isFinite) {
            throw .invalidConfig("tablePoints.\(name).\(field) must be three finite numbers, got \(v)")
        }
        guard fieldOfView.isFinite, fieldOfView > 1, fieldOfView < 179 else {
            throw .invalidConfig("tablePoints.\(name).fieldOfView must be within 1…179 degrees, got \(fieldOfView)")
        }
        let f = TableVector(target) - TableVector(position)
        guard f.length > 1e-4, TableVector.cross(f, TableVector(up)).length > 1e-4 * f.length else {
            throw .invalidConfig("tablePoints.\(name): the camera needs a viewing direction not parallel to its up direction")
        }
    }
}

/// The calibration that lifts the pointers' points onto the table
/// (`PolicyConfig.tablePoints`).
public struct TablePoints: Codable, Sendable, Equatable {
    /// The main camera in the robot's world frame (the frame of the tool pose in the
    /// proprioception).
    public var main: CameraCalibration
    /// The wrist camera relative to the tool: in the frame at the tool's position turned
    /// by the tool's yaw (the tool points down). nil: the model has no wrist camera.
    public var wrist: CameraCalibration?
    /// Height (m) of the plane the points are lifted onto: the objects' centres.
    public var planeHeight: Float

    /// A calibration.
    public init(main: CameraCalibration, wrist: CameraCalibration?, planeHeight: Float) {
        (self.main, self.wrist, self.planeHeight) = (main, wrist, planeHeight)
    }

    /// Values per offset: x, y.
    static let offsetWidth = 2
    /// Offsets are given in units of this many metres (a decimetre: unit scale for a
    /// linear layer across the workspace).
    public static let unit: Float = 0.1
    /// Offsets are clamped to this many metres: a ray that meets the plane far away (or
    /// not at all) says only "far".
    public static let limit: Float = 0.5

    func validate(cameras: Int) throws(PolicyError) {
        try main.validate("main")
        if let wrist { try wrist.validate("wrist") }
        guard (wrist != nil) == (cameras == 2) else {
            throw .invalidConfig("tablePoints must calibrate \(cameras == 2 ? "the wrist camera as well" : "only the main camera")")
        }
        guard planeHeight.isFinite, abs(planeHeight) <= 1 else {
            throw .invalidConfig("tablePoints.planeHeight must be within ±1 m, got \(planeHeight)")
        }
    }

    /// The offsets of every point of one sample from the tool, in `unit`s: per camera
    /// (main, then wrist) and pointer, (x, y) of where the ray through the point meets
    /// the plane, minus the tool's x, y. `points` holds (x, y) in [−1, 1] per camera and
    /// pointer (as the pointers give them); `tool` is (x, y, z, sin yaw, cos yaw).
    public func offsets(points: UnsafeBufferPointer<Float>, pointers: Int, tool: ArraySlice<Float>, into out: UnsafeMutableBufferPointer<Float>) {
        let t = Array(tool)
        let position = TableVector(t[0], t[1], t[2])
        let norm = (t[3] * t[3] + t[4] * t[4]).squareRoot()
        let (s, c) = norm > 1e-6 ? (t[3] / norm, t[4] / norm) : (0, 1)
        let cameras = [main] + (wrist.map { [$0] } ?? [])
        for (k, camera) in cameras.enumerated() {
            // The wrist camera's calibration is in the tool's yaw frame: turn and place it.
            let place: (TableVector) -> TableVector = k == 0 ? { $0 } : { $0.turned(sin: s, cos: c) }
            let eye = k == 0 ? TableVector(camera.position) : position + place(TableVector(camera.position))
            let look = k == 0 ? TableVector(camera.target) : position + place(TableVector(camera.target))
            let forward = (look - eye).normalized
            let right = TableVector.cross(forward, place(TableVector(camera.up))).normalized
            let up = TableVector.cross(right, forward)
            let spread = tanf(camera.fieldOfView * .pi / 360)
            for j in 0..<pointers {
                let p = (k * pointers + j) * 2
                let ray = forward + right * (points[p] * spread) - up * (points[p + 1] * spread)
                var dx = Self.limit, dy = Self.limit
                let distance = ray.z < -1e-4 ? (planeHeight - eye.z) / ray.z : -1
                if distance > 0 {
                    let hit = eye + ray * distance
                    (dx, dy) = (hit.x - position.x, hit.y - position.y)
                } else {
                    // Above the horizon: far, in the direction the ray points.
                    let flat = (ray.x * ray.x + ray.y * ray.y).squareRoot()
                    if flat > 1e-6 { (dx, dy) = (ray.x / flat * Self.limit, ray.y / flat * Self.limit) }
                }
                out[p] = min(max(dx, -Self.limit), Self.limit) / Self.unit
                out[p + 1] = min(max(dy, -Self.limit), Self.limit) / Self.unit
            }
        }
    }
}

/// The few vector operations the lifting needs (CotrainPolicy does not see the
/// simulator's `Vec3`).
struct TableVector {
    var x: Float, y: Float, z: Float
    init(_ x: Float, _ y: Float, _ z: Float) { (self.x, self.y, self.z) = (x, y, z) }
    init(_ v: [Float]) { (x, y, z) = (v[0], v[1], v[2]) }
    static func + (a: Self, b: Self) -> Self { Self(a.x + b.x, a.y + b.y, a.z + b.z) }
    static func - (a: Self, b: Self) -> Self { Self(a.x - b.x, a.y - b.y, a.z - b.z) }
    static func * (a: Self, s: Float) -> Self { Self(a.x * s, a.y * s, a.z * s) }
    static func cross(_ a: Self, _ b: Self) -> Self { Self(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x) }
    var length: Float { (x * x + y * y + z * z).squareRoot() }
    var normalized: Self { self * (1 / max(length, 1e-12)) }
    /// Turned about the vertical axis by the angle with this sine and cosine.
    func turned(sin s: Float, cos c: Float) -> Self { Self(c * x - s * y, s * x + c * y, z) }
}
