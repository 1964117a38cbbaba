// One episode = one safetensors file: images U8 (T,H,W,3), optionally wrist_images U8
// (T,H,W,3) from the wrist camera, proprio F32 (T,P), actions F32 (T,A), optionally
// points F32 (T,cameras,2,3) (where the named objects appear), optionally orientation
// F32 (T,3) (how the object to move is turned against the fingers), and the metadata JSON.
// Readers map the file and copy single steps straight into batch buffers.
import CotrainCore
import CotrainSim

/// An episode in memory, ready to be written to a store.
public struct EpisodeRecord: Sendable, Equatable {
    /// Everything but the tensors.
    public var metadata: EpisodeMetadata
    /// (T, H, W, 3) RGB8, row-major.
    public var images: [UInt8]
    /// (T, H, W, 3) wrist-camera RGB8, or empty when the episode has no wrist camera.
    public var wristImages: [UInt8]
    /// (T, P) and (T, A), row-major.
    public var proprio: [Float]
    public var actions: [Float]
    /// (T, cameras, 2, 3) labelled points of the named objects (`SimEnvironment.namedPoints`),
    /// or empty. Cameras: 1, or 2 with wrist images.
    public var points: [Float]
    /// (T, 3) orientation labels of the object to move (`SimEnvironment.namedOrientation`),
    /// or empty.
    public var orientation: [Float]

    /// A record from explicit parts (e.g. a real arm's log); sizes are checked on write.
    public init(
        metadata: EpisodeMetadata, images: [UInt8], wristImages: [UInt8] = [], proprio: [Float], actions: [Float],
        points: [Float] = [], orientation: [Float] = []
    ) {
        self.metadata = metadata; self.images = images; self.wristImages = wristImages
        self.proprio = proprio; self.actions = actions; self.points = points; self.orientation = orientation
    }

    /// Floats per step of `points`: cameras × slots × (x, y, visible).
    static func pointWidth(cameras: Int) -> Int { cameras * SimEnvironment.pointSlots * 3 }

    /// A record of a simulator episode.
    public init(episode: Episode, source: String, shifts: [String], scene: SceneConfig) {
        self.init(
            metadata: EpisodeMetadata(episode: episode, source: source, shifts: shifts, scene: scene),
            images: episode.images, wristImages: episode.wristImages, proprio: episode.proprio, actions: episode.actions,
            points: episode.points, orientation: episode.orientations)
    }

    /// The file's bytes (deterministic: same record ⇒ same bytes).
    public func fileBytes() throws -> [UInt8] {
        let m = metadata
        guard images.count == m.steps * m.imageHeight * m.imageWidth * 3,
            wristImages.isEmpty || wristImages.count == images.count,
            proprio.count == m.steps * m.proprioDimension, actions.count == m.steps * m.actionDimension,
            points.isEmpty || points.count == m.steps * Self.pointWidth(cameras: wristImages.isEmpty ? 1 : 2),
            orientation.isEmpty || orientation.count == m.steps * SimEnvironment.orientationWidth
        else {
            throw DataError.badEpisode(file: "(new episode)", reason: "tensor sizes do not match steps × widths in the metadata")
        }
        var writer = SafetensorsWriter(metadata: [EpisodeMetadata.metadataKey: m.json.canonicalString])
        try writer.add("images", dtype: .u8, shape: [m.steps, m.imageHeight, m.imageWidth, 3], bytes: images)
        if !wristImages.isEmpty {
            try writer.add("wrist_images", dtype: .u8, shape: [m.steps, m.imageHeight, m.imageWidth, 3], bytes: wristImages)
        }
        try writer.add("proprio", shape: [m.steps, m.proprioDimension], values: proprio)
        try writer.add("actions", shape: [m.steps, m.actionDimension], values: actions)
        if !points.isEmpty {
            try writer.add("points", shape: [m.steps, wristImages.isEmpty ? 1 : 2, SimEnvironment.pointSlots, 3], values: points)
        }
        if !orientation.isEmpty {
            try writer.add("orientation", shape: [m.steps, SimEnvironment.orientationWidth], values: orientation)
        }
        return try writer.bytes()
    }
}

/// A stored episode opened for reading: validated metadata and zero-copy tensor views.
/// Immutable, so samplers may share it across threads.
public final class StoredEpisode: Sendable {
    /// The episode's metadata.
    public let metadata: EpisodeMetadata
    private let file: SafetensorsFile
    private let imageTensor: SafetensorsTensor
    private let wristTensor: SafetensorsTensor?
    private let proprioTensor: SafetensorsTensor
    private let actionTensor: SafetensorsTensor
    private let pointTensor: SafetensorsTensor?
    private let orientationTensor: SafetensorsTensor?
    /// Proprio and action rows that replace the file's (the tool-frame view), or nil.
    private let converted: (proprio: [Float], actions: [Float])?

