// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "redisaudit",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "redisaudit", targets: ["redisaudit"]),
        .library(name: "RedisAudit", targets: ["RedisAudit"]),
        // The parsers as fuzz targets, for the libFuzzer package in fuzz/ and the corpus replay test.
        .library(name: "FuzzTargets", targets: ["FuzzTargets"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        // hiredis 0.14.1 from Debian's libhiredis-dev: the RESP codec. Its headers sit in
        // /usr/include/hiredis and the library in the default search path, so no pkg-config
        // flags are needed (hiredis.pc's -D_FILE_OFFSET_BITS=64 is a flag SwiftPM warns about).
        .systemLibrary(
            name: "CHiredis",
            providers: [.apt(["libhiredis-dev"])]
        ),
        // The only module that imports CHiredis; hands out Swift RESP values.
        .target(
            name: "RESP",
            dependencies: [
                "CHiredis",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Everything the tool does: endpoints, scenarios, replay, comparison, findings, reports.
        .target(
            name: "RedisAudit",
            dependencies: [
                "RESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Each parser behind one entry point that takes arbitrary bytes (see fuzz/README.md).
        .target(
            name: "FuzzTargets",
            dependencies: ["RESP", "RedisAudit", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // The Upstash-compatible REST gateway; kept out of RedisAudit so the fuzz build stays without HTTP.
        .target(
            name: "RedisAuditREST",
            dependencies: [
                "RedisAudit",
                "RESP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Argument parsing and exit codes, nothing else.
        .executableTarget(
            name: "redisaudit",
            dependencies: [
                "RedisAudit",
                "RedisAuditREST",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "RESPTests",
            dependencies: [
                "RESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "RedisAuditTests",
            dependencies: [
                "RedisAudit",
                "RedisAuditREST",
                "RESP",
                "redisaudit",
                "FuzzTargets",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            // Read through #filePath so a changed report shows up as a diff against them; the
            // fixtures (the JUnit XSD) the same way.
            exclude: ["Report/Golden", "Report/Fixtures"]
        ),
    ]
)
