// The words of a synthetic VL sample: a caption, question/answer pairs (colour, shape,
// left/right, front/behind, counting, "which object is in the bowl", pointing) and
// referring expressions, computed from the world state so every answer is true of the
// image.
import CotrainSim

/// Caption, questions and referring expressions for one scene.
struct SceneDescription {
    var caption = ""
    var qa: [QAPair] = []
    var referring: [ReferringExpression] = []
    var concepts: [String] = []

    /// Pairs closer than this (m) along an axis are not asked about on that axis.
    static let margin: Float = 0.04
    static let numbers = ["zero", "one", "two", "three", "four", "five"]

    /// Pointing answers name the cell of a `pointGrid` × `pointGrid` grid over the image.
    static let pointGrid = 16

    init(world: World, split: ConceptSplit, camera: Camera, rng: inout SimRandom) {
        let objects = world.objects
        let names = objects.map { "the \($0.name)" }
        var conceptSet: Set<String> = []
        for o in objects { conceptSet.insert("colour:\(o.colour.rawValue)"); conceptSet.insert("shape:\(o.shape.rawValue)") }
        let relations = Set(split.relations)
        func ask(_ q: String, _ a: String, _ type: String, _ concept: String? = nil) {
            qa.append(QAPair(question: q, answer: a, type: type))
            if let concept { conceptSet.insert(concept) }
        }
        // Contents of bowls.
        var contents: [Int: Int] = [:]
        for i in objects.indices { if let b = world.container(of: i) { contents[b] = i } }

        let phrases = objects.map { Self.withArticle($0.name) }
        caption = "a table with " + Self.list(phrases)
        if let (b, i) = contents.min(by: { $0.key < $1.key }) { caption += "; \(names[i]) is in \(names[b])" }
        caption += "."

        for shape in ObjectShape.allCases {
            let matching = objects.filter { $0.shape == shape }
            if matching.count == 1 { ask("what colour is the \(shape.word)?", matching[0].colour.word, "colour") }
        }
        for colour in SimColour.allCases {
            let matching = objects.filter { $0.colour == colour }
            if matching.count == 1 { ask("what shape is the \(colour.word) object?", matching[0].shape.word, "shape") }
        }
        // One pair per axis, chosen at random among pairs far enough apart.
        let pairs = objects.indices.flatMap { a in objects.indices.filter { $0 != a }.map { (a, $0) } }
        let lateral = pairs.filter { abs(objects[$0.0].position.y - objects[$0.1].position.y) > Self.margin }
        if relations.contains(.left) || relations.contains(.right), !lateral.isEmpty {
            let (a, b) = rng.pick(lateral)
            let side: SpatialRelation = objects[a].position.y > objects[b].position.y ? .left : .right
            if relations.contains(side) {
                ask("is \(names[a]) to the left or to the right of \(names[b])?", side.rawValue, "left_right", "relation:\(side.rawValue)")
            }
        }
        let depth = pairs.filter { abs(objects[$0.0].position.x - objects[$0.1].position.x) > Self.margin }
        if relations.contains(.front) || relations.contains(.behind), !depth.isEmpty {
            let (a, b) = rng.pick(depth)
            let side: SpatialRelation = objects[a].position.x < objects[b].position.x ? .front : .behind
            if relations.contains(side) {
                ask("is \(names[a]) in front of or behind \(names[b])?", side == .front ? "in front" : "behind",
                    "front_behind", "relation:\(side.rawValue)")
            }
        }
        if split.counting {
            let shape = rng.pick(split.shapes)
            ask("how many \(shape.word)s are there?", Self.numbers[min(5, objects.filter { $0.shape == shape }.count)], "count", "counting")
            let colour = rng.pick(split.colours)
            ask("how many \(colour.word) objects are there?", Self.numbers[min(5, objects.filter { $0.colour == colour }.count)],
                "count", "counting")
        }
        // Pointing (as VLMs are trained to locate what they name): "where is the red
        // cube?" → "x 5 y 9", the grid cell of the object's centre in the image.
        for (i, o) in objects.enumerated() {
            guard let cell = Self.cell(of: o.position + Vec3(0, 0, o.height / 2), camera: camera) else { continue }
            ask("where is \(names[i])?", "x \(cell.x) y \(cell.y)", "point")
        }
        if relations.contains(.inside) {
            for b in objects.indices where objects[b].shape == .bowl {
                ask("which object is in \(names[b])?", contents[b].map { names[$0] } ?? "nothing", "in_bowl", "relation:in")
            }
        }

        // Referring expressions for the extremes along each axis, and the bowl's content.
        func extreme(_ phrase: String, _ relation: SpatialRelation, _ key: (SimObject) -> Float) {
            guard relations.contains(relation), objects.count >= 2 else { return }
            let order = objects.indices.sorted { key(objects[$0]) > key(objects[$1]) }
            guard key(objects[order[0]]) - key(objects[order[1]]) > Self.margin else { return }
            referring.append(ReferringExpression(expression: phrase, target: names[order[0]]))
            conceptSet.insert("relation:\(relation.rawValue)")
        }
        extreme("the object furthest to the left", .left) { $0.position.y }
        extreme("the object furthest to the right", .right) { -$0.position.y }
        extreme("the object nearest the robot", .front) { -$0.position.x }
        extreme("the object furthest from the robot", .behind) { $0.position.x }
        if relations.contains(.inside) {
            for (b, i) in contents.sorted(by: { $0.key < $1.key }) {
                referring.append(ReferringExpression(expression: "the object in \(names[b])", target: names[i]))
            }
        }
        concepts = conceptSet.sorted()
    }

    /// The grid cell (column, row) of a world point in the camera's image, or nil when
    /// it projects outside the image.
    static func cell(of point: Vec3, camera: Camera) -> (x: Int, y: Int)? {
        guard let p = camera.project(point) else { return nil }
        let x = Int((p.x / Float(camera.width) * Float(pointGrid)).rounded(.down))
        let y = Int((p.y / Float(camera.height) * Float(pointGrid)).rounded(.down))
        guard (0..<pointGrid).contains(x), (0..<pointGrid).contains(y) else { return nil }
        return (x, y)
    }

    /// "an orange cube", "a red cube".
    static func withArticle(_ noun: String) -> String {
        ("aeiou".contains(noun.first ?? "x") ? "an " : "a ") + noun
    }

    /// "a, b and c".
    static func list(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + items[items.count - 1]
    }
}
