/// The keyspace part of the HTML report: a row per key pattern with its keys, types and a small
/// TTL chart (inline SVG); with two endpoints, one table with A and B next to each other and the
/// patterns where they differ marked.
enum HTMLKeyspace {
    /// Patterns drawn per table; the JSON report has them all.
    static let rowLimit = 1000

    static func render(_ section: KeyspaceSection) -> [String] {
        var out = ["<section id=\"keyspace\"><h2>Keyspace</h2>"]
        var read = "Read with SCAN (COUNT \(section.count)" + (section.match.map { ", MATCH \($0)" } ?? "") + "), TYPE and PTTL"
        read += section.memory ? " and MEMORY USAGE; nothing was written." : "; nothing was written."
        out.append("<p>\(HTMLText.escape(read))</p>")
        for table in section.endpoints {
            var line = "\(table.role): \(KeyspaceMarkdown.grouped(table.keysScanned)) keys"
            if let dbsize = table.dbsize { line += " (DBSIZE \(KeyspaceMarkdown.grouped(dbsize)))" }
            line += ", \(KeyspaceMarkdown.count(table.patterns.count, "pattern"))"
            if let nodes = table.nodes { line += ", a cluster of \(KeyspaceMarkdown.count(nodes.count, "shard"))" }
            if !table.complete { line += ", sampled" }
            out.append("<p><b>\(HTMLText.escape(line))</b></p>")
            if let refusal = table.memoryRefused {
                out.append(
                    "<p class=\"muted\">MEMORY USAGE refused by \(HTMLText.escape(table.role)): \(HTMLText.escape(refusal))</p>")
            }
        }
        out.append(
            "<p class=\"muted\">Each chart: the pattern's keys without a TTL (red), then those with one by time left: "
                + KeyspacePatternRow.ttlBandLabels.joined(separator: ", ") + ". Hover a bar for its count.</p>")
        if section.endpoints.count == 2 {
            out += pair(section.endpoints[0], section.endpoints[1])
        } else {
            for table in section.endpoints { out += single(table) }
        }
        out.append("</section>")
        return out
    }

    /// One endpoint's patterns.
    private static func single(_ table: KeyspaceEndpointTable) -> [String] {
        var out = ["<h3>\(HTMLText.escape(table.role))</h3>"]
        out.append(
            "<table class=\"ttl\"><thead><tr><th>pattern</th><th class=\"num\">keys</th><th>types</th><th class=\"num\">no TTL</th>"
                + "<th>TTL</th><th class=\"num\">median</th><th class=\"num\">p95</th><th class=\"num\">max</th></tr></thead><tbody>"
        )
        for row in table.patterns.prefix(rowLimit) {
            out.append(
                "<tr><td><code>\(HTMLText.escape(pattern(row.pattern)))</code></td><td class=\"num\">\(KeyspaceMarkdown.grouped(row.keys))</td>"
                    + "<td>\(HTMLText.escape(types(row)))</td><td class=\"num\">\(KeyspaceMarkdown.grouped(row.withoutTTL))</td>"
                    + "<td>\(chart(row))</td><td class=\"num\">\(KeyspaceMarkdown.duration(row.ttlMedianSeconds))</td>"
                    + "<td class=\"num\">\(KeyspaceMarkdown.duration(row.ttlP95Seconds))</td>"
                    + "<td class=\"num\">\(KeyspaceMarkdown.duration(row.ttlMaxSeconds))</td></tr>")
        }
        out.append("</tbody></table>")
        if table.patterns.count > rowLimit {
            out.append("<p class=\"muted\">… \(table.patterns.count - rowLimit) more patterns in the JSON report.</p>")
        }
        return out
    }

