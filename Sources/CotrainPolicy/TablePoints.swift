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
        let f = SIMD3(target) - SIMD3(position)
        func length(_ v: SIMD3<Float>) -> Float { ((v * v).sum()).squareRoot() }
        guard length(f) > 1e-4, length(TablePoints.cross(f, SIMD3(up))) > 1e-4 * length(f) else {
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
        let t = tool.startIndex
        let position = SIMD3(tool[t], tool[t + 1], tool[t + 2])
        let norm = (tool[t + 3] * tool[t + 3] + tool[t + 4] * tool[t + 4]).squareRoot()
        let (s, c) = norm > 1e-6 ? (tool[t + 3] / norm, tool[t + 4] / norm) : (0, 1)
        // The wrist camera's calibration is in the tool's yaw frame: turn it by the yaw.
        func turned(_ v: [Float]) -> SIMD3<Float> { SIMD3(c * v[0] - s * v[1], s * v[0] + c * v[1], v[2]) }
        for (k, camera) in ([main] + (wrist.map { [$0] } ?? [])).enumerated() {
            let onTool = k == 1
            let eye = onTool ? position + turned(camera.position) : SIMD3(camera.position)
            let look = onTool ? position + turned(camera.target) : SIMD3(camera.target)
            let forward = Self.normalized(look - eye)
            let right = Self.normalized(Self.cross(forward, onTool ? turned(camera.up) : SIMD3(camera.up)))
            let up = Self.cross(right, forward)
            let spread = tanf(camera.fieldOfView * .pi / 360)
            for j in 0..<pointers {
                let p = (k * pointers + j) * 2
                let ray = forward + right * (points[p] * spread) - up * (points[p + 1] * spread)
                var offset = SIMD2<Float>(repeating: Self.limit)
                let distance = ray.z < -1e-4 ? (planeHeight - eye.z) / ray.z : -1
                if distance > 0 {
                    let hit = eye + ray * distance
                    offset = SIMD2(hit.x - position.x, hit.y - position.y)
                } else if SIMD2(ray.x, ray.y) != .zero {
                    // Above the horizon: far, in the direction the ray points.
                    offset = Self.normalized(SIMD2(ray.x, ray.y)) * Self.limit
                }
                let clamped = offset.clamped(lowerBound: .init(repeating: -Self.limit), upperBound: .init(repeating: Self.limit))
                (out[p], out[p + 1]) = (clamped.x / Self.unit, clamped.y / Self.unit)
            }
        }
    }

    // The few vector operations the lifting needs (CotrainPolicy does not see the
    // simulator's geometry helpers).
    static func cross(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> SIMD3<Float> {
        SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
    }
    static func normalized<V: SIMD>(_ v: V) -> V where V.Scalar == Float {
        v * (1 / max(((v * v).sum()).squareRoot(), 1e-12))
    }
}
