// Escaping for HTML and SVG text and attributes, and the few markup helpers every
// section uses. All text that comes from an input file goes through `escape`.

/// HTML/XML escaping and small markup helpers.
public enum Markup {
    /// Escapes `&`, `<`, `>`, `"` and `'` so the text is safe in element content and in
    /// double- or single-quoted attributes of both HTML and XML (SVG). Control
    /// characters XML forbids (other than tab, newline, carriage return) become U+FFFD.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                let v = scalar.value
                let forbidden = v < 0x20 || (0x7F...0x9F).contains(v) || v == 0xFFFE || v == 0xFFFF
                out.unicodeScalars.append(forbidden ? "\u{FFFD}" : scalar)
            }
        }
        return out
    }

    /// `<tag attrs>content</tag>` with `content` already markup (not escaped here).
    static func element(_ tag: String, _ attributes: [(String, String)] = [], _ content: String) -> String {
        "<\(tag)\(attributeList(attributes))>\(content)</\(tag)>"
    }

    /// `<tag attrs>escaped text</tag>`.
    static func text(_ tag: String, _ attributes: [(String, String)] = [], _ text: String) -> String {
        element(tag, attributes, escape(text))
    }

    /// ` name="value"` pairs, values escaped.
    static func attributeList(_ attributes: [(String, String)]) -> String {
        attributes.map { " \($0.0)=\"\(escape($0.1))\"" }.joined()
    }

    /// An identifier safe for `id` attributes and fragment links, derived from `text`
    /// (letters and digits kept, everything else `-`).
    static func identifier(_ text: String) -> String {
        let mapped = text.lowercased().unicodeScalars.map { s -> Character in
            (("a"..."z").contains(s) || ("0"..."9").contains(s)) ? Character(s) : "-"
        }
        return String(mapped)
    }
}

/// Number formatting without locale or platform differences: fixed decimals built from
/// integers, so the same value always prints the same way.
public enum NumberText {
    /// `value` with exactly `digits` decimals (half away from zero); "–" when not finite.
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "–" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let scaled = (abs(value) * scale).rounded()
        guard scaled < 9e15 else { return "\(value)" }
        let n = Int64(scaled)
        let divisor = Int64(scale)
        let whole = n / divisor, fraction = n % divisor
        var text = "\(whole)"
        if digits > 0 {
            let f = "\(fraction)"
            text += "." + String(repeating: "0", count: digits - f.count) + f
        }
        return (value < 0 && n != 0 ? "-" : "") + text
    }

    /// An SVG coordinate: one decimal, trailing ".0" dropped.
    static func coordinate(_ value: Double) -> String {
        let text = fixed(value, 1)
        return text.hasSuffix(".0") ? String(text.dropLast(2)) : text
    }

    /// A tick label: as many decimals as `step` needs, thousands as "k" from 10 000 up.
    public static func tick(_ value: Double, step: Double) -> String {
        if abs(value) >= 10_000, (value / 1000).rounded() == value / 1000 {
            return tick(value / 1000, step: max(1, step / 1000)) + "k"
        }
        var digits = 0
        var s = abs(step)
        while s > 0, s < 0.999_999, digits < 12 { s *= 10; digits += 1 }
        return fixed(value, digits)
    }

    /// A rate in [0, 1] as a whole percentage, e.g. "80%".
    public static func percent(_ rate: Double) -> String { fixed(rate * 100, 0) + "%" }

    /// A difference of rates in percentage points with its sign, e.g. "+20" or "-5".
    public static func points(_ difference: Double) -> String {
        let text = fixed(difference * 100, 0)
        return text.hasPrefix("-") || text == "0" ? text.replacingMinus() : "+" + text
    }

    /// A loss value with three significant digits.
    public static func loss(_ value: Double) -> String {
        guard value.isFinite, value != 0 else { return fixed(value, 0) }
        var digits = 2
        var m = abs(value)
        while m < 1, digits < 10 { m *= 10; digits += 1 }
        if abs(value) >= 10 { digits = abs(value) >= 100 ? 0 : 1 }
        return fixed(value, digits)
    }

    /// Three significant digits without trailing zeros, e.g. 2 → "2", 0.25 → "0.25".
    public static func compact(_ value: Double) -> String {
        var text = loss(value)
        guard text.contains(".") else { return text }
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// A byte count in B, kB, MB or GB (decimal units).
    public static func bytes(_ count: Int) -> String {
        let x = Double(count)
        if x < 1000 { return "\(count) B" }
        if x < 1e6 { return fixed(x / 1e3, 1) + " kB" }
        if x < 1e9 { return fixed(x / 1e6, 1) + " MB" }
        return fixed(x / 1e9, 2) + " GB"
    }
}

extension String {
    /// Replaces an ASCII hyphen-minus at the start with a typographic minus sign.
    func replacingMinus() -> String { hasPrefix("-") ? "−" + dropFirst() : self }
}
