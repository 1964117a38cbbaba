// Helpers shared by the CotrainData tests: scratch directories and small fixtures.
import Foundation
import Testing
@testable import CotrainCore
@testable import CotrainData
import CotrainRuntime
import CotrainSim

/// A fresh directory for one test, removed when the value goes away.
final class Scratch: Sendable {
    let path: String

    init(_ label: String = "cotrain-data-test") {
        var template = Array("\(NSTemporaryDirectory())/\(label).XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(cString: made!)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// A path inside the directory.
    func file(_ name: String) -> String { "\(path)/\(name)" }
}

/// Test images are tiny so collecting stays fast.
let testImageSize = 16

/// A collect plan with tiny images.
func smallPlan(_ embodiment: EmbodimentKind, _ tasks: [TaskFamily] = [.pick, .push], count: Int, seed: UInt64, source: String = "sim") -> CollectPlan {
    var plan = CollectPlan(embodiment: embodiment, tasks: tasks, count: count, seed: seed)
    plan.imageSize = testImageSize
    plan.source = source
    return plan
}

/// Runs `recipe` into `options.outputDirectory` and stops it after `step` steps, as
/// Ctrl-C would (a checkpoint is written at the stop).
func trainInterrupted(_ recipe: Recipe, data: TrainingData, options: TrainerOptions, after step: Int) throws -> TrainingResult {
    let stop = StopRequest()
    return try Trainer(recipe: recipe, data: data, options: options).run(stop: stop) { status in
        if status.step == step { stop.request() }
    }
}

/// Collects `plan` into the store at `root` (created if needed).
@discardableResult
func collect(_ plan: CollectPlan, into root: String) throws -> EpisodeStore {
    var store = try EpisodeStore.openOrCreate(at: root)
    try EpisodeCollector.collect(plan, into: &store)
    return store
}

/// The bytes of a file.
func bytes(_ path: String) throws -> [UInt8] { try readFile(path, limit: 1 << 30) }

/// Overwrites a file in place (for corruption tests).
func overwrite(_ path: String, _ bytes: [UInt8]) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// A solid-colour image.
func solidImage(_ size: Int, _ rgb: (UInt8, UInt8, UInt8)) -> RGBImage {
    var pixels: [UInt8] = []
    for _ in 0..<(size * size) { pixels += [rgb.0, rgb.1, rgb.2] }
    return RGBImage(width: size, height: size, pixels: pixels)
}

/// A ustar header block for `name` with an arbitrary type flag, bypassing TarWriter's
/// name checks (to build hostile archives).
func rawTarHeader(name: String, size: Int, type: UInt8 = UInt8(ascii: "0"), linkName: String = "") -> [UInt8] {
    var block = [UInt8](repeating: 0, count: 512)
    func put(_ text: String, at offset: Int) { for (i, b) in text.utf8.enumerated() { block[offset + i] = b } }
    put(name, at: 0)
    put("0000644\0", at: 100); put("0000000\0", at: 108); put("0000000\0", at: 116)
    let octal = String(size, radix: 8)
    put(String(repeating: "0", count: 11 - octal.count) + octal + "\0", at: 124)
    put("00000000000\0", at: 136)
    block[156] = type
    put(linkName, at: 157)
    put("ustar\0", at: 257); put("00", at: 263)
    for i in 148..<156 { block[i] = 0x20 }
    let sum = block.reduce(0) { $0 + Int($1) }
    let sumText = String(sum, radix: 8)
    put(String(repeating: "0", count: 6 - sumText.count) + sumText + "\0 ", at: 148)
    return block
}

/// A regular-file entry (header + padded contents) with no name checks.
func rawTarEntry(name: String, contents: [UInt8]) -> [UInt8] {
    var out = rawTarHeader(name: name, size: contents.count) + contents
    out += [UInt8](repeating: 0, count: (512 - contents.count % 512) % 512)
    return out
}

/// End-of-archive marker.
let tarEnd = [UInt8](repeating: 0, count: 1024)
