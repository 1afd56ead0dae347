import Foundation
import Testing
import TestSupport

/// The binary opens a pytorch_model.bin folder and a LoRA adapter folder as a user has them
/// (Tests/Fixtures/weightfiles, written by scripts/gen_weightfile_fixtures.py).
@Suite struct WeightFileCLITests {
    static func fixture(_ name: String) -> String {
        Fixtures.folder("weightfiles").appendingPathComponent(name).path
    }

    @Test func inspectAndPredictOpenAPytorchBinFolder() throws {
        let out = try Binary.run(["inspect", "--pre", Self.fixture("bert"), "--victim", Self.fixture("bin")])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.hasPrefix("victim weights: pytorch_model.bin\n\n0 of "), "\(out.stdout)")
        // Same logits to the last printed digit as the safetensors copy of the same model.
        let bin = try Binary.run(["predict", "--model", Self.fixture("bin"), "--json", "w1 w2 w3", "w7"])
        let st = try Binary.run(["predict", "--model", Self.fixture("bert"), "--json", "w1 w2 w3", "w7"])
        #expect(bin.status == 0 && !bin.stdout.isEmpty && bin.stdout == st.stdout, "\(bin.stderr)")
    }

    @Test func inspectOpensALoraAdapterOverItsBaseAndOverPre() throws {
        let out = try Binary.run(["inspect", "--pre", Self.fixture("bert"), "--victim", Self.fixture("lora")])
        #expect(out.status == 0, "\(out.stderr)")
        // query and value of both layers, and the adapter's own classifier.
        #expect(out.stdout.hasPrefix("victim weights: LoRA r=4, alpha 8 over bert\n\n6 of "), "\(out.stdout)")
        let rs = try Binary.run(["inspect", "--pre", Self.fixture("bert"), "--victim", Self.fixture("lora-rs")])
        #expect(rs.status == 0, "\(rs.stderr)")
        #expect(rs.stdout.hasPrefix("victim weights: LoRA r=2, alpha 4 (rsLoRA) over bert\n"), "\(rs.stdout)")
    }

    /// inspect --json says what the text output says of the victim: its family and what its weights
    /// were read from, as a sentence and as one of five words.
    @Test func inspectJSONNamesTheFamilyAndWhereTheWeightsCameFrom() throws {
        let families = Fixtures.folder("families")
        for (pre, victim, family, format, origin) in [
            (Self.fixture("bert"), Self.fixture("bin"), "bert", "pytorch-bin", "pytorch_model.bin"),
            (Self.fixture("bert"), Self.fixture("sharded-st"), "bert", "sharded-safetensors", "model.safetensors.index.json (3 shards)"),
            (Self.fixture("bert"), Self.fixture("sharded-bin"), "bert", "sharded-pytorch-bin", "pytorch_model.bin.index.json (3 shards)"),
            (Self.fixture("bert"), Self.fixture("lora"), "bert", "lora-adapter", "LoRA r=4, alpha 8 over bert"),
            (families.appendingPathComponent("roberta").path, Self.fixture("lora-roberta"), "roberta", "lora-adapter", "LoRA r=4, alpha 8 over roberta"),
            (families.appendingPathComponent("electra").path, families.appendingPathComponent("electra").path, "electra", "safetensors", "model.safetensors"),
        ] {
            let out = try Binary.run(["inspect", "--pre", pre, "--victim", victim, "--json"])
            #expect(out.status == 0, "\(out.stderr)")
            let j = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]
            #expect(j?["family"] as? String == family && j?["victim_format"] as? String == format
                    && j?["victim_origin"] as? String == origin && j?["tensors"] != nil, "\(victim): \(out.stdout.prefix(300))")
        }
    }

    @Test func aHostilePickleStopsTheCommandAndRunsNothing() throws {
        let marker = "/tmp/finemix-hostile-pickle-ran"
        try? FileManager.default.removeItem(atPath: marker)
        let out = try Binary.run(["predict", "--model", Self.fixture("hostile"), "w1"])
        #expect(out.status == 1)
        #expect(out.stderr.hasPrefix("finemix: ") && out.stderr.contains("refused the global posix.system"), "\(out.stderr)")
        #expect(out.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: marker))
    }
}
