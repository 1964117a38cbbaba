// Which concepts robot demonstrations show and which only vision-language data shows.
// The split is explicit, configurable and recorded in every VL manifest, so a study
// of "does VL co-training transfer concepts the robot never saw" names its concepts.
import CotrainCore
import CotrainSim

/// A spatial relation VL questions and referring expressions use. Relations are in
/// the robot's frame, as instructions are: left = +y (the image's right, since the
/// camera faces the robot), front = nearer the robot (smaller x, higher in the image).
public enum SpatialRelation: String, CaseIterable, Sendable {
    case left, right, front, behind
    /// "X is in the bowl".
    case inside = "in"
}

/// The concepts of a VL corpus and which of them the robot data contains.
public struct ConceptSplit: Sendable, Equatable {
    /// Colours and shapes VL scenes draw from (all of them appear in VL data).
    public var colours: [SimColour]
    public var shapes: [ObjectShape]
    /// The subset robot episodes show (`cotrain data collect --held-out-colours` must
    /// remove the others from robot scenes for the split to hold).
    public var robotColours: [SimColour]
    public var robotShapes: [ObjectShape]
    /// Relations asked about in VL data, and those robot tasks exercise (push left/right,
    /// place in a bowl).
    public var relations: [SpatialRelation]
    public var robotRelations: [SpatialRelation]
    /// Whether VL data asks counting questions (robot tasks never count).
    public var counting: Bool

    /// The default split: all ten colours in VL data, the four standard colours in
    /// robot data; all shapes in both; front/behind and counting only in VL data.
    public init(
        colours: [SimColour] = SimColour.allCases, shapes: [ObjectShape] = ObjectShape.allCases,
        robotColours: [SimColour] = SceneConfig.standard.colours, robotShapes: [ObjectShape] = ObjectShape.allCases,
        relations: [SpatialRelation] = SpatialRelation.allCases, robotRelations: [SpatialRelation] = [.left, .right, .inside],
        counting: Bool = true
    ) {
        self.colours = colours; self.shapes = shapes; self.robotColours = robotColours; self.robotShapes = robotShapes
        self.relations = relations; self.robotRelations = robotRelations; self.counting = counting
    }

    /// Colours, shapes and relations only VL data shows.
    public var heldOutColours: [SimColour] { colours.filter { !robotColours.contains($0) } }
    public var heldOutShapes: [ObjectShape] { shapes.filter { !robotShapes.contains($0) } }
    public var heldOutRelations: [SpatialRelation] { relations.filter { !robotRelations.contains($0) } }

    /// Concept names held out of robot data ("colour:purple", "relation:front", "counting").
    public var heldOutConcepts: [String] {
        heldOutColours.map { "colour:\($0.rawValue)" } + heldOutShapes.map { "shape:\($0.rawValue)" }
            + heldOutRelations.map { "relation:\($0.rawValue)" } + (counting ? ["counting"] : [])
    }

    /// Checks the split can generate scenes.
    public func validate() throws(DataError) {
        guard colours.count >= 2 else { throw .invalidArgument("--colours needs at least two colours") }
        guard shapes.contains(where: \.isGraspable) else { throw .invalidArgument("the VL shapes need at least one of cube, cylinder") }
    }

    /// The manifest's record of the split.
    public var json: JSONValue {
        .object([
            ("vl", .object([
                ("colours", .strings(colours.map(\.rawValue))), ("shapes", .strings(shapes.map(\.rawValue))),
                ("relations", .strings(relations.map(\.rawValue))), ("counting", .bool(counting)),
            ])),
            ("robot", .object([
                ("colours", .strings(robotColours.map(\.rawValue))), ("shapes", .strings(robotShapes.map(\.rawValue))),
                ("relations", .strings(robotRelations.map(\.rawValue))),
            ])),
            ("held_out", .strings(heldOutConcepts)),
        ])
    }
}
