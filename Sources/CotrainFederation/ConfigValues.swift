// The enumerated values of config.json: embodiment names, aggregation rules and delta
// codecs. Unknown values are refused with the list of known ones.
import CotrainCore

/// A robot embodiment name, as in config.json, peer records and parameter names
/// (`embodiment.<name>.…`).
///
/// Either a built-in name (``known``) or a custom one: `x-` followed by 1–30 lower-case
/// letters, digits or '-' (e.g. `x-kuka-iiwa`). The prefix keeps a typo of a built-in
/// name (`pand`) from being accepted silently as a new embodiment.
public enum EmbodimentName {
    /// The embodiments cotrain knows (the simulator has models for them).
    public static let known = ["ur5e", "panda", "scara", "gantry", "hand"]

    /// Why `name` is not an embodiment name, or nil when it is one.
    public static func problem(with name: String) -> String? {
        if known.contains(name) { return nil }
        let body = name.dropFirst(2)
        if name.hasPrefix("x-"), (1...30).contains(body.count), body.first != "-",
            body.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") })
        {
            return nil
        }
        return "'\(name)' is not one of \(known.joined(separator: ", ")); custom embodiments are named "
            + "x-NAME (lower-case letters, digits, '-'), e.g. x-kuka-iiwa"
    }
}

/// How a node combines the deltas of one round; the names match the aggregation
/// rule's JSON form (`AggregationRule`), which adds trimming and clipping parameters.
public enum AggregationRuleName: String, CaseIterable, Sendable {
    /// Sample-weighted federated averaging.
    case fedavg
    /// Coordinate-wise median.
    case median
    /// Coordinate-wise trimmed mean.
    case trimmedMean = "trimmed_mean"
}

/// How a delta's values are encoded on the wire (always followed by zstd); the names
/// match `DeltaCodec`'s.
public enum DeltaCodecName: String, CaseIterable, Sendable {
    /// Block-quantised int8.
    case int8
    /// IEEE half precision.
    case fp16
    /// bfloat16.
    case bf16
    /// Full precision.
    case fp32
}

extension CaseIterable where Self: RawRepresentable, RawValue == String {
    /// Parses one of the raw values, or throws a ``ConfigError`` listing them.
    static func parse(_ text: String, source: String, field: String) throws(ConfigError) -> Self {
        guard let value = Self(rawValue: text) else {
            let names = allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigError(source, field: field, .invalid("'\(text)' is not one of \(names)"))
        }
        return value
    }
}
