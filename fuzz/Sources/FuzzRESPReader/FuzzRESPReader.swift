import CLibFuzzer
import Foundation
import FuzzTargets

/// One input for `FuzzTarget.respReader`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzTarget.respReader.run(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}

/// libFuzzer on `FuzzTarget.respReader`, with libFuzzer's command-line flags.
@main enum FuzzRESPReader {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzTestOneInput))
    }
}
