import CLibFuzzer
import Foundation
import FuzzTargets

/// One input for `FuzzTarget.baseline`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzTarget.baseline.run(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}

/// libFuzzer on `FuzzTarget.baseline`, with libFuzzer's command-line flags.
@main enum FuzzBaseline {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzTestOneInput))
    }
}
