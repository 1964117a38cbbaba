// CotrainRuntime/TimingReport.swift: how steadily the control loop held its rate.
import CotrainCore

/// Step-period statistics of one or more episodes.
///
/// The period error of step n is `(t_n − t_{n−1}) − period`, where t is when the action
/// was handed to the robot. A paced loop (real arms) aims for zero; an unpaced loop
/// (simulation as fast as possible) has target period 0, so the "errors" are simply the
/// step durations.
public struct TimingReport: Sendable, Equatable {
    /// Target seconds per action (0 when unpaced).
    public var targetPeriod: Double
    /// Number of measured periods.
    public var count: Int
    /// Mean, 95th percentile and maximum of |period error|, in seconds.
    public var meanError: Double
    public var p95Error: Double
    public var maxError: Double
    /// Mean time the policy took per chunk, in seconds.
    public var meanPolicySeconds: Double

    /// An empty report for `targetPeriod`.
    public init(targetPeriod: Double = 0) {
        self.targetPeriod = targetPeriod; count = 0; meanError = 0; p95Error = 0; maxError = 0; meanPolicySeconds = 0
    }

    /// Statistics over `errors` (absolute values are taken).
    public init(targetPeriod: Double, errors: [Double], policySeconds: [Double]) {
        self.targetPeriod = targetPeriod
        let magnitudes = errors.map(abs).sorted()
        count = magnitudes.count
        meanError = magnitudes.isEmpty ? 0 : magnitudes.reduce(0, +) / Double(magnitudes.count)
        p95Error = Self.percentile(magnitudes, 0.95)
        maxError = magnitudes.last ?? 0
        meanPolicySeconds = policySeconds.isEmpty ? 0 : policySeconds.reduce(0, +) / Double(policySeconds.count)
    }

    /// The `p` quantile of sorted values (nearest rank).
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }
}

/// Collects period errors across episodes.
struct TimingRecorder {
    var targetPeriod: Double
    var errors: [Double] = []
    var policySeconds: [Double] = []
    var last: Double? = nil

    /// Records that an action was sent at `time` (seconds on a monotonic clock).
    mutating func tick(_ time: Double) {
        if let last { errors.append((time - last) - targetPeriod) }
        last = time
    }

    /// Starts a new episode (the gap across a reset is not a control period).
    mutating func restart() { last = nil }

    var report: TimingReport { TimingReport(targetPeriod: targetPeriod, errors: errors, policySeconds: policySeconds) }
}

/// Seconds on the monotonic clock.
func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// Sleeps until the monotonic clock reads `deadline` (returns at once if it has passed).
func sleep(until deadline: Double) {
    let now = monotonicSeconds()
    guard deadline > now else { return }
    let delta = deadline - now
    var request = timespec(tv_sec: Int(delta), tv_nsec: Int((delta - Double(Int(delta))) * 1e9))
    var remaining = timespec()
    while nanosleep(&request, &remaining) == -1 && errno == EINTR { request = remaining }
}
