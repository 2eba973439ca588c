import RESP

/// An application's Redis command script: variables, steps run in order, and the invariants
/// its final state must satisfy.
public struct Scenario: Sendable {
    /// Short unique name (`login`).
    public var name: String
    /// One sentence on what the script does.
    public var summary: String
    /// Where the script comes from (a report section, a service's function).
    public var source: String?
    /// The file it was loaded from (a path, or the built-in scenario's file).
    public var file: String
    /// Variable definitions, in file order.
    public var variables: [VariableDefinition]
    /// The steps, run in order.
    public var steps: [Step]
    /// Checks on the endpoint's state after the last step.
    public var invariants: [Invariant]
    /// How the application's client library retries a failed call (`client:`); by default it
    /// gives up, and the step's `on_error` decides.
    public var client: ClientRetry = .none
    /// The limits it was loaded under; binding its variables checks them again with the run's values.
    public var limits: InputLimits = .defaults

    public init(
        name: String, summary: String, source: String?, file: String,
        variables: [VariableDefinition], steps: [Step], invariants: [Invariant]
    ) {
        self.name = name
        self.summary = summary
        self.source = source
        self.file = file
        self.variables = variables
        self.steps = steps
        self.invariants = invariants
    }
}

/// A scenario variable: a literal or a generated value.
public struct VariableDefinition: Hashable, Sendable {
    /// How the value is obtained.
    public enum Value: Hashable, Sendable {
        /// A fixed text (numbers in YAML are kept as their text).
        case literal(String)
        /// A random value generated once per run, the same on every endpoint.
        case random(RandomKind, length: Int)
    }

    /// Kinds of generated values.
    public enum RandomKind: String, Hashable, Sendable {
        case hex, uuid
    }

    public var name: String
    public var value: Value
    public var location: SourceLocation

    public init(name: String, value: Value, location: SourceLocation) {
        self.name = name
        self.value = value
        self.location = location
    }
}

/// Text with `${name}` references, rendered with a run's variable values.
/// Lone braces (Redis hash tags such as `{user123}`) are kept as they are.
public struct Template: Hashable, Sendable, CustomStringConvertible {
    /// The text as written in the scenario.
    public let raw: String
    /// The text split into literals and references once, not at every render (the replay
    /// renders each template once per command per client).
    let parsed: Result<[Piece], InputError>

    public init(_ raw: String) {
        self.raw = raw
        self.parsed = Result { () throws(InputError) in try Template.split(raw) }
    }

    public var description: String { raw }

    public static func == (lhs: Template, rhs: Template) -> Bool { lhs.raw == rhs.raw }
    public func hash(into hasher: inout Hasher) { hasher.combine(raw) }
}

/// A command as written in a scenario: the name and argument templates.
public struct CommandTemplate: Hashable, Sendable {
    public var arguments: [Template]
    /// What the reply to this command should be, if the scenario says.
    public var expect: Expectation?
    public var location: SourceLocation

    public init(arguments: [Template], expect: Expectation? = nil, location: SourceLocation) {
        self.arguments = arguments
        self.expect = expect
        self.location = location
    }

    /// The command name as written, upper-cased.
    public var name: String { arguments.first?.raw.uppercased() ?? "" }
}

/// An EVAL step: a Lua body with its KEYS and ARGV.
public struct ScriptCall: Hashable, Sendable {
    public var body: Template
    public var keys: [Template]
    public var args: [Template]
    public var location: SourceLocation

    public init(body: Template, keys: [Template], args: [Template], location: SourceLocation) {
        self.body = body
        self.keys = keys
        self.args = args
        self.location = location
    }

    /// The step as an `EVAL body numkeys keys... args...` command template.
    public var evalCommand: CommandTemplate {
        CommandTemplate(
            arguments: [Template("EVAL"), body, Template(String(keys.count))] + keys + args,
            location: location)
    }
}

/// One step of a scenario.
public struct Step: Hashable, Sendable {
    /// What the step sends.
    public enum Kind: Hashable, Sendable {
        /// One command, one reply.
        case command(CommandTemplate)
        /// Commands sent back to back, replies read per command, no MULTI.
        case pipeline([CommandTemplate])
        /// MULTI, the commands, EXEC.
        case transaction([CommandTemplate])
        /// EVAL with KEYS and ARGV.
        case script(ScriptCall, expect: Expectation?)
        /// A group of steps run by many clients at once, each on its own connection.
        case concurrent(ConcurrentBlock)
    }

    public var kind: Kind
    /// What the application does when the step fails (an error reply or a lost connection).
    public var onError: ErrorPolicy
    /// Optional label shown in reports.
    public var label: String?
    /// True for a step that only establishes what the flow under test starts from (a user who
    /// is already logged in): `inject` injects no fault into it, and the state after the last
    /// setup step is "the state before the run" a stopped request must leave behind.
    public var setup: Bool
    /// True for a step after which the application may stop and leave a consistent state: the
    /// end of one request in a scenario that replays several (five failed logins). `inject` does
    /// not call a stop at such a state a partial apply.
    public var checkpoint: Bool
    /// Inside a `concurrent` block: store the reply as `${capture}` for the client's later steps.
    public var capture: String?
    /// Inside a `concurrent` block: run the step only when all of these hold for the client.
    public var conditions: [StepCondition]
    /// Inside a `concurrent` block: count the clients whose step ran and whose reply satisfies it.
    public var tally: Tally?
    public var location: SourceLocation

