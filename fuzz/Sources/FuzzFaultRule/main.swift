import FuzzTargets

/// libFuzzer's entry point: one input for `FuzzTarget.faultRule`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTestOneInput(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    FuzzTarget.faultRule.run(UnsafeRawBufferPointer(start: start, count: count))
    return 0
}
