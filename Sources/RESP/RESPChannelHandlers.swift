import NIOCore

/// Decodes the bytes a Redis server sends into one `RESPValue` per reply.
///
/// Replies can be split across reads or share one; consider these received buffers:
///
///     +-----------+---------------+--------------------------+
///     | +OK\r\n:4 | 2\r\n$3\r\nfo | o\r\n*2\r\n:1\r\n$-1\r\n |
///     +-----------+---------------+--------------------------+
///
/// The decoder passes on one value per complete reply:
///
///     +------------------+-------------+---------------+----------------------------+
///     | .simpleString OK | .integer 42 | .bulk "foo"   | .array [.integer 1, .null] |
///     +------------------+-------------+---------------+----------------------------+
///
/// Every readable byte is handed to a `RESPReader` (hiredis keeps its own copy) and consumed
/// at once. A protocol error is thrown as `RESPDecodingError`, after which `ByteToMessageHandler`
/// drops further input. At end of input a half-received reply throws
/// ``RESPDecodingError/truncated(bytes:)``.
///
/// Not `Sendable`: the reader inside belongs to one channel, like `ByteToMessageHandler`
/// itself. Create one decoder per channel, inside the channel initializer.
public struct RESPValueDecoder: ByteToMessageDecoder {
    /// The decoder reads bytes.
    public typealias InboundIn = ByteBuffer
    /// The decoder passes on replies.
    public typealias InboundOut = RESPValue

    private let reader: RESPReader

    /// A decoder with an empty reader that refuses replies past `limits`.
    public init(limits: RESPReplyLimits = RESPReplyLimits()) {
        self.reader = RESPReader(limits: limits)
    }

    /// Feeds all readable bytes to the reader and passes on every complete reply.
    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        self.reader.feed(buffer)
        buffer.moveReaderIndex(to: buffer.writerIndex)
        while let value = try self.reader.next() {
            context.fireChannelRead(Self.wrapInboundOut(value))
        }
        return .needMoreData
    }

    /// Passes on what is complete, then reports a reply cut off by the end of input.
    public mutating func decodeLast(
        context: ChannelHandlerContext,
        buffer: inout ByteBuffer,
        seenEOF: Bool
    ) throws -> DecodingState {
        _ = try self.decode(context: context, buffer: &buffer)
        if self.reader.hasPartialReply {
            throw RESPDecodingError.truncated(bytes: self.reader.unparsedPrefix)
        }
        return .needMoreData
    }
}

@available(*, unavailable, message: "RESPValueDecoder keeps parser state for one channel")
extension RESPValueDecoder: Sendable {}

/// Encodes each outgoing `RESPCommand` as a RESP request.
///
///     write(RESPCommand("GET", "k"))  -->  +------------------------------+
///                                          | *2\r\n$3\r\nGET\r\n$1\r\nk\r\n |
///                                          +------------------------------+
///
/// An empty command fails the write with ``RESPEncodingError/emptyCommand``.
public struct RESPCommandEncoder: MessageToByteEncoder, Sendable {
    /// The encoder takes commands.
    public typealias OutboundIn = RESPCommand

    /// A stateless encoder.
    public init() {}

    /// Appends the command's request bytes to `out`.
    public func encode(data: RESPCommand, out: inout ByteBuffer) throws {
        try RESPCommandEncoding.encode(data, into: &out)
    }
}
