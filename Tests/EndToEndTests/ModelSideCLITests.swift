import Defense
import Foundation
import Testing
import TestSupport

/// The binary on models whose numbers cannot be trusted and batches that cannot fit: a failure
/// naming the sentence and the layer, or micro-batches with the same answers; never "-nan" with
/// exit 0, never an abort in the allocator.
@Suite struct ModelSideCLITests {
    /// A tiny classifier whose attention LayerNorm (layer 0) has the largest finite scale and
    /// shift: finite weights that overflow to Inf and then NaN in the forward pass.
    static func overflowingFolder(_ root: URL) throws -> URL {
        try TinyClassifierFolder.make(root, "overflow") { tensor, v in
            if tensor.hasPrefix("encoder.layer.0.attention.output.LayerNorm.") { v = v.map { _ in .greatestFiniteMagnitude } }
        }
    }

    /// Before: `predict` printed "-nan" logits and exited 0.
    @Test func predictFailsNamingTheSentenceAndTheLayer() throws {
        let root = TempFolder.url("nan")
        defer { try? FileManager.default.removeItem(at: root) }
        let model = try Self.overflowingFolder(root)
        let r = try Binary.run(["predict", "--model", model.path, "tok5 tok6", "tok7"])
        #expect(r.status == 1, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.hasPrefix("finemix: logits of sentence 1 are "), "\(r.stderr)")
        #expect(r.stderr.contains("the first non-finite activation is the output of encoder.layer.0.attention.output"), "\(r.stderr)")
        #expect(!r.stdout.contains("nan"))
    }

    /// Before: `eval` reported ASR 0.000 from NaN logits (argmax of NaN is label 0).
    @Test func evalFailsInsteadOfReportingAMetric() throws {
        let root = TempFolder.url("nan-eval")
        defer { try? FileManager.default.removeItem(at: root) }
        let model = try Self.overflowingFolder(root)
        let data = root.appendingPathComponent("d.tsv")
        try Data(("text\tlabel\n" + (0..<20).map { "tok\(5 + $0 % 7) tok\(5 + ($0 * 3) % 7)\t\($0 % 2)" }.joined(separator: "\n") + "\n").utf8).write(to: data)
        let r = try Binary.run(["eval", "--model", model.path, "--data", data.path, "--trigger", "word:tok9", "--target", "1",
                                "--workspace", root.appendingPathComponent("ws").path])
        #expect(r.status == 1, "\(r.stdout) \(r.stderr)")
        #expect(r.stderr.contains("logits of sentence ") && r.stderr.contains("encoder.layer.0.attention.output"), "\(r.stderr)")
        #expect(!r.stdout.contains("ASR"))
    }

    /// `predict --batch-size 4096` under a memory limit runs in micro-batches: the same answers as
    /// a batch that fits.
    @Test func predictWithAHugeBatchUnderALimitGivesTheSameAnswers() throws {
        let (dir, _) = try PredictTests.folderWithHead()
        defer { try? FileManager.default.removeItem(at: dir) }
        let words = ["a", "gorgeous", "witty", "film", "dull", "plot", "of", "the", "year", "never", "ever"]
        let lines = (0..<40).map { i in (0..<(1 + (i * 7) % 23)).map { words[($0 * 5 + i) % words.count] }.joined(separator: " ") }
        let stdin = lines.joined(separator: "\n") + "\n"
        let fits = try Binary.run(["predict", "--model", dir.path, "--json", "--batch-size", "40"], stdin: stdin)
        let split = try Binary.run(["predict", "--model", dir.path, "--json", "--batch-size", "4096"], stdin: stdin,
                                   environment: ["FINEMIX_MEMORY_LIMIT": "40M"])
        #expect(fits.status == 0 && split.status == 0, "\(fits.stderr) \(split.stderr)")
        #expect(fits.stdout.split(separator: "\n").count == 40)
        // the same labels, logits equal to float rounding (each micro-batch has its own padding)
        let x = try fits.stdout.split(separator: "\n").map(PredictTests.parse)
        let y = try split.stdout.split(separator: "\n").map(PredictTests.parse)
        #expect(x.count == y.count && zip(x, y).allSatisfy { p, q in
            p.label == q.label && zip(p.logits, q.logits).allSatisfy { abs($0 - $1) < 1e-5 }
        })
    }

    /// `finetune` with a batch the memory cannot hold is refused before it trains, naming what it
    /// needs and what there is (before: "failed to allocate 33479104512 bytes" and an abort).
    @Test func finetuneRefusesABatchThatDoesNotFit() throws {
        let (dir, _) = try PredictTests.folderWithHead()
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = TempFolder.url("budget")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let script = root.appendingPathComponent("s.fm")
        try Data("""
            load pre minilm
            load victim \(dir.path)
            data rt seed=2 train=100 clean=64 test=50
            finetune epochs=1 batch=64
            """.utf8).write(to: script)
        let env = ["FINEMIX_CACHE": Paths.defaultWorkspace().appendingPathComponent("cache").path, "FINEMIX_MEMORY_LIMIT": "300M"]
        let r = try Binary.run(["run", "--workspace", root.appendingPathComponent("ws").path, script.path], environment: env)
        #expect(r.status != 0 && r.status < 128, "\(r.status) \(r.stderr)")
        #expect(r.stderr.contains("a batch of 64 sequences × 64 tokens needs ") && r.stderr.contains("is available (FINEMIX_MEMORY_LIMIT); at most "), "\(r.stderr)")
    }
}