    /// Two endpoints' patterns on shared rows, A's order first.
    private static func pair(_ a: KeyspaceEndpointTable, _ b: KeyspaceEndpointTable) -> [String] {
        var out = ["<h3>\(HTMLText.escape(a.role)) and \(HTMLText.escape(b.role))</h3>"]
        let byA = Dictionary(a.patterns.map { ($0.pattern, $0) }, uniquingKeysWith: { first, _ in first })
        let byB = Dictionary(b.patterns.map { ($0.pattern, $0) }, uniquingKeysWith: { first, _ in first })
        var names = a.patterns.map(\.pattern)
        names += b.patterns.map(\.pattern).filter { byA[$0] == nil }
        let ra = HTMLText.escape(a.role), rb = HTMLText.escape(b.role)
        out.append(
            "<table class=\"ttl\"><thead><tr><th>pattern</th><th class=\"num\">keys \(ra)</th><th class=\"num\">keys \(rb)</th>"
                + "<th class=\"num\">no TTL \(ra)</th><th class=\"num\">no TTL \(rb)</th><th>TTL \(ra)</th><th>TTL \(rb)</th>"
                + "<th class=\"num\">median \(ra) / \(rb)</th><th>differs</th></tr></thead><tbody>")
        for name in names.prefix(rowLimit) {
            let x = byA[name], y = byB[name]
            let why = difference(x, y, roles: (a.role, b.role))
            func keys(_ row: KeyspacePatternRow?) -> String { row.map { KeyspaceMarkdown.grouped($0.keys) } ?? "-" }
            func noTTL(_ row: KeyspacePatternRow?) -> String { row.map { KeyspaceMarkdown.grouped($0.withoutTTL) } ?? "-" }
            let medians = "\(KeyspaceMarkdown.duration(x?.ttlMedianSeconds)) / \(KeyspaceMarkdown.duration(y?.ttlMedianSeconds))"
            out.append(
                "<tr\(why.isEmpty ? "" : " class=\"differs\"")><td><code>\(HTMLText.escape(pattern(name)))</code></td>"
                    + "<td class=\"num\">\(keys(x))</td><td class=\"num\">\(keys(y))</td><td class=\"num\">\(noTTL(x))</td>"
                    + "<td class=\"num\">\(noTTL(y))</td><td>\(x.map(chart) ?? "-")</td><td>\(y.map(chart) ?? "-")</td>"
                    + "<td class=\"num\">\(medians)</td><td>\(HTMLText.escape(why))</td></tr>")
        }
        out.append("</tbody></table>")
        if names.count > rowLimit {
            out.append("<p class=\"muted\">… \(names.count - rowLimit) more patterns in the JSON report.</p>")
        }
        return out
    }

    /// Why a pattern's rows differ between the endpoints, in a few words; empty when they agree.
    static func difference(_ a: KeyspacePatternRow?, _ b: KeyspacePatternRow?, roles: (String, String)) -> String {
        guard let a else { return "only on \(roles.1)" }
        guard let b else { return "only on \(roles.0)" }
        var reasons: [String] = []
        let shareA = Double(a.withoutTTL) / Double(max(1, a.keys)), shareB = Double(b.withoutTTL) / Double(max(1, b.keys))
        if abs(shareA - shareB) > 0.05 {
            reasons.append("no TTL: \(Int((shareA * 100).rounded()))% vs \(Int((shareB * 100).rounded()))%")
        }
        if let ma = a.ttlMedianSeconds, let mb = b.ttlMedianSeconds, max(ma, mb) > 2 * min(ma, mb) + 1 {
            reasons.append("median TTL")
        }
        if max(a.keys, b.keys) > 2 * min(a.keys, b.keys) + 10 { reasons.append("key count") }
        return reasons.joined(separator: ", ")
    }

    /// `Type: keys` most first: `hash, string`.
    private static func types(_ row: KeyspacePatternRow) -> String {
        row.types.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map(\.key).joined(separator: ", ")
    }

    private static func pattern(_ text: String) -> String { text.isEmpty ? "(empty key)" : text }

    /// The TTL chart of one pattern: a bar for the keys without a TTL, then one per band.
    static func chart(_ row: KeyspacePatternRow) -> String {
        let labels = ["no TTL"] + KeyspacePatternRow.ttlBandLabels
        let bands = row.ttlBands ?? [Int](repeating: 0, count: KeyspacePatternRow.ttlBandLabels.count)
        let values = [row.withoutTTL] + bands
        let top = max(1, values.max() ?? 1)
        let bar = 11, gap = 2, height = 26
        var svg =
            "<svg width=\"\(values.count * (bar + gap))\" height=\"\(height + 2)\" role=\"img\" aria-label=\"TTL distribution\">"
        for (index, value) in values.enumerated() {
            let h = value == 0 ? 0 : max(2, Int((Double(value) / Double(top) * Double(height)).rounded()))
            let x = index * (bar + gap)
            let colour = index == 0 ? "#c62828" : "#1f6f8b"
            svg +=
                "<rect x=\"\(x)\" y=\"\(height - h)\" width=\"\(bar)\" height=\"\(h)\" fill=\"\(colour)\">"
                + "<title>\(HTMLText.escape(labels[index])): \(KeyspaceMarkdown.grouped(value)) keys</title></rect>"
            svg += "<rect x=\"\(x)\" y=\"\(height)\" width=\"\(bar)\" height=\"2\" fill=\"#d8dee4\"></rect>"
        }
        return svg + "</svg>"
    }
}
