/// One Redis command: its arguments as binary-safe byte strings, the name first.
public struct RESPCommand: Hashable, Sendable {
    /// The arguments, `arguments[0]` being the command name.
    public var arguments: [[UInt8]]

    /// A command from raw byte-string arguments.
    public init(arguments: [[UInt8]]) {
        self.arguments = arguments
    }

    /// A command from text arguments, e.g. `RESPCommand("SET", "k", "v")`.
    public init(_ arguments: String...) {
        self.arguments = arguments.map { Array($0.utf8) }
    }

    /// A command from an array of text arguments.
    public init(strings: [String]) {
        self.arguments = strings.map { Array($0.utf8) }
    }

    /// The command name, upper-cased (`""` for an empty command).
    public var name: String {
        guard let first = arguments.first else { return "" }
        return String(decoding: first, as: UTF8.self).uppercased()
    }
}
