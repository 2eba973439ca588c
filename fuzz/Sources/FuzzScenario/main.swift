import FuzzTargets

/// libFuzzer's entry point: one input for `FuzzTarget.scenario`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    FuzzTarget.scenario.run(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}
