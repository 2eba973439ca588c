import FuzzDriver

/// libFuzzer on `FuzzTarget.respReader`, with libFuzzer's command-line flags.
@main enum FuzzRESPReader {
    static func main() { runFuzzer(.respReader) }
}
