import FuzzDriver

/// libFuzzer on `FuzzTarget.baseline`, with libFuzzer's command-line flags.
@main enum FuzzBaseline {
    static func main() { runFuzzer(.baseline) }
}
