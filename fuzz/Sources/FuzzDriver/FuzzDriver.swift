import CLibFuzzer
import Foundation
import FuzzTargets

/// The parser this executable fuzzes, set once by `runFuzzer` before libFuzzer starts: libFuzzer's
/// callback is a C function and carries no context of its own.
nonisolated(unsafe) private var fuzzed: FuzzTarget = .respReader

/// One input for the parser being fuzzed.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    fuzzed.run(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}

/// Runs libFuzzer on `target` with the process's command-line flags, and exits with its status.
public func runFuzzer(_ target: FuzzTarget) -> Never {
    fuzzed = target
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzTestOneInput))
}
