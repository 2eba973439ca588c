import Foundation

/// `record`'s output: the connections a recording proxy kept, split into flows (per connection,
/// then at idle gaps), filtered, a lost connection's commands joined to their resend, and each
/// flow written as a scenario file for a person to review, with an `index.md`.
///
/// ```
///   RecordedConnection ─▶ commands ─▶ retries joined ─▶ CapturedFlow.split ─▶ filters ─▶ ScenarioDraft ─▶ DIR/<name>.yaml
///   (requests, replies)   (RESP2-shaped  (ObservedRetry)   (per connection,     (name,      (steps, vars,     DIR/index.md
///                          replies)                         --gap)               command,    expect, client)
///                                                                                key)
/// ```
public enum TrafficRecording {
    /// Which flows to keep and how to write them.
    public struct Options: Sendable {
        /// Idle seconds that end a flow.
        public var gap: Double = CapturedFlow.defaultGap
        /// Only connections that named themselves so with `CLIENT SETNAME` (all when empty).
        public var clientNames: Set<String> = []
        /// Only flows with one of these commands (all when empty).
        public var commands: Set<String> = []
        /// Only flows touching a key that matches one of these globs (all when empty).
        public var keyPatterns: [String] = []
        /// Write no recorded value, only values of the same shape.
        public var redact = false
        /// Split flows per client host rather than per connection: a cluster client, or one whose
        /// pool spreads a request over several connections, sends one request on several.
        public var byHost = false

        public init() {}
    }

    /// What a recording wrote.
    public struct Result: Sendable {
        /// The drafts written, in flow order, with their files.
        public var written: [(draft: ScenarioDraft, file: String)]
        /// Flows with no command a scenario can replay (no file).
        public var skipped: [ScenarioDraft]
        /// The index file.
        public var index: String
        /// Client connections recorded, and the commands they sent.
        public var connections: Int
        public var commands: Int
        /// Flows the filters left out.
        public var filteredOut: Int
        /// Connections whose recording stopped early, and why.
        public var stopped: [(connection: Int, why: RecordedConnection.Stop)]
        /// Resends after a lost connection the recording saw.
        public var retries: [ObservedRetry]
    }

    /// Writes the flows of `connections` into `output`; `upstream` names where they were recorded.
    public static func write(
        _ connections: [RecordedConnection], upstream: String, output: String, options: Options
    ) throws(InputError) -> Result {
        let named = connections.filter { connection in
            options.clientNames.isEmpty || connection.clientName.map(options.clientNames.contains) == true
        }
        var commandsOf = named.map(\.commands)
        let retries = joinRetries(named, &commandsOf, gap: options.gap)
        let all = commandsOf.flatMap { $0 }
        let scripts = DraftStep.knownScripts(all)
        let flows: [CapturedFlow]
        if options.byHost {
            // In time order; a connection's own commands keep their order whatever the clock says.
            let byHost = zip(named, commandsOf).enumerated().flatMap { connectionIndex, pair in
                pair.1.enumerated().map { position, command -> (CapturedCommand, Int, Int) in
                    var command = command
                    command.client = pair.0.host
                    return (command, connectionIndex, position)
                }
            }
            let ordered = byHost.sorted { a, b in
                a.1 == b.1 ? a.2 < b.2 : (a.0.time, a.1) < (b.0.time, b.1)
            }
            flows = CapturedFlow.split(ordered.map(\.0), gap: options.gap)
        } else {
            flows = commandsOf.flatMap { CapturedFlow.split($0, gap: options.gap) }
        }
        let globs = options.keyPatterns.map(KeyGlob.init)
        let kept = flows.filter { keeps($0, options, globs: globs) }
        let drafts = kept.enumerated().map { index, flow in
            ScenarioDraft(
                flow: flow, index: index + 1, scripts: scripts, captureFile: upstream, redact: options.redact,
                origin: .recording(upstream: upstream), retry: retries.first { $0.flowStart == flow.commands.first }?.retry)
        }
        var filters: [String] = []
        if !options.clientNames.isEmpty { filters.append("client names \(options.clientNames.sorted().joined(separator: ", "))") }
        if !options.commands.isEmpty { filters.append("commands \(options.commands.sorted().joined(separator: ", "))") }
        if !options.keyPatterns.isEmpty { filters.append("keys \(options.keyPatterns.joined(separator: ", "))") }
        let intro =
            "Flows split per client \(options.byHost ? "host (over its connections)" : "connection") and where it was idle for more than \(options.gap) s; "
            + "connection set-up (AUTH, HELLO, CLIENT, SELECT, PING, ...) left out"
            + (filters.isEmpty ? "" : "; kept only flows with \(filters.joined(separator: "; "))")
            + ". Commands sent before the earlier ones were answered are one pipeline step. "
            + "Review each file's header before committing it"
            + (options.redact ? "; recorded values were redacted." : ".")
        var notes: [String] = []
        for connection in named {
            switch connection.stopped {
            case .budgetSpent?:
                notes.append(
                    "conn \(connection.id) (\(connection.client)): the memory budget (--max-memory) was spent; later commands were not recorded"
                )
            case .unpaired(let command)?:
                notes.append(
                    "conn \(connection.id) (\(connection.client)): \(command) ends what a scenario can replay; later commands were not recorded"
                )
            case nil:
                break
            }
        }
        for retry in retries {
            notes.append(
                "\(retry.retry.connections.dropLast().joined(separator: ", ")): lost before its replies came; the resent commands"
                    + " are the start of the flow on \(retry.retry.connections.last ?? "?"), with the commands before them")
        }
        let files = try DraftFiles.write(
            drafts, to: output, title: "Scenarios recorded in front of \(upstream)", intro: intro, notes: notes)
        return Result(
            written: files.written, skipped: files.skipped, index: files.index, connections: named.count,
            commands: named.reduce(0) { $0 + $1.commandCount }, filteredOut: flows.count - kept.count,
            stopped: named.compactMap { c in c.stopped.map { (c.id, $0) } }, retries: retries.map(\.retry))
    }

