import NIOConcurrencyHelpers
import RESP

/// A command the handshake sends only as a courtesy (`CLIENT SETNAME`): a host that refuses it
/// (with an error reply, or by closing the connection, as twemproxy does) is still usable.
public struct HandshakeExtra: Hashable, Sendable {
    /// How the extra is named in messages and in the refusal memory (`CLIENT SETNAME`).
    public var name: String
    var command: RESPCommand

    /// `CLIENT SETNAME`, which names the connection in `CLIENT LIST`.
    public static func clientSetName(_ name: String) -> HandshakeExtra {
        HandshakeExtra(name: "CLIENT SETNAME", command: RESPCommand("CLIENT", "SETNAME", name))
    }

    /// The extras the options ask for, in the order they are sent.
    static func requested(by options: ConnectionOptions, endpoint: Endpoint) -> [HandshakeExtra] {
        // A REST request has no connection to name.
        guard let clientName = options.clientName, endpoint.transport == .resp else { return [] }
        return [clientSetName(clientName)]
    }
}

/// The handshake extras each endpoint refused, remembered for the rest of the process so later
/// connections leave them out (and do not lose a connection to learn it again).
public final class HandshakeRefusals: Sendable {
    /// The process-wide memory every connection consults.
    public static let shared = HandshakeRefusals()

    private let refused = NIOLockedValueBox<[Endpoint.Address: Set<String>]>([:])

    public init() {}

    /// The extras `address` refused so far, sorted.
    public func refused(by address: Endpoint.Address) -> [String] {
        refused.withLockedValue { $0[address].map { $0.sorted() } ?? [] }
    }

    /// Remembers that `address` refused `extra`.
    public func remember(_ extra: HandshakeExtra, refusedBy address: Endpoint.Address) {
        _ = refused.withLockedValue { $0[address, default: []].insert(extra.name) }
    }

    /// The requested extras `address` has not refused.
    func remaining(_ extras: [HandshakeExtra], for address: Endpoint.Address) -> [HandshakeExtra] {
        let known = refused.withLockedValue { $0[address] ?? [] }
        return extras.filter { !known.contains($0.name) }
    }
}
