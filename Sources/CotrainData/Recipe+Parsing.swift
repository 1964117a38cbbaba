// Reading and writing recipe JSON. Every key is checked: an unknown or misspelt key,
// a wrong type or an out-of-range value is a RecipeError naming its location.
import CotrainCore
#if canImport(Glibc)
import Glibc
#endif

extension Recipe {
    /// Loads and validates a recipe file; errors name the file.
    public static func load(path: String) throws -> Recipe {
        guard access(path, F_OK) == 0 else {
            throw RecipeError.missingFile(path)
        }
        let bytes = try readFile(path, limit: 1 << 20)
        do { return try Recipe(bytes: bytes) } catch { throw RecipeError.inFile(path, error) }
    }

    /// Parses and validates recipe JSON.
    public init(bytes: [UInt8]) throws(RecipeError) {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch { throw .notJSON(error.description) }
        do { try self.init(json: value) } catch let error as RecipeError { throw error } catch let problem as FieldProblem {
            throw .field(problem)
        } catch { throw .notJSON("\(error)") }
        try validate()
    }

    private init(json: JSONValue) throws {
        var f = try JSONFields(json, path: "")
        let format = try f.string("format")
        guard format == Recipe.format else { throw RecipeError.unsupportedFormat(format) }
        name = try f.string("name")
        description = try f.optionalString("description") ?? ""
        question = try f.optionalString("question") ?? ""
        let seedValue = try f.optionalInt("seed") ?? 0
        guard seedValue >= 0 else { throw RecipeError.invalidValue(path: "seed", reason: "must be ≥ 0") }
        seed = UInt64(seedValue)
        model = try Self.parseModel(f.value("model"))
        lossWeights = try Self.parseLossWeights(f.value("loss_weights"))
        let sharingName = try f.optionalString("sharing") ?? SharingScope.shared.rawValue
        guard let scope = SharingScope(rawValue: sharingName) else {
            throw RecipeError.invalidValue(path: "sharing", reason: "must be \"shared\" or \"shared+embodiment\", not \"\(sharingName)\"")
        }
        sharing = scope
        emaDecay = try f.optionalDouble("ema_decay") ?? 0
        phases = []
        for (i, item) in try f.array("phases").enumerated() { phases.append(try Self.parsePhase(item, path: "phases[\(i)]")) }
        try f.finish()
    }

    private static func parseModel(_ value: JSONValue?) throws -> ModelConfig {
        var m = ModelConfig()
        guard let value else { return m }
        var f = try JSONFields(value, path: "model")
        m.imageSize = try f.optionalInt("image_size") ?? m.imageSize
        m.patchSize = try f.optionalInt("patch_size") ?? m.patchSize
        m.stemChannels = try f.optionalInt("stem_channels") ?? m.stemChannels
        m.wristCamera = try f.optionalBool("wrist_camera") ?? m.wristCamera
        m.patchDropout = try f.optionalDouble("patch_dropout") ?? m.patchDropout
        m.proprioDropout = try f.optionalDouble("proprio_dropout") ?? m.proprioDropout
        m.samplingNoise = try f.optionalDouble("sampling_noise") ?? m.samplingNoise
        m.temporalEnsemble = try f.optionalDouble("temporal_ensemble")
        m.actionPower = try f.optionalDouble("action_power") ?? m.actionPower
        m.pointers = try f.optionalInt("pointers") ?? m.pointers
        m.glimpse = try f.optionalInt("glimpse") ?? m.glimpse
        m.pointerSurround = try f.optionalInt("pointer_surround") ?? m.pointerSurround
        m.pointerInhibit = try f.optionalDouble("pointer_inhibit") ?? m.pointerInhibit
        m.tablePoints = try f.optionalBool("table_points") ?? m.tablePoints
        m.toolMotion = try f.optionalBool("tool_motion") ?? m.toolMotion
        if let frame = try f.optionalString("action_frame") {
            guard let parsed = ActionFrame(rawValue: frame) else {
                throw RecipeError.invalidValue(path: "model.action_frame", reason: "must be \"joint\" or \"tool\", not \"\(frame)\"")
            }
            m.actionFrame = parsed
        }
        m.width = try f.optionalInt("width") ?? m.width
        m.layers = try f.optionalInt("layers") ?? m.layers
        m.heads = try f.optionalInt("heads") ?? m.heads
        m.expertLayers = try f.optionalInt("expert_layers") ?? m.expertLayers
        m.expertWidth = try f.optionalInt("expert_width") ?? m.expertWidth
        m.chunk = try f.optionalInt("chunk") ?? m.chunk
        m.flowSteps = try f.optionalInt("flow_steps") ?? m.flowSteps
        m.actionHead = try f.optionalString("action_head") ?? m.actionHead
        m.actionBins = try f.optionalInt("action_bins") ?? m.actionBins
        m.textTokens = try f.optionalInt("text_tokens") ?? m.textTokens
        try f.finish()
        return m
    }