    /// True when a flow passes the command and key filters.
    static func keeps(_ flow: CapturedFlow, _ options: Options, globs: [KeyGlob]) -> Bool {
        if !options.commands.isEmpty, !flow.commands.contains(where: { options.commands.contains($0.name) }) { return false }
        guard !options.keyPatterns.isEmpty else { return true }
        return flow.commands.contains { command in
            let roles = ArgumentRole.roles(of: command.arguments)
            return zip(command.arguments, roles).contains { argument, role in
                role == .key && globs.contains { $0.matches(argument) }
            }
        }
    }

    /// A resend found: the first command of the flow that carries it, and what was seen.
    struct JoinedRetry {
        var flowStart: CapturedCommand?
        var retry: ObservedRetry
    }

    /// Finds each connection lost with commands unanswered whose commands the same host sent
    /// again first thing on a later connection; moves the lost connection's commands before
    /// them (minus the resent ones) to the start of that connection, so the request is one flow.
    static func joinRetries(
        _ connections: [RecordedConnection], _ commands: inout [[CapturedCommand]], gap: Double
    ) -> [JoinedRetry] {
        var joined: [JoinedRetry] = []
        // For a chain of losses, where the last resend went: index of the connection -> retry found so far.
        var carried: [Int: ObservedRetry] = [:]
        for (index, connection) in connections.enumerated() {
            let own = commands[index]
            guard let lost = own.firstIndex(where: { $0.reply == nil && !CapturedFlow.connectionSetup.contains($0.name) }),
                let batch = own[lost].batch
            else { continue }
            let whole = own.indices.filter { own[$0].batch == batch && !CapturedFlow.connectionSetup.contains(own[$0].name) }
            guard let first = whole.first else { continue }
            let unacknowledged = Array(lost..<(whole.last! + 1))
            for later in connections.indices where later > index && connections[later].host == connection.host {
                let next = commands[later]
                guard let start = next.firstIndex(where: { !CapturedFlow.connectionSetup.contains($0.name) }) else { continue }
                func resends(_ indices: [Int]) -> Bool {
                    start + indices.count <= next.count
                        && zip(indices, next[start..<(start + indices.count)]).allSatisfy { own[$0].arguments == $1.arguments }
                }
                let resend: ObservedRetry.Resend
                if resends(whole) {
                    resend = .whole
                } else if resends(unacknowledged) {
                    resend = .unacknowledged
                } else {
                    break  // the host's next connection does something else: no resend
                }
                var retry =
                    carried.removeValue(forKey: index)
                    ?? ObservedRetry(
                        resends: 0, resend: resend, connections: [], commands: whole.map { own[$0].name })
                retry.resends += 1
                retry.connections.append("conn \(connection.id)")
                // The request's commands before the lost batch (the last flow of the lost connection).
                // A resend of the unacknowledged commands keeps those of the batch that were answered.
                let cut = resend == .whole ? first : lost
                var begin = cut
                while begin > 0, !CapturedFlow.connectionSetup.contains(own[begin - 1].name),
                    own[begin].time - own[begin - 1].time <= gap || begin > first
                {
                    begin -= 1
                }
                // Moved next to the resend, in order, so the request stays one flow whatever the backoff was.
                let shift = next[start].time - own[first].time
                let moved = own[begin..<cut].map { command -> CapturedCommand in
                    var command = command
                    command.client = next[start].client
                    command.time += shift
                    return command
                }
                // A resend may find its own first attempt applied (SADD 0 instead of 1): a resent
                // command is expected to give its first reply, what a run without the loss gets,
                // and nothing when the first reply was lost with the connection.
                let resent = resend == .whole ? whole : unacknowledged
                for (offset, original) in resent.enumerated() {
                    commands[later][start + offset].reply = own[original].reply
                }
                commands[index].removeSubrange(begin..<own.count)
                commands[later].insert(contentsOf: moved, at: start)
                carried[later] = retry
                var found = retry
                found.connections.append("conn \(connections[later].id)")
                // A later loss of the same commands extends the chain; only the last link is kept.
                joined.removeAll { $0.retry.connections.last == "conn \(connection.id)" }
                joined.append(
                    JoinedRetry(
                        flowStart: commands[later].first { !CapturedFlow.connectionSetup.contains($0.name) }, retry: found))
                break
            }
        }
        return joined
    }
}
