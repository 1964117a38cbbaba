// Where the task's named objects appear in the cameras: privileged labels recorded with
// demonstrations, so a policy's pointers can be supervised (docs/model.md, "pointers").
import Foundation

extension SimEnvironment {
    /// Slots per camera: the object to move, then where it goes (bowl or base object).
    public static let pointSlots = 2

    /// The named objects of the current step, projected into each camera the
    /// environment renders (main, then wrist): per camera and slot `(x, y, visible)`,
    /// with x, y in [−1, 1] across the image (x right, y down, as the policy's
    /// coordinates) and visible 1 when the object's centre projects inside the image,
    /// else 0 (and x = y = 0). A slot the task does not use is 0, 0, 0.
    public func namedPoints() -> [Float] {
        var cameras = [renderSettings.camera]
        if config.wristCamera { cameras.append(config.wristView(tool)) }
        let named = namedObjects()
        var out: [Float] = []
        out.reserveCapacity(cameras.count * Self.pointSlots * 3)
        for camera in cameras {
            for slot in 0..<Self.pointSlots {
                guard slot < named.count, let i = named[slot], world.objects.indices.contains(i) else {
                    out += [0, 0, 0]
                    continue
                }
                let o = world.objects[i]
                let centre = o.position + Vec3(0, 0, o.height / 2)
                if let p = camera.project(centre), p.x >= 0, p.x < Float(camera.width), p.y >= 0, p.y < Float(camera.height) {
                    out += [p.x / Float(camera.width) * 2 - 1, p.y / Float(camera.height) * 2 - 1, 1]
                } else {
                    out += [0, 0, 0]
                }
            }
        }
        return out
    }

    /// Floats per step of `namedOrientation()`.
    public static let orientationWidth = 3

    /// How the object to move is turned against the fingers, as the wrist camera sees
    /// it: `(cos ψ, sin ψ, 1)` with ψ = 2π·φ/P, where φ is the tool's yaw relative to the
    /// object wrapped into its grasp symmetry P (a quarter turn for a cube), so every
    /// look-alike pose has one label and the label is continuous. `(0, 0, 0)` where it is
    /// undefined or unseen: no wrist camera, no parallel gripper, an object without a
    /// symmetry (a cylinder), or one whose centre is outside the wrist image. A policy's
    /// orientation head learns it (docs/model.md): about half of the cube grasps of
    /// policies without it were misaligned in yaw.
    public func namedOrientation() -> [Float] {
        guard config.wristCamera, embodiment.gripper == .parallel, let i = namedObjects().first ?? nil,
            world.objects.indices.contains(i)
        else { return [0, 0, 0] }
        let o = world.objects[i], period = o.graspSymmetry
        let camera = config.wristView(tool)
        guard period > 0, let p = camera.project(o.position + Vec3(0, 0, o.height / 2)),
            p.x >= 0, p.x < Float(camera.width), p.y >= 0, p.y < Float(camera.height)
        else { return [0, 0, 0] }
        let psi = 2 * .pi * wrapSymmetric(tool.yaw - o.yaw, period: period) / period
        return [cosf(psi), sinf(psi), 1]
    }

    /// The object to move now and its destination (indices into `world.objects`), by the
    /// task's goal; for multi-object goals, the first pair not yet done.
    public func namedObjects() -> [Int?] {
        switch task.goal {
        case .pick(let i): return [i, nil]
        case .push(let i, _, _): return [i, nil]
        case .place(let i, let bowl): return [i, bowl]
        case .stack(let i, let onto): return [i, onto]
        case .containAll(let objects, let bowls):
            let k = objects.indices.first { $0 < bowls.count && world.container(of: objects[$0]) != bowls[$0] } ?? 0
            return objects.isEmpty ? [nil, nil] : [objects[k], k < bowls.count ? bowls[k] : nil]
        }
    }
}
