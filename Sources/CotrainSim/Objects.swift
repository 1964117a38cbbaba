// CotrainSim/Objects.swift: rigid tabletop objects and their simple geometry.
//
// Objects never tilt: a pose is a bottom-centre position plus a yaw. Contact and support
// use a conservative circular footprint, which is what makes "no interpenetration"
// cheap to guarantee and to test.

/// The shape of a tabletop object.
public enum ObjectShape: String, CaseIterable, Sendable, Codable {
    case cube, cylinder, bowl

    /// The noun used in instructions.
    public var word: String { rawValue }

    /// Bowls are containers: grippers cannot pick them, other objects go inside them.
    public var isGraspable: Bool { self != .bowl }
}

/// One rigid object on the table.
public struct SimObject: Sendable, Equatable {
    /// Shape and colour, as instructions name them.
    public var shape: ObjectShape
    public var colour: SimColour
    /// Half the side (cube) or the radius (cylinder, bowl), in metres.
    public var halfWidth: Float
    /// Height in metres.
    public var height: Float
    /// Bottom-centre position in world coordinates.
    public var position: Vec3
    /// Heading about the world z axis.
    public var yaw: Float
    /// Index of the object this one rests on; nil when it rests on the table or is held.
    public var support: Int?
    /// Rendered only as clutter: never named by an instruction.
    public var isDistractor: Bool

    public init(
        shape: ObjectShape, colour: SimColour, halfWidth: Float, height: Float,
        position: Vec3 = .zero, yaw: Float = 0, isDistractor: Bool = false
    ) {
        self.shape = shape; self.colour = colour; self.halfWidth = halfWidth; self.height = height
        self.position = position; self.yaw = yaw; self.support = nil; self.isDistractor = isDistractor
    }

    /// The phrase instructions use for this object ("the red cube" without "the").
    public var name: String { "\(colour.word) \(shape.word)" }

    /// Radius of a circle that contains the footprint at any yaw.
    public var footprintRadius: Float { shape == .cube ? halfWidth * 1.4143 : halfWidth }

    /// Top surface height.
    public var top: Float { position.z + height }

    /// Wall thickness of a bowl; the floor has the same thickness.
    public static let bowlWall: Float = 0.008

    /// The radius inside a bowl's wall.
    public var innerRadius: Float { shape == .bowl ? halfWidth - Self.bowlWall : 0 }

    /// Height a dropped object rests at when it lands inside this bowl.
    public var floorHeight: Float { position.z + Self.bowlWall }

    /// Yaw symmetry of the footprint as seen by a parallel gripper: a cube looks the same
    /// every quarter turn, a cylinder at every angle (reported as 0).
    public var graspSymmetry: Float {
        switch shape {
        case .cube: .pi / 2
        case .cylinder, .bowl: 0
        }
    }

    /// Width the gripper closes on (the cube side or the cylinder diameter).
    public var graspWidth: Float { 2 * halfWidth }

    /// Standard sizes; scenes scale them by a small random factor.
    public static func standard(_ shape: ObjectShape, colour: SimColour, scale: Float = 1) -> SimObject {
        switch shape {
        case .cube: SimObject(shape: .cube, colour: colour, halfWidth: 0.02 * scale, height: 0.04 * scale)
        case .cylinder: SimObject(shape: .cylinder, colour: colour, halfWidth: 0.019 * scale, height: 0.05 * scale)
        case .bowl: SimObject(shape: .bowl, colour: colour, halfWidth: 0.08 * scale, height: 0.045)
        }
    }
}
