import Foundation
import Testing
@testable import CotrainReport

/// The fixture directory next to this file.
let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

/// `path` inside Fixtures.
func fixture(_ name: String) -> String { "\(fixtures)/\(name)" }

/// Bytes of a string.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Expects `body` to throw a ReportError whose message contains every one of `parts`.
func expectReportError(_ parts: String..., sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected a ReportError containing \(parts)", sourceLocation: sourceLocation)
    } catch {
        guard let error = error as? ReportError else {
            Issue.record("expected a ReportError, got \(error)", sourceLocation: sourceLocation)
            return
        }
        for part in parts where !error.description.contains(part) {
            Issue.record("error \"\(error.description)\" does not contain \"\(part)\"", sourceLocation: sourceLocation)
        }
    }
}

/// A minimal evaluation file with one cell.
func evaluationJSON(policy: String = "p", task: String = "pick", condition: String = "nominal", successes: Any = 3, episodes: Any = 4, completion: Any = 0.75) -> String {
    """
    {"format":"cotrain.evaluation.v1","suite":"quick","policy":"\(policy)","robot":"sim","embodiment":"ur5e","complete":true,
     "cells":[{"task":"\(task)","condition":"\(condition)","episodes":\(episodes),"successes":\(successes),"mean_completion":\(completion)}]}
    """
}
