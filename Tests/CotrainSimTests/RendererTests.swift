import Testing
@testable import CotrainSim

@Suite struct RendererTests {
    func pixel(_ image: [UInt8], _ width: Int, _ x: Float, _ y: Float) -> SIMD3<Int> {
        let i = (Int(y) * width + Int(x)) * 3
        return SIMD3(Int(image[i]), Int(image[i + 1]), Int(image[i + 2]))
    }

    /// A red cube shows up red exactly where its centre projects.
    @Test(arguments: [(64, 64), (96, 72)])
    func redCubeAppearsAtItsProjection(_ size: (Int, Int)) throws {
        let (w, h) = size
        let settings = RenderSettings.nominal(width: w, height: h)
        var renderer = Renderer(width: w, height: h)
        var image: [UInt8] = []
        let e = Embodiment.gantry
        // Park the gantry out of view of the cube.
        let robot = RobotPose(q: JointVector(0.2, 0.35, 0.4, 0, 0, 0, 0, 0), tool: e.chain.forward(JointVector(0.2, 0.35, 0.4, 0, 0, 0, 0, 0)), opening: 1)
        for (x, y) in [(0.45, 0.0), (0.38, -0.15), (0.58, 0.12)] as [(Float, Float)] {
            var c = cube(.red, at: x, y)
            c.halfWidth = 0.03; c.height = 0.06
            renderer.render(world: world([c]), robot: robot, embodiment: e, settings: settings, into: &image)
            #expect(image.count == w * h * 3)
            let p = try #require(settings.camera.project(Vec3(x, y, 0.03)))
            let rgb = pixel(image, w, p.x, p.y)
            #expect(rgb.x > 120 && rgb.x > 3 * rgb.y && rgb.x > 3 * rgb.z, "pixel \(rgb) at \(p)")
            // Far from the cube there is no red.
            let away = try #require(settings.camera.project(Vec3(x, y > 0 ? y - 0.15 : y + 0.15, 0)))
            let other = pixel(image, w, away.x, away.y)
            #expect(!(other.x > 3 * other.y && other.x > 120))
        }
    }

    @Test func shiftsChangeTheImageButNotTheScene() {
        var env = SimEnvironment(embodiment: .panda)
        let nominal = env.reset(task: TaskSpec(.pick), seed: 3)
        let again = env.reset(task: TaskSpec(.pick), seed: 3)
        #expect(nominal.image == again.image)
        for shift in [DistributionShift.lighting, .camera, .appearance, .distractors] {
            let shifted = env.reset(task: TaskSpec(.pick), seed: 3, shifts: shift)
            let changed = zip(nominal.image, shifted.image).filter { abs(Int($0) - Int($1)) > 8 }.count
            #expect(changed > 100, "\(shift) changed only \(changed) bytes")
            #expect(shifted.instruction == nominal.instruction)
        }
        // Lighting alone: the table gets brighter or darker, pixel for pixel.
        var bright = DistributionShift()
        bright.lightIntensity = 1.6...1.6
        let lit = env.reset(task: TaskSpec(.pick), seed: 3, shifts: bright)
        let sum = { (img: [UInt8]) in img.reduce(0) { $0 + Int($1) } }
        #expect(sum(lit.image) > sum(nominal.image) + 64 * 64)
    }

    @Test func meshesAreClosedAndWoundOutward() {
        for mesh in [Mesh.cube, Mesh.cylinder, Mesh.bowl] {
            var volume: Float = 0
            var edges: [Int: Int] = [:]
            for t in 0..<mesh.triangleCount {
                let i = (0..<3).map { Int(mesh.indices[3 * t + $0]) }
                let a = mesh.vertices[i[0]], b = mesh.vertices[i[1]], c = mesh.vertices[i[2]]
                volume += dot(a, cross(b, c)) / 6
                for k in 0..<3 { edges[i[k] * 1000 + i[(k + 1) % 3], default: 0] += 1 }
            }
            #expect(volume > 0)
            // Closed and consistently wound: every directed edge has exactly one reverse twin.
            #expect(edges.allSatisfy { edge, count in count == 1 && edges[(edge % 1000) * 1000 + edge / 1000] == 1 })
        }
    }

    @Test func wristCameraAndRobotAreRendered() {
        for kind in EmbodimentKind.allCases {
            var env = SimEnvironment(embodiment: .make(kind), config: SimConfig(wristCamera: true))
            let obs = env.reset(task: TaskSpec(.stack), seed: 2)
            let wrist = obs.wristImage ?? []
            #expect(wrist.count == 64 * 64 * 3)
            #expect(Set(wrist).count > 8, "\(kind) wrist image is flat")
            // Moving the robot changes the third-person image.
            var action = [Float](repeating: 0, count: env.embodiment.action.dimension)
            for k in 0..<env.embodiment.dof { action[k] = env.embodiment.action.upper[k] * 0.8 }
            var moved = obs
            for _ in 0..<3 { moved = env.step(action).0 }
            #expect(moved.image != obs.image, "\(kind) robot motion is invisible")
        }
    }
}
