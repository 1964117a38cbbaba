// CotrainRuntime/EvaluationReport.swift: evaluation results — per episode, per cell with
// Wilson intervals, and as the JSON file labs keep and compare.
import CotrainCore
import CotrainSim

/// How one episode was scored.
public enum ScoredBy: String, Sendable, Equatable {
    /// The robot's success signal (simulator, or a bridge that has one).
    case robot
    /// The operator answered yes or no.
    case `operator`
    /// The operator was unsure; counted as a failure.
    case operatorUnsure = "operator_unsure"
    /// The operator skipped the episode; not counted.
    case skipped
}

/// One evaluated episode.
public struct EpisodeResult: Sendable, Equatable {
    public var seed: UInt64
    public var success: Bool
    /// Fraction of milestones reached (0 or 1 when only success is known).
    public var completion: Double
    public var steps: Int
    public var scoredBy: ScoredBy
    public var instruction: String
    /// Close commands started with nothing held, and the first of them (robots that
    /// know where the objects are; 0 and nil otherwise).
    public var graspAttempts = 0
    public var firstGrasp: GraspAttempt? = nil
    /// Releases of the object to move on tasks with a destination, and the first of
    /// them (robots that know where the objects are; 0 and nil otherwise).
    public var releases = 0
    public var firstRelease: Release? = nil
    /// The object to move against its destination if still held at the end.
    public var carriedAtEnd: Release? = nil
}

/// Results of one cell (task × condition).
public struct CellResult: Sendable, Equatable {
    public var task: String
    public var condition: String
    public var episodes: [EpisodeResult]

    /// Episodes that count (not skipped).
    public var counted: [EpisodeResult] { episodes.filter { $0.scoredBy != .skipped } }
    /// Success rate with its 95 % Wilson interval.
    public var success: Proportion { Proportion(successes: counted.filter(\.success).count, trials: counted.count) }
    /// Mean task completion (milestones) over counted episodes.
    public var meanCompletion: Double {
        counted.isEmpty ? 0 : counted.map(\.completion).reduce(0, +) / Double(counted.count)
    }
    /// Where the first grasp attempt of each counted episode was; nil when the robot
    /// reported none in any episode.
    public var firstGrasps: GraspSummary? { GraspSummary(counted) }
    /// Where the object to move was let go of, per counted episode; nil when no episode
    /// let go of one or ended holding one (tasks without a destination).
    public var firstReleases: ReleaseSummary? { ReleaseSummary(counted) }
}

/// The first release of each episode of a cell (tasks with a destination), and the
/// episodes that grasped the object and never let go of it.
public struct ReleaseSummary: Sendable, Equatable {
    /// Episodes, those that grasped the object to move (a grasp milestone), those that
    /// let go of it at least once, and those that grasped it and never let go.
    public var episodes: Int
    public var grasped: Int
    public var released: Int
    public var neverReleased: Int
    /// Of those, the ones that ended holding it within the tolerance above the
    /// destination: they got there and did not let go.
    public var heldOverDestination: Int
    /// First releases within the destination's tolerance, and that landed in it.
    public var withinTolerance: Int
    public var landed: Int
    /// Median planar offset of the first releases from the destination's centre, metres
    /// (nil: none let go).
    public var medianPlanarOffset: Double?

    init?(_ episodes: [EpisodeResult]) {
        let firsts = episodes.compactMap(\.firstRelease)
        guard !firsts.isEmpty || episodes.contains(where: { $0.carriedAtEnd != nil }) else { return nil }
        self.episodes = episodes.count
        grasped = episodes.filter { $0.completion > 0 || $0.success }.count
        released = firsts.count
        let kept = episodes.filter { ($0.completion > 0 || $0.success) && $0.releases == 0 }
        neverReleased = kept.count
        heldOverDestination = kept.compactMap(\.carriedAtEnd).filter { $0.planarOffset <= $0.tolerance }.count
        withinTolerance = firsts.filter { $0.planarOffset <= $0.tolerance }.count
        landed = firsts.filter(\.landed).count
        medianPlanarOffset = firsts.isEmpty ? nil : median(firsts.map { Double($0.planarOffset) })
    }
}

/// The median of `values` (not empty).
func median(_ values: [Double]) -> Double {
    let sorted = values.sorted(), m = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2
}

/// The first grasp attempt of each episode of a cell, tallied against the tolerances.
public struct GraspSummary: Sendable, Equatable {
    /// Episodes, and those in which the gripper closed at all.
    public var episodes: Int
    public var attempted: Int
    /// First attempts within each tolerance, and within all of them.
    public var withinPlanar: Int
    public var withinHeight: Int
    public var withinYaw: Int
    public var aligned: Int
    /// Median planar offset of the first attempts, metres.
    public var medianPlanarOffset: Double

    init?(_ episodes: [EpisodeResult]) {
        let firsts = episodes.compactMap(\.firstGrasp).map(\.fit)
        guard !firsts.isEmpty else { return nil }
        self.episodes = episodes.count
        attempted = firsts.count
        withinPlanar = firsts.filter(\.withinPlanar).count
        withinHeight = firsts.filter(\.withinHeight).count
        withinYaw = firsts.filter(\.withinYaw).count
        aligned = firsts.filter(\.aligned).count
        medianPlanarOffset = median(firsts.map { Double($0.planarOffset) })
    }
}