    private static func parseLossWeights(_ value: JSONValue?) throws -> RecipeLossWeights {
        var w = RecipeLossWeights()
        guard let value else { return w }
        var f = try JSONFields(value, path: "loss_weights")
        w.action = try f.optionalDouble("action") ?? w.action
        w.text = try f.optionalDouble("text") ?? w.text
        w.annotation = try f.optionalDouble("annotation") ?? w.annotation
        w.discreteAction = try f.optionalDouble("discrete_action") ?? w.discreteAction
        w.reasoning = try f.optionalDouble("reasoning") ?? w.reasoning
        w.pointing = try f.optionalDouble("pointing") ?? w.pointing
        w.orientation = try f.optionalDouble("orientation") ?? w.orientation
        w.pointingMass = try f.optionalDouble("pointing_mass") ?? w.pointingMass
        w.pointingAvoid = try f.optionalDouble("pointing_avoid") ?? w.pointingAvoid
        try f.finish()
        return w
    }

    private static func parsePhase(_ value: JSONValue, path: String) throws -> RecipePhase {
        var f = try JSONFields(value, path: path)
        let name = try f.string("name")
        let steps = try f.int("steps")
        let learningRate = try f.double("learning_rate")
        let warmup = try f.optionalInt("warmup") ?? 0
        let batchSize = try f.int("batch_size")
        let startFraction = try f.optionalDouble("episode_start_fraction") ?? 0
        let mixtureValue = try f.required("mixture")
        guard let members = mixtureValue.object else { throw FieldProblem.wrongType(path: f.child("mixture"), expected: "an object of weights") }
        var mixture: [DataSource: Double] = [:]
        for (key, weight) in members {
            guard let source = DataSource(rawValue: key) else {
                throw RecipeError.unknownModality(path: f.child("mixture"), name: key, known: DataSource.allCases.map(\.rawValue))
            }
            guard let w = weight.double else { throw FieldProblem.wrongType(path: "\(f.child("mixture")).\(key)", expected: "a number") }
            mixture[source] = w
        }
        var switches = ModalitySwitches()
        if let modalities = f.value("modalities") {
            guard let members = modalities.object else { throw FieldProblem.wrongType(path: f.child("modalities"), expected: "an object") }
            let modalityPath = f.child("modalities")
            for (key, setting) in members {
                func flag() throws -> Bool {
                    guard let b = setting.bool else { throw FieldProblem.wrongType(path: "\(modalityPath).\(key)", expected: "true or false") }
                    return b
                }
                switch key {
                case "dense_annotations": switches.denseAnnotations = try flag()
                case "discrete_actions": switches.discreteActions = try flag()
                case "chain_of_thought": switches.chainOfThought = try flag()
                case "human_video":
                    guard let text = setting.string, let mode = HumanVideoMode(rawValue: text) else {
                        throw RecipeError.invalidValue(path: "\(modalityPath).human_video", reason: "must be \"text\" or \"actions\"")
                    }
                    switches.humanVideo = mode
                default:
                    throw RecipeError.unknownModality(path: modalityPath, name: key, known: ModalitySwitches.keys)
                }
            }
        }
        try f.finish()
        var phase = RecipePhase(name: name, steps: steps, learningRate: learningRate, warmup: warmup, batchSize: batchSize, mixture: mixture, switches: switches)
        phase.episodeStartFraction = startFraction
        return phase
    }

