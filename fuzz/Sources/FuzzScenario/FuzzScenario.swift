import FuzzDriver

/// libFuzzer on `FuzzTarget.scenario`, with libFuzzer's command-line flags.
@main enum FuzzScenario {
    static func main() { runFuzzer(.scenario) }
}
