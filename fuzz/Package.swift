// swift-tools-version:6.0
import PackageDescription

// libFuzzer entry points for finemix's parsers of untrusted input, kept in a package of their own
// so the root package's `swift build` / `swift test` (what CI runs) never see them: a fuzzer has
// no `main` of its own (libFuzzer supplies it), which an executable target of the root package
// could not build without the fuzzer flags. It depends on the root package by path, so it fuzzes
// the very sources in ../Sources/Defense (and ../Sources/TUI, for keys.conf). One binary holds every target; FINEMIX_FUZZ_TARGET picks
// one, so the (slow, instrumented) build happens once. Build and run with ../scripts/fuzz.sh.
let package = Package(
    name: "finemix-fuzz",
    dependencies: [.package(name: "finemix", path: "..")],
    targets: [
        .executableTarget(name: "FinemixFuzz", dependencies: [.product(name: "Defense", package: "finemix"),
                                                             .product(name: "TUI", package: "finemix")]),
    ],
    swiftLanguageModes: [.v6]
)
