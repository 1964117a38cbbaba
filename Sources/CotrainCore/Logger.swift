// Logging: human lines on stderr for the operator, JSON lines in a file for tools.
import Foundation
import Synchronization

/// Severity of a log line.
public enum LogLevel: Int, Comparable, Sendable, CustomStringConvertible {
    case debug, info, warning, error
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }
    public var description: String {
        switch self {
        case .debug: "debug"
        case .info: "info"
        case .warning: "warning"
        case .error: "error"
        }
    }
}

/// A structured logger.
///
/// Each line has a level, a component (e.g. "federation"), a message and key=value
/// fields. Human lines go to stderr (`12:04:05 warn  federation: delta rejected
/// peer=MFRG-… reason=bad signature`) at or above `consoleLevel`; every line at or
/// above `fileLevel` is appended to the JSON-lines file, one object per line:
/// `{"component":…,"fields":{…},"level":…,"message":…,"time":"2026-11-21T12:04:05.123Z"}`.
/// Thread-safe; children made with ``component(_:)`` share the sinks.
public final class Logger: Sendable {
    /// The component name printed on each line.
    public let componentName: String
    private let sink: LogSink

    /// Creates a logger.
    /// - Parameters:
    ///   - component: the subsystem name printed on each line.
    ///   - consoleLevel: the least severe level printed on stderr (nil: none).
    ///   - jsonFile: a file to append JSON lines to (created 0600), or nil.
    ///   - fileLevel: the least severe level written to the file.
    public init(
        component: String, consoleLevel: LogLevel? = .info, jsonFile: String? = nil,
        fileLevel: LogLevel = .debug
    ) throws {
        componentName = component
        var fd: Int32 = -1
        if let jsonFile {
            fd = try sysCall("open", jsonFile) {
                open(jsonFile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
            }
        }
        sink = LogSink(consoleLevel: consoleLevel, fileLevel: fileLevel, fileDescriptor: fd)
    }

    private init(component: String, sink: LogSink) {
        componentName = component
        self.sink = sink
    }

    /// A logger for a sub-component that writes to the same places.
    public func component(_ name: String) -> Logger { Logger(component: name, sink: sink) }

    /// Logs one line. Fields keep their order on the console; the file sorts them.
    public func log(_ level: LogLevel, _ message: String, _ fields: KeyValuePairs<String, String> = [:]) {
        sink.write(level: level, component: componentName, message: message, fields: Array(fields))
    }

    public func debug(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.debug, message, fields) }
    public func info(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.warning, message, fields) }
    public func error(_ message: String, _ fields: KeyValuePairs<String, String> = [:]) { log(.error, message, fields) }
}

/// Where log lines go; shared by a logger and its children.
final class LogSink: Sendable {
    let consoleLevel: LogLevel?
    let fileLevel: LogLevel
    /// Owned; closed in deinit. Appends of one line are atomic with O_APPEND.
    let fileDescriptor: Int32
    private let lock = Mutex(())

    init(consoleLevel: LogLevel?, fileLevel: LogLevel, fileDescriptor: Int32) {
        self.consoleLevel = consoleLevel
        self.fileLevel = fileLevel
        self.fileDescriptor = fileDescriptor
    }

    deinit { if fileDescriptor >= 0 { close(fileDescriptor) } }

    func write(level: LogLevel, component: String, message: String, fields: [(String, String)]) {
        let now = Date()
        let toConsole = consoleLevel.map { level >= $0 } ?? false
        let toFile = fileDescriptor >= 0 && level >= fileLevel
        guard toConsole || toFile else { return }
        lock.withLock { _ in
            if toConsole { Console.error(Self.humanLine(now, level, component, message, fields)) }
            if toFile {
                var line = Self.jsonLine(now, level, component, message, fields)
                line.withUTF8 { _ = Glibc.write(fileDescriptor, $0.baseAddress, $0.count) }
            }
        }
    }

    static func humanLine(_ time: Date, _ level: LogLevel, _ component: String, _ message: String, _ fields: [(String, String)]) -> String {
        let clock = ISO8601.format(time).dropFirst(11).prefix(8)  // HH:MM:SS
        let tag = switch level {
        case .debug: "debug"
        case .info: "info "
        case .warning: "warn "
        case .error: "error"
        }
        let extra = fields.map { key, value in
            " \(key)=" + (value.contains(" ") || value.isEmpty ? "\"\(value)\"" : value)
        }.joined()
        return "\(clock) \(tag) \(component): \(message)\(extra)\n"
    }

    static func jsonLine(_ time: Date, _ level: LogLevel, _ component: String, _ message: String, _ fields: [(String, String)]) -> String {
        let fieldObject = JSONValue.object(fields.map { ($0.0, JSONValue.string($0.1)) })
        let line = JSONValue.object([
            ("time", .string(ISO8601.format(time))),
            ("level", .string(level.description)),
            ("component", .string(component)),
            ("message", .string(message)),
            ("fields", fieldObject),
        ])
        return line.canonicalString + "\n"
    }
}

/// RFC 3339 UTC timestamps with milliseconds, e.g. `2026-11-21T12:04:05.123Z`.
public enum ISO8601 {
    /// Formats `date` in UTC.
    public static func format(_ date: Date) -> String {
        let seconds = date.timeIntervalSince1970
        var whole = time_t(seconds.rounded(.down))
        let millis = Int((seconds - Double(whole)) * 1000)
        var parts = tm()
        gmtime_r(&whole, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }
}
