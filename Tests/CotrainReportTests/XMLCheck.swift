// A tiny XML well-formedness checker for the report's output: balanced tags, quoted
// attributes without duplicates, only XML's predefined or numeric entities, no raw '<'
// or '&' in text. Enough to catch broken escaping or a tag left open.

/// Returns nil when `text` is well-formed, else what is wrong and where (byte offset).
func xmlProblem(_ text: String) -> String? {
    let s = Array(text.utf8)
    var i = 0, stack: [String] = [], roots = 0
    func isName(_ c: UInt8) -> Bool {
        (0x61...0x7A).contains(c) || (0x41...0x5A).contains(c) || (0x30...0x39).contains(c) || c == 0x2D || c == 0x5F || c == 0x3A || c == 0x2E
    }
    func name() -> String {
        let start = i
        while i < s.count, isName(s[i]) { i += 1 }
        return String(decoding: s[start..<i], as: UTF8.self)
    }
    func skipSpace() { while i < s.count, [0x20, 0x09, 0x0A, 0x0D].contains(s[i]) { i += 1 } }
    func entityOK(at j: Int) -> Bool {
        guard let end = s[j...].prefix(12).firstIndex(of: 0x3B) else { return false }
        let body = String(decoding: s[(j + 1)..<end], as: UTF8.self)
        if ["amp", "lt", "gt", "quot", "apos"].contains(body) { return true }
        if body.hasPrefix("#x") { return body.count > 2 && UInt32(body.dropFirst(2), radix: 16) != nil }
        if body.hasPrefix("#") { return body.count > 1 && UInt32(body.dropFirst()) != nil }
        return false
    }
    while i < s.count {
        if s[i] == 0x3C {  // <
            if s[i...].starts(with: Array("<!--".utf8)) {
                var j = i + 4
                while j + 2 < s.count, !(s[j] == 0x2D && s[j + 1] == 0x2D && s[j + 2] == 0x3E) { j += 1 }
                i = j + 3; continue
            }
            if s[i...].starts(with: Array("<!DOCTYPE".utf8)) || s[i...].starts(with: Array("<?".utf8)) {
                while i < s.count, s[i] != 0x3E { i += 1 }
                i += 1; continue
            }
            i += 1
            if i < s.count, s[i] == 0x2F {  // </name>
                i += 1
                let n = name()
                skipSpace()
                guard i < s.count, s[i] == 0x3E else { return "malformed end tag </\(n) at \(i)" }
                guard stack.last == n else { return "end tag </\(n)> at \(i) but open element is <\(stack.last ?? "none")>" }
                stack.removeLast(); i += 1; continue
            }
            let n = name()
            guard !n.isEmpty else { return "raw '<' at \(i - 1)" }
            if stack.isEmpty { roots += 1; if roots > 1 { return "second root element <\(n)> at \(i)" } }
            var seen: Set<String> = []
            while true {
                skipSpace()
                guard i < s.count else { return "unterminated tag <\(n)>" }
                if s[i] == 0x3E { stack.append(n); i += 1; break }
                if s[i] == 0x2F { guard i + 1 < s.count, s[i + 1] == 0x3E else { return "bad '/' in <\(n)> at \(i)" }; i += 2; break }
                let a = name()
                guard !a.isEmpty else { return "bad attribute in <\(n)> at \(i)" }
                guard seen.insert(a).inserted else { return "duplicate attribute \(a) in <\(n)> at \(i)" }
                skipSpace()
                guard i < s.count, s[i] == 0x3D else { return "attribute \(a) without '=' at \(i)" }
                i += 1; skipSpace()
                guard i < s.count, s[i] == 0x22 || s[i] == 0x27 else { return "unquoted attribute \(a) at \(i)" }
                let quote = s[i]; i += 1
                while i < s.count, s[i] != quote {
                    if s[i] == 0x3C { return "'<' inside attribute \(a) at \(i)" }
                    if s[i] == 0x26, !entityOK(at: i) { return "bad entity in attribute \(a) at \(i)" }
                    i += 1
                }
                i += 1
            }
        } else {
            if s[i] == 0x26, !entityOK(at: i) { return "bad entity or raw '&' at \(i)" }
            if !stack.isEmpty || [0x20, 0x09, 0x0A, 0x0D].contains(s[i]) { i += 1; continue }
            return "text outside the root element at \(i)"
        }
    }
    return stack.isEmpty ? (roots == 1 ? nil : "no root element") : "unclosed <\(stack.last!)>"
}
