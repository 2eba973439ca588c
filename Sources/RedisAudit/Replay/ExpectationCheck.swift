import RESP

/// Judges a reply against a step's `expect`.
enum ExpectationCheck {
    /// nil when the reply meets the expectation, else what is wrong with it.
    static func failure(of expectation: Expectation, outcome: CommandOutcome, bindings: VariableBindings) -> String? {
        guard case .reply(let reply) = outcome else {
            if case .failed(let failure) = outcome { return "no reply: \(failure)" }
            return "no reply"
        }
        if let errorClass = expectation.errorClass {
            guard let actual = reply.errorClass else { return "expected an error, got \(reply.redisCLIDescription)" }
            if !errorClass.isEmpty && errorClass.uppercased() != "ANY" && actual.uppercased() != errorClass.uppercased() {
                return "expected a \(errorClass) error, got \(reply.redisCLIDescription)"
            }
            return nil
        }
        if reply.isError && expectation.type != "error" {
            return "expected success, got \(reply.redisCLIDescription)"
        }
        if let type = expectation.type, reply.typeName != type {
            return "expected a reply of type \(type), got \(reply.typeName): \(reply.redisCLIDescription)"
        }
        if let value = expectation.value {
            let wanted = (try? value.render(bindings)) ?? value.raw
            if reply.text != wanted { return "expected \"\(wanted)\", got \(reply.redisCLIDescription)" }
        }
        if expectation.integerMin != nil || expectation.integerMax != nil {
            guard let number = reply.integerValue else { return "expected an integer, got \(reply.redisCLIDescription)" }
            if let min = expectation.integerMin, number < min { return "expected at least \(min), got \(number)" }
            if let max = expectation.integerMax, number > max { return "expected at most \(max), got \(number)" }
        }
        if let set = expectation.set {
            let wanted = Set(set.map { (try? $0.render(bindings)) ?? $0.raw })
            guard let elements = reply.arrayElements else { return "expected an array, got \(reply.redisCLIDescription)" }
            let got = Set(elements.compactMap(\.text))
            if got != wanted || elements.count != wanted.count {
                return
                    "expected the set {\(wanted.sorted().joined(separator: ", "))}, got {\(got.sorted().joined(separator: ", "))}"
            }
        }
        if let array = expectation.array {
            let wanted = array.map { (try? $0.render(bindings)) ?? $0.raw }
            guard let elements = reply.arrayElements else { return "expected an array, got \(reply.redisCLIDescription)" }
            let got = elements.map { $0.text ?? $0.redisCLIDescription }
            if got != wanted { return "expected [\(wanted.joined(separator: ", "))], got [\(got.joined(separator: ", "))]" }
        }
        return nil
    }
}
