// Offline evaluation: how well a checkpoint predicts the recorded actions of held-out
// demonstrations, per action component, without running a robot. It answers "does the
// policy read the scene?" in seconds: at step 0 the arm has not moved, so only the
// images say where the object is, and an R² near 0 there means the policy has not
// learned to localise, whatever its training loss says (docs/study.md).
import Foundation
import CotrainPolicy
import CotrainSim

/// R² and mean squared error per action component over a set of episode steps.
public struct OfflineEvaluationRow: Sendable, Equatable {
    /// Which steps: "t=0", "t=3", …, or "all".
    public var label: String
    /// Predictions compared.
    public var count: Int
    /// Per component, in the model's normalised units ([−1, 1] over the data's 2–98 %).
    public var r2: [Double]
    public var mse: [Double]
}

/// The result of ``OfflineEvaluation/run``.
public struct OfflineEvaluationReport: Sendable {
    /// The robot and the names of its action components.
    public var embodiment: String
    public var components: [String]
    /// Episodes used.
    public var episodes: Int
    /// One row per requested step, then "all".
    public var rows: [OfflineEvaluationRow]
    /// Every step again, split by the demonstration's sub-step (its annotation with the
    /// object names replaced by "X": "move above X", "lower the gripper around X", …),
    /// most frequent first: which part of the task the policy has not learned.
    public var substeps: [OfflineEvaluationRow] = []
    /// For a checkpoint with pointers on episodes with labelled points: how far each
    /// pointer lands from its label, per camera and slot (empty otherwise).
    public var pointing: [PointingErrorRow] = []
    /// The same distances split by sub-step (in the order of `substeps`): where in the
    /// task a pointer drifts, e.g. whether the destination is lost while the held object
    /// hides it.
    public var pointingBySubstep: [PointingSubstepRow] = []
    /// For a checkpoint with an orientation head on episodes with orientation labels:
    /// its error over the labelled steps; nil otherwise.
    public var orientation: OrientationError?
}

/// How far the orientation head's estimate of a cube's yaw against the fingers is from
/// the label, in degrees of yaw (the label's angle ψ over its quarter-turn symmetry).
public struct OrientationError: Sendable, Equatable {
    /// Labelled steps scored.
    public var count: Int
    public var median: Double
    public var p90: Double
    /// Fraction within the simulator's yaw tolerance for a parallel grasp (0.35 rad, 20°).
    public var withinTolerance: Double
    /// The same over the steps whose label is itself beyond the tolerance (the fingers
    /// must still turn): most labelled steps come after the turn, where "aligned" is
    /// right, so the figures over all steps can hide a head that never sees a turn.
    public var misalignedCount: Int
    public var misalignedMedian: Double?
    public var misalignedWithinTolerance: Double?

    /// The simulator's yaw tolerance for a parallel grasp, in degrees.
    static let toleranceDegrees = 0.35 * 180 / Double.pi

    /// The error in degrees of yaw between an estimate and a label, both (cos ψ, sin ψ).
    static func degrees(_ estimate: [Float], _ label: [Float]) -> Double {
        let a = atan2(Double(estimate[1]), Double(estimate[0])), b = atan2(Double(label[1]), Double(label[0]))
        var d = abs(a - b).truncatingRemainder(dividingBy: 2 * .pi)
        if d > .pi { d = 2 * .pi - d }
        return d / 4 * 180 / .pi
    }

    /// Summarises `(error, label's own yaw)` pairs in degrees.
    init?(_ scored: [(error: Double, labelYaw: Double)]) {
        guard !scored.isEmpty else { return nil }
        func quantile(_ sorted: [Double], _ q: Double) -> Double { sorted[min(sorted.count - 1, Int(q * Double(sorted.count)))] }
        func within(_ sorted: [Double]) -> Double { Double(sorted.filter { $0 < Self.toleranceDegrees }.count) / Double(sorted.count) }
        let sorted = scored.map(\.error).sorted()
        count = sorted.count
        (median, p90) = (quantile(sorted, 0.5), quantile(sorted, 0.9))
        withinTolerance = within(sorted)
        let turning = scored.filter { $0.labelYaw >= Self.toleranceDegrees }.map(\.error).sorted()
        misalignedCount = turning.count
        misalignedMedian = turning.isEmpty ? nil : quantile(turning, 0.5)
        misalignedWithinTolerance = turning.isEmpty ? nil : within(turning)
    }
}

/// Median distance in pixels between each pointer and its labelled point over the
/// steps of one sub-step; nil where the label was never visible.
public struct PointingSubstepRow: Sendable, Equatable {
    public var substep: String
    /// Keyed by "main object", "main destination", "wrist object", "wrist destination".
    public var medians: [String: Double]
    public var steps: Int
}

