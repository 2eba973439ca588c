import Foundation
import Yams

/// `client:`: a preset name (`none`, `redis-py`), or a mapping that may start from one
/// (`preset:`) and sets `retries`, `on`, `backoff` and `resend`.
extension ScenarioReader {
    static let clientKeys = ["preset", "retries", "on", "backoff", "resend"]

    func client(_ node: Node) throws(InputError) -> ClientRetry {
        if node.scalar != nil {
            return try preset(node)
        }
        let entries = try document.mapping(node, accepted: Self.clientKeys, what: "client")
        func value(_ key: String) -> Node? { entries.first { $0.key == key }?.value }
        var client = try value("preset").map { n throws(InputError) in try preset(n) } ?? ClientRetry.none
        if value("preset") == nil { client.preset = nil }
        if let n = value("retries") {
            client.retries = try document.integer(n, "client retries", in: 0...100)
        }
        if let n = value("on") {
            client.on = try failures(n)
        }
        if let n = value("backoff") {
            client.backoff = try backoff(n)
        }
        if let n = value("resend") {
            let raw = try document.string(n, "client resend")
            guard let resend = ClientRetry.Resend(rawValue: raw) else {
                throw document.error("bad client resend '\(raw)' (expected whole or unacknowledged)", at: n)
            }
            client.resend = resend
        }
        return client
    }

    private func preset(_ node: Node) throws(InputError) -> ClientRetry {
        let name = try document.string(node, "client")
        guard let preset = ClientRetry.presets.first(where: { $0.name == name }) else {
            let names = ClientRetry.presets.map(\.name).joined(separator: ", ")
            throw document.error(
                "unknown client preset '\(name)' (presets: \(names); or a mapping with retries, on, backoff, resend)", at: node)
        }
        return preset.client
    }

    private func failures(_ node: Node) throws(InputError) -> [ClientRetry.Failure] {
        let expected = "connection-lost, timeout, or an error class such as LOADING, BUSY, TRYAGAIN, READONLY"
        guard case .sequence = node else {
            throw document.error("client on must be a list: [\(expected)]", at: node)
        }
        var failures: [ClientRetry.Failure] = []
        for item in try document.sequence(node, "client on") {
            let raw = try document.string(item, "a client failure")
            let failure: ClientRetry.Failure
            switch raw {
            case "connection-lost": failure = .connectionLost
            case "timeout": failure = .timeout
            default:
                // An error class is the first word of an error reply: capitals, digits and `_`.
                guard let first = raw.unicodeScalars.first, ("A"..."Z").contains(first),
                    raw.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
                else {
                    throw document.error("bad client failure '\(raw)' (expected \(expected))", at: item)
                }
                failure = .errorClass(raw)
            }
            if !failures.contains(failure) { failures.append(failure) }
        }
        guard !failures.isEmpty else {
            throw document.error("empty client on: list the failures the client retries, or set retries: 0", at: node)
        }
        return failures
    }

    private func backoff(_ node: Node) throws(InputError) -> ClientRetry.Backoff? {
        if node.scalar != nil {
            let raw = try document.string(node, "client backoff")
            guard raw == "none" else {
                throw document.error("bad client backoff '\(raw)' (expected none or { base_ms: N, cap_ms: N })", at: node)
            }
            return nil
        }
        let entries = try document.mapping(node, accepted: ["base_ms", "cap_ms"], what: "client backoff")
        func required(_ key: String) throws(InputError) -> Int {
            guard let n = entries.first(where: { $0.key == key })?.value else {
                throw document.error("client backoff needs \(key) (milliseconds)", at: node)
            }
            return try document.integer(n, "client backoff \(key)", in: 0...60_000)
        }
        let backoff = ClientRetry.Backoff(baseMilliseconds: try required("base_ms"), capMilliseconds: try required("cap_ms"))
        guard backoff.capMilliseconds >= backoff.baseMilliseconds else {
            throw document.error(
                "client backoff cap_ms (\(backoff.capMilliseconds)) is below base_ms (\(backoff.baseMilliseconds))", at: node)
        }
        return backoff
    }
}
