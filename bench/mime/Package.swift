// swift-tools-version: 6.1
// The MIME benchmark package: the MIME module and `chappe mime` (through symlinks into the
// main tree) plus an in-process timer, built in release mode by run.sh.
import PackageDescription

let package = Package(
    name: "MIMEBench",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        .target(name: "MIME"),
        .executableTarget(
            name: "chappe-mime",
            dependencies: ["MIME", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "mime-bench", dependencies: ["MIME"]),
    ]
)
