// CotrainRuntime/EvaluationSuite+JSON.swift: suite files.
//
//   {"name": "lab-a", "episodes": 20, "seed": 1000,
//    "tasks": ["pick", "place"],
//    "conditions": ["nominal", "lighting",
//                   {"name": "dim", "shift": "lighting", "light_intensity": [0.3, 0.5]},
//                   {"name": "new-words", "phrasing": "held_out", "colours": ["orange", "cyan"]}],
//    "unseen_tasks": ["sort_by_colour"]}
import CotrainCore
import CotrainSim

extension EvaluationSuite {
    /// Loads a suite file (at most 1 MB) and validates it.
    public static func load(path: String) throws(RuntimeError) -> EvaluationSuite {
        let bytes: [UInt8]
        do { bytes = try readFile(path, limit: 1 << 20) } catch { throw .invalidSuite("cannot read \(path): \(error)") }
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch { throw .invalidSuite("\(path): \(error.description)") }
        return try parse(value, defaultName: path)
    }

    /// A suite from its JSON form (see the file comment for the format).
    public static func parse(_ json: JSONValue, defaultName: String = "custom") throws(RuntimeError) -> EvaluationSuite {
        func fail(_ reason: String) -> RuntimeError { .invalidSuite(reason) }
        guard json.object != nil else { throw fail("a suite file holds one JSON object") }
        let known: Set<String> = ["name", "episodes", "seed", "tasks", "conditions", "unseen_tasks"]
        for (key, _) in json.object! where !known.contains(key) { throw fail("unknown member '\(key)' (known: \(known.sorted().joined(separator: ", ")))") }
        func families(_ key: String) throws(RuntimeError) -> [TaskSpec] {
            guard let items = json[key] else { return [] }
            guard let list = items.array else { throw fail("'\(key)' must be an array of task family names") }
            var out: [TaskSpec] = []
            for item in list {
                guard let name = item.string, let family = TaskFamily(rawValue: name) else {
                    throw fail("'\(key)' holds an unknown task family; use \(TaskFamily.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                out.append(TaskSpec(family))
            }
            return out
        }
        var conditions: [EvalCondition] = []
        for item in json["conditions"]?.array ?? [.string("nominal")] { conditions.append(try condition(item)) }
        let episodes = json["episodes"]?.int ?? 50
        guard let seed = UInt64(exactly: json["seed"]?.int64 ?? 1000) else { throw fail("'seed' must be a non-negative integer") }
        let suite = EvaluationSuite(
            name: json["name"]?.string ?? defaultName, tasks: try families("tasks"), conditions: conditions,
            unseenTasks: try families("unseen_tasks"), episodes: episodes, seed: seed)
        try suite.validate()
        return suite
    }

    /// A condition: a built-in name, or an object with a name and overrides.
    static func condition(_ item: JSONValue) throws(RuntimeError) -> EvalCondition {
        func fail(_ reason: String) -> RuntimeError { .invalidSuite("condition: \(reason)") }
        if let name = item.string {
            guard let c = EvalCondition.builtIn[name] else {
                throw fail("unknown condition '\(name)'; built in: \(EvalCondition.builtIn.keys.sorted().joined(separator: ", "))")
            }
            return c
        }
        guard let name = item["name"]?.string, !name.isEmpty else { throw fail("an object condition needs a \"name\"") }
        var c = EvalCondition(name: name)
        if let base = item["shift"]?.string {
            guard let preset = DistributionShift.presets[base] else {
                throw fail("'\(name)': unknown shift preset '\(base)'; use \(DistributionShift.presets.keys.sorted().joined(separator: ", "))")
            }
            c.shift = preset
        }
        func range(_ key: String) throws(RuntimeError) -> ClosedRange<Float>? {
            guard let v = item[key] else { return nil }
            guard let a = v[0]?.double, let b = v[1]?.double, v.array?.count == 2, a <= b, a >= 0, b <= 10 else {
                throw fail("'\(name)'.\(key) must be [low, high] with 0 <= low <= high <= 10")
            }
            return Float(a)...Float(b)
        }
        func number(_ key: String, _ limit: Double) throws(RuntimeError) -> Float? {
            guard let v = item[key] else { return nil }
            guard let x = v.double, (0...limit).contains(x) else { throw fail("'\(name)'.\(key) must be a number in 0...\(limit)") }
            return Float(x)
        }
        if let r = try range("light_intensity") { c.shift.lightIntensity = r }
        if let r = try range("ambient") { c.shift.ambient = r }
        if let x = try number("light_direction_jitter", 1.5) { c.shift.lightDirectionJitter = x }
        if let x = try number("camera_position_jitter", 0.3) { c.shift.cameraPositionJitter = x }
        if let x = try number("camera_target_jitter", 0.3) { c.shift.cameraTargetJitter = x }
        if let x = try number("field_of_view_jitter", 0.5) { c.shift.fieldOfViewJitter = x }
        if let x = try number("colour_jitter", 0.5) { c.shift.colourJitter = x }
        if let x = try number("table_colour_jitter", 0.5) { c.shift.tableColourJitter = x }
        if let x = try number("extra_distractors", 4) { c.shift.extraDistractors = Int(x) }
        if let t = item["textured"] {
            guard let b = t.bool else { throw fail("'\(name)'.textured must be true or false") }
            c.shift.textured = b
        }
        if let p = item["phrasing"] {
            switch p.string {
            case "nominal": c.phrasing = .nominal
            case "held_out": c.phrasing = .heldOut
            default: throw fail("'\(name)'.phrasing must be \"nominal\" or \"held_out\"")
            }
        }
        if let list = item["colours"] {
            guard let names = list.array?.compactMap(\.string), names.count == list.array?.count, !names.isEmpty else {
                throw fail("'\(name)'.colours must be a non-empty array of colour names")
            }
            var colours: [SimColour] = []
            for n in names {
                guard let colour = SimColour(rawValue: n) else {
                    throw fail("'\(name)': unknown colour '\(n)'; use \(SimColour.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                colours.append(colour)
            }
            c.colours = colours
        }
        if let offset = item["seed_offset"] {
            guard let o = offset.int64, o >= 0, o < (1 << 61) else { throw fail("'\(name)'.seed_offset must be a non-negative integer below 2^61") }
            c.seedOffset = UInt64(o)
        }
        return c
    }
}
