// Synthetic vision-language samples rendered from the simulator's tabletop: random
// objects drawn from a ConceptSplit's palette (including concepts robot data never
// shows), rendered without a robot, described in words (VLSceneGenerator+Language).
import CotrainSim
import Foundation

/// Renders VL samples; deterministic per seed.
public struct VLSceneGenerator: Sendable {
    /// The concepts scenes draw from.
    public let split: ConceptSplit
    /// Square image size (the policy's input size).
    public let imageSize: Int
    private var renderer: Renderer
    private var pixels: [UInt8] = []

    /// A generator; `split` should pass ``ConceptSplit/validate()``.
    public init(split: ConceptSplit, imageSize: Int) {
        self.split = split
        self.imageSize = imageSize
        renderer = Renderer(width: imageSize, height: imageSize)
    }

    /// The robot is moved far behind and above the camera's view: VL images show only
    /// the table and objects, as web images do not show the lab's robot.
    private static let hiddenRobot = RobotPose(q: .zero, tool: .at(-3, 0, 3), opening: 1)

    /// Sample with WebDataset key `key`, drawn from `seed` alone.
    public mutating func sample(key: String, seed: UInt64) -> VLSample {
        var rng = SimRandom(seed: seed, stream: 11)
        var world = World(objects: layOut(&rng))
        world.settleAll()
        var settings = RenderSettings.nominal(width: imageSize, height: imageSize)
        settings.lightIntensity *= rng.uniform(0.85, 1.15)
        settings.ambient = rng.uniform(0.3, 0.4)
        renderer.render(world: world, robot: Self.hiddenRobot, embodiment: .hand, settings: settings, into: &pixels)
        let image = RGBImage(width: imageSize, height: imageSize, pixels: pixels)
        let text = SceneDescription(world: world, split: split, camera: settings.camera, rng: &rng)
        return VLSample(
            key: key, image: image, caption: text.caption, kind: "scene", qa: text.qa,
            referring: text.referring, concepts: text.concepts)
    }

    /// 2–4 objects with distinct colour × shape, at most one bowl, placed without
    /// overlap in the spawn region; sometimes one graspable object sits in the bowl.
    private func layOut(_ rng: inout SimRandom) -> [SimObject] {
        let graspable = split.shapes.filter(\.isGraspable)
        let bowls = split.shapes.contains(.bowl)
        let count = 2 + rng.below(3)
        var objects: [SimObject] = []
        var used: Set<String> = []
        var haveBowl = false
        for _ in 0..<(count * 10) where objects.count < count {
            let shape: ObjectShape = bowls && !haveBowl && rng.chance(0.4) ? .bowl : rng.pick(graspable)
            let colour = rng.pick(split.colours)
            guard used.insert("\(colour)-\(shape)").inserted else { continue }
            var o = SimObject.standard(shape, colour: colour, scale: shape == .bowl ? 1 : rng.uniform(0.9, 1.1))
            o.yaw = shape == .cube ? rng.uniform(-.pi / 4, .pi / 4) : 0
            guard let p = freeSpot(for: o, among: objects, &rng) else { continue }
            o.position = p
            haveBowl = haveBowl || shape == .bowl
            objects.append(o)
        }
        // Put a graspable object into the bowl now and then ("which object is in the bowl?").
        if let b = objects.firstIndex(where: { $0.shape == .bowl }), rng.chance(0.5),
            let i = objects.indices.first(where: { objects[$0].shape != .bowl })
        {
            let angle = rng.uniform(0, 2 * .pi), r = rng.uniform(0, 0.02)
            objects[i].position = objects[b].position + Vec3(r * cosf(angle), r * sinf(angle), 0.1)
        }
        return objects
    }

    private func freeSpot(for o: SimObject, among placed: [SimObject], _ rng: inout SimRandom) -> Vec3? {
        for _ in 0..<100 {
            let p = Vec3(rng.uniform(0.33, 0.61), rng.uniform(-0.2, 0.2), 0)
            let clear = placed.allSatisfy { q in
                let dx = q.position.x - p.x, dy = q.position.y - p.y
                return (dx * dx + dy * dy).squareRoot() >= q.footprintRadius + o.footprintRadius + 0.02
            }
            if clear {
                return p
            }
        }
        return nil
    }
}
