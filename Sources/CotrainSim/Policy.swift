// CotrainSim/Policy.swift: what a policy sees and how it answers. The local runtime, the
// learned VLA policy and real-arm bridges all speak this interface.

/// What a policy observes at one control step.
public struct Observation: Sendable, Equatable {
    /// Third-person RGB8 image, `height × width × 3`, row-major, top row first.
    public var image: [UInt8]
    /// Optional wrist-camera image with the same layout.
    public var wristImage: [UInt8]?
    /// Image size in pixels (both images).
    public var imageWidth: Int
    public var imageHeight: Int
    /// Proprioception as defined by `Embodiment.proprioNames`.
    public var proprio: [Float]
    /// The task instruction in words.
    public var instruction: String
    /// Which robot is acting (selects the policy's embodiment stems).
    public var embodiment: EmbodimentKind
    /// The simulator's own labels of the named objects in its cameras
    /// (`SimEnvironment.namedPoints()`, computed once per observation): the pointer
    /// labels recorded with demonstrations, and the points of oracle experiments
    /// (`cotrain eval --oracle-points`); nil from a real robot, and never read by a
    /// policy otherwise.
    public var pointLabels: [Float]?

    public init(
        image: [UInt8], wristImage: [UInt8]? = nil, imageWidth: Int, imageHeight: Int, proprio: [Float],
        instruction: String, embodiment: EmbodimentKind
    ) {
        self.image = image; self.wristImage = wristImage; self.imageWidth = imageWidth; self.imageHeight = imageHeight
        self.proprio = proprio; self.instruction = instruction; self.embodiment = embodiment
    }
}

/// A closed-loop controller. `act` returns an action chunk: H actions of the
/// embodiment's action dimension, executed in order before the policy is asked again.
public protocol Policy {
    /// Called at the start of each episode.
    mutating func reset()
    /// The next action chunk (at least one action) for `observation`.
    mutating func act(_ observation: Observation) -> [[Float]]
}

/// The trivial policy: keeps the arm still and the gripper open. Used as a baseline and
/// to measure evaluation overhead.
public struct HoldStillPolicy: Policy {
    /// Action size and number of actions per chunk.
    public let actionDimension: Int
    public let chunk: Int

    public init(actionDimension: Int, chunk: Int = 1) {
        self.actionDimension = actionDimension; self.chunk = max(1, chunk)
    }

    public mutating func reset() {}

    public mutating func act(_ observation: Observation) -> [[Float]] {
        var a = [Float](repeating: 0, count: actionDimension)
        a[actionDimension - 1] = -1
        return [[Float]](repeating: a, count: chunk)
    }
}
