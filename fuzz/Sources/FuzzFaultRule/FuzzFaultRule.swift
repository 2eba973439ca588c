import FuzzDriver

/// libFuzzer on `FuzzTarget.faultRule`, with libFuzzer's command-line flags.
@main enum FuzzFaultRule {
    static func main() { runFuzzer(.faultRule) }
}
