// Errors of the report module: each names the input file and, where it applies, the
// line and the JSON field that was wrong.
import CotrainCore

/// Why a report input could not be read or the report could not be written.
public enum ReportError: CotrainError, Equatable {
    /// The file could not be read (missing, not a regular file, too large).
    case unreadable(file: String, reason: String)
    /// The file (or one line of a JSONL file) is not valid JSON.
    case invalidJSON(file: String, line: Int?, reason: String)
    /// A field is missing, of the wrong type or out of range. `field` is a path such as
    /// `cells[2].successes`.
    case invalidField(file: String, line: Int?, field: String, problem: String)
    /// The file is not what the option expects (e.g. `--gif` given a PNG).
    case invalidInput(file: String, reason: String)
    /// The report file could not be written.
    case output(path: String, reason: String)

    /// One line: the file, the line and field, what was wrong.
    public var description: String {
        func at(_ file: String, _ line: Int?) -> String { line.map { "\(file) line \($0)" } ?? file }
        switch self {
        case let .unreadable(file, reason): return "cannot read \(file): \(reason)"
        case let .invalidJSON(file, line, reason): return "\(at(file, line)): not valid JSON: \(reason)"
        case let .invalidField(file, line, field, problem): return "\(at(file, line)): field \(field): \(problem)"
        case let .invalidInput(file, reason): return "\(file): \(reason)"
        case let .output(path, reason): return "cannot write the report to \(path): \(reason)"
        }
    }
}

/// Reads typed fields from a parsed JSON value; every failure is a ``ReportError``
/// naming the file, line and field path.
struct FieldReader {
    let file: String
    var line: Int? = nil

    func fail(_ field: String, _ problem: String) -> ReportError {
        .invalidField(file: file, line: line, field: field, problem: problem)
    }

    /// Parses bytes as one JSON document (limits suit result files, not checkpoints).
    func parse(_ bytes: [UInt8]) throws(ReportError) -> JSONValue {
        do { return try JSONValue.parse(bytes, limits: JSONLimits(maxInputBytes: 64 << 20, maxDepth: 16, maxStringBytes: 1 << 16, maxValues: 4_000_000)) } catch {
            throw .invalidJSON(file: file, line: line, reason: error.description)
        }
    }

    func member(_ object: JSONValue, _ key: String, _ path: String) throws(ReportError) -> JSONValue {
        guard object.object != nil else { throw fail(path.isEmpty ? "(top level)" : path, "is not an object") }
        guard let value = object[key] else { throw fail(join(path, key), "is missing") }
        return value
    }

    func string(_ object: JSONValue, _ key: String, at path: String = "") throws(ReportError) -> String {
        guard let s = try member(object, key, path).string else { throw fail(join(path, key), "is not a string") }
        return s
    }

    func int(_ object: JSONValue, _ key: String, at path: String = "", min: Int = 0) throws(ReportError) -> Int {
        guard let n = try member(object, key, path).int else { throw fail(join(path, key), "is not an integer") }
        guard n >= min else { throw fail(join(path, key), "is \(n), below \(min)") }
        return n
    }

    func number(_ object: JSONValue, _ key: String, at path: String = "") throws(ReportError) -> Double {
        guard let x = try member(object, key, path).double, x.isFinite else { throw fail(join(path, key), "is not a number") }
        return x
    }

    func bool(_ object: JSONValue, _ key: String, at path: String = "") throws(ReportError) -> Bool {
        guard let b = try member(object, key, path).bool else { throw fail(join(path, key), "is not true or false") }
        return b
    }

    func array(_ object: JSONValue, _ key: String, at path: String = "") throws(ReportError) -> [JSONValue] {
        guard let a = try member(object, key, path).array else { throw fail(join(path, key), "is not an array") }
        return a
    }

    /// A lower-case 64-digit hex SHA-256 string.
    func hash(_ object: JSONValue, _ key: String, at path: String = "") throws(ReportError) -> String {
        let s = try string(object, key, at: path)
        guard s.utf8.count == 64, s.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else {
            throw fail(join(path, key), "is not 64 lower-case hex digits")
        }
        return s
    }

    func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}

/// Reads a whole input file (at most `limit` bytes) as a ``ReportError``-throwing call.
func readInput(_ path: String, limit: Int) throws(ReportError) -> [UInt8] {
    do { return try readFile(path, limit: limit) } catch { throw .unreadable(file: path, reason: "\(error)") }
}
