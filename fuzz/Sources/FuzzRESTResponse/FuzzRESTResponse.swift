import FuzzDriver

/// libFuzzer on `FuzzTarget.restResponse`, with libFuzzer's command-line flags.
@main enum FuzzRESTResponse {
    static func main() { runFuzzer(.restResponse) }
}
