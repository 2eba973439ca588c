internal import CHiredis

/// The one type that touches hiredis: owns a `redisReader` and formats commands with it.
///
/// Every C pointer of this module lives here and never leaves: callers get `RESPValue`s,
/// byte arrays and Swift errors. Every hiredis return code goes through ``check(_:orThrow:)``,
/// and every reply tree hiredis hands out is converted and freed in ``nextReply()``.
///
/// hiredis 0.14.1 builds replies through a table of five functions and says `$-1` and `*-1`
/// alike with `createNil`. The reader installs its own table that wraps the library's defaults:
///
///     redisReaderGetReply
///       |  createString  --> check the CRLF after a bulk payload (hiredis skips it unread),
///       |                    add its length to the reply's weight (refused past the
///       |                    limit), then the default
///       |  createNil     --> the default, then note the task's type (STRING or ARRAY)
///       |                    in the NIL reply's unused `integer` field
///       |  createArray   --> refuse more than `maximumArrayElements`, add `elementWeight`
///       |                    per element to the reply's weight (refused past the limit),
///       |                    then the default
///       |  createInteger, freeObject --> the defaults
///       v
///     redisReply tree --> RESPValue tree --> freeReplyObject
///
/// The table finds its way back to this object through `reader->privdata`, which hiredis copies
/// into every read task's `privdata`.
final class Hiredis {
    /// Bytes kept from the input for error reports.
    static let reportedByteCount = 32

    private let reader: UnsafeMutablePointer<redisReader>
    private let functions: UnsafeMutablePointer<redisReplyObjectFunctions>
    private let defaults: redisReplyObjectFunctions
    /// Why one of our reply functions refused a reply; hiredis itself only records "Out of memory".
    @exclusivity(unchecked) private var rejection: (message: String, bytes: [UInt8])?
    /// The unparsed input where the last `redisReaderGetReply` started, for error reports:
    /// hiredis throws its buffer away when it fails.
    /// Set before every reply by one reader on one thread: no dynamic exclusivity checks.
    @exclusivity(unchecked) private var resumedBytes: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    @exclusivity(unchecked) private var resumedCount = 0

    /// The bytes saved by ``rememberResumePoint()``.
    private var resumedAt: [UInt8] {
        withUnsafeBytes(of: self.resumedBytes) { Array($0.prefix(self.resumedCount)) }
    }

    init() {
        guard let reader = redisReaderCreate() else {
            fatalError("hiredis could not allocate a reader")
        }
        self.reader = reader
        self.defaults = reader.pointee.fn.pointee
        var table = self.defaults
        table.createString = { task, string, length in Hiredis.createString(task, string, length) }
        table.createNil = { task in Hiredis.createNil(task) }
        table.createArray = { task, count in Hiredis.createArray(task, count) }
        self.functions = .allocate(capacity: 1)
        self.functions.initialize(to: table)
        reader.pointee.fn = self.functions
        reader.pointee.privdata = Unmanaged.passUnretained(self).toOpaque()
    }

    deinit {
        redisReaderFree(self.reader)
        self.functions.deinitialize(count: 1)
        self.functions.deallocate()
    }

