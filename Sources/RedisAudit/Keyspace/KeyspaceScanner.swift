import NIOCore
import RESP

/// What `redisaudit keyspace` reads and how: the SCAN options and whether to read memory.
public struct KeyspaceScanOptions: Sendable, Hashable {
    /// `SCAN ... MATCH glob`; nil scans every key.
    public var match: String?
    /// `SCAN ... COUNT n`: how many keys the server looks at per call.
    public var count: Int
    /// Stop after this many keys (for huge keyspaces); nil reads them all.
    public var sample: Int?
    /// Also read `MEMORY USAGE` of every key.
    public var memory: Bool
    /// On a cluster: read each shard on a replica (in `READONLY` mode) rather than its primary.
    public var replicas: Bool

    public init(
        match: String? = nil, count: Int = SettingDefaults.scanCount, sample: Int? = nil, memory: Bool = false,
        replicas: Bool = false
    ) {
        self.match = match
        self.count = count
        self.sample = sample
        self.memory = memory
        self.replicas = replicas
    }
}

/// One batch of keys with what was read about them; keys that vanished between SCAN and
/// TYPE/PTTL (expired or deleted meanwhile) are left out and counted.
public struct KeyspaceBatch: Sendable {
    public var keys: [[UInt8]] = []
    public var types: [KeyType] = []
    /// `PTTL` replies: -1 for no expiry.
    public var pttls: [Int64] = []
    /// `MEMORY USAGE` replies, when asked and allowed.
    public var memory: [Int?] = []
    /// Keys SCAN returned that were gone by the time TYPE or PTTL read them.
    public var vanished = 0
}

