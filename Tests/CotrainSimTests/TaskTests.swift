import Testing
@testable import CotrainSim

@Suite struct TaskTests {
    @Test func pickNeedsHoldingAndLifting() {
        var w = world([cube(.red, at: 0.4, 0)])
        let task = TaskInstance(family: .pick, instruction: "", goal: .pick(object: 0), milestones: [])
        #expect(!task.isSuccess(w))
        w.objects[0].position.z = 0.1
        #expect(!task.isSuccess(w))  // floating but not held does not count
        w.held = 0
        #expect(task.isSuccess(w))
        w.objects[0].position.z = 0.02
        #expect(!task.isSuccess(w))
    }

    @Test func placeStackAndContainPredicates() {
        var w = world([cube(.red, at: 0.4, 0), bowl(.blue, at: 0.55, 0.1), cube(.green, at: 0.4, 0.2)])
        let place = TaskInstance(family: .place, instruction: "", goal: .place(object: 0, bowl: 1), milestones: [])
        let stack = TaskInstance(family: .stack, instruction: "", goal: .stack(object: 2, onto: 0), milestones: [])
        let all = TaskInstance(
            family: .putAllOfColour, instruction: "", goal: .containAll(objects: [0, 2], bowls: [1, 1]), milestones: [])
        #expect(!place.isSuccess(w) && !stack.isSuccess(w) && !all.isSuccess(w))
        w.objects[2].position = Vec3(0.401, 0.001, 0.2)
        w.drop(2)
        #expect(stack.isSuccess(w))
        w.objects[0].position = Vec3(0.53, 0.1, 0.2)
        w.drop(0)
        w.settleAll()
        #expect(place.isSuccess(w))
        #expect(!stack.isSuccess(w))
        var states: [Bool] = []
        all.milestoneStates(w, into: &states)
        #expect(states == [true, false])
        w.objects[2].position = Vec3(0.575, 0.1, 0.3)
        w.drop(2)
        #expect(all.isSuccess(w))
        w.held = 2
        #expect(!all.isSuccess(w))  // holding it over the bowl is not "in"
    }

    @Test func pushNeedsTheObjectPastTheLineOnTheTable() {
        var w = world([cube(.red, at: 0.4, 0)])
        let task = TaskInstance(family: .push, instruction: "", goal: .push(object: 0, side: .left, startY: 0), milestones: [])
        w.objects[0].position.y = 0.15
        var states: [Bool] = []
        task.milestoneStates(w, into: &states)
        #expect(states == [true, true, false])
        w.objects[0].position.y = 0.21
        #expect(task.isSuccess(w))
        w.objects[0].position.y = -0.3
        #expect(!task.isSuccess(w))
    }

    @Test func templateSetsAreDisjointAndFilled() {
        var rng = SimRandom(seed: 1)
        for family in TaskFamily.allCases {
            let nominal = Set(InstructionTemplates.templates(family, .nominal))
            let heldOut = Set(InstructionTemplates.templates(family, .heldOut))
            #expect(nominal.isDisjoint(with: heldOut) && nominal.count >= 3 && heldOut.count >= 3)
            let text = InstructionTemplates.instruction(family, .heldOut, object: "red cube", base: "blue bowl", colour: "red", side: "left", rng: &rng)
            #expect(!text.contains("{") && heldOut.contains { matches(text, template: $0) })
        }
    }

    @Test(arguments: TaskFamily.allCases)
    func scenesRespectTheConfigAndNameTheirObjects(_ family: TaskFamily) {
        let config = SceneConfig(colours: [.orange, .purple], shapes: [.cylinder], distractors: 1...2)
        var env = SimEnvironment(embodiment: .gantry, config: SimConfig(renderImages: false))
        for seed in 0..<30 as Range<UInt64> {
            env.resetState(task: TaskSpec(family, scene: config, phrasing: .heldOut), seed: seed)
            let named = env.world.objects.filter { !$0.isDistractor }
            #expect(named.allSatisfy { [.orange, .purple].contains($0.colour) })
            #expect(named.allSatisfy { $0.shape == .cylinder || $0.shape == .bowl })
            #expect(env.world.interpenetratingPairs().isEmpty)
            #expect(!env.task.isSuccess(env.world), "\(family) seed \(seed) starts solved")
            let templates = InstructionTemplates.templates(family, .heldOut)
            #expect(templates.contains { matches(env.task.instruction, template: $0) }, "\(env.task.instruction)")
            if family != .sortByColour {
                #expect(env.task.instruction.contains("orange") || env.task.instruction.contains("purple"))
            }
        }
    }

    @Test func distractorShiftAddsClutterWithoutMovingTheNamedObjects() {
        var env = SimEnvironment(embodiment: .ur5e, config: SimConfig(renderImages: false))
        env.resetState(task: TaskSpec(.place), seed: 4)
        let nominal = env.world.objects
        env.resetState(task: TaskSpec(.place), seed: 4, shifts: .distractors)
        #expect(env.world.objects.count > nominal.count)
        #expect(Array(env.world.objects.prefix(2)) == Array(nominal.prefix(2)))
    }
}

/// Whether `text` is `template` with its placeholders filled.
func matches(_ text: String, template: String) -> Bool {
    let literal = template.split(separator: "{", omittingEmptySubsequences: false).map { part -> Substring in
        guard let close = part.firstIndex(of: "}") else { return part }
        return part[part.index(after: close)...]
    }
    var rest = Substring(text)
    for (k, piece) in literal.enumerated() where !piece.isEmpty {
        guard let r = rest.range(of: piece) else { return false }
        if k == 0 && r.lowerBound != rest.startIndex { return false }
        rest = rest[r.upperBound...]
    }
    return true
}

@Suite struct TaskSpecValidationTests {
    @Test func invalidSpecsAreRejectedWithAReason() throws {
        for family in TaskFamily.allCases { try TaskSpec(family).validate() }
        let oneColour = SceneConfig(colours: [.red], shapes: [.cube])
        #expect(throws: TaskSpecError.self) { try TaskSpec(.sortByColour, scene: oneColour).validate() }
        #expect(throws: TaskSpecError.self) { try TaskSpec(.stack, scene: oneColour).validate() }
        #expect(throws: TaskSpecError.self) { try TaskSpec(.pick, scene: SceneConfig(shapes: [.bowl])).validate() }
        do {
            try TaskSpec(.pick, scene: SceneConfig(colours: [])).validate()
            Issue.record("empty colours accepted")
        } catch {
            #expect(error.description.contains("no colours"))
        }
        try TaskSpec(.pick, scene: oneColour).validate()
    }
}