/// Mean distance in pixels between a pointer and its labelled point.
public struct PointingErrorRow: Sendable, Equatable {
    /// "main" or "wrist", and "object" or "destination".
    public var camera: String
    public var slot: String
    /// Mean error at step 0 (nil if no episode had the label visible there) and over
    /// every step with the label visible, with the number of steps.
    public var firstStep: Double?
    public var allSteps: Double
    public var count: Int
    /// Median and 90th percentile over every step: a few pointers on the wrong object
    /// raise the mean; these say whether the typical one is on target.
    public var median: Double
    public var p90: Double
}

public enum OfflineEvaluation {
    /// Predicts the first action of a chunk at `steps` (and at every step for the "all"
    /// row) of up to `limit` episodes of the model's robot in `episodes`, and compares
    /// it with the recorded action. Sampling uses a fixed seed per prediction.
    public static func run(
        model: PolicyModel, episodes: [StoredEpisode], embodiment: String, components: [String], steps: [Int], limit: Int,
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> OfflineEvaluationReport {
        guard let spec = model.config.embodiment(embodiment), let stats = model.normalization[embodiment]?.action else {
            throw TrainerError.policy("the checkpoint has no \(embodiment) embodiment (it knows \(model.config.embodiments.map(\.name).joined(separator: ", ")))")
        }
        // A tool-frame model is scored on the episodes' tool motions (the exact conversion).
        let chosen = episodes.filter { $0.metadata.embodiment.rawValue == embodiment }.prefix(limit)
            .map { spec.toolFrame == true ? $0.inToolFrame(motionWindow: model.config.motionWindow ?? 0) : $0 }
        guard !chosen.isEmpty else { throw TrainerError.policy("the store holds no \(embodiment) episodes") }
        let wrist = model.config.wristCamera == true
        if wrist, let blind = chosen.first(where: { !$0.hasWristImages }) {
            throw TrainerError.policy("the checkpoint reads a wrist camera but episode \(blind.metadata.seed) has no wrist images (collect with --wrist)")
        }
        let a = spec.actionDimension, side = model.config.imageSize
        var pairs: [String: [(predicted: [Float], recorded: [Float])]] = [:]
        var pointing = PointingTally(model: model)
        var orientationErrors: [(error: Double, labelYaw: Double)] = []
        var bySubstep: [String: [(predicted: [Float], recorded: [Float])]] = [:]
        for (n, episode) in chosen.enumerated() {
            let m = episode.metadata
            guard m.imageWidth == side, m.imageHeight == side, m.actionDimension == a, m.proprioDimension == spec.stateDimension else {
                throw TrainerError.policy("episode \(m.seed) has \(m.imageWidth)×\(m.imageHeight) images and \(m.actionDimension) actions; the checkpoint needs \(side)×\(side) and \(a)")
            }
            let images = episode.images(), wrists = wrist ? episode.wristImages() : [], proprio = episode.proprioRows(), actions = episode.actionRows()
            let pixels = side * side * 3, p = m.proprioDimension
            for t in 0..<episode.steps {
                let observation = PolicyObservation(
                    image: Array(images[(t * pixels)..<((t + 1) * pixels)]),
                    wristImage: wrist ? Array(wrists[(t * pixels)..<((t + 1) * pixels)]) : nil,
                    proprio: Array(proprio[(t * p)..<((t + 1) * p)]), instruction: m.instruction, embodiment: embodiment)
                let (chunks, points) = try model.actAndPoint(batch: [observation], seed: UInt64(n) << 16 | UInt64(t))
                // Linear units whatever the model's companding, so recipes compare.
                let predicted = stats.linear.normalize(chunks[0][0])
                let recorded = stats.linear.normalize(Array(actions[(t * a)..<((t + 1) * a)]))
                pairs["all", default: []].append((predicted, recorded))
                if steps.contains(t) { pairs["t=\(t)", default: []].append((predicted, recorded)) }
                bySubstep[substep(m.annotations[t]), default: []].append((predicted, recorded))
                if episode.hasPoints, let points = points?[0] {
                    var labels = [Float](repeating: 0, count: episode.pointWidth)
                    labels.withUnsafeMutableBufferPointer { episode.copyPoints(step: t, to: $0.baseAddress!) }
                    pointing.add(points, labels: labels, step: t, substep: substep(m.annotations[t]))
                }
                if episode.hasOrientation, model.config.orientation == true {
                    var label: [Float] = [0, 0, 0]
                    label.withUnsafeMutableBufferPointer { episode.copyOrientation(step: t, to: $0.baseAddress!) }
                    if label[2] > 0, let estimate = try model.orientation(observation) {
                        orientationErrors.append((OrientationError.degrees(estimate, label), OrientationError.degrees([1, 0], label)))
                    }
                }
            }
            progress(n + 1, chosen.count)
        }
        let labels = steps.map { "t=\($0)" }.filter { pairs[$0] != nil } + ["all"]
        let rows = labels.map { label in row(label, pairs[label]!, components: a) }
        let substeps = bySubstep.sorted { ($0.value.count, $1.key) > ($1.value.count, $0.key) }
        return OfflineEvaluationReport(
            embodiment: embodiment, components: components, episodes: chosen.count, rows: rows,
            substeps: substeps.map { row($0.key, $0.value, components: a) },
            pointing: pointing.rows, pointingBySubstep: pointing.substepRows(order: substeps.map(\.key)),
            orientation: OrientationError(orientationErrors))
    }

    /// An annotation with every "the <word> cube|cylinder|bowl" replaced by "X".
    static func substep(_ annotation: String) -> String {
        let words = annotation.split(separator: " ").map(String.init)
        var out: [String] = [], i = 0
        while i < words.count {
            if words[i] == "the", i + 2 < words.count, ["cube", "cylinder", "bowl"].contains(words[i + 2]) {
                out.append("X")
                i += 3
            } else {
                out.append(words[i])
                i += 1
            }
        }
        return out.isEmpty ? "(none)" : out.joined(separator: " ")
    }

    static func row(_ label: String, _ pairs: [(predicted: [Float], recorded: [Float])], components: Int) -> OfflineEvaluationRow {
        var r2: [Double] = [], mse: [Double] = []
        for j in 0..<components {
            let truth = pairs.map { Double($0.recorded[j]) }, guess = pairs.map { Double($0.predicted[j]) }
            let mean = truth.reduce(0, +) / Double(truth.count)
            let total = truth.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
            let residual = zip(truth, guess).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            mse.append(residual / Double(truth.count))
            r2.append(total > 1e-12 ? 1 - residual / total : .nan)
        }
        return OfflineEvaluationRow(label: label, count: pairs.count, r2: r2, mse: mse)
    }
}

/// Sums of pointer-to-label distances per (camera, slot).
struct PointingTally {
    let pointers: Int, cameras: Int, halfSide: Double
    var sums: [String: (first: Double, firstCount: Int, all: Double, count: Int)] = [:]
    var distances: [String: [Double]] = [:]
    /// Per sub-step: the distances per (camera, slot) name, and the steps seen.
    var bySubstep: [String: (distances: [String: [Double]], steps: Int)] = [:]