/// A whole evaluation: what ran, on what, and how it went.
public struct EvaluationReport: Sendable {
    public var suite: String
    public var policy: String
    /// "sim" or "bridge HOST:PORT".
    public var robot: String
    public var embodiment: String
    public var cells: [CellResult]
    /// Step-period statistics over all episodes.
    public var timing: TimingReport
    /// Safety-envelope adjustments over all episodes.
    public var adjustments: [SafetyAdjustment: Int]
    /// Wall time and throughput.
    public var seconds: Double
    /// Why the run ended early (nil when every episode ran).
    public var stoppedEarly: String?

    /// Episodes run (not skipped) over all cells.
    public var episodeCount: Int { cells.map(\.counted.count).reduce(0, +) }

    /// The result file: cells with per-episode outcomes, rates and intervals.
    public var json: JSONValue {
        func number(_ x: Double) -> JSONValue { .double((x * 1e6).rounded() / 1e6) }
        let cells: [JSONValue] = self.cells.map { c in
            let p = c.success
            return .object([
                ("task", .string(c.task)), ("condition", .string(c.condition)),
                ("episodes", .int(Int64(p.trials))), ("successes", .int(Int64(p.successes))),
                ("success_rate", number(p.rate)), ("success_ci95", .array([number(p.lower), number(p.upper)])),
                ("mean_completion", number(c.meanCompletion)),
                ("results", .array(c.episodes.map { e in
                    .object([
                        ("seed", .int(Int64(clamping: e.seed))), ("success", .bool(e.success)), ("completion", number(e.completion)),
                        ("steps", .int(Int64(e.steps))), ("scored_by", .string(e.scoredBy.rawValue)), ("instruction", .string(e.instruction)),
                        ("grasp_attempts", .int(Int64(e.graspAttempts))),
                        ("first_grasp", e.firstGrasp.map { g in
                            .object([
                                ("step", .int(Int64(g.step))), ("planar_offset_m", number(Double(g.fit.planarOffset))),
                                ("height_error_m", number(Double(g.fit.heightError))),
                                ("yaw_error_rad", g.fit.yawError.map { number(Double($0)) } ?? .null), ("aligned", .bool(g.fit.aligned)),
                            ])
                        } ?? .null),
                        ("releases", .int(Int64(e.releases))),
                        ("first_release", e.firstRelease.map { r in
                            .object([
                                ("step", .int(Int64(r.step))), ("planar_offset_m", number(Double(r.planarOffset))),
                                ("tolerance_m", number(Double(r.tolerance))), ("height_m", number(Double(r.height))),
                                ("landed", .bool(r.landed)),
                            ])
                        } ?? .null),
                        ("carried_at_end", e.carriedAtEnd.map { r in
                            .object([
                                ("planar_offset_m", number(Double(r.planarOffset))), ("tolerance_m", number(Double(r.tolerance))),
                                ("height_m", number(Double(r.height))),
                            ])
                        } ?? .null),
                    ])
                })),
            ])
        }
        return .object([
            ("format", "cotrain.evaluation.v1"), ("suite", .string(suite)), ("policy", .string(policy)),
            ("robot", .string(robot)), ("embodiment", .string(embodiment)), ("complete", .bool(stoppedEarly == nil)),
            ("stopped_early", stoppedEarly.map { .string($0) } ?? .null),
            ("episodes", .int(Int64(episodeCount))), ("seconds", number(seconds)),
            ("episodes_per_second", number(seconds > 0 ? Double(episodeCount) / seconds : 0)),
            ("timing", .object([
                ("target_period_s", number(timing.targetPeriod)), ("periods", .int(Int64(timing.count))),
                ("period_error_mean_s", number(timing.meanError)), ("period_error_p95_s", number(timing.p95Error)),
                ("period_error_max_s", number(timing.maxError)), ("policy_mean_s", number(timing.meanPolicySeconds)),
            ])),
            ("safety_adjustments", .object(SafetyAdjustment.allCases.map { ($0.rawValue, .int(Int64(adjustments[$0, default: 0]))) })),
            ("cells", .array(cells)),
        ])
    }

    /// Writes `json` atomically (temp file, fsync, rename).
    public func write(to path: String) throws(RuntimeError) {
        do { try AtomicFile.write(json.prettyBytes, to: path) } catch { throw .output(path: path, reason: "\(error)") }
    }

    /// Compares this report (A) with `other` (B) cell by cell (cells matched by task and
    /// condition); episodes with the same seeds are paired.
    public func compare(with other: EvaluationReport) -> [(cell: String, comparison: RateComparison)] {
        var out: [(String, RateComparison)] = []
        for a in cells {
            guard let b = other.cells.first(where: { $0.task == a.task && $0.condition == a.condition }) else { continue }
            let bySeed = Dictionary(b.counted.map { ($0.seed, $0.success) }, uniquingKeysWith: { x, _ in x })
            let pairs = a.counted.compactMap { e in bySeed[e.seed].map { (e.success, $0) } }
            let paired = pairs.count == a.counted.count && pairs.count == b.counted.count
            out.append(("\(a.task)/\(a.condition)", RateComparison(a: a.success, b: b.success, pairs: paired ? pairs : nil)))
        }
        return out
    }
}