    public init(
        kind: Kind, onError: ErrorPolicy = .abort, label: String? = nil, setup: Bool = false, checkpoint: Bool = false,
        location: SourceLocation
    ) {
        self.kind = kind
        self.onError = onError
        self.label = label
        self.setup = setup
        self.checkpoint = checkpoint
        self.capture = nil
        self.conditions = []
        self.tally = nil
        self.location = location
    }

    /// The kind's name as written in scenario files.
    public var kindName: String {
        switch kind {
        case .command: return "command"
        case .pipeline: return "pipeline"
        case .transaction: return "transaction"
        case .script: return "script"
        case .concurrent: return "concurrent"
        }
    }

    /// The commands the step sends, in order, with their expectations
    /// (a transaction's MULTI and EXEC are added by the replay, not listed here).
    public var commands: [CommandTemplate] {
        switch kind {
        case .command(let c): return [c]
        case .pipeline(let cs), .transaction(let cs): return cs
        case .script(let call, let expect):
            var c = call.evalCommand
            c.expect = expect
            return [c]
        case .concurrent(let block):
            return block.steps.flatMap(\.commands)
        }
    }
}

/// What the application does when a step fails.
///
/// A step fails with an error reply (`-ERR ...`, an aborted transaction) or with a transport
/// failure (the connection was lost, no reply within the timeout). The client library may first
/// resend the call itself (the scenario's `client:`, `ClientRetry`: redis-py does by default);
/// the policy sees what it gave up with. A client library throws on a transport failure it gave
/// up on, so only code that catches it (`as-null`) or retries it goes on:
///
/// | policy     | error reply          | lost connection / timeout |
/// |------------|----------------------|---------------------------|
/// | `abort`    | stops                | stops                     |
/// | `continue` | goes on (unchecked)  | stops (the call throws)   |
/// | `as-null`  | goes on, reply nil   | goes on, reply nil        |
/// | `retry: N` | up to N more tries, then stops                   |
public enum ErrorPolicy: Hashable, Sendable {
    /// Stop the scenario (the application throws).
    case abort
    /// Ignore the result and go on; a transport failure still throws and stops the scenario.
    case `continue`
    /// Treat the failure as "not found": a nil reply (the report's error swallowing).
    case asNull
    /// Call the client library again up to N times (each call with the client's own retries), then abort.
    case retry(Int)

    /// How many extra attempts the policy makes.
    public var retries: Int {
        if case .retry(let n) = self { return n }
        return 0
    }

    /// True when a step that failed this way (after its retries) stops the application.
    public func stops(after failure: StepFailure) -> Bool {
        switch self {
        case .abort, .retry: return true
        case .continue: return failure == .transport
        case .asNull: return false
        }
    }

    /// The policy as written in scenario files.
    public var name: String {
        switch self {
        case .abort: return "abort"
        case .continue: return "continue"
        case .asNull: return "as-null"
        case .retry(let n): return "retry: \(n)"
        }
    }
}

/// How a step failed.
public enum StepFailure: String, Hashable, Sendable, Codable {
    /// A reply arrived and it is an error (or an aborted transaction).
    case reply
    /// No reply: the connection was lost or the command timed out.
    case transport
}

/// What a reply should look like; every field given must hold.
public struct Expectation: Hashable, Sendable {
    /// Reply type: `status`, `error`, `integer`, `bulk`, `nil`, `nil-array`, `array`.
    public var type: String?
    /// Exact text of a status, bulk or integer reply.
    public var value: Template?
    /// Integer bounds (inclusive), for integer replies or strings that parse as integers.
    public var integerMin: Int64?
    public var integerMax: Int64?
    /// The array reply's elements, compared as a set.
    public var set: [Template]?
    /// The array reply's elements, in order.
    public var array: [Template]?
    /// The reply must be an error; a non-empty class (`WRONGTYPE`) must match its first word.
    public var errorClass: String?
    /// Severity of a failed expectation (default high).
    public var severity: Severity?
    public var location: SourceLocation

    public init(
        type: String? = nil, value: Template? = nil, integerMin: Int64? = nil, integerMax: Int64? = nil,
        set: [Template]? = nil, array: [Template]? = nil, errorClass: String? = nil,
        severity: Severity? = nil, location: SourceLocation
    ) {
        self.type = type
        self.value = value
        self.integerMin = integerMin
        self.integerMax = integerMax
        self.set = set
        self.array = array
        self.errorClass = errorClass
        self.severity = severity
        self.location = location
    }
}

/// A check on the endpoint's state after the scenario has run.
public struct Invariant: Hashable, Sendable {
    /// What is checked.
    public enum Check: Hashable, Sendable {
        /// The key exists.
        case exists(Template)
        /// The key does not exist.
        case missing(Template)
        /// The key's TTL in seconds is within bounds; judged only when the key exists.
        /// No expiry (-1) fails any `min`.
        case ttl(Template, min: Int64?, max: Int64?)
        /// The key has this Redis type (`string`, `set`, `hash`, ...).
        case type(Template, String)
        /// Every member of the set has a key; `key` uses `${member}`.
        case membersHaveKeys(set: Template, key: Template)
        /// The key holds an integer within bounds (a missing key counts as 0); a bound may be a variable.
        case value(Template, min: Bound?, max: Bound?)
        /// The number of clients a `tally` counted is within bounds.
        case tally(String, min: Bound?, max: Bound?)
        /// The integer at `counter` equals the number of members of `set` (a missing key counts as 0).
        case countsMatch(counter: Template, set: Template)
    }

    public var check: Check
    public var severity: Severity
    public var why: String?
    public var location: SourceLocation

    public init(check: Check, severity: Severity = .high, why: String? = nil, location: SourceLocation) {
        self.check = check
        self.severity = severity
        self.why = why
        self.location = location
    }
}
