import NIOCore
import RESP

/// The request and reply streams of one connection as the faults firing on one command see
/// them: what becomes of the command, how long it and its reply are held, and what changes
/// the byte streams from now on. The proxy session carries out what the faults asked for.
///
/// ```
///  request ─▶ [fate: forward | kill before | kill after | answer | restart] ─▶ held requestDelay ─▶ requestStages ─▶ server
///  client  ◀─ replyStages ◀─ held replyDelay ◀─ [its reply, or the answer] ◀─────────────────────────────────────── server
/// ```
public struct FaultStreams: Sendable {
    /// What becomes of the command; the first fault that decides it (in rule order) wins.
    public enum Fate: Sendable, Hashable {
        /// The command goes to the server and its reply to the client.
        case forward
        /// The connection dies just before the command (`reset`: with a TCP RST): it never runs.
        case killBefore(reset: Bool)
        /// The command runs; the connection dies when its reply arrives, before the client gets it.
        case killAfter(reset: Bool)
        /// The command never reaches the server; the client gets this reply in its place, or none.
        case answer(RESPValue?)
        /// Every connection of the proxy closes, new ones are refused this long; the command is lost.
        case restartServer(TimeAmount)
    }

    /// How a silenced connection ends.
    public enum Silence: Sendable, Hashable {
        /// It stays open, silent, until a side closes it.
        case untilClosed
        /// Both connections close after this long.
        case closingAfter(TimeAmount)
    }

    /// What becomes of the command.
    public private(set) var fate = Fate.forward
    /// How long the command is held before it goes to the server (and everything behind it).
    public private(set) var requestDelay = TimeAmount.zero
    /// How long its reply is held before the client gets it (and everything behind it).
    public private(set) var replyDelay = TimeAmount.zero
    /// Stages the request bytes pass from now on.
    public private(set) var requestStages: [any StreamStage] = []
    /// Stages the reply bytes pass from now on.
    public private(set) var replyStages: [any StreamStage] = []
    /// Set when nothing may pass either way any more (the command included).
    public private(set) var silence: Silence?
    /// Set when a close of either side reaches the other only this much later.
    public private(set) var slowClose: TimeAmount?
    /// How many asks took effect: a fault whose ask was overruled did not fire.
    private(set) var changes = 0
    /// The rules that fired, with what each did; kept only by a schedule that describes its
    /// firings (a proxy with an observer).
    var fired: [FaultSchedule.Firing] = []

    public init() {}

    /// True when nothing was asked for: the command passes untouched.
    var isUntouched: Bool { changes == 0 }

    private mutating func decide(_ fate: Fate) {
        guard self.fate == .forward else { return }
        self.fate = fate
        changes += 1
    }

    /// Kills the connection before the command reaches the server.
    public mutating func killBefore(reset: Bool) { decide(.killBefore(reset: reset)) }
    /// Kills the connection when the command's reply arrives.
    public mutating func killAfter(reset: Bool) { decide(.killAfter(reset: reset)) }
    /// Swallows the command and answers `reply` (nil: never answers).
    public mutating func answer(_ reply: RESPValue?) { decide(.answer(reply)) }
    /// Restarts the server as the client sees it: every connection closes, new ones wait `duration`.
    public mutating func restartServer(for duration: TimeAmount) { decide(.restartServer(duration)) }

    /// Holds the command `delay` longer on its way to the server.
    public mutating func holdRequest(for delay: TimeAmount) {
        requestDelay = requestDelay + delay
        changes += 1
    }

    /// Holds the command's reply `delay` longer on its way to the client.
    public mutating func holdReply(for delay: TimeAmount) {
        replyDelay = replyDelay + delay
        changes += 1
    }

    /// Passes the bytes of one direction through `stage` from now on.
    public mutating func insert(_ stage: any StreamStage, on direction: StreamDirection) {
        switch direction {
        case .request: requestStages.append(stage)
        case .reply: replyStages.append(stage)
        }
        changes += 1
    }

    /// Lets nothing pass any more, either way.
    public mutating func silence(_ silence: Silence) {
        self.silence = silence
        changes += 1
    }

    /// Passes a close of either side on to the other `delay` late.
    public mutating func closeSlowly(after delay: TimeAmount) {
        slowClose = delay
        changes += 1
    }
}
