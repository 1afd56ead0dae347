import CBLAS
import CBLASKernels

/// Which OpenBLAS kernels run the FP32 products, and whether finemix chose them at start because
/// OpenBLAS fell back to its generic ones on a CPU it did not know (Sources/CBLASKernels).
public enum BLASKernels {
    /// OpenBLAS's name for the kernels running now ("SkylakeX", "Haswell", "Zen", "Prescott", …).
    public static var core: String { String(cString: openblas_get_corename()) }

    /// When finemix replaced OpenBLAS's choice: what it chose and what OpenBLAS had chosen.
    public static var replaced: (chosen: String, fallback: String)? {
        guard let c = finemix_blas_override(), let o = finemix_blas_original() else { return nil }
        return (String(cString: c), String(cString: o))
    }

    /// The rule finemix applies at start (CBLASKernels' `finemix_blas_choice`), for the tests.
    public static func choice(core: String, avx512: Bool, avx2fma: Bool, chosenByUser: Bool) -> String? {
        finemix_blas_choice(core, avx512 ? 1 : 0, avx2fma ? 1 : 0, chosenByUser ? 1 : 0).map { String(cString: $0) }
    }

    /// One line for reports: "OpenBLAS SkylakeX kernels (chosen by finemix: OpenBLAS did not know
    /// this CPU and fell back to its generic Prescott ones)", or "OpenBLAS Zen kernels".
    public static var summary: String {
        if let r = replaced {
            return "OpenBLAS \(r.chosen) kernels (chosen by finemix: OpenBLAS did not know this CPU and fell back to its generic \(r.fallback) ones)"
        }
        return "OpenBLAS \(core) kernels"
    }
}
