import CotrainCore
import Foundation
import Testing
@testable import CotrainFederation

@Suite struct NodeConfigTests {
    func defaultConfig() throws -> NodeConfig {
        try NodeConfig(lab: "lab-a", embodiments: ["panda", "x-kuka-iiwa"], listen: NodeEndpoint(parsing: "[::]:7443"),
                       advertise: NodeEndpoint(parsing: "lab-a.example.org:7443"))
    }

    /// config.json text with `edit` applied to the default document.
    func document(_ edit: (inout [String: Any]) -> Void) throws -> [UInt8] {
        let bytes = try defaultConfig().json.prettyBytes
        var object = try JSONSerialization.jsonObject(with: Data(bytes)) as! [String: Any]
        edit(&object)
        return Array(try JSONSerialization.data(withJSONObject: object))
    }

    func error(_ edit: (inout [String: Any]) -> Void) throws -> ConfigError {
        let bytes = try document(edit)
        return try #require(throws: ConfigError.self) { try NodeConfig.parse(bytes, source: "config.json") }
    }

    @Test func writtenConfigLoadsBackEqualAndIsCanonical() throws {
        let fixture = NodeFixture()
        let config = try defaultConfig()
        try config.write(to: fixture.file("config.json"))
        #expect(try NodeConfig.load(from: fixture.file("config.json")) == config)
        let bytes = try readFile(fixture.file("config.json"), limit: 1 << 20)
        #expect(bytes == (try JSONValue.parse(bytes)).prettyBytes)
    }

    @Test func unknownKeysAreNamed() throws {
        #expect(try error { $0["colour"] = "blue" } == ConfigError("config.json", field: "colour", .unknownKey))
        let nested = try error { object in
            var round = object["round"] as! [String: Any]
            round["quorom"] = 3
            object["round"] = round
        }
        #expect(nested.field == "round.quorom" && nested.problem == .unknownKey)
        #expect(nested.description.contains("'round.quorom' is not a known setting"))
    }

    @Test func wrongTypesMissingFieldsAndRangesAreNamed() throws {
        #expect(try error { $0["lab"] = 5 }.field == "lab")
        #expect(try error { $0["lab"] = 5 }.problem == .wrongType(expected: "a string"))
        #expect(try error { $0["listen"] = nil }.problem == .missing)
        let quorum = try error { object in
            var round = object["round"] as! [String: Any]
            round["quorum"] = 0
            object["round"] = round
        }
        #expect(quorum == ConfigError("config.json", field: "round.quorum", .outOfRange(value: "0", allowed: "1...1000")))
        let rate = try error { object in
            var round = object["round"] as! [String: Any]
            round["server_learning_rate"] = -1
            object["round"] = round
        }
        #expect(rate.field == "round.server_learning_rate")
        let pending = try error { object in
            var limits = object["limits"] as! [String: Any]
            limits["max_pending_requests"] = 1.5
            object["limits"] = limits
        }
        #expect(pending.field == "limits.max_pending_requests" && pending.problem == .wrongType(expected: "an integer"))
        #expect(try error { $0["format"] = 2 }.field == "format")
    }

    @Test(arguments: [
        ("embodiments", #"["pand"]"#), ("embodiments", "[]"), ("embodiments", #"["panda","panda"]"#), ("embodiments", #"["x-"]"#),
        ("embodiments", "[1]"), ("lab", #"" lab""#), ("lab", #""""#), ("listen", #""0.0.0.0""#), ("listen", #""::1:7443""#),
        ("advertise", #""lab:99999""#),
    ])
    func invalidValuesAreNamed(field: String, json: String) throws {
        let value = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
        #expect(try error { $0[field] = value }.field == field)
    }

    @Test func notJSONIsAnError() throws {
        let error = try #require(throws: ConfigError.self) { try NodeConfig.parse(Array("{\"lab\":".utf8), source: "c.json") }
        #expect(error.description.hasPrefix("c.json: the document is invalid: JSON"))
    }

    @Test func environmentOverridesTheFileAndFlagsOverrideTheEnvironment() throws {
        let fixture = NodeFixture()
        try defaultConfig().write(to: fixture.file("config.json"))
        let environment = ["COTRAIN_ROUND_QUORUM": "5", "COTRAIN_LISTEN": "127.0.0.1:9000", "COTRAIN_HOME": "/ignored"]
        let config = try NodeConfig.load(from: fixture.file("config.json"), environment: environment,
                                         overrides: [("listen", "127.0.0.1:9100")])
        #expect(config.round.quorum == 5)
        #expect(config.listen.description == "127.0.0.1:9100")
        #expect(config.round.deadlineSeconds == 900)
        let bad = try #require(throws: ConfigError.self) {
            try NodeConfig.load(from: fixture.file("config.json"), environment: ["COTRAIN_ROUND_AGGREGATION": "mean"])
        }
        #expect(bad.source == "environment COTRAIN_ROUND_AGGREGATION" && bad.field == "round.aggregation")
        #expect(NodeConfig.environmentName(of: "limits.join_requests_per_minute") == "COTRAIN_LIMITS_JOIN_REQUESTS_PER_MINUTE")
    }

    @Test func endpointsParseStrictly() throws {
        #expect(try NodeEndpoint(parsing: "[::1]:7443").host == "::1")
        #expect(try NodeEndpoint(parsing: "[::1]:7443").description == "[::1]:7443")
        #expect(try NodeEndpoint(parsing: "10.0.0.5:1").port == 1)
        #expect(try NodeEndpoint(parsing: "Lab-A.Example.org:65535").description == "lab-a.example.org:65535")
        for bad in ["", "host", "host:", "host:0", "host:65536", "host:+80", ":7443", "::1:7443", "[::1]7443", "[::1:7443",
                    "[lab]:7443", "bad_host:7443", "-lab:7443", "a..b:7443", "1.2.3:7443", "lab a:7443", "héllo:7443"] {
            #expect(throws: NodeEndpointError.self, "\(bad)") { try NodeEndpoint(parsing: bad) }
        }
    }

    @Test func embodimentNames() {
        for good in ["ur5e", "panda", "scara", "gantry", "hand", "x-kuka-iiwa", "x-ur10e"] {
            #expect(EmbodimentName.problem(with: good) == nil, "\(good)")
        }
        for bad in ["Panda", "pand", "x-", "x--a", "x-UR10", "kuka", "x-a.b", String(repeating: "x", count: 40)] {
            #expect(EmbodimentName.problem(with: bad) != nil, "\(bad)")
        }
    }
}
