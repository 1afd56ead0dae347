import Foundation
import Testing

/// `finemix bench --jobs`: the analyst's two jobs timed phase by phase, with the machine's sgemm
/// rate and kernels beside them, as scripts/bench-jobs.sh records them.
@Suite struct BenchJobsCLITests {
    @Test func theJobsReportTheirPhasesBesideTheMachinesRate() throws {
        let out = try Binary.run(["bench", "--jobs", "--sentences", "32", "--batches", "length-grouped", "--json"])
        #expect(out.status == 0, "\(out.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect((report["sgemm_gflops"] as? Double ?? 0) > 1)
        #expect((report["blas"] as? String)?.hasPrefix("OpenBLAS ") == true)
        #expect(report["precision"] as? String == "fp32" && report["sentences"] as? Int == 32)
        let runs = try #require(report["runs"] as? [[String: Any]])
        #expect(runs.map { $0["job"] as? String } == ["attacker epoch", "fine-mixing point"])
        let phases = runs.map { ($0["phases"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String } }
        #expect(phases == [["train"], ["evaluate victim", "mix", "train", "evaluate defended"]])
        for r in runs {
            let seconds = try #require(r["seconds"] as? Double)
            let parts = (r["phases"] as? [[String: Any]] ?? []).compactMap { $0["seconds"] as? Double }
            #expect(seconds > 0 && abs(parts.reduce(0, +) - seconds) < 0.05 * seconds + 0.01, "\(r)")
            #expect((r["real_tokens_per_s"] as? Double ?? 0) > 0)
        }
    }
}
