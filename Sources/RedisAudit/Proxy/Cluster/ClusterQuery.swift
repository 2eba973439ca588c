import NIOCore

/// A request whose reply names cluster nodes, so a proxy in front of a cluster rewrites it:
/// `CLUSTER SLOTS`, `CLUSTER SHARDS` or `CLUSTER NODES`.
enum ClusterQuery: Hashable {
    case slots
    case shards
    case nodes

    /// The query a `CLUSTER` request asks (`frame`: its bytes, multibulk or inline), or nil.
    init?(request frame: ByteBuffer) {
        guard let subcommand = Self.secondArgument(frame)?.uppercased() else { return nil }
        switch subcommand {
        case "SLOTS": self = .slots
        case "SHARDS": self = .shards
        case "NODES": self = .nodes
        default: return nil
        }
    }

    /// The request's second word: `*N\r\n$len\r\nCLUSTER\r\n$len\r\nWORD\r\n...` or `CLUSTER WORD ...\r\n`.
    private static func secondArgument(_ frame: ByteBuffer) -> String? {
        var buffer = frame
        guard buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) == UInt8(ascii: "*") else {
            let line = buffer.readString(length: buffer.readableBytes) ?? ""
            let words = line.split(whereSeparator: \.isWhitespace)
            return words.count > 1 ? String(words[1]) : nil
        }
        guard skipLine(&buffer) != nil else { return nil }
        var argument: String?
        for _ in 0..<2 {
            guard let header = skipLine(&buffer), header.first == "$", let length = Int(header.dropFirst()),
                length >= 0, let text = buffer.readString(length: length)
            else { return nil }
            buffer.moveReaderIndex(forwardBy: min(2, buffer.readableBytes))
            argument = text
        }
        return argument
    }

    /// Reads one line (without its CRLF) as text.
    private static func skipLine(_ buffer: inout ByteBuffer) -> String? {
        guard let end = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\r")) else { return nil }
        let line = buffer.readString(length: end - buffer.readerIndex)
        buffer.moveReaderIndex(forwardBy: min(2, buffer.readableBytes))
        return line
    }
}
