import Defense
import Foundation
import Testing
import TestSupport

/// The binary on model folders that must be refused: NaN weights (inspect, mix) and a victim
/// with another vocabulary (inspect, mix). One line on stderr, exit status 1, nothing written.
@Suite struct UntrustedModelCLITests {
    /// A tiny classifier folder; `poison` puts NaN/Inf into one tensor.
    static func folder(_ root: URL, _ name: String, vocab: Int = 12, poison: Bool = false) throws -> URL {
        try TinyClassifierFolder.make(root, name, vocab: vocab) { tensor, v in
            if poison && tensor == "encoder.layer.0.output.dense.weight" { v[1] = .nan; v[2] = .infinity }
        }
    }

    @Test func nonFiniteWeightsAreReportedByInspectAndMix() throws {
        let root = TempFolder.url("untrusted")
        defer { try? FileManager.default.removeItem(at: root) }
        let pre = try Self.folder(root, "pre"), bad = try Self.folder(root, "bad", poison: true)
        let out = root.appendingPathComponent("mixed")
        for args in [["inspect", "--pre", pre.path, "--victim", bad.path],
                     ["mix", "--pre", pre.path, "--victim", bad.path, "--rho", "0.5", "--out", out.path]] {
            let r = try Binary.run(args)
            #expect(r.status == 1, "\(args[0]): \(r.stderr)")
            #expect(r.stderr.hasPrefix("finemix: \(bad.path)/model.safetensors: 1 tensor holds NaN or Inf weights: encoder.layer.0.output.dense.weight (2 of 32 values)"), "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func aVictimWithAnotherVocabularyIsRefusedByInspectAndMix() throws {
        let root = TempFolder.url("untrusted")
        defer { try? FileManager.default.removeItem(at: root) }
        let pre = try Self.folder(root, "pre"), other = try Self.folder(root, "other", vocab: 14)
        for args in [["inspect", "--pre", pre.path, "--victim", other.path],
                     ["mix", "--pre", pre.path, "--victim", other.path, "--rho", "0.5"]] {
            let r = try Binary.run(args)
            #expect(r.status == 1)
            #expect(r.stderr == "finemix: different vocabularies: \(pre.path)/config.json has vocab_size 12 but \(other.path)/config.json has vocab_size 14; the victim must be fine-tuned from this pre-trained model\n", "\(r.stderr)")
        }
    }
}
