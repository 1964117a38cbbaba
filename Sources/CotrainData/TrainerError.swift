// Why training could not start, continue or finish: each case one line naming the
// input at fault and what to do.
import CotrainCore

/// A problem running the trainer (recipes and data have their own error types).
public enum TrainerError: CotrainError, Equatable {
    /// The policy refused the configuration or a batch; the message says which field.
    case policy(String)
    /// The output directory already holds a checkpoint and `--resume` was not given.
    case checkpointExists(String)
    /// The checkpoint to resume from was trained with another recipe.
    case recipeChanged(checkpoint: String, expected: String, found: String)
    /// A checkpoint could not be read (resume, init, evaluation).
    case badCheckpoint(path: String, reason: String)
    /// The checkpoint to initialise from does not fit the recipe's model.
    case incompatibleInit(path: String, reason: String)
    /// Writing the checkpoint, log or summary failed.
    case output(path: String, reason: String)
    /// The training log does not match the checkpoint it is resumed with.
    case badLog(path: String, reason: String)
    /// A study was stopped (Ctrl-C) during the named part.
    case stopped(String)

    /// One line saying what was wrong and what to do.
    public var description: String {
        switch self {
        case let .policy(why):
            return "trainer: \(why)"
        case let .checkpointExists(dir):
            return "\(dir) already holds a training run (checkpoint.safetensors); pass --resume to continue it or choose another --out"
        case let .recipeChanged(checkpoint, expected, found):
            return "\(checkpoint) was trained with recipe hash \(found.prefix(16))…, not this recipe's \(expected.prefix(16))…; resume with the same recipe or choose another --out"
        case let .badCheckpoint(path, reason):
            return "cannot use checkpoint \(path): \(reason)"
        case let .incompatibleInit(path, reason):
            return "cannot initialise from \(path): \(reason); use a checkpoint trained with the same model sizes"
        case let .output(path, reason):
            return "cannot write \(path): \(reason); check free space and permissions"
        case let .stopped(what):
            return "study stopped while \(what); run the same command again to continue where it stopped"
        case let .badLog(path, reason):
            return "training log \(path) \(reason); delete it to restart the log, or restart the run with a new --out"
        }
    }
}
