// An external training engine as a LocalTrainer: the node writes the base checkpoint,
// runs the lab's command (e.g. a torchrun wrapper) and reads the trained checkpoint
// back. Both are safetensors files, so any framework can take part.
import CotrainCore
import Foundation

/// Trains by running an external command.
///
/// For each round the node writes `DIR/base.safetensors` and runs `executable` with
/// `arguments` and these environment variables added:
///
/// | variable | value |
/// |---|---|
/// | `COTRAIN_BASE` | path of the base checkpoint (read it) |
/// | `COTRAIN_OUT` | path where the trained checkpoint must be written |
/// | `COTRAIN_ROUND` | the round number |
///
/// The command exits 0 after writing `COTRAIN_OUT` with the base's tensor names and
/// shapes (F32, F16 or BF16) and `"samples": "N"` in the safetensors `__metadata__`.
public struct CommandTrainer: LocalTrainer {
    /// The program to run (an absolute path, or a name looked up in `PATH`).
    public let executable: String
    /// Its arguments.
    public let arguments: [String]
    /// Where the per-round files go (created if missing).
    public let directory: String

    /// A trainer running `executable arguments…` with files in `directory`.
    public init(executable: String, arguments: [String] = [], directory: String) {
        self.executable = executable
        self.arguments = arguments
        self.directory = directory
    }

    public func train(base: ParameterSet, round: Int) throws -> (trained: ParameterSet, samples: Int) {
        if mkdir(directory, 0o700) != 0 && errno != EEXIST { throw SystemError("mkdir", directory, code: errno) }
        let basePath = "\(directory)/base.safetensors", outPath = "\(directory)/trained.safetensors"
        unlink(outPath)
        try base.save(path: basePath, metadata: ["round": String(round)])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.contains("/") ? executable : "/usr/bin/env")
        process.arguments = executable.contains("/") ? arguments : [executable] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["COTRAIN_BASE"] = basePath
        environment["COTRAIN_OUT"] = outPath
        environment["COTRAIN_ROUND"] = String(round)
        process.environment = environment
        do { try process.run() } catch { throw LocalTrainerError("cannot run \(executable): \(error.localizedDescription)") }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw LocalTrainerError("\(executable) exited with status \(process.terminationStatus) in round \(round)")
        }
        let file: SafetensorsFile
        do { file = try SafetensorsFile.open(path: outPath) } catch {
            throw LocalTrainerError("\(executable) did not write a valid \(outPath): \(error)")
        }
        guard let text = file.metadata["samples"], let samples = Int(text), samples >= 1 else {
            throw LocalTrainerError("\(outPath) has no \"samples\" count (≥ 1) in its __metadata__")
        }
        return (try ParameterSet(safetensors: file), samples)
    }
}
