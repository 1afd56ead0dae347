// swift-tools-version:6.0
import PackageDescription

// Release builds are what anyone times or trains with. -Ounchecked drops overflow and bounds
// traps in the numeric loops; haswell (= x86-64-v3: AVX2, FMA, BMI2; swiftc has no "x86-64-v3" name) is the highest
// baseline we allow so the binary runs on the x86-64 machines people have.
// -fno-math-errno: Float.squareRoot() is C's sqrtf underneath, which on Linux must set errno for a
// negative input, so it stays a scalar call per lane (AdamW's and LayerNorm's SIMD8 loops were
// eight sqrtss with a branch each); without errno it is one vsqrtps. IEEE square root either way.
let fast: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo", "-Xcc", "-fno-math-errno"], .when(configuration: .release)),
    .unsafeFlags(["-target-cpu", "haswell"], .when(platforms: [.linux], configuration: .release)),
]

// The command-line layer (argument parsing, printing, calls into Defense and TUI) holds no numeric
// work, and whole-module optimisation of it took 20 of a fresh release build's 128 seconds, in
// every newcomer's first run (measured 2026-12-01: the three interface modules' rebuild 49.4 s
// with it, 29.8 s without; `finemix bench --frames` and `--jobs` unchanged).
let commandLine: [SwiftSetting] = [.unsafeFlags(["-Onone"], .when(configuration: .release))]

let package = Package(
    name: "finemix",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "finemix", targets: ["finemix"]),
        .library(name: "Defense", targets: ["Defense"]),
        .library(name: "TUI", targets: ["TUI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        .systemLibrary(name: "CNcurses", path: "Sources/CNcurses", pkgConfig: "ncursesw",
                       providers: [.apt(["libncursesw5-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL", providers: [.apt(["libdnnl-dev"])]),
        // OpenBLAS's kernels chosen again at start where its own choice is its generic fallback
        // (Sources/CBLASKernels/kernels.c says why).
        .target(name: "CBLASKernels", dependencies: ["CBLAS"]),
        .target(name: "Defense", dependencies: [
            "CBLAS", "CBLASKernels", "CDNNL",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ], swiftSettings: fast),
        .target(name: "TUI", dependencies: ["Defense", "CNcurses"], swiftSettings: fast),
        // Not in the TUI library: sample view models for `finemix tui-preview` and the screen
        // tests, and the frame timer behind `finemix bench --frames`.
        .target(name: "TUIPreview", dependencies: ["TUI", "Defense"], swiftSettings: fast),
        // What only the tests share: the one temporary-folder helper.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .executableTarget(name: "finemix", dependencies: [
            "Defense", "TUI", "TUIPreview",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: commandLine),
        .testTarget(name: "DefenseTests", dependencies: [
            "Defense", "TestSupport", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ], path: "Tests/DefenseTests",
                    swiftSettings: fast),
        .testTarget(name: "TUITests", dependencies: ["TUI", "TUIPreview", "Defense", "TestSupport"], path: "Tests/TUITests"),
        .testTarget(name: "EndToEndTests", dependencies: ["Defense", "TestSupport"], path: "Tests/EndToEndTests"),
    ],
    swiftLanguageModes: [.v6]
)
