import CLibFuzzer
import Foundation
import FuzzTargets

/// One input for `FuzzTarget.frameScanner`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    FuzzTarget.frameScanner.run(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}

/// libFuzzer on `FuzzTarget.frameScanner`, with libFuzzer's command-line flags.
@main enum FuzzFrameScanner {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzTestOneInput))
    }
}
