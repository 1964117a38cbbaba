// Two labs with different robots federate the real co-training trainer as `cotrain`
// processes over TLS on loopback: the same --init file, a tiny recipe, two rounds, the
// same journal and base hash on both, and the exported round model evaluates.
import CotrainCore
import Foundation
import Testing

@testable import CotrainFederation

@Suite(.serialized, .enabled(if: cotrainBinary != nil, "needs the cotrain executable (swift build --build-tests)"))
struct RecipeFederationTests {
    typealias Lab = ProcessFederationTests.Lab

    static func cotrain(_ arguments: [String]) throws -> String { try ProcessFederationTests.cotrain(arguments) }

    /// A tiny model (16×16 images, width 32, one layer) shared by both recipes.
    static let model = #""model":{"image_size":16,"patch_size":8,"width":32,"layers":1,"heads":2,"expert_layers":1,"expert_width":32,"chunk":4,"flow_steps":3,"text_tokens":16}"#

    @Test func twoRobotsFederateTheRecipeTrainerAndExportAnEvaluablePolicy() throws {
        let fixture = NodeFixture()
        let dir = fixture.path
        // The federation's common start: one lab trains the initial model on VL data.
        try Array(#"{"format":"cotrain.recipe.v1","name":"init","seed":3,\#(Self.model),"phases":[{"name":"vl","steps":2,"learning_rate":0.001,"batch_size":4,"mixture":{"vl":1}}]}"#.utf8)
            .write(to: "\(dir)/init.json")
        try Array(#"{"format":"cotrain.recipe.v1","name":"lab","seed":5,"sharing":"shared+embodiment",\#(Self.model),"phases":[{"name":"main","steps":6,"learning_rate":0.002,"warmup":1,"batch_size":4,"mixture":{"robot":3,"vl":1}}]}"#.utf8)
            .write(to: "\(dir)/lab.json")
        _ = try Self.cotrain(["data", "vl-generate", "--out", "\(dir)/vl", "--count", "24", "--seed", "1", "--image-size", "16", "--probe-count", "4"])
        _ = try Self.cotrain(["train", "--policy", "\(dir)/init.json", "--vl", "\(dir)/vl", "--out", "\(dir)/initrun", "--threads", "1"])
        for (robot, seed) in [("ur5e", "1"), ("panda", "2")] {
            _ = try Self.cotrain(["data", "collect", "--store", "\(dir)/ep-\(robot)", "--embodiment", robot, "--tasks", "pick",
                                  "--count", "2", "--seed", seed, "--image-size", "16"])
        }

        let a = try Lab("a", in: dir), b = try Lab("b", in: dir)
        let labs = [a, b]
        try a.initialise(embodiment: "ur5e")
        try b.initialise(embodiment: "panda")
        // Lab a names its trainer in config.json (paths relative to the home), lab b with flags.
        var config = try NodeConfig.load(from: "\(a.home)/config.json")
        config.trainer.kind = .recipe
        config.trainer.policy = "../lab.json"
        config.trainer.data = ["../ep-ur5e"]
        config.trainer.vl = ["../vl"]
        config.trainer.initialCheckpoint = "../initrun/checkpoint.safetensors"
        config.trainer.stepsPerRound = 3
        config.trainer.threads = 1
        try config.write(to: "\(a.home)/config.json")
        let rounds = ["--rounds", "2", "--deadline", "10", "--quorum", "2", "--min-peers", "1"]
        try a.serve(rounds)
        try b.serve(rounds + ["--trainer", "recipe", "--policy", "\(dir)/lab.json", "--data", "\(dir)/ep-panda", "--vl", "\(dir)/vl",
                              "--init", "\(dir)/initrun/checkpoint.safetensors", "--steps-per-round", "3", "--threads", "1"])
        try ProcessFederationTests.waitUntil("both nodes listen", labs: labs) {
            labs.allSatisfy { access("\($0.home)/state/control.sock", F_OK) == 0 }
        }
        _ = try Self.cotrain(["peers", "join", a.endpoint, "--id", a.id, "--home", b.home, "--message", "test"])
        _ = try Self.cotrain(["peers", "approve", b.id, "--home", a.home, "--reason", "test"])
        try ProcessFederationTests.waitUntil("two rounds on both nodes", timeout: 40, labs: labs) {
            labs.allSatisfy { $0.records.count == 2 } && a.records == b.records
        }
        #expect(a.records.allSatisfy { $0.entries.count == 2 }, "both labs' deltas in every round")
        let status = try labs.map { try JSONValue.parse(try Self.cotrain(["round", "status", "--home", $0.home, "--json"])) }
        #expect(status[0]["base_hash"]?.string != nil && status[0]["base_hash"] == status[1]["base_hash"])
        #expect(status[0]["head"] == status[1]["head"] && status[0]["round"]?.int == 3)
        for (lab, robot) in [(a, "ur5e"), (b, "panda")] {
            let names = try ParameterSet.load(path: "\(lab.home)/state/model/base.safetensors").names
            #expect(names.contains { $0.hasPrefix("shared.") } && names.contains { $0.hasPrefix("embodiment.\(robot).") })
            #expect(names.allSatisfy { $0.hasPrefix("shared.") || $0.hasPrefix("embodiment.\(robot).") })
        }
        for lab in labs {
            let log = try String(contentsOfFile: "\(lab.home)/state/node.log.jsonl", encoding: .utf8)
            #expect(log.contains("\"message\":\"round trained\""), "\(lab.name) logs its rounds")
            #expect(FileManager.default.fileExists(atPath: "\(lab.home)/state/trainer/checkpoint.safetensors"))
        }

        // The round model, exported while the nodes run, is a policy `cotrain eval` runs.
        for (lab, robot) in [(a, "ur5e"), (b, "panda")] {
            let out = "\(dir)/\(lab.name)-round.safetensors"
            let export = try JSONValue.parse(try Self.cotrain(["round", "export", "--home", lab.home, "--out", out, "--json"]))
            #expect(export["base_hash"] == status[0]["base_hash"] && export["round"]?.int == 2 && export["local_step"]?.int == 6)
            // It may execute its whole chunk of 4 (`--execute`), not more.
            let eval = try JSONValue.parse(try Self.cotrain(["eval", "--policy", out, "--suite", "smoke", "--episodes", "1",
                                                             "--embodiment", robot, "--execute", "4", "--json"]))
            #expect(eval["results"] != nil)
            let tooMany = try runCotrain(["eval", "--policy", out, "--suite", "smoke", "--embodiment", robot, "--execute", "5"])
            #expect(tooMany.status == 2 && tooMany.errors.contains("--execute 5 exceeds") && tooMany.errors.contains("chunk of 4"), "\(tooMany.errors)")
            // `sim trace` replays one episode chunk by chunk, as `eval` runs it.
            let trace = try JSONValue.parse(try Self.cotrain(["sim", "trace", "--policy", out, "--embodiment", robot, "--task", "pick",
                                                              "--seed", "1000", "--json"]))
            let chunks = try #require(trace["chunks"]?.array)
            let steps = try #require(trace["steps"]?.int)
            #expect(chunks.count == (steps + 1) / 2 && chunks.allSatisfy { $0["plan"]?.array?.count == 4 })
            #expect(chunks.first?["labels"]?.array?.count == 6 && chunks.first?["points"] == .null)
            // The smoke suite's first episode is pick, seed 1000: the trace is that episode.
            let first = try #require(eval["results"]?["cells"]?.array?.first?["results"]?.array?.first)
            #expect(trace["instruction"] == first["instruction"] && trace["steps"] == first["steps"] && trace["success"] == first["success"])
            let table = try Self.cotrain(["sim", "trace", "--policy", out, "--embodiment", robot, "--seed", "1000"])
            #expect(table.contains("tool z cm") && table.contains("in \(steps) steps"), "\(table)")
        }
        for lab in labs { #expect(lab.stop() == 0, "\(lab.name) stops cleanly") }
    }
}

extension Array where Element == UInt8 {
    /// Writes the bytes to `path`.
    fileprivate func write(to path: String) throws { try Data(self).write(to: URL(fileURLWithPath: path)) }
}
