/// Reads a kind's parameters with errors that name the rule.
struct FaultParameterReader {
    let kind: String
    let values: [String: String]

    func milliseconds(_ name: String, required: Bool, default value: Int64 = 0) throws(FaultRuleError) -> Int64 {
        guard let text = values[name] else {
            if required { throw FaultRuleError("\(kind) needs \(name)=MILLISECONDS") }
            return value
        }
        guard let number = Int64(text), number >= 0, number <= 3_600_000 else {
            throw FaultRuleError("\(name) must be a whole number of milliseconds between 0 and 3600000 (got '\(text)')")
        }
        return number
    }

    /// A whole number in `range`, or `value` when not given.
    func count(_ name: String, in range: ClosedRange<Int>, default value: Int? = nil) throws(FaultRuleError) -> Int {
        guard let text = values[name] else {
            if let value { return value }
            throw FaultRuleError("\(kind) needs \(name)=N")
        }
        guard let number = Int(text), range.contains(number) else {
            throw FaultRuleError(
                "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound) (got '\(text)')")
        }
        return number
    }
}
