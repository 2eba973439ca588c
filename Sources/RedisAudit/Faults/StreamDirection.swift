/// Which way bytes flow, for the faults that act on the byte stream.
public enum StreamDirection: String, Sendable, Hashable {
    /// From the server to the client (toxiproxy's downstream).
    case reply
    /// From the client to the server (toxiproxy's upstream).
    case request

    /// Reads `direction=` (default `reply`).
    init(parameter: String?) throws(FaultRuleError) {
        guard let parameter else {
            self = .reply
            return
        }
        guard let direction = StreamDirection(rawValue: parameter) else {
            throw FaultRuleError("direction must be reply or request (got '\(parameter)')")
        }
        self = direction
    }
}
