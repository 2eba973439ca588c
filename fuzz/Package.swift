// swift-tools-version:6.1
// libFuzzer executables, one per parser, over the FuzzTargets library of the main package.
// Built only with the fuzzer sanitizer (`make fuzz`):
//   swift build -c debug --package-path fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
import PackageDescription

// Each runs one `FuzzTarget` case; the Makefile pairs them with fuzz/corpus/<case's raw value>/.
let targets = [
    "FuzzRESPReader", "FuzzFrameScanner", "FuzzScenario", "FuzzConfig", "FuzzBaseline", "FuzzFaultRule", "FuzzMonitorLine",
    "FuzzRESTResponse",
]

let package = Package(
    name: "redisaudit-fuzz",
    platforms: [.macOS(.v13)],
    products: targets.map { .executable(name: $0, targets: [$0]) },
    dependencies: [
        .package(name: "redisaudit", path: "..")
    ],
    targets: [
        // Declares LLVMFuzzerRunDriver.
        .target(name: "CLibFuzzer"),
        // The one libFuzzer entry point and driver; each executable names its target.
        .target(name: "FuzzDriver", dependencies: ["CLibFuzzer", .product(name: "FuzzTargets", package: "redisaudit")]),
    ]
        + targets.map { .executableTarget(name: $0, dependencies: ["FuzzDriver"]) }
)
