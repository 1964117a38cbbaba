// The vision-language probe: how much VL knowledge a policy holds, measured on the
// held-out `probe` split (never trained on) by asking each question with
// `PolicyModel.answer(image:question:)` and scoring exact match after normalisation.
import CotrainPolicy

/// The probe score of one policy.
public struct ProbeResult: Sendable, Equatable {
    /// Questions answered exactly right, and asked.
    public var correct: Int
    public var total: Int
    /// Per question type ("colour", "shape", "count", …): correct and asked.
    public var byType: [String: Counts]
    /// The first few questions with the expected and given answers (for reports).
    public var examples: [Example]
    /// Right or wrong per question, in question order (pairs two policies' results).
    public var outcomes: [Bool]

    /// Correct and asked questions of one type.
    public struct Counts: Sendable, Equatable {
        public var correct: Int
        public var total: Int
    }

    /// One question, the expected answer and the policy's.
    public struct Example: Sendable, Equatable {
        public var question: String
        public var expected: String
        public var answer: String
    }

    /// Fraction answered exactly right (0 when nothing was asked).
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }
}

/// Runs the VL probe.
public enum VLProbe {
    /// Asks every question/answer pair of `samples` (captions and referring expressions
    /// are not asked: their answers are long and their scoring would be arbitrary).
    /// Greedy decoding, at most `maxTokens` tokens per answer.
    public static func run(model: PolicyModel, samples: [VLSample], maxTokens: Int = 12, keepExamples: Int = 8) throws(TrainerError) -> ProbeResult {
        var result = ProbeResult(correct: 0, total: 0, byType: [:], examples: [], outcomes: [])
        let size = model.config.imageSize
        for sample in samples {
            guard sample.image.width == size, sample.image.height == size else {
                throw .policy("probe sample \(sample.key) is \(sample.image.width)×\(sample.image.height), the model takes \(size)×\(size)")
            }
            for qa in sample.qa {
                let answer: String
                do { answer = try model.answer(image: sample.image.pixels, question: qa.question, maxTokens: maxTokens) } catch {
                    throw .policy("probe question \"\(qa.question)\": \(error.description)")
                }
                let right = normalize(answer) == normalize(qa.answer)
                result.total += 1
                result.outcomes.append(right)
                result.correct += right ? 1 : 0
                result.byType[qa.type, default: ProbeResult.Counts(correct: 0, total: 0)].total += 1
                result.byType[qa.type]!.correct += right ? 1 : 0
                if result.examples.count < keepExamples {
                    result.examples.append(.init(question: qa.question, expected: qa.answer, answer: answer))
                }
            }
        }
        return result
    }

    /// The form answers are compared in: the tokenizer's normalisation (lowercase,
    /// single spaces, trimmed), then trailing punctuation removed.
    public static func normalize(_ text: String) -> String {
        var s = Tokenizer.normalize(text)
        while let last = s.last, last == "." || last == "!" || last == "?" || last == "," || last == " " { s.removeLast() }
        return s
    }
}
