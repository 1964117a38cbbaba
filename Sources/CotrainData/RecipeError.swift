// Why a recipe was refused: each problem has its own case and its own one-line
// message naming the phase or key and saying how to fix it.
import CotrainCore

/// A recipe that cannot be used as written, or not with the data at hand.
public indirect enum RecipeError: CotrainError, Equatable {
    /// The file is not valid JSON.
    case notJSON(String)
    /// The recipe file does not exist.
    case missingFile(String)
    /// A key is unknown, missing, or has the wrong type (see ``FieldProblem``).
    case field(FieldProblem)
    /// The `format` tag is not one this version reads.
    case unsupportedFormat(String)
    /// A mixture or modality key names no known modality.
    case unknownModality(path: String, name: String, known: [String])
    /// A mixture weight is negative (or not finite).
    case negativeWeight(phase: String, source: String, weight: Double)
    /// A phase's mixture weights sum to zero: nothing to sample.
    case weightsNotPositive(phase: String)
    /// A phase has zero or negative steps.
    case nonPositiveSteps(phase: String, steps: Int)
    /// The recipe has no phases.
    case noPhases
    /// Two phases share a name.
    case duplicatePhase(String)
    /// A numeric or enumerated setting is out of range.
    case invalidValue(path: String, reason: String)
    /// A phase needs data the node does not have.
    case missingData(phase: String, modality: String, hint: String)
    /// The data's images are not the model's input size.
    case imageSizeMismatch(model: Int, data: [Int])
    /// Wraps an error with the file it came from.
    case inFile(String, RecipeError)

    public var description: String {
        switch self {
        case let .notJSON(reason):
            return "recipe is not valid JSON: \(reason)"
        case let .missingFile(path):
            return "no recipe at \(path): give the path of a recipe file (e.g. policies/vl.json; the shipped ones are listed in docs/recipes.md)"
        case let .field(problem):
            return "recipe \(problem.description)"
        case let .unsupportedFormat(format):
            return "recipe format \"\(format)\" is not supported; this version reads \"\(Recipe.format)\""
        case let .unknownModality(path, name, known):
            return "recipe \(path): unknown modality \"\(name)\"; known modalities are \(known.joined(separator: ", "))"
        case let .negativeWeight(phase, source, weight):
            return "recipe phase \"\(phase)\": mixture weight of \(source) is \(weight); weights must be finite and ≥ 0"
        case let .weightsNotPositive(phase):
            return "recipe phase \"\(phase)\": mixture weights sum to 0; give at least one data source a positive weight"
        case let .nonPositiveSteps(phase, steps):
            return "recipe phase \"\(phase)\": steps is \(steps); every phase needs a positive number of steps"
        case .noPhases:
            return "recipe has no phases; add at least one to \"phases\""
        case let .duplicatePhase(name):
            return "recipe has two phases named \"\(name)\"; phase names must be unique"
        case let .invalidValue(path, reason):
            return "recipe \(path): \(reason)"
        case let .missingData(phase, modality, hint):
            return "recipe phase \"\(phase)\" uses \(modality) but no such data is available; \(hint)"
        case let .imageSizeMismatch(model, data):
            let sizes = data.map { "\($0)×\($0)" }.joined(separator: ", ")
            return "recipe model.image_size is \(model) but the data's images are \(sizes); collect/generate at --image-size \(model) or change the recipe"
        case let .inFile(file, error):
            return "\(file): \(error.description)"
        }
    }
}
