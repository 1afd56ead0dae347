import Defense
import Foundation
import Testing
import TestSupport

/// The real `finemix tui` under tmux opens each family's folders as pre-trained model and victim:
/// a RoBERTa and a DistilBERT with a LoRA adapter as the victim, an ELECTRA, and a BERT read from
/// pytorch_model.bin with a LoRA adapter over it. The header names the family (and the victim's
/// origin), the Layers pane names the layers as the family does (DistilBERT's transformer.layer
/// and pre_classifier, RoBERTa's classifier.dense, ELECTRA's embeddings_project), and drift
/// numbers fill it.
@Suite(.serialized) struct FamilyWorkbenchTmuxTests {
    typealias Tmux = TuiPreviewTests.Tmux

    static func families(_ name: String) -> String { Fixtures.folder("families").appendingPathComponent(name).path }
    static func weightfiles(_ name: String) -> String { Fixtures.folder("weightfiles").appendingPathComponent(name).path }

    /// The ELECTRA fixture with one FFN matrix scaled by 1.5, as a victim that drifted there.
    static func electraVictim(in dir: URL) throws -> String {
        let src = try CheckpointFolder(URL(fileURLWithPath: families("electra")))
        let moved = "encoder.layer.1.output.dense.weight"
        var tensors: [NamedTensor] = []
        for name in src.weights.tensorNames {
            let shape = src.weights.shape(of: name)!
            var v = [Float](repeating: 0, count: shape.reduce(1, *))
            try v.withUnsafeMutableBufferPointer { try src.weights.readFloats(name, into: $0) }
            if name == moved { v = v.map { $0 * 1.5 } }
            tensors.append(NamedTensor(name: name, shape: shape, values: v))
        }
        let out = dir.appendingPathComponent("electra-victim")
        try CheckpointFolder.save(config: src.config, vocab: try src.vocabURL, tensors: tensors, to: out)
        return out.path
    }

    /// (pre, victim, the header's words, a layer name only this family shows)
    static func cases(_ dir: URL) throws -> [(pre: String, victim: String, header: [String], layer: String)] {
        [(families("roberta"), weightfiles("lora-roberta"), ["(roberta)", "(LoRA r=4, alpha 8 over roberta)"], "classifier.dense"),
         (families("distilbert"), weightfiles("lora-distilbert"), ["(distilbert)", "(LoRA r=4, alpha 8 over distilbert)"], "pre_classifier"),
         (families("electra"), try electraVictim(in: dir), ["(electra)"], "embeddings_project"),
         (weightfiles("bin"), weightfiles("lora"), ["pre bin (bert)", "(LoRA r=4, alpha 8 over bert)"], "pooler")]
    }

    @Test func theWorkbenchOpensEachFamily() throws {
        let dir = TempFolder("wbfam")
        defer { dir.remove() }
        for c in try Self.cases(dir.url) {
            let t = try Tmux(width: 140, height: 40)
            try t.type("\(Binary.url.path) tui --pre \(c.pre) --victim \(c.victim) --workspace \(dir.path)/ws; echo EXIT=$?")
            let s = try t.wait(20) { $0.contains("┏ 1 Layers") && $0.contains(c.layer) && $0.contains("victim") }
            let top = s.split(separator: "\n").prefix(3).joined(separator: "\n")
            for word in c.header { #expect(top.contains(word), "\(c.victim): header lacks '\(word)':\n\(s)") }
            #expect(s.contains(c.layer), "\(c.victim): no layer named \(c.layer):\n\(s)")
            // drift numbers: a relative L2 with its decimals beside a layer row
            let rows = s.split(separator: "\n").filter { $0.contains(c.layer == "pre_classifier" ? "transformer.layer" : "encoder.layer") }
            #expect(rows.contains { $0.range(of: #"\d\.\d*[1-9]"#, options: .regularExpression) != nil },
                    "\(c.victim): no drift numbers:\n\(s)")
            try t.keys("q")
            let after = try t.wait(10) { $0.contains("EXIT=0") }
            #expect(after.contains("EXIT=0"), "\(c.victim): did not quit cleanly:\n\(after)")
        }
    }
}