/// Reads one endpoint's keyspace with read-only commands only, in pipelined batches that
/// overlap: while the caller digests batch n, batch n+1's TYPE/PTTL and the SCAN after it
/// are already on the wire.
///
/// ```
///   wire:  SCAN c0 │ SCAN c1  TYPE/PTTL b0 │ SCAN c2  TYPE/PTTL b1 │ ...
///   caller:        │                      │ digest b0             │ digest b1
/// ```
/// SCAN's guarantees hold: every key present for the whole scan is returned at least once
/// (a key may come back twice if the table is resized meanwhile).
public actor KeyspaceScanner {
    public let connection: RedisConnection
    public let options: KeyspaceScanOptions
    /// Keys returned so far (after vanished ones are left out).
    public private(set) var keysRead = 0
    /// Keys that vanished between SCAN and the reads.
    public private(set) var vanished = 0
    /// SCAN calls made.
    public private(set) var scanCalls = 0
    /// True when `--sample` stopped the scan before the cursor came back to 0.
    public private(set) var truncated = false
    /// Set when the host refused `MEMORY USAGE` (its reply), after which it is not asked again.
    public private(set) var memoryRefusal: String?
    /// Keys a cluster node redirected (`MOVED`, `ASK`: their slot was being moved to or from it)
    /// and that were read again after `ASKING`.
    public private(set) var askedAgain = 0

    private var scanInFlight: EventLoopFuture<[CommandOutcome]>?
    private var detailsInFlight: [(keys: [[UInt8]], memory: Bool, replies: EventLoopFuture<[CommandOutcome]>)] = []
    private var keysRequested = 0
    private var started = false

    private static let zero = Array("0".utf8)
    private static let scanName = Array("SCAN".utf8)
    private static let typeHead = RESPCommandEncoding.head([Array("TYPE".utf8)])
    private static let pttlHead = RESPCommandEncoding.head([Array("PTTL".utf8)])
    private static let memoryHead = RESPCommandEncoding.head([Array("MEMORY".utf8), Array("USAGE".utf8)])

    public init(connection: RedisConnection, options: KeyspaceScanOptions) {
        self.connection = connection
        self.options = options
    }

    private func scan(cursor: [UInt8]) -> EventLoopFuture<[CommandOutcome]> {
        var arguments: [[UInt8]] = [Self.scanName, cursor]
        if let match = options.match { arguments += [Array("MATCH".utf8), Array(match.utf8)] }
        arguments += [Array("COUNT".utf8), Array(String(options.count).utf8)]
        scanCalls += 1
        return connection.pipeline([RESPCommand(arguments: arguments)])
    }

    private func details(for keys: [[UInt8]]) -> (keys: [[UInt8]], memory: Bool, replies: EventLoopFuture<[CommandOutcome]>) {
        let memory = options.memory && memoryRefusal == nil
        // Encoded straight into one buffer: no command value per key.
        var bytes = connection.makeBuffer(capacity: keys.reduce(0) { $0 + $1.count } * (memory ? 3 : 2) + keys.count * 64)
        for key in keys {
            RESPCommandEncoding.write(head: Self.typeHead, last: key, into: &bytes)
            RESPCommandEncoding.write(head: Self.pttlHead, last: key, into: &bytes)
            if memory { RESPCommandEncoding.write(head: Self.memoryHead, last: key, into: &bytes) }
        }
        return (keys, memory, connection.pipeline(encoded: bytes, count: keys.count * (memory ? 3 : 2)))
    }

    /// The next batch, or nil when the scan is complete (or the sample is full).
    public func next() async throws(EndpointError) -> KeyspaceBatch? {
        if !started {
            started = true
            scanInFlight = scan(cursor: Self.zero)
        }
        while true {
            if let pending = scanInFlight {
                scanInFlight = nil
                let outcome = (try? await pending.get())?.first ?? .failed(.connectionClosed("no reply"))
                var (cursor, keys) = try parseScan(outcome)
                if let sample = options.sample, keysRequested + keys.count >= sample {
                    let room = sample - keysRequested
                    if keys.count > room || cursor != Self.zero { truncated = true }
                    keys = Array(keys.prefix(room))
                    cursor = Self.zero
                }
                keysRequested += keys.count
                // Ask for the next SCAN first: the server works on it while this batch's reads run.
                if cursor != Self.zero { scanInFlight = scan(cursor: cursor) }
                if !keys.isEmpty { detailsInFlight.append(details(for: keys)) }
                // Keep one batch of reads in flight behind the one returned now.
                if detailsInFlight.count < 2 && scanInFlight != nil { continue }
            }
            guard !detailsInFlight.isEmpty else { return nil }
            let pending = detailsInFlight.removeFirst()
            var outcomes = (try? await pending.replies.get()) ?? []
            outcomes = await readRedirectedAgain(keys: pending.keys, memory: pending.memory, outcomes: outcomes)
            return try digest(keys: pending.keys, memory: pending.memory, outcomes: outcomes)
        }
    }

    /// While a cluster moves a slot (a resharding), the node importing it lists the keys it has
    /// received but answers their `TYPE` and `PTTL` with `MOVED` to the slot's owner; after
    /// `ASKING` it serves them. The keys so redirected are read again that way, so each is
    /// counted on the node that holds it; one still redirected left the node after SCAN listed
    /// it, and counts as vanished.
    private func readRedirectedAgain(keys: [[UInt8]], memory: Bool, outcomes: [CommandOutcome]) async -> [CommandOutcome] {
        let stride = memory ? 3 : 2
        guard outcomes.count == keys.count * stride else { return outcomes }
        let redirected = keys.indices.filter { index in
            (0..<stride).contains { Self.isRedirection(outcomes[index * stride + $0]) }
        }
        guard !redirected.isEmpty else { return outcomes }
        let asking = RESPCommand("ASKING")
        var reads: [[[UInt8]]] = [[Array("TYPE".utf8)], [Array("PTTL".utf8)]]
        if memory { reads.append([Array("MEMORY".utf8), Array("USAGE".utf8)]) }
        var commands: [RESPCommand] = []
        for index in redirected {
            for read in reads { commands += [asking, RESPCommand(arguments: read + [keys[index]])] }
        }
        let replies = await connection.send(commands)
        guard replies.count == commands.count else { return outcomes }
        var patched = outcomes
        for (n, index) in redirected.enumerated() {
            for read in 0..<stride { patched[index * stride + read] = replies[(n * stride + read) * 2 + 1] }
        }
        askedAgain += redirected.count
        return patched
    }

    static func isRedirection(_ outcome: CommandOutcome) -> Bool {
        guard case .reply(.error(let message)) = outcome else { return false }
        return message.hasPrefix("MOVED ") || message.hasPrefix("ASK ")
    }

    private func parseScan(_ outcome: CommandOutcome) throws(EndpointError) -> ([UInt8], [[UInt8]]) {
        switch outcome {
        case .failed(let failure):
            throw EndpointError.unreachable(endpoint: connection.endpoint.description, reason: "SCAN: \(failure)")
        case .reply(.error(let message)):
            throw EndpointError.commandRefused(endpoint: connection.endpoint.description, command: "SCAN", reason: message)
        case .reply(.array(let parts)) where parts.count == 2:
            guard case .bulkString(let cursor) = parts[0], case .array(let elements) = parts[1] else { break }
            var keys: [[UInt8]] = []
            keys.reserveCapacity(elements.count)
            for element in elements {
                if case .bulkString(let key) = element { keys.append(key) }
            }
            return (cursor, keys)
        default:
            break
        }
        throw EndpointError.unreachable(endpoint: connection.endpoint.description, reason: "SCAN: unexpected reply")
    }

    private func digest(keys: [[UInt8]], memory: Bool, outcomes: [CommandOutcome]) throws(EndpointError) -> KeyspaceBatch {
        let stride = memory ? 3 : 2
        guard outcomes.count == keys.count * stride else {
            throw EndpointError.unreachable(endpoint: connection.endpoint.description, reason: "TYPE/PTTL: connection lost")
        }
        var batch = KeyspaceBatch()
        batch.keys.reserveCapacity(keys.count)
        batch.types.reserveCapacity(keys.count)
        batch.pttls.reserveCapacity(keys.count)
        for (index, key) in keys.enumerated() {
            let base = index * stride
            // Still redirected after ASKING: the key moved to another node since SCAN listed it.
            if (0..<stride).contains(where: { Self.isRedirection(outcomes[base + $0]) }) {
                batch.vanished += 1
                continue
            }
            let type: String
            switch outcomes[base] {
            case .reply(.simpleString(let name)): type = name
            case .reply(.error(let message)):
                throw EndpointError.commandRefused(endpoint: connection.endpoint.description, command: "TYPE", reason: message)
            case .failed(let failure):
                throw EndpointError.unreachable(endpoint: connection.endpoint.description, reason: "TYPE: \(failure)")
            default: type = "other"
            }
            let pttl: Int64
            switch outcomes[base + 1] {
            case .reply(.integer(let value)): pttl = value
            case .reply(.error(let message)):
                throw EndpointError.commandRefused(endpoint: connection.endpoint.description, command: "PTTL", reason: message)
            case .failed(let failure):
                throw EndpointError.unreachable(endpoint: connection.endpoint.description, reason: "PTTL: \(failure)")
            default: pttl = -1
            }
            if type == "none" || pttl == -2 {
                batch.vanished += 1
                continue
            }
            batch.keys.append(key)
            batch.types.append(KeyType(reply: type))
            batch.pttls.append(pttl)
            if memory {
                switch outcomes[base + 2] {
                case .reply(.integer(let bytes)): batch.memory.append(Int(bytes))
                case .reply(.error(let message)):
                    if memoryRefusal == nil { memoryRefusal = message }
                    batch.memory.append(nil)
                case .failed(let failure):
                    throw EndpointError.unreachable(endpoint: connection.endpoint.description, reason: "MEMORY USAGE: \(failure)")
                default: batch.memory.append(nil)
                }
            }
        }
        keysRead += batch.keys.count
        vanished += batch.vanished
        return batch
    }
}
