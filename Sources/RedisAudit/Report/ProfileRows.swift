/// The server profiles as the reports show them side by side: one row per property, a cell per
/// endpoint, and whether the endpoints differ there.
enum ProfileRows {
    /// One property of every endpoint.
    struct Row {
        var name: String
        var cells: [String]
        var differs: Bool
    }

    static func rows(_ profiles: [ServerProfile]) -> [Row] {
        var out: [Row] = []
        // Measurements (latency) always differ a little and are not marked as differing.
        func row(_ name: String, measured: Bool = false, _ value: (ServerProfile) -> String) {
            let cells = profiles.map(value)
            out.append(Row(name: name, cells: cells, differs: !measured && Set(cells).count > 1))
        }
        row("kind") { $0.kind.label }
        if profiles.contains(where: { $0.transport == .rest }) {
            row("transport") { p in
                switch p.transport {
                case .rest: return "REST (Upstash API: one HTTP request per command, /pipeline, /multi-exec)"
                case .resp: return "RESP (one connection: pipelines, MULTI/EXEC, blocking commands)"
                case nil: return "n/a"
                }
            }
        }
        row("engine") { p in
            switch (p.engine, p.version) {
            case ("unknown", "unknown"): return "unknown"
            case (let engine, "unknown"): return "\(engine) (version unknown)"
            case (let engine, let version): return "\(engine) \(version)"
            }
        }
        var names: [String] = []
        for p in profiles { for s in p.settings where !names.contains(s.name) { names.append(s.name) } }
        for name in names {
            row(name) { p in p.setting(name).map { $0.isEmpty ? "\"\"" : $0 } ?? "n/a" }
        }
        row("lua (EVAL)") { p in p.lua.map { $0 ? "yes" : "no" } ?? "n/a" }
        row("MULTI/EXEC") { p in p.multi.map { $0 ? "yes" : "no" } ?? "n/a" }
        row("PING p50 / p99", measured: true) { p in
            guard let p50 = p.latencyP50Micros, let p99 = p.latencyP99Micros else { return "n/a" }
            return "\(p50) µs / \(p99) µs"
        }
        row("commands missing") { p in
            let names = p.commands.filter { $0.available == false }.map(\.name)
            var parts = names.isEmpty ? [] : ["unknown: " + names.joined(separator: ", ")]
            if names.isEmpty, !p.commands.isEmpty, p.commands.allSatisfy({ $0.available == nil }) {
                parts.append("unknown (COMMAND refused)")
            }
            if let denied = p.denied, !denied.isEmpty { parts.append("denied: " + denied.joined(separator: ", ")) }
            return parts.isEmpty ? "none" : parts.joined(separator: "; ")
        }
        return out
    }
}
