import Defense
import Foundation
import Testing

/// OpenBLAS's generic fallback (Prescott) replaced at start by kernels for the CPU's
/// instructions, and nothing else (Sources/CBLASKernels).
@Suite struct BLASKernelsTests {
    static let hasAVX2FMA: Bool = {
        let flags = ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
            .split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ") ?? []
        return flags.contains("avx2") && flags.contains("fma")
    }()

    @Test func theRuleReplacesOnlyTheGenericFallbackNobodyChose() {
        #expect(BLASKernels.choice(core: "Prescott", avx512: true, avx2fma: true, chosenByUser: false) == "SkylakeX")
        #expect(BLASKernels.choice(core: "Prescott", avx512: false, avx2fma: true, chosenByUser: false) == "Haswell")
        #expect(BLASKernels.choice(core: "Prescott", avx512: false, avx2fma: false, chosenByUser: false) == nil)
        #expect(BLASKernels.choice(core: "Prescott", avx512: true, avx2fma: true, chosenByUser: true) == nil)
        for known in ["SkylakeX", "Haswell", "Zen", "Cooperlake", "Sandybridge"] {
            #expect(BLASKernels.choice(core: known, avx512: true, avx2fma: true, chosenByUser: false) == nil, "\(known)")
        }
    }

    /// This test process started through the same constructor as the binary: on a CPU with AVX2
    /// it never multiplies with the generic kernels unless someone asked for them.
    @Test(.enabled(if: hasAVX2FMA)) func thisProcessRunsKernelsForItsInstructions() {
        if let r = BLASKernels.replaced {
            #expect(BLASKernels.core == r.chosen && r.fallback == "Prescott")
            #expect(BLASKernels.summary.contains("chosen by finemix"))
            #expect(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == r.chosen)
        } else if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil {
            #expect(BLASKernels.core != "Prescott")
        }
    }
}
