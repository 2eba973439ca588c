import FuzzDriver

/// libFuzzer on `FuzzTarget.config`, with libFuzzer's command-line flags.
@main enum FuzzConfig {
    static func main() { runFuzzer(.config) }
}