    /// Validates an opened file as an episode (`name` is used in errors).
    public init(file: SafetensorsFile, name: String) throws(DataError) {
        guard let text = file.metadata[EpisodeMetadata.metadataKey] else {
            throw .badEpisode(file: name, reason: "no \"\(EpisodeMetadata.metadataKey)\" metadata")
        }
        do {
            metadata = try EpisodeMetadata(json: try JSONValue.parse(text))
        } catch let problem as FieldProblem {
            throw .badEpisode(file: name, reason: problem.description)
        } catch {
            throw .badEpisode(file: name, reason: "metadata is not valid JSON (\(error))")
        }
        func tensor(_ tensorName: String, _ dtype: SafetensorsDType, _ shape: [Int]) throws(DataError) -> SafetensorsTensor {
            guard let t = file.header.tensor(named: tensorName) else { throw .badEpisode(file: name, reason: "no \"\(tensorName)\" tensor") }
            guard t.dtype == dtype, t.shape == shape else {
                throw .badEpisode(file: name, reason: "\"\(tensorName)\" is \(t.dtype.rawValue) \(t.shape), expected \(dtype.rawValue) \(shape)")
            }
            return t
        }
        let m = metadata
        imageTensor = try tensor("images", .u8, [m.steps, m.imageHeight, m.imageWidth, 3])
        wristTensor = file.header.tensor(named: "wrist_images") == nil
            ? nil : try tensor("wrist_images", .u8, [m.steps, m.imageHeight, m.imageWidth, 3])
        proprioTensor = try tensor("proprio", .f32, [m.steps, m.proprioDimension])
        actionTensor = try tensor("actions", .f32, [m.steps, m.actionDimension])
        pointTensor = file.header.tensor(named: "points") == nil
            ? nil : try tensor("points", .f32, [m.steps, wristTensor == nil ? 1 : 2, SimEnvironment.pointSlots, 3])
        orientationTensor = file.header.tensor(named: "orientation") == nil
            ? nil : try tensor("orientation", .f32, [m.steps, SimEnvironment.orientationWidth])
        let optional = [wristTensor, pointTensor, orientationTensor].filter { $0 != nil }.count
        guard file.tensors.count == 3 + optional else {
            throw .badEpisode(file: name, reason: "unexpected extra tensors")
        }
        self.file = file
        converted = nil
    }

    private init(_ base: StoredEpisode, metadata: EpisodeMetadata, proprio: [Float], actions: [Float]) {
        (self.metadata, file, imageTensor, wristTensor) = (metadata, base.file, base.imageTensor, base.wristTensor)
        (proprioTensor, actionTensor, pointTensor) = (base.proprioTensor, base.actionTensor, base.pointTensor)
        orientationTensor = base.orientationTensor
        converted = (proprio, actions)
    }

    /// The same episode with its actions as tool motions and the tool pose appended to
    /// its proprioception (docs/model.md, "Tool-frame actions"); itself when the
    /// embodiment's actions already move the tool, or when this is already the view.
    /// `motionWindow` > 0 also gives each step the tool's motion over the last
    /// `motionWindow` steps (`ToolFrame.motionWindow`; from step 0 at the start).
    public func inToolFrame(motionWindow: Int = 0) -> StoredEpisode {
        guard converted == nil, let frame = ToolFrame(.make(metadata.embodiment), motionWindow: motionWindow) else { return self }
        let (p, a) = (metadata.proprioDimension, metadata.actionDimension)
        let proprio = proprioRows(), actions = actionRows()
        var toolProprio: [Float] = [], toolActions: [Float] = []
        toolProprio.reserveCapacity(steps * frame.proprioDimension)
        toolActions.reserveCapacity(steps * frame.actionDimension)
        func armRow(_ t: Int) -> [Float] { Array(proprio[(t * p)..<((t + 1) * p)]) }
        for t in 0..<steps {
            let arm = armRow(t)
            toolProprio += frame.proprio(arm, earlier: motionWindow > 0 ? armRow(max(0, t - motionWindow)) : nil)
            toolActions += frame.toolAction(armProprio: arm, jointAction: Array(actions[(t * a)..<((t + 1) * a)]))
        }
        var m = metadata
        m.proprioDimension = frame.proprioDimension
        m.actionDimension = frame.actionDimension
        return StoredEpisode(self, metadata: m, proprio: toolProprio, actions: toolActions)
    }

    /// Whether this is the tool-frame view of an arm's episode.
    public var isToolFrame: Bool { converted != nil }

    /// Maps and validates the episode file at `path`.
    public static func open(path: String) throws -> StoredEpisode {
        do {
            return try StoredEpisode(file: try SafetensorsFile.open(path: path), name: path)
        } catch let error as SafetensorsError {
            throw DataError.badEpisode(file: path, reason: error.description)
        }
    }

    /// Number of steps T.
    public var steps: Int { metadata.steps }

    /// Copies the image of `step` (H·W·3 bytes) to `destination`.
    public func copyImage(step: Int, to destination: UnsafeMutableRawPointer) {
        let size = metadata.imageHeight * metadata.imageWidth * 3
        file.withBytes(of: imageTensor) { raw in
            destination.copyMemory(from: raw.baseAddress! + step * size, byteCount: size)
        }
    }

