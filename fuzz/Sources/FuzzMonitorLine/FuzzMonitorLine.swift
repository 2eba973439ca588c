import FuzzDriver

/// libFuzzer on `FuzzTarget.monitorLine`, with libFuzzer's command-line flags.
@main enum FuzzMonitorLine {
    static func main() { runFuzzer(.monitorLine) }
}