    /// The recipe as JSON with every default spelled out (what ``hash`` covers).
    public var json: JSONValue {
        let m = model, w = lossWeights
        // `wrist_camera`, `patch_dropout`, `proprio_dropout`, `sampling_noise`, `temporal_ensemble`, `action_power`, `pointers`, `pointer_surround`, `pointer_inhibit`, `glimpse`, `table_points`, `tool_motion`, a tool
        // `action_frame` and the `pointing`, `orientation`, `pointing_mass` and `pointing_avoid` weights are written only
        // when on, so recipes without them keep their hashes.
        var wrist: [(String, JSONValue)] = (m.wristCamera ? [("wrist_camera", .bool(true))] : [])
        if m.patchDropout > 0 { wrist.append(("patch_dropout", .double(m.patchDropout))) }
        if m.proprioDropout > 0 { wrist.append(("proprio_dropout", .double(m.proprioDropout))) }
        if m.samplingNoise != 1 { wrist.append(("sampling_noise", .double(m.samplingNoise))) }
        if let decay = m.temporalEnsemble { wrist.append(("temporal_ensemble", .double(decay))) }
        if m.actionPower != 1 { wrist.append(("action_power", .double(m.actionPower))) }
        if m.pointers > 0 { wrist.append(("pointers", .int(Int64(m.pointers)))) }
        if m.pointerSurround > 0 { wrist.append(("pointer_surround", .int(Int64(m.pointerSurround)))) }
        if m.pointerInhibit > 0 { wrist.append(("pointer_inhibit", .double(m.pointerInhibit))) }
        if m.glimpse > 0 { wrist.append(("glimpse", .int(Int64(m.glimpse)))) }
        if m.tablePoints { wrist.append(("table_points", .bool(true))) }
        if m.actionFrame != .joint { wrist.append(("action_frame", .string(m.actionFrame.rawValue))) }
        if m.toolMotion { wrist.append(("tool_motion", .bool(true))) }
        let pointing: [(String, JSONValue)] = (w.pointing > 0 ? [("pointing", .double(w.pointing))] : [])
            + (w.orientation > 0 ? [("orientation", .double(w.orientation))] : [])
            + (w.pointingMass > 0 ? [("pointing_mass", .double(w.pointingMass))] : [])
            + (w.pointingAvoid > 0 ? [("pointing_avoid", .double(w.pointingAvoid))] : [])
        return .object([
            ("format", .string(Recipe.format)), ("name", .string(name)), ("description", .string(description)),
            ("question", .string(question)), ("seed", .int(Int64(bitPattern: seed))), ("sharing", .string(sharing.rawValue)),
        ] + (emaDecay > 0 ? [("ema_decay", .double(emaDecay))] : []) + [
            ("model", .object([
                ("image_size", .int(Int64(m.imageSize))), ("patch_size", .int(Int64(m.patchSize))),
                ("stem_channels", .int(Int64(m.stemChannels))), ("width", .int(Int64(m.width))),
                ("layers", .int(Int64(m.layers))), ("heads", .int(Int64(m.heads))), ("expert_layers", .int(Int64(m.expertLayers))),
                ("expert_width", .int(Int64(m.expertWidth))), ("chunk", .int(Int64(m.chunk))),
                ("flow_steps", .int(Int64(m.flowSteps))), ("action_head", .string(m.actionHead)),
                ("action_bins", .int(Int64(m.actionBins))), ("text_tokens", .int(Int64(m.textTokens))),
            ] + wrist)),
            ("loss_weights", .object([
                ("action", .double(w.action)), ("text", .double(w.text)), ("annotation", .double(w.annotation)),
                ("discrete_action", .double(w.discreteAction)), ("reasoning", .double(w.reasoning)),
            ] + pointing)),
            ("phases", .array(phases.map { p in
                // Written only when above 0, so recipes without it keep their hashes.
                let start: [(String, JSONValue)] = p.episodeStartFraction > 0 ? [("episode_start_fraction", .double(p.episodeStartFraction))] : []
                return .object([
                    ("name", .string(p.name)), ("steps", .int(Int64(p.steps))), ("learning_rate", .double(p.learningRate)),
                    ("warmup", .int(Int64(p.warmup))), ("batch_size", .int(Int64(p.batchSize))),
                    ("mixture", .object(DataSource.allCases.compactMap { s in
                        p.mixture[s].flatMap { $0 > 0 ? (s.rawValue, .double($0)) : nil }
                    })),
                    ("modalities", .object([
                        ("dense_annotations", .bool(p.switches.denseAnnotations)), ("discrete_actions", .bool(p.switches.discreteActions)),
                        ("chain_of_thought", .bool(p.switches.chainOfThought)), ("human_video", .string(p.switches.humanVideo.rawValue)),
                    ])),
                ] + start)
            })),
        ])
    }
}
