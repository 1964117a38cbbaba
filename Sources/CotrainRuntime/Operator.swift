// CotrainRuntime/Operator.swift: the person beside a real arm. Before each real episode
// they confirm the scene is set up and the workspace is clear; when the bridge has no
// success signal they score the episode.
import CotrainCore
import Foundation

/// What the operator decided before an episode.
public enum OperatorDecision: Sendable, Equatable {
    /// Start the episode.
    case go
    /// Skip this episode (it is recorded as skipped, not as a failure).
    case skip
    /// Stop the whole evaluation.
    case abort
}

/// Asks the operator; injectable so tests and unattended sim runs need no terminal.
public protocol OperatorInterface {
    /// Called before each real episode with what to set up. Blocks until answered.
    mutating func confirm(episode request: EpisodeRequest, index: Int, of total: Int) -> OperatorDecision
    /// Called after an episode when the robot has no success signal; nil means "not sure"
    /// (the episode is then scored as a failure and flagged).
    mutating func scoreSuccess(episode request: EpisodeRequest, instruction: String) -> Bool?
}

/// Never asks: always starts, never scores. For the simulator and explicit `--yes` runs.
public struct UnattendedOperator: OperatorInterface {
    public init() {}
    public mutating func confirm(episode request: EpisodeRequest, index: Int, of total: Int) -> OperatorDecision { .go }
    public mutating func scoreSuccess(episode request: EpisodeRequest, instruction: String) -> Bool? { nil }
}

/// Prompts on the terminal (stderr) and reads answers from stdin.
public struct TerminalOperator: OperatorInterface {
    public init() {}

    public mutating func confirm(episode request: EpisodeRequest, index: Int, of total: Int) -> OperatorDecision {
        let setup = request.prompt.isEmpty ? "" : "\n  set up: \(request.prompt)"
        Console.error("""
            episode \(index + 1)/\(total): \(request.task.family.rawValue), condition \(request.condition), seed \(request.seed)\(setup)
              Clear the workspace and keep the e-stop in reach. Start? [y = go, s = skip, q = abort] 
            """)
        while let line = readLine() {
            switch line.trimmingCharacters(in: .whitespaces).lowercased() {
            case "y", "yes", "": return .go
            case "s", "skip": return .skip
            case "q", "quit", "abort": return .abort
            default: Console.error("  please answer y, s or q: ")
            }
        }
        return .abort  // stdin closed: nobody is there to watch the arm
    }

    public mutating func scoreSuccess(episode request: EpisodeRequest, instruction: String) -> Bool? {
        Console.error("  did the robot succeed at \"\(instruction)\"? [y/n/? = unsure] ")
        while let line = readLine() {
            switch line.trimmingCharacters(in: .whitespaces).lowercased() {
            case "y", "yes": return true
            case "n", "no": return false
            case "?", "": return nil
            default: Console.error("  please answer y, n or ?: ")
            }
        }
        return nil
    }
}

/// Answers from a fixed script, for tests.
public struct ScriptedOperator: OperatorInterface {
    /// Decisions returned in order (then `.go`), and success scores (then nil).
    public var decisions: [OperatorDecision]
    public var scores: [Bool?]
    /// How many times each question was asked.
    public private(set) var confirmations = 0
    public private(set) var scorings = 0

    public init(decisions: [OperatorDecision] = [], scores: [Bool?] = []) {
        self.decisions = decisions; self.scores = scores
    }

    public mutating func confirm(episode request: EpisodeRequest, index: Int, of total: Int) -> OperatorDecision {
        confirmations += 1
        return decisions.isEmpty ? .go : decisions.removeFirst()
    }

    public mutating func scoreSuccess(episode request: EpisodeRequest, instruction: String) -> Bool? {
        scorings += 1
        return scores.isEmpty ? nil : scores.removeFirst()
    }
}
