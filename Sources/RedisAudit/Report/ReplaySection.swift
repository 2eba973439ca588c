/// `compare`: one scenario's steps as both endpoints ran them, for the side-by-side view.
public struct ScenarioReplay: Codable, Sendable, Hashable {
    /// One step: where it is and its commands.
    public struct Step: Codable, Sendable, Hashable {
        /// `step 2 (pipeline "login") (login.yaml:14)`.
        public var location: String
        public var commands: [Command]
        /// True when a command of the step got a different reply on each endpoint.
        public var differs: Bool

        public init(location: String, commands: [Command]) {
            self.location = location
            self.commands = commands
            self.differs = commands.contains(where: \.differs)
        }
    }

    /// One command and each endpoint's reply (nil where that endpoint did not run it).
    public struct Command: Codable, Sendable, Hashable {
        /// As redis-cli echoes it, on the first endpoint: `> SADD ...`.
        public var command: String
        public var a: [String]?
        public var b: [String]?
        /// True when the replies differ as the reply-mismatch findings judge them.
        public var differs: Bool

        public init(command: String, a: [String]?, b: [String]?, differs: Bool) {
            self.command = command
            self.a = a
            self.b = b
            self.differs = differs
        }
    }

    public var scenario: String
    /// The two endpoints' roles, `A` and `B`.
    public var roles: [String]
    public var steps: [Step]

    public init(scenario: String, roles: [String], steps: [Step]) {
        self.scenario = scenario
        self.roles = roles
        self.steps = steps
    }
}
