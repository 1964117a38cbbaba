// config.json's optional `trainer` object: parsed strictly, written only when set,
// layered file < COTRAIN_TRAINER_* < flags, with config paths relative to the home and
// override paths relative to the current directory.
import CotrainCore
import Foundation
import Testing
@testable import CotrainFederation

@Suite struct NodeConfigTrainerTests {
    func config() throws -> NodeConfig {
        try NodeConfig(lab: "lab-a", embodiments: ["ur5e"], listen: NodeEndpoint(parsing: "127.0.0.1:7443"))
    }

    /// config.json bytes with `trainer` set to `object`.
    func document(trainer object: String) throws -> [UInt8] {
        var text = String(decoding: try config().json.prettyBytes, as: UTF8.self)
        text.removeLast(text.count - text.lastIndex(of: "}")!.utf16Offset(in: text))
        return Array((text + ", \"trainer\": \(object)}").utf8)
    }

    @Test func absentTrainerIsTheDefaultAndNotWritten() throws {
        let plain = try config()
        #expect(plain.trainer == NodeConfig.TrainerSettings() && plain.trainer.kind == .synthetic)
        #expect(plain.json["trainer"] == nil)
    }

    @Test func trainerObjectParsesWritesBackAndResolvesAgainstTheHome() throws {
        let bytes = try document(trainer: #"{"kind":"recipe","policy":"policies/vl.json","data":["../episodes","/data/more"],"vl":["vl"],"init":"base.safetensors","steps_per_round":20,"threads":2}"#)
        let parsed = try NodeConfig.parse(bytes, source: "config.json")
        let t = parsed.trainer
        #expect(t.kind == .recipe && t.policy == "policies/vl.json" && t.data == ["../episodes", "/data/more"] && t.vl == ["vl"])
        #expect(t.initialCheckpoint == "base.safetensors" && t.stepsPerRound == 20 && t.threads == 2)
        #expect(try NodeConfig.parse(parsed.json.prettyBytes, source: "again") == parsed)
        let resolved = t.resolvingPaths(against: "/srv/node")
        #expect(resolved.policy == "/srv/node/policies/vl.json" && resolved.data == ["/srv/node/../episodes", "/data/more"])
        #expect(resolved.vl == ["/srv/node/vl"] && resolved.initialCheckpoint == "/srv/node/base.safetensors")
        // Every key is optional.
        #expect(try NodeConfig.parse(try document(trainer: #"{"kind":"command","command":"python train.py"}"#), source: "c").trainer.command == "python train.py")
    }

    @Test func trainerMistakesAreNamed() throws {
        func error(_ object: String) throws -> ConfigError {
            let bytes = try document(trainer: object)
            return try #require(throws: ConfigError.self) { try NodeConfig.parse(bytes, source: "config.json") }
        }
        #expect(try error(#"{"kind":"torch"}"#).field == "trainer.kind")
        #expect(try error(#"{"policy":"x","polcy":"y"}"#) == ConfigError("config.json", field: "trainer.polcy", .unknownKey))
        #expect(try error(#"{"steps_per_round":0}"#) == ConfigError("config.json", field: "trainer.steps_per_round", .outOfRange(value: "0", allowed: "1...1000000")))
        #expect(try error(#"{"data":"episodes"}"#).field == "trainer.data")
        #expect(try error(#"{"init":""}"#).field == "trainer.init")
        #expect(try error(#""recipe""#).field == "trainer")
    }

    @Test func environmentAndFlagsOverrideTheFileWithPathsFromTheCurrentDirectory() throws {
        let fixture = NodeFixture()
        var file = try config()
        file.trainer.kind = .recipe
        file.trainer.policy = "policies/a.json"
        file.trainer.stepsPerRound = 10
        try file.write(to: fixture.file("config.json"))
        let cwd = FileManager.default.currentDirectoryPath
        let environment = ["COTRAIN_TRAINER_POLICY": "b.json", "COTRAIN_TRAINER_STEPS_PER_ROUND": "30", "COTRAIN_TRAINER_DATA": "e1,/abs/e2"]
        let loaded = try NodeConfig.load(from: fixture.file("config.json"), environment: environment,
                                         overrides: [("trainer.steps_per_round", "40"), ("trainer.init", "/x/base.safetensors")])
        #expect(loaded.trainer.kind == .recipe && loaded.trainer.policy == "\(cwd)/b.json" && loaded.trainer.stepsPerRound == 40)
        #expect(loaded.trainer.data == ["\(cwd)/e1", "/abs/e2"] && loaded.trainer.initialCheckpoint == "/x/base.safetensors")
        #expect(NodeConfig.environmentName(of: "trainer.steps_per_round") == "COTRAIN_TRAINER_STEPS_PER_ROUND")
        #expect(throws: ConfigError.self) {
            try NodeConfig.load(from: fixture.file("config.json"), environment: ["COTRAIN_TRAINER_KIND": "torch"])
        }
        // Without overrides the file's relative path stays, to be resolved against the home.
        #expect(try NodeConfig.load(from: fixture.file("config.json"), environment: [:]).trainer.policy == "policies/a.json")
    }
}