    /// Whether the episode holds wrist-camera images.
    public var hasWristImages: Bool { wristTensor != nil }

    /// Copies the wrist image of `step` (H·W·3 bytes) to `destination`.
    /// - Precondition: `hasWristImages`.
    public func copyWristImage(step: Int, to destination: UnsafeMutableRawPointer) {
        guard let wristTensor else { preconditionFailure("the episode has no wrist images") }
        let size = metadata.imageHeight * metadata.imageWidth * 3
        file.withBytes(of: wristTensor) { raw in
            destination.copyMemory(from: raw.baseAddress! + step * size, byteCount: size)
        }
    }

    /// Whether the episode holds labelled points of its named objects.
    public var hasPoints: Bool { pointTensor != nil }
    /// Floats per step of the points: cameras × slots × (x, y, visible).
    public var pointWidth: Int { EpisodeRecord.pointWidth(cameras: hasWristImages ? 2 : 1) }

    /// Copies the points of `step` (`pointWidth` floats) to `destination`.
    /// - Precondition: `hasPoints`.
    public func copyPoints(step: Int, to destination: UnsafeMutablePointer<Float>) {
        guard let pointTensor else { preconditionFailure("the episode has no points") }
        copyRows(pointTensor, width: pointWidth, step: step, count: 1, to: destination)
    }

    /// All points, (T, cameras, 2, 3), or empty without labels.
    public func pointRows() -> [Float] { pointTensor.map { rows($0, width: pointWidth) } ?? [] }

    /// Whether the episode holds orientation labels of the object to move.
    public var hasOrientation: Bool { orientationTensor != nil }

    /// Copies the orientation label of `step` (`SimEnvironment.orientationWidth` floats:
    /// cos ψ, sin ψ, valid) to `destination`.
    /// - Precondition: `hasOrientation`.
    public func copyOrientation(step: Int, to destination: UnsafeMutablePointer<Float>) {
        guard let orientationTensor else { preconditionFailure("the episode has no orientation labels") }
        copyRows(orientationTensor, width: SimEnvironment.orientationWidth, step: step, count: 1, to: destination)
    }

    /// All orientation labels, (T, 3), or empty without them.
    public func orientationRows() -> [Float] {
        orientationTensor.map { rows($0, width: SimEnvironment.orientationWidth) } ?? []
    }

    /// Copies `count` proprio rows starting at `step` to `destination` (row-major).
    public func copyProprio(step: Int, count: Int = 1, to destination: UnsafeMutablePointer<Float>) {
        if let converted { return copyRows(converted.proprio, width: metadata.proprioDimension, step: step, count: count, to: destination) }
        copyRows(proprioTensor, width: metadata.proprioDimension, step: step, count: count, to: destination)
    }

    /// Copies `count` action rows starting at `step` to `destination` (row-major).
    /// - Precondition: `step + count <= steps`.
    public func copyActions(step: Int, count: Int, to destination: UnsafeMutablePointer<Float>) {
        if let converted { return copyRows(converted.actions, width: metadata.actionDimension, step: step, count: count, to: destination) }
        copyRows(actionTensor, width: metadata.actionDimension, step: step, count: count, to: destination)
    }

    private func copyRows(_ values: [Float], width: Int, step: Int, count: Int, to destination: UnsafeMutablePointer<Float>) {
        precondition(step >= 0 && count >= 0 && step + count <= steps, "rows \(step)..<\(step + count) outside 0..<\(steps)")
        values.withUnsafeBufferPointer { destination.update(from: $0.baseAddress! + step * width, count: count * width) }
    }

    private func copyRows(_ tensor: SafetensorsTensor, width: Int, step: Int, count: Int, to destination: UnsafeMutablePointer<Float>) {
        precondition(step >= 0 && count >= 0 && step + count <= steps, "rows \(step)..<\(step + count) outside 0..<\(steps)")
        // The data may be unaligned in files written elsewhere: copy bytes, never load.
        file.withBytes(of: tensor) { raw in
            UnsafeMutableRawPointer(destination).copyMemory(
                from: raw.baseAddress! + step * width * 4, byteCount: count * width * 4)
        }
    }

    /// All images, proprio rows and actions as arrays (tests, export).
    public func images() -> [UInt8] { file.withBytes(of: imageTensor) { Array($0) } }
    /// All wrist images, or empty without a wrist camera.
    public func wristImages() -> [UInt8] { wristTensor.map { t in file.withBytes(of: t) { Array($0) } } ?? [] }
    /// All proprio rows, (T, P).
    public func proprioRows() -> [Float] { converted?.proprio ?? rows(proprioTensor, width: metadata.proprioDimension) }
    /// All action rows, (T, A).
    public func actionRows() -> [Float] { converted?.actions ?? rows(actionTensor, width: metadata.actionDimension) }

    private func rows(_ tensor: SafetensorsTensor, width: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: steps * width) { buffer, count in
            copyRows(tensor, width: width, step: 0, count: steps, to: buffer.baseAddress!)
            count = steps * width
        }
    }
}
