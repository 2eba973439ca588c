import CLibFuzzer
import Foundation
import FuzzTargets

/// One input for `FuzzTarget.config`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzTarget.config.run(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}

/// libFuzzer on `FuzzTarget.config`, with libFuzzer's command-line flags.
@main enum FuzzConfig {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzTestOneInput))
    }
}