    init(model: PolicyModel) {
        pointers = model.config.pointers ?? 0
        cameras = model.config.cameras
        halfSide = Double(model.config.imageSize) / 2
    }

    /// `points` as `PolicyModel.points` gives them; `labels` as the episode stores them.
    mutating func add(_ points: [Float], labels: [Float], step: Int, substep: String) {
        let slots = SimEnvironment.pointSlots
        bySubstep[substep, default: ([:], 0)].steps += 1
        for camera in 0..<min(cameras, labels.count / (slots * 3)) {
            for j in 0..<min(pointers, slots) {
                let label = (camera * slots + j) * 3, point = (camera * pointers + j) * 2
                guard labels[label + 2] > 0 else { continue }
                let dx = Double(points[point] - labels[label]), dy = Double(points[point + 1] - labels[label + 1])
                let d = (dx * dx + dy * dy).squareRoot() * halfSide
                let key = "\(camera) \(j)"
                var s = sums[key] ?? (0, 0, 0, 0)
                s.all += d; s.count += 1
                if step == 0 { s.first += d; s.firstCount += 1 }
                sums[key] = s
                distances[key, default: []].append(d)
                bySubstep[substep]!.distances[Self.camera(camera) + " " + Self.slot(j), default: []].append(d)
            }
        }
    }

    static func camera(_ index: Int) -> String { index == 0 ? "main" : "wrist" }
    static func slot(_ index: Int) -> String { index == 0 ? "object" : "destination" }

    /// One row per sub-step seen, in `order`.
    func substepRows(order: [String]) -> [PointingSubstepRow] {
        order.compactMap { substep in
            guard let entry = bySubstep[substep] else { return nil }
            return PointingSubstepRow(
                substep: substep, medians: entry.distances.mapValues { $0.sorted()[$0.count / 2] }, steps: entry.steps)
        }
    }

    var rows: [PointingErrorRow] {
        sums.keys.sorted().map { key in
            let s = sums[key]!, parts = key.split(separator: " ").map { Int($0)! }
            let sorted = distances[key]!.sorted()
            func quantile(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int(q * Double(sorted.count)))] }
            return PointingErrorRow(
                camera: Self.camera(parts[0]), slot: Self.slot(parts[1]),
                firstStep: s.firstCount > 0 ? s.first / Double(s.firstCount) : nil, allSteps: s.all / Double(s.count), count: s.count,
                median: quantile(0.5), p90: quantile(0.9))
        }
    }
}
