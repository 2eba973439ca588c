import FuzzTargets

/// libFuzzer's entry point: one input for `FuzzTarget.baseline`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    FuzzTarget.baseline.run(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}
