/// A place in an input file (scenario, config, baseline, fault plan), shown as `FILE:LINE` in
/// errors and reports; line 0 is the file as a whole (it cannot be read, is too large or is not
/// UTF-8), shown as `FILE`.
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public var description: String { line > 0 ? "\(file):\(line)" : file }
}
