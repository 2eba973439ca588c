import Testing
@testable import RedisAudit

/// Which literals become variables, how they are named, and how arguments are written with them.
@Suite("parameter inference")
struct ParameterInferenceTests {
    static let hash = "9f2c41d0aa77e0b3c5d8e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6"
    let c = CapturedFlowTests.command

    func steps(_ commands: [CapturedCommand]) -> [DraftStep] {
        DraftStep.steps(of: CapturedFlow(client: "a", commands: commands), scripts: DraftStep.knownScripts(commands))
    }

    func written(_ inference: ParameterInference, _ step: DraftStep) -> [String] {
        guard case .command(let command) = step else { return [] }
        return zip(command.arguments, ArgumentRole.roles(of: command.arguments)).map { inference.template($0, role: $1) }
    }

    var login: [DraftStep] {
        let h = Self.hash
        return steps([
            c(1, "a", "SETEX", "rt:user123:\(h)", "604800", #"{"userId":"user123","tokenHash":"\#(h)"}"#),
            c(1, "a", "SADD", "sess:user123", h),
            c(1, "a", "EXPIRE", "sess:user123", "604800"),
            c(1, "a", "TTL", "rt:user123:\(h)"),
        ])
    }

    @Test func theLoginFlowHasAUserIdLiteralAndATokenGeneratorNamedAfterTheJSONFields() {
        let inference = ParameterInference(steps: login)
        #expect(inference.variables.map(\.name) == ["userId", "tokenHash"])
        #expect(inference.variables[0].value == .literal("user123"))
        #expect(inference.variables[0].occurrences == 5)
        #expect(inference.variables[1].value == .random(.hex, length: 64))
        #expect(
            written(inference, login[0]) == [
                "SETEX", "rt:${userId}:${tokenHash}", "604800", #"{"userId":"${userId}","tokenHash":"${tokenHash}"}"#,
            ])
        #expect(written(inference, login[1]) == ["SADD", "sess:${userId}", "${tokenHash}"])
        #expect(written(inference, login[2]) == ["EXPIRE", "sess:${userId}", "604800"], "the TTL stays literal")
    }

    @Test func withoutAJSONFieldAVariableIsNamedAfterItsKeyPrefixAndPosition() throws {
        let flow = steps([c(1, "a", "GET", "cart:u4242:items"), c(1, "a", "DEL", "cart:u4242:items"), c(1, "a", "GET", "seen:7")])
        let inference = ParameterInference(steps: flow)
        try #require(inference.variables.map(\.name) == ["cart_1"])
        #expect(inference.variables[0].value == .literal("u4242"))
        #expect(written(inference, flow[2]) == ["GET", "seen:7"], "a literal seen once stays")
    }

    @Test func randomLookingValuesBecomeGeneratorsEvenOnceAndOrderlyOnesDoNot() {
        let uuid = "3f0c2a9e-8b1d-4c7e-9a55-0d2e6b7f1c88"
        let flow = steps([
            c(1, "a", "SET", "req:\(uuid)", "1"),
            c(1, "a", "SET", "cache:0000000000000000", "1"),
            c(1, "a", "SET", "sid:QmFzZTY0VG9rZW5WYWx1ZTEy", "1"),
        ])
        let inference = ParameterInference(steps: flow)
        #expect(inference.variables.map(\.value) == [.random(.uuid, length: 36), .random(.hex, length: 24)])
        #expect(written(inference, flow[1]) == ["SET", "cache:0000000000000000", "1"])
    }

    @Test func aValueIsReplacedOnlyWhereItIsAWholeWord() {
        let flow = steps([c(1, "a", "GET", "u:user123"), c(1, "a", "GET", "v:user123"), c(1, "a", "GET", "w:user1234")])
        let inference = ParameterInference(steps: flow)
        #expect(written(inference, flow[2]) == ["GET", "w:user1234"])
    }

    @Test func aLiteralDollarBraceIsEscapedAndAValueAfterADollarStaysLiteral() {
        let flow = steps([c(1, "a", "SET", "k", "${HOME}")])
        #expect(written(ParameterInference(steps: flow), flow[0]) == ["SET", "k", "$${HOME}"])
        let dollar = steps([c(1, "a", "GET", "u:user4242"), c(1, "a", "SET", "v:user4242", "$user4242")])
        #expect(written(ParameterInference(steps: dollar), dollar[1]) == ["SET", "v:${u_1}", "$user4242"])
    }

    @Test func redactedValuesKeepTheirShapeAndNeverTheirBytes() {
        let inference = ParameterInference(steps: login, redact: true)
        #expect(inference.variables.map(\.value) == [.random(.hex, length: 7), .random(.hex, length: 64)])
        let flow = steps([c(1, "a", "SET", "note", "hello world", "EX", "60"), c(1, "a", "INCRBY", "n", "25")])
        let redacted = ParameterInference(steps: flow, redact: true)
        #expect(written(redacted, flow[0]) == ["SET", "note", "<redacted:11 bytes>", "EX", "60"])
        #expect(written(redacted, flow[1]) == ["INCRBY", "n", "10"])
        let json = steps([c(1, "a", "SET", "doc", #"{"name":"Ann","age":41,"ok":true}"#)])
        #expect(written(ParameterInference(steps: json, redact: true), json[0])[2] == #"{"name":"${name}","age":10,"ok":true}"#)
    }
}
