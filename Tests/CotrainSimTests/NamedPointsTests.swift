import Testing
@testable import CotrainSim

/// `namedPoints()`: the labels a policy's pointers are trained on must land on the
/// named objects in the rendered images.
@Suite struct NamedPointsTests {
    /// The pixel at a label (x, y in [−1, 1]) is closer in colour to `colour` than to the
    /// table's grey.
    static func pixelLooksLike(_ image: [UInt8], x: Float, y: Float, colour: SimColour, side: Int = 64) -> Bool {
        let (px, py) = (Int((x + 1) / 2 * Float(side)), Int((y + 1) / 2 * Float(side)))
        let i = (py * side + px) * 3
        let rgb = (Float(image[i]), Float(image[i + 1]), Float(image[i + 2]))
        let want = colour.rgb
        // Dominant channel of the object's albedo is the dominant channel of the pixel.
        let channels = [rgb.0, rgb.1, rgb.2], albedo = [want.x, want.y, want.z]
        return channels.firstIndex(of: channels.max()!) == albedo.firstIndex(of: albedo.max()!)
            && channels.max()! - channels.min()! > 40
    }

    @Test("at the start of pick and place episodes, the object and destination labels land on their colours in both cameras")
    func labelsLandOnTheObjects() {
        var env = SimEnvironment(embodiment: .ur5e, config: SimConfig(wristCamera: true))
        var (checked, hits) = (0, 0)
        for family in [TaskFamily.pick, .place] {
            for seed in UInt64(0)..<30 {
                let obs = env.reset(task: TaskSpec(family), seed: seed)
                let points = env.namedPoints()
                #expect(points.count == 2 * SimEnvironment.pointSlots * 3)
                let named = env.namedObjects()
                for slot in 0..<SimEnvironment.pointSlots {
                    let main = Array(points[(slot * 3)..<(slot * 3 + 3)])
                    guard let i = named[slot] else {
                        #expect(main == [0, 0, 0] && points[6 + slot * 3 + 2] == 0, "an unused slot is all zero")
                        continue
                    }
                    #expect(main[2] == 1, "the third-person camera sees the named objects at the start")
                    checked += 1
                    if Self.pixelLooksLike(obs.image, x: main[0], y: main[1], colour: env.world.objects[i].colour) { hits += 1 }
                    let wrist = Array(points[(6 + slot * 3)..<(6 + slot * 3 + 3)])
                    #expect(wrist[2] == 0 || (abs(wrist[0]) <= 1 && abs(wrist[1]) <= 1))
                }
            }
        }
        // A few labels may sit under the arm, which is drawn over the object.
        #expect(Double(hits) >= 0.9 * Double(checked), "\(hits) of \(checked) labels on their object's colour")
    }

    @Test("recorded episodes carry one label row per step")
    func episodesRecordLabels() {
        var env = SimEnvironment(embodiment: .ur5e, config: SimConfig(wristCamera: true))
        let episode = ScriptedExpert.record(env: &env, task: TaskSpec(.place), seed: 4)
        #expect(episode.points.count == episode.steps * 2 * SimEnvironment.pointSlots * 3)
        var blind = SimEnvironment(embodiment: .ur5e, config: SimConfig(renderImages: false))
        #expect(ScriptedExpert.record(env: &blind, task: TaskSpec(.pick), seed: 4).points.isEmpty)
    }
}
