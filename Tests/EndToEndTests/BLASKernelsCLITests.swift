import Foundation
import Testing

/// OpenBLAS's generic fallback replaced at start (Sources/CBLASKernels), seen from the binary:
/// a process started without OPENBLAS_CORETYPE runs kernels for its CPU's instructions, and a
/// user's own choice stands.
@Suite struct BLASKernelsCLITests {
    static let hasAVX2 = ((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? "")
        .split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").contains("avx2") ?? false

    static func benchBLAS(environment: [String: String] = [:], unset: [String] = []) throws -> String {
        let out = try Binary.run(["bench", "--quick", "--json", "--configs", "minilm", "--modes", "infer"],
                                 environment: environment, unset: unset)
        #expect(out.status == 0, "\(out.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        return try #require(report["blas"] as? String)
    }

    @Test(.enabled(if: hasAVX2)) func aFreshProcessNeverRunsTheGenericKernels() throws {
        let blas = try Self.benchBLAS(unset: ["OPENBLAS_CORETYPE"])
        #expect(!blas.hasPrefix("OpenBLAS Prescott"), "\(blas)")
    }

    @Test func theUsersChoiceStands() throws {
        #expect(try Self.benchBLAS(environment: ["OPENBLAS_CORETYPE": "Prescott"]) == "OpenBLAS Prescott kernels")
    }
}
