import FuzzDriver

/// libFuzzer on `FuzzTarget.frameScanner`, with libFuzzer's command-line flags.
@main enum FuzzFrameScanner {
    static func main() { runFuzzer(.frameScanner) }
}
