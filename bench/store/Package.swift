// swift-tools-version: 6.1
// The mail store benchmark package: the MIME and MailStore modules (through symlinks into
// the main tree) plus `store-bench`, an in-process delivery timer, built in release mode
// by run.sh. `chappe deliver` itself comes from the main package's release build.
import PackageDescription

let package = Package(
    name: "StoreBench",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        .target(name: "MIME"),
        .target(
            name: "MailStore",
            dependencies: [
                "MIME",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
        .executableTarget(name: "store-bench", dependencies: ["MailStore"]),
    ]
)
