import NIOCore
import RESP

/// A fault the server itself injects, where the endpoint allows it. Each affects every client of
/// the endpoint, not only the audit's, so `inject` tries them only with `--server-faults`.
///
/// ```
///   server-pause  CLIENT PAUSE ms WRITE before the step: its writes wait, the client gives up,
///                 and the server drops them (a failover's write pause)
///   server-sleep  DEBUG SLEEP s before the step: the server is stuck (a slow command); what the
///                 client sent still runs once it wakes, though the client gave up
///   server-kill   the step's first write held by a write pause, then CLIENT KILL of the
///                 application's connection (a failover or maintenance dropping clients)
/// ```
public enum ServerFault: String, CaseIterable, Codable, Sendable, Comparable {
    case pause = "server-pause"
    case sleep = "server-sleep"
    case kill = "server-kill"

    /// The commands the fault needs, as the skip finding names them.
    var requires: String {
        switch self {
        case .pause: return "CLIENT PAUSE ... WRITE"
        case .sleep: return "DEBUG SLEEP"
        case .kill: return "CLIENT KILL and CLIENT PAUSE ... WRITE"
        }
    }

    public static func < (lhs: ServerFault, rhs: ServerFault) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Which server faults an endpoint allows: nil where it does, the refusal where it does not.
    /// The probes are harmless: a 1 ms write pause, a sleep of 0 s, a kill of no client.
    static func probe(_ connection: RedisConnection) async -> [ServerFault: String?] {
        let outcomes = await connection.send([
            RESPCommand("CLIENT", "PAUSE", "1", "WRITE"), RESPCommand("DEBUG", "SLEEP", "0"),
            RESPCommand("CLIENT", "KILL", "ID", "9223372036854775807"),
        ])
        func refusal(_ outcome: CommandOutcome) -> String? {
            switch outcome {
            case .reply(.error(let message)): return message
            case .reply: return nil
            case .failed(let failure): return failure.description
            }
        }
        let pause = refusal(outcomes[0])
        let kill = refusal(outcomes[2]) ?? pause
        return [.pause: pause, .sleep: refusal(outcomes[1]), .kill: kill]
    }

    /// The info finding for a server fault the endpoint refuses.
    static func skipped(_ fault: ServerFault, role: String, refusal: String) -> Finding {
        Finding(
            identity: "server-fault|\(role)|\(fault.rawValue)", severity: .info, category: .serverFault,
            title: "\(fault.rawValue) skipped on \(role): the host refuses \(fault.requires)",
            endpoints: [role], evidence: ["\(role): \(refusal)"],
            why: "Managed hosts often refuse the commands behind server-side faults; the proxy's faults still ran.",
            fix:
                "Nothing to fix; try the server-side faults against a host you control (e.g. a local copy with enable-debug-command yes)."
        )
    }
}

/// Applies one server fault around one step, on a control connection of its own.
struct ServerFaultInjection {
    let fault: ServerFault
    let control: RedisConnection
    /// How long the pause or sleep lasts: beyond the application's command timeout.
    let duration: TimeAmount
    /// The CLIENT SETNAME of the application's connections, to find them for a kill.
    let clientName: String

    /// What is still running once the step was sent, to wait for before the state is read.
    struct Pending: Sendable {
        var task: Task<Void, Never>?
        var until: ContinuousClock.Instant?

        /// Returns once the fault is over.
        func settle() async {
            await task?.value
            if let until, until > .now { try? await Task.sleep(until: until) }
        }
    }

    /// Starts the fault; the caller sends the step next.
    func begin() async -> Pending {
        let ms = String(duration.nanoseconds / 1_000_000)
        switch fault {
        case .pause:
            _ = await control.send([RESPCommand("CLIENT", "PAUSE", ms, "WRITE")])
            return Pending(task: nil, until: .now + .milliseconds(duration.nanoseconds / 1_000_000))
        case .sleep:
            let seconds = String(Double(duration.nanoseconds) / 1e9)
            let control = self.control
            let task = Task { _ = await control.send([RESPCommand("DEBUG", "SLEEP", seconds)], timeout: duration + .seconds(5)) }
            // Let the server start sleeping before the step's commands arrive.
            try? await Task.sleep(for: .milliseconds(30))
            return Pending(task: task, until: nil)
        case .kill:
            _ = await control.send([RESPCommand("CLIENT", "PAUSE", ms, "WRITE")])
            let control = self.control
            let name = clientName
            let task = Task {
                // The step's first write is now held by the pause: drop the connection under it.
                try? await Task.sleep(for: .milliseconds(50))
                if case .reply(let list) = await control.send([RESPCommand("CLIENT", "LIST")])[0], let text = list.text {
                    let ids = text.split(separator: "\n").filter { $0.contains(" name=\(name) ") }.compactMap { line in
                        line.split(separator: " ").first { $0.hasPrefix("id=") }.map { String($0.dropFirst(3)) }
                    }
                    for id in ids { _ = await control.send([RESPCommand("CLIENT", "KILL", "ID", id)]) }
                }
                _ = await control.send([RESPCommand("CLIENT", "UNPAUSE")])
            }
            return Pending(task: task, until: nil)
        }
    }
}
