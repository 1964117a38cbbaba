// CotrainSim/Renderer+Scene.swift: turning the table, objects and robot into draw items.

/// The robot state the renderer needs.
public struct RobotPose: Sendable, Equatable {
    /// Joint configuration and the tool pose it gives.
    public var q: JointVector
    public var tool: Pose
    /// Gripper opening fraction in [0, 1] (suction: 1 when on).
    public var opening: Float

    public init(q: JointVector, tool: Pose, opening: Float) {
        self.q = q; self.tool = tool; self.opening = opening
    }
}

extension Renderer {
    /// Renders the scene through `camera` (the third-person camera of `settings` unless
    /// given) into `image`, resizing it to `imageByteCount` if needed.
    public mutating func render(
        world: World, robot: RobotPose, embodiment: Embodiment, settings: RenderSettings,
        camera: Camera? = nil, into image: inout [UInt8]
    ) {
        items.removeAll(keepingCapacity: true)
        let ws = world.workspace
        // Table: a slab whose top face is z = 0.
        let tx = ws.tableX, ty = ws.tableY
        addBox(
            center: Vec3((tx.lowerBound + tx.upperBound) / 2 - 0.1, (ty.lowerBound + ty.upperBound) / 2, -0.02),
            axes: Mat3(Vec3(tx.upperBound - tx.lowerBound + 0.3, 0, 0), Vec3(0, ty.upperBound - ty.lowerBound, 0), Vec3(0, 0, 0.04)),
            albedo: settings.tableColour)
        for (i, o) in world.objects.enumerated() {
            var albedo = o.colour.rgb
            if i < settings.objectTint.count { albedo += settings.objectTint[i] }
            let rot = Mat3.rotZ(o.yaw)
            switch o.shape {
            case .cube:
                let s = 2 * o.halfWidth
                items.append(DrawItem(
                    shape: .cube, linear: rot * Mat3(Vec3(s, 0, 0), Vec3(0, s, 0), Vec3(0, 0, o.height)),
                    offset: o.position + Vec3(0, 0, o.height / 2), albedo: albedo, textured: settings.textured))
            case .cylinder, .bowl:
                let r = o.halfWidth
                items.append(DrawItem(
                    shape: o.shape == .bowl ? .bowl : .cylinder,
                    linear: rot * Mat3(Vec3(r, 0, 0), Vec3(0, r, 0), Vec3(0, 0, o.height)),
                    offset: o.position, albedo: albedo, textured: settings.textured && o.shape != .bowl))
            }
        }
        addRobot(robot, embodiment)
        rasterizeItems(settings: settings, camera: camera ?? settings.camera, into: &image)
    }

    /// A box centred at `center` whose columns of `axes` are its full edge vectors.
    mutating func addBox(center: Vec3, axes: Mat3, albedo: Vec3) {
        items.append(DrawItem(shape: .cube, linear: axes, offset: center, albedo: albedo, textured: false))
    }

    /// A square beam of half-thickness `r` from `a` to `b`.
    mutating func addBeam(_ a: Vec3, _ b: Vec3, radius r: Float, albedo: Vec3) {
        let d = b - a
        let len = length(d)
        guard len > 0.005 else { return }
        let u = d / len
        let helper = abs(u.z) < 0.9 ? Vec3(0, 0, 1) : Vec3(1, 0, 0)
        let v = normalized(cross(u, helper)), w = cross(u, v)
        addBox(center: (a + b) * 0.5, axes: Mat3(u * len, v * (2 * r), w * (2 * r)), albedo: albedo)
    }

    /// Links along the kinematic chain (or the gantry frame / forearm), then the end effector.
    mutating func addRobot(_ robot: RobotPose, _ e: Embodiment) {
        let tool = robot.tool
        let axis = tool.rotation.c2, fingerAxis = tool.rotation.c1
        let palm = tool.translation - axis * 0.065
        let colour = e.linkColour
        switch e.kind {
        case .gantry:
            let bridgeZ: Float = 0.72
            addBeam(Vec3(robot.q[0], -0.5, bridgeZ), Vec3(robot.q[0], 0.5, bridgeZ), radius: 0.025, albedo: colour)
            addBeam(Vec3(robot.q[0], robot.q[1], bridgeZ), palm, radius: 0.018, albedo: colour)
        case .hand:
            addBeam(palm - axis * 0.02, palm - axis * 0.3 + Vec3(0.12, 0, 0), radius: 0.03, albedo: Vec3(0.25, 0.35, 0.6))
        default:
            e.chain.jointOrigins(robot.q, into: &points)
            // The chain ends at the tool centre point; stop the links at the palm so they do not
            // run between the fingers (the SCARA's last joint origin is the tip itself).
            for k in max(0, points.count - 2)..<points.count where dot(points[k] - palm, axis) > 0 { points[k] = palm }
            var previous = e.chain.base.translation
            for k in points.indices {
                addBeam(previous, points[k], radius: e.linkRadius, albedo: colour)
                previous = points[k]
            }
        }
        let dark = Vec3(0.15, 0.15, 0.17)
        switch e.gripper {
        case .parallel, .hand:
            let skin = e.gripper == .hand
            let width = e.maxOpening * robot.opening / 2 + 0.007
            let bodyColour = skin ? e.linkColour : dark
            addBox(
                center: palm, axes: Mat3(tool.rotation.c0 * (skin ? 0.05 : 0.025), fingerAxis * (e.maxOpening + 0.03), axis * 0.03),
                albedo: bodyColour)
            for side: Float in [-1, 1] {
                addBox(
                    center: tool.translation + fingerAxis * (side * width) - axis * 0.025,
                    axes: Mat3(tool.rotation.c0 * (skin ? 0.06 : 0.018), fingerAxis * 0.012, axis * 0.05),
                    albedo: bodyColour)
            }
        case .suction:
            addBeam(palm, tool.translation, radius: 0.009, albedo: dark)
            addBox(
                center: tool.translation - axis * 0.006,
                axes: Mat3(tool.rotation.c0 * 0.026, fingerAxis * 0.026, axis * 0.012),
                albedo: robot.opening > 0.5 ? Vec3(0.2, 0.55, 0.25) : dark)
        }
    }
}