    /// Appends bytes to hiredis's input buffer (it copies them).
    func feed(_ bytes: UnsafeRawBufferPointer) throws(RESPDecodingError) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        try Self.check(
            redisReaderFeed(self.reader, base.assumingMemoryBound(to: CChar.self), bytes.count),
            orThrow: self.failure()
        )
    }

    /// The next complete reply, or nil when hiredis needs more bytes.
    func nextReply() throws(RESPDecodingError) -> RESPValue? {
        self.rememberResumePoint()
        self.rejection = nil
        var raw: UnsafeMutableRawPointer?
        try Self.check(redisReaderGetReply(self.reader, &raw), orThrow: self.failure())
        guard let raw else { return nil }
        self.builtByteCount = 0
        defer { freeReplyObject(raw) }
        return try Self.value(of: raw.assumingMemoryBound(to: redisReply.self))
    }

    /// True when hiredis holds bytes or a half-built reply that no complete reply has used yet.
    ///
    /// `ridx` alone does not tell: asked for a reply with nothing left to parse, hiredis sets up
    /// an empty read task at depth 0 and leaves it there. A reply is under way when that task has
    /// read its type byte, or when an array has pushed a deeper task.
    var hasPartialReply: Bool {
        let reader = self.reader.pointee
        return reader.len > reader.pos || reader.ridx > 0 || (reader.ridx == 0 && reader.rstack.0.type >= 0)
    }

    /// Bytes fed and not yet parsed into a finished reply or element.
    var bufferedByteCount: Int {
        self.reader.pointee.len - self.reader.pointee.pos
    }

    /// What the reply under way weighs so far: the payload of the strings built, and
    /// ``elementWeight`` for every element its arrays announced; back to 0 when a reply is
    /// handed out.
    private(set) var builtByteCount = 0
    /// The most one reply may weigh (see ``builtByteCount``); a string or an array header
    /// taking the reply past it is refused as hiredis builds it.
    var maxReplyBytes = Int.max
    /// The size a refused reply reached.
    @exclusivity(unchecked) private var oversized: Int?

    /// The length the bulk string hiredis is waiting for announced in its header (`$N`), read
    /// before the payload arrives: hiredis has consumed the `$` and waits at the digits until
    /// `N + 2` more bytes are buffered. Nil when no bulk string is under way or its header is
    /// not complete yet.
    var pendingBulkLength: Int? {
        let reader = self.reader.pointee
        guard reader.ridx >= 0, reader.ridx < 9, let buf = reader.buf else { return nil }
        let type = withUnsafeBytes(of: reader.rstack) { raw in
            raw.bindMemory(to: redisReadTask.self)[Int(reader.ridx)].type
        }
        guard type == REDIS_REPLY_STRING else { return nil }
        var value = 0
        var index = reader.pos
        // A length has at most 19 digits; a header without its CRLF yet is not complete.
        while index < reader.len, index - reader.pos < 20 {
            let byte = UInt8(bitPattern: buf[index])
            if byte == UInt8(ascii: "\r") { return index > reader.pos ? value : nil }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else { return Int.max }
            value = times &+ Int(byte - UInt8(ascii: "0"))
            index += 1
        }
        return nil
    }

    /// The start of the input hiredis has not parsed yet, at most `reportedByteCount` bytes.
    var unparsedPrefix: [UInt8] {
        let pos = self.reader.pointee.pos
        let count = min(self.reader.pointee.len - pos, Self.reportedByteCount)
        guard count > 0, let buf = self.reader.pointee.buf else { return [] }
        return Array(UnsafeRawBufferPointer(start: buf + pos, count: count))
    }

    /// Formats a command with `redisFormatCommandArgv` and lends the bytes to `body`.
    static func formatCommand<Result>(
        _ arguments: [[UInt8]],
        _ body: (UnsafeRawBufferPointer) -> Result
    ) throws(RESPEncodingError) -> Result {
        guard !arguments.isEmpty else { throw .emptyCommand }
        // hiredis counts the formatted length in an `int`: refuse anything it would overflow.
        let formattedLength = RESPCommandEncoding.formattedLength(of: arguments)
        guard formattedLength <= Int(Int32.max) else {
            throw .commandTooLarge(byteCount: formattedLength)
        }
        // One contiguous copy gives every argument a stable address for the duration of the call;
        // the trailing byte keeps the base address non-nil when all arguments are empty.
        var joined: [UInt8] = []
        joined.reserveCapacity(arguments.reduce(1) { $0 + $1.count })
        var offsets: [Int] = []
        offsets.reserveCapacity(arguments.count)
        for argument in arguments {
            offsets.append(joined.count)
            joined.append(contentsOf: argument)
        }
        joined.append(0)
        let lengths = arguments.map(\.count)

        var target: UnsafeMutablePointer<CChar>?
        let code = joined.withUnsafeBytes { raw in
            let base = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
            var argv: [UnsafePointer<CChar>?] = offsets.map { UnsafePointer(base + $0) }
            return redisFormatCommandArgv(&target, Int32(arguments.count), &argv, lengths)
        }
        let length = try Self.check(code, orThrow: RESPEncodingError.formatterFailed)
        guard let target else { throw .formatterFailed }
        defer { redisFreeCommand(target) }
        return body(UnsafeRawBufferPointer(start: target, count: length))
    }

    /// Every hiredis return code passes through here: REDIS_ERR (any negative code) throws
    /// `failure`, anything else (REDIS_OK or a length) is handed back.
    @discardableResult
    private static func check<Failure: Error>(
        _ code: Int32,
        orThrow failure: @autoclosure () -> Failure
    ) throws(Failure) -> Int {
        guard code >= 0 else { throw failure() }
        return Int(code)
    }

    /// The reader's sticky error, as a Swift error.
    private func failure() -> RESPDecodingError {
        if let oversized = self.oversized {
            return .replyTooLarge(bytes: oversized, limit: self.maxReplyBytes)
        }
        if let rejection = self.rejection {
            return .protocolError(message: rejection.message, bytes: rejection.bytes)
        }
        let message = withUnsafeBytes(of: self.reader.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        switch self.reader.pointee.err {
        case REDIS_ERR_PROTOCOL where message.hasPrefix("No support for nested multi bulk"):
            return .nestingTooDeep
        case REDIS_ERR_PROTOCOL:
            return .protocolError(message: message, bytes: self.resumedAt)
        default:
            return .readerFailure(message: message.isEmpty ? "unknown hiredis error" : message)
        }
    }

    private func rememberResumePoint() {
        // A fixed 32-byte copy, no array: this runs before every reply.
        let pos = self.reader.pointee.pos
        let count = min(self.reader.pointee.len - pos, Self.reportedByteCount)
        self.resumedCount = 0
        if count > 0, let buf = self.reader.pointee.buf {
            withUnsafeMutableBytes(of: &self.resumedBytes) { $0.baseAddress!.copyMemory(from: buf + pos, byteCount: count) }
            self.resumedCount = count
        }
    }

    /// Converts one hiredis reply tree; the caller frees it.
    private static func value(of reply: UnsafePointer<redisReply>) throws(RESPDecodingError) -> RESPValue {
        let bytes = UnsafeRawBufferPointer(start: reply.pointee.str, count: reply.pointee.len)
        switch reply.pointee.type {
        case REDIS_REPLY_STATUS:
            return .simpleString(String(decoding: bytes, as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes, as: UTF8.self))
        case REDIS_REPLY_STRING:
            return .bulkString(Array(bytes))
        case REDIS_REPLY_INTEGER:
            return .integer(reply.pointee.integer)
        case REDIS_REPLY_NIL:
            return reply.pointee.integer == Int64(REDIS_REPLY_ARRAY) ? .nullArray : .null
        case REDIS_REPLY_ARRAY:
            let count = reply.pointee.elements
            guard count > 0 else { return .array([]) }
            guard let elements = reply.pointee.element else {
                throw .readerFailure(message: "hiredis returned an array without elements")
            }
            var values: [RESPValue] = []
            values.reserveCapacity(count)
            for index in 0..<count {
                guard let element = elements[index] else {
                    throw .readerFailure(message: "hiredis returned an array with a missing element")
                }
                values.append(try Self.value(of: element))
            }
            return .array(values)
        default:
            throw .readerFailure(message: "hiredis returned reply type \(reply.pointee.type)")
        }
    }

    // MARK: Reply functions called by hiredis

    private static func owner(of task: UnsafePointer<redisReadTask>?) -> Hiredis? {
        guard let privdata = task?.pointee.privdata else { return nil }
        return Unmanaged<Hiredis>.fromOpaque(privdata).takeUnretainedValue()
    }

    private static func createString(
        _ task: UnsafePointer<redisReadTask>?,
        _ string: UnsafeMutablePointer<CChar>?,
        _ length: Int
    ) -> UnsafeMutableRawPointer? {
        guard let task, let owner = Self.owner(of: task), let string else { return nil }
        if task.pointee.type == REDIS_REPLY_STRING {
            // hiredis only calls this once `length + 2` bytes are buffered, and skips the two
            // after the payload without looking: they must be CRLF or the stream is out of step.
            let payload = UnsafeRawPointer(string)
            if payload.load(fromByteOffset: length, as: UInt8.self) != UInt8(ascii: "\r")
                || payload.load(fromByteOffset: length + 1, as: UInt8.self) != UInt8(ascii: "\n")
            {
                let shown = min(length, Self.reportedByteCount - 2)
                owner.rejection = (
                    "Bulk string of \(length) bytes not followed by CRLF",
                    Array(UnsafeRawBufferPointer(start: payload + (length - shown), count: shown + 2))
                )
                return nil  // hiredis reports "Out of memory"; failure() reports the rejection
            }
        }
        owner.builtByteCount += length
        if owner.builtByteCount > owner.maxReplyBytes {
            owner.oversized = owner.builtByteCount
            return nil  // hiredis reports "Out of memory"; failure() reports the size
        }
        return owner.defaults.createString?(task, string, length)
    }

    /// What each element of an array counts towards the reply's size, besides its payload:
    /// roughly what hiredis and the Swift value spend on it.
    static let elementWeight = 64

    /// The most elements an array reply may announce. hiredis allocates the element pointers
    /// up front, so `*2147483647` from a broken or hostile server would reserve 16 GiB.
    static let maximumArrayElements: Int32 = 1 << 24

    private static func createArray(_ task: UnsafePointer<redisReadTask>?, _ count: Int32) -> UnsafeMutableRawPointer? {
        guard let task, let owner = Self.owner(of: task) else { return nil }
        if count > Self.maximumArrayElements {
            owner.rejection = ("Array of \(count) elements exceeds the limit of \(Self.maximumArrayElements)", owner.resumedAt)
            return nil  // hiredis reports "Out of memory"; failure() reports the rejection
        }
        // Each element costs memory whatever it holds: the array is weighed at its header,
        // before hiredis allocates anything for it.
        if count > 0 {
            owner.builtByteCount += Int(count) * Self.elementWeight
            if owner.builtByteCount > owner.maxReplyBytes {
                owner.oversized = owner.builtByteCount
                return nil  // hiredis reports "Out of memory"; failure() reports the size
            }
        }
        return owner.defaults.createArray?(task, count)
    }

    private static func createNil(_ task: UnsafePointer<redisReadTask>?) -> UnsafeMutableRawPointer? {
        guard let task, let owner = Self.owner(of: task),
            let reply = owner.defaults.createNil?(task)
        else { return nil }
        // hiredis leaves `integer` at 0 for NIL; the task type says whether it was `$-1` or `*-1`.
        reply.assumingMemoryBound(to: redisReply.self).pointee.integer = Int64(task.pointee.type)
        return reply
    }
}
