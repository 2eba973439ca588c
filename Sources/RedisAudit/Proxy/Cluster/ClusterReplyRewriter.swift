import NIOCore

/// Rewrites the node addresses in a cluster's replies to the proxy's listeners, so a cluster
/// client that follows them stays behind the proxy.
///
/// ```
///  -MOVED 3999 10.0.0.2:6379        ─▶  -MOVED 3999 127.0.0.1:<listener of 10.0.0.2:6379>
///  CLUSTER SLOTS / SHARDS / NODES   ─▶  each primary at its listener; replicas left out
/// ```
///
/// Replicas have no listener, so they are left out of the rewritten replies: a client never
/// learns an address it could reach around the proxy. A primary without a listener yet (the
/// cluster changed) gets one started, and is left out of the reply meanwhile; a redirection to
/// it becomes `TRYAGAIN`, which cluster clients retry. A reply that cannot be read is replaced
/// by an error rather than passed on with real addresses in it.
struct ClusterReplyRewriter {
    let map: ClusterAddressMap

    /// The message of a redirection to a node that has no listener yet.
    static let notListening = "TRYAGAIN redisaudit proxy: the cluster names a node new to the proxy; try again"
    /// What replaces a topology reply the proxy cannot read.
    static let unreadable = "ERR redisaudit proxy: cannot rewrite the cluster's reply"

    /// True when `buffer` starts with a `-MOVED` or `-ASK` error, which names a node.
    static func isRedirection(_ buffer: ByteBuffer) -> Bool {
        guard buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == UInt8(ascii: "-") else { return false }
        let head = buffer.getString(at: buffer.readerIndex, length: min(6, buffer.readableBytes)) ?? ""
        return head.hasPrefix("-MOVED") || head.hasPrefix("-ASK ")
    }

    /// The reply as the client gets it; `query`: what the request asked, when it lists nodes.
    func rewrite(_ reply: ByteBuffer, answering query: ClusterQuery?) -> ByteBuffer {
        if Self.isRedirection(reply) { return redirection(reply) }
        guard let query else { return reply }
        // An error (no cluster support, a refused command) names no node.
        guard let first = reply.getInteger(at: reply.readerIndex, as: UInt8.self),
            first != UInt8(ascii: "-"), first != UInt8(ascii: "!")
        else { return reply }
        guard let value = WireValue.parse(reply), let rewritten = rewrite(value, answering: query) else {
            return Self.bytes(.line(type: UInt8(ascii: "-"), Array(Self.unreadable.utf8)))
        }
        return Self.bytes(rewritten)
    }

    private static func bytes(_ value: WireValue) -> ByteBuffer {
        var buffer = ByteBuffer()
        value.write(into: &buffer)
        return buffer
    }

    private func rewrite(_ value: WireValue, answering query: ClusterQuery) -> WireValue? {
        switch query {
        case .slots: return slots(value)
        case .shards: return shards(value)
        case .nodes: return nodes(value)
        }
    }

    // MARK: - MOVED and ASK

    /// `-MOVED slot host:port` or `-ASK slot host:port`, pointed at the node's listener.
    private func redirection(_ reply: ByteBuffer) -> ByteBuffer {
        // The line between the dash and its CRLF (the scanner framed it: both are there).
        let line = reply.getString(at: reply.readerIndex + 1, length: max(0, reply.readableBytes - 3)) ?? ""
        var words = line.split(separator: " ", omittingEmptySubsequences: false)
        let message: String
        if words.count == 3, let node = map.node(words[2]) {
            if let port = map.port(for: node) {
                words[2] = Substring("\(map.listenHost):\(port)")
                message = words.joined(separator: " ")
            } else {
                map.unknown(node)
                message = Self.notListening
            }
        } else {
            message = Self.notListening
        }
        return Self.bytes(.line(type: UInt8(ascii: "-"), Array(message.utf8)))
    }

    // MARK: - CLUSTER SLOTS

    /// `[[start, end, [host, port, id, {metadata}], replica...], ...]`: each range with its
    /// primary at its listener and no replica; a range whose primary has no listener is left out.
    private func slots(_ value: WireValue) -> WireValue? {
        guard case .aggregate(let type, let ranges) = value else { return nil }
        var kept: [WireValue] = []
        for range in ranges {
            guard case .aggregate(let rangeType, let fields) = range, fields.count >= 3,
                case .aggregate(let nodeType, var node) = fields[2], node.count >= 2,
                let host = node[0].text, let port = node[1].text.flatMap({ Int($0) })
            else { return nil }
            let announced = Endpoint.Node(host: host.isEmpty || host == "?" ? map.seedHost : host, port: port)
            guard let listener = map.port(for: announced) else {
                map.unknown(announced)
                continue
            }
            node[0] = node[0].replacingText(map.listenHost)
            node[1] = node[1].replacingText(String(listener))
            if node.count > 3 { node[3] = attributes(node[3], port: listener) ?? node[3] }
            kept.append(.aggregate(type: rangeType, [fields[0], fields[1], .aggregate(type: nodeType, node)]))
        }
        return .aggregate(type: type, kept)
    }

