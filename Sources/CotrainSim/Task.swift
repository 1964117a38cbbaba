// CotrainSim/Task.swift: task families, configurable concepts, and sampled task instances.

/// A family of tabletop tasks; an episode samples one instance of a family.
public enum TaskFamily: String, CaseIterable, Sendable, Codable {
    /// Lift a named object off the table.
    case pick
    /// Put a named object into a named bowl.
    case place
    /// Push a named object to the left or right side of the table without lifting it.
    case push
    /// Put a named object on top of another.
    case stack
    /// Long horizon: put every object of one colour into a bowl.
    case putAllOfColour = "put_all_of_colour"
    /// Long horizon: put every object into the bowl of its own colour.
    case sortByColour = "sort_by_colour"

    /// Episode step budget at 10 Hz; experts finish well inside it.
    public var maxSteps: Int {
        switch self {
        case .pick, .push: 60
        case .place, .stack: 90
        case .putAllOfColour, .sortByColour: 240
        }
    }

    /// Whether the family chains several pick-and-place sub-tasks (scored by milestones).
    public var isLongHorizon: Bool { self == .putAllOfColour || self == .sortByColour }
}

/// Which instruction templates to draw from.
public enum PhrasingSet: String, Sendable, Codable {
    /// The templates robot data is generated with.
    case nominal
    /// Paraphrases never used for training data, to test language following.
    case heldOut
}

/// Which concepts a scene may contain. Suites hold concepts out of robot data by
/// narrowing this (e.g. colours that only vision-language data shows).
public struct SceneConfig: Sendable, Codable, Equatable {
    /// Colours named objects and bowls may have.
    public var colours: [SimColour]
    /// Shapes of graspable objects (cube, cylinder).
    public var shapes: [ObjectShape]
    /// Number of unnamed clutter objects in a nominal scene.
    public var distractors: ClosedRange<Int>
    /// Relative size variation of objects (0.1 = ±10 %).
    public var sizeJitter: Float

    public init(
        colours: [SimColour] = [.red, .green, .blue, .yellow], shapes: [ObjectShape] = [.cube, .cylinder],
        distractors: ClosedRange<Int> = 0...1, sizeJitter: Float = 0.1
    ) {
        self.colours = colours; self.shapes = shapes.filter(\.isGraspable)
        self.distractors = distractors; self.sizeJitter = sizeJitter
    }

    /// The default concepts: four colours, cubes and cylinders, up to one distractor.
    public static let standard = SceneConfig()
}

/// A task family with the concepts and phrasing its instances are drawn from.
public struct TaskSpec: Sendable, Codable, Equatable {
    /// The family, the concepts scenes may contain, and the template set.
    public var family: TaskFamily
    public var scene: SceneConfig
    public var phrasing: PhrasingSet

    public init(_ family: TaskFamily, scene: SceneConfig = .standard, phrasing: PhrasingSet = .nominal) {
        self.family = family; self.scene = scene; self.phrasing = phrasing
    }
}

/// Which side of the table a push task targets (left is +y, seen from the robot).
public enum PushSide: String, Sendable, Codable {
    case left, right
    /// +1 for left, −1 for right.
    public var sign: Float { self == .left ? 1 : -1 }
}

/// What a sampled task asks for, in terms of object indices in the world.
public enum TaskGoal: Sendable, Equatable {
    case pick(object: Int)
    case place(object: Int, bowl: Int)
    case push(object: Int, side: PushSide, startY: Float)
    case stack(object: Int, onto: Int)
    /// `objects[k]` must end up in `bowls[k]` (put-all-of-colour and sort-by-colour).
    case containAll(objects: [Int], bowls: [Int])
}

/// One sampled task: instruction, goal and the milestones used for completion scores.
public struct TaskInstance: Sendable, Equatable {
    /// The family, the instruction given to the policy, and the goal it encodes.
    public var family: TaskFamily
    public var instruction: String
    public var goal: TaskGoal
    /// Short descriptions of the milestones, in the order they are normally reached.
    public var milestones: [String]
}

/// Why a task spec cannot produce valid scenes.
public struct TaskSpecError: Error, Equatable, CustomStringConvertible {
    public var family: TaskFamily
    /// What is wrong and how to fix it.
    public var reason: String
    public var description: String { "task spec \(family.rawValue): \(reason)" }
}

extension TaskSpec {
    /// Checks that scenes can be sampled (call when loading suites from files; sampling
    /// an invalid spec is a programming error and traps).
    public func validate() throws(TaskSpecError) {
        func fail(_ reason: String) -> TaskSpecError { TaskSpecError(family: family, reason: reason) }
        if scene.colours.isEmpty { throw fail("the scene config lists no colours; add at least one") }
        if scene.shapes.isEmpty { throw fail("the scene config lists no graspable shapes; add cube or cylinder") }
        if family == .sortByColour && Set(scene.colours).count < 2 {
            throw fail("sorting by colour needs at least two colours in the scene config")
        }
        if family == .stack && Set(scene.colours).count * Set(scene.shapes).count < 2 {
            throw fail("stacking needs two distinguishable objects: add a colour or a shape")
        }
        if scene.distractors.upperBound > 4 { throw fail("at most 4 distractors fit the table (got \(scene.distractors.upperBound))") }
        if !(0...0.3).contains(scene.sizeJitter) { throw fail("size jitter must be within 0...0.3 (got \(scene.sizeJitter))") }
    }
}
