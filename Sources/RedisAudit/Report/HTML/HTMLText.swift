import Foundation

/// Text made safe for the HTML report: escaped for element content and attribute values
/// (`MarkupText`), JSON that can sit inside a `<script>` element, and anchors.
enum HTMLText {
    /// Text for element content and attribute values alike: every character markup would read
    /// as its entity (line breaks too, which a `title` keeps and a `<pre>` shows as breaks).
    static func escape(_ text: String) -> String { MarkupText.escape(text, inAttribute: true) }

    /// A value as JSON for a `<script type="application/json">` element: no `<` (so no
    /// `</script>`) and no line separators that end a script line.
    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "null" }
        return String(decoding: data, as: UTF8.self)
            .replacingOccurrences(of: "<", with: "\\u003c")
            .replacingOccurrences(of: "\u{2028}", with: "\\u2028")
            .replacingOccurrences(of: "\u{2029}", with: "\\u2029")
    }

    /// An `id` attribute's value from free text: letters, digits and `-` only.
    static func anchor(_ text: String) -> String {
        String(
            text.lowercased().unicodeScalars.map { CharacterSet.alphanumerics.contains($0) && $0.isASCII ? Character($0) : "-" })
    }
}
