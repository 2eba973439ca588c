import NIOCore

/// The command that runs one trial alone, ready to paste: the endpoint without its password
/// (which comes from the environment, never shown), the scenario by name when it is built in and
/// by its file otherwise, the trial timeout when it is not the default, and the trial's rules.
struct TrialReproducer: Sendable {
    var endpoint: Endpoint
    /// Options the trial ran with that differ from the defaults (`--trial-timeout 0.2`).
    var options: [String]

    init(endpoint: Endpoint, trialTimeout: TimeAmount = .milliseconds(Int64(SettingDefaults.trialTimeout * 1000))) {
        self.endpoint = endpoint
        let seconds = Double(trialTimeout.nanoseconds) / 1e9
        options = seconds == SettingDefaults.trialTimeout ? [] : ["--trial-timeout", "\(seconds)"]
    }

    /// `redisaudit inject redis://host:6379 --scenario login --fault 'kill-after:SADD:nth=1,scope=run'`;
    /// nil for a server fault, which no `--fault` rule repeats.
    func command(_ plan: TrialPlan, scenario: Scenario) -> String? {
        guard plan.serverFault == nil else { return nil }
        var shown = endpoint
        shown.password = nil
        var words = ["redisaudit", "inject", shown.description, "--scenario"]
        words.append(BuiltinScenarios.contains(scenario) ? scenario.name : Self.quoted(scenario.file))
        words += options
        words += plan.rules.flatMap { ["--fault", Self.quoted($0.text)] }
        let password = endpoint.password == nil ? "" : "REDISAUDIT_PASSWORD=\"$REDIS_PASSWORD\" "
        return password + words.joined(separator: " ")
    }

    /// A word as a POSIX shell reads it back: bare when it has only safe characters, else in
    /// single quotes.
    static func quoted(_ word: String) -> String {
        let safe = word.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_./:=,@%+".contains($0)) }
        if safe && !word.isEmpty { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