    // MARK: - CLUSTER SHARDS

    /// `[{slots: [...], nodes: [{id, port, ip, endpoint, hostname, role, ...}, ...]}, ...]`:
    /// each shard with its primary alone, at its listener; a shard whose primary has no
    /// listener is left out.
    private func shards(_ value: WireValue) -> WireValue? {
        guard case .aggregate(let type, let entries) = value else { return nil }
        var kept: [WireValue] = []
        for entry in entries {
            guard case .aggregate(let entryType, var fields) = entry, fields.count % 2 == 0,
                let nodesIndex = stride(from: 0, to: fields.count, by: 2).first(where: { fields[$0].text == "nodes" }),
                case .aggregate(let nodesType, let nodes) = fields[nodesIndex + 1]
            else { return nil }
            var primary: WireValue?
            var unknownPrimary = false
            for node in nodes {
                guard let attributes = Self.pairs(node) else { return nil }
                guard attributes["role"]?.text == "master" else { continue }
                let host =
                    [attributes["endpoint"]?.text, attributes["ip"]?.text].compactMap { $0 }
                    .first { !$0.isEmpty && $0 != "?" } ?? map.seedHost
                guard let port = (attributes["port"] ?? attributes["tls-port"])?.text.flatMap({ Int($0) }) else { return nil }
                let announced = Endpoint.Node(host: host, port: port)
                guard let listener = map.port(for: announced) else {
                    map.unknown(announced)
                    unknownPrimary = true
                    continue
                }
                primary = self.attributes(node, port: listener)
            }
            guard !unknownPrimary else { continue }
            fields[nodesIndex + 1] = .aggregate(type: nodesType, primary.map { [$0] } ?? [])
            kept.append(.aggregate(type: entryType, fields))
        }
        return .aggregate(type: type, kept)
    }

    /// A node's map of attributes (`CLUSTER SHARDS`, or the metadata of `CLUSTER SLOTS`) with
    /// its addresses at the listener: `ip`, `endpoint` and `hostname` name the listen host,
    /// `port` the listener's port, and `tls-port` is left out (the listeners speak plain TCP).
    private func attributes(_ value: WireValue, port: Int) -> WireValue? {
        guard case .aggregate(let type, let fields) = value, fields.count % 2 == 0 else { return nil }
        var rewritten: [WireValue] = []
        var hasPort = false
        for index in stride(from: 0, to: fields.count, by: 2) {
            let key = fields[index]
            var field = fields[index + 1]
            switch key.text {
            case "ip", "endpoint", "hostname":
                field = field.replacingText(map.listenHost)
            case "port":
                field = field.replacingText(String(port))
                hasPort = true
            case "tls-port":
                if !hasPort, !fields.contains(where: { $0.text == "port" }) {
                    // A TLS-only node: its listener's port, under the name a client reads.
                    rewritten += [key.replacingText("port"), field.replacingText(String(port))]
                    hasPort = true
                }
                continue
            default:
                break
            }
            rewritten += [key, field]
        }
        return .aggregate(type: type, rewritten)
    }

    /// A flat map (`[key, value, ...]` or `%`) by its text keys.
    private static func pairs(_ value: WireValue) -> [String: WireValue]? {
        guard let elements = value.elements, elements.count % 2 == 0 else { return nil }
        var result: [String: WireValue] = [:]
        for index in stride(from: 0, to: elements.count, by: 2) {
            if let key = elements[index].text { result[key] = elements[index + 1] }
        }
        return result
    }

    // MARK: - CLUSTER NODES

    /// One line per node, `id ip:port@cport[,hostname] flags master ...`: each primary's
    /// address at its listener (`@0`: the proxy has no cluster bus); replicas, and primaries
    /// without a listener, are left out.
    private func nodes(_ value: WireValue) -> WireValue? {
        guard let text = value.text else { return nil }
        var lines: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            var fields = line.split(separator: " ", omittingEmptySubsequences: false)
            guard fields.count >= 3 else { return nil }
            let flags = fields[2].split(separator: ",")
            guard flags.contains("master") else { continue }
            let address = fields[1].prefix { $0 != "@" && $0 != "," }
            guard let announced = map.node(address) else { return nil }
            guard let port = map.port(for: announced) else {
                // A primary that lost its address (noaddr, handshake) is no node to reach.
                if announced.port != 0 { map.unknown(announced) }
                continue
            }
            fields[1] = Substring("\(map.listenHost):\(port)@0")
            lines.append(fields.joined(separator: " "))
        }
        return value.replacingText(lines.map { $0 + "\n" }.joined())
    }
}
