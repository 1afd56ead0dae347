import Foundation
import Testing
@testable import Defense

/// Numerical and argument faults: each refused with one FinemixError that says what and where.
@Suite struct NumericFaultTests {
    /// A tiny classifier folder (TinyModel's shapes, `vocab` tokens).
    static func folder(_ dir: TempDir, _ name: String, vocab: Int = 12, hidden: Int = 4, seed: UInt64 = 1) throws -> CheckpointFolder {
        var c = TinyModel.config
        c.vocabSize = vocab; c.hiddenSize = hidden
        c.setLabels(2)
        let out = dir.url.appendingPathComponent(name)
        try CheckpointFolder.save(config: c, vocab: try TinyModel.vocab(in: dir, count: vocab),
                                  tensors: try TinyModel.tensors(c, head: true, seed: seed), to: out)
        return try CheckpointFolder(out)
    }

    static func message(_ body: () throws -> Void) -> String {
        do { try body() } catch let e as FinemixError { return e.message } catch { return "not a FinemixError: \(error)" }
        return "no error"
    }

    /// Training that really diverges (a learning rate of 1e30 overflows the activations within a
    /// few steps) stops with the step named and every kept weight finite.
    @Test func explodingLossStopsAndKeepsTheLastGoodWeights() throws {
        let m = TinySentiment.model()
        let recipe = FineTuneRecipe(epochs: 20, lr: 1e30, batch: 4, warmupRatio: 0, maxLength: 16, seed: 7)
        let msg = Self.message {
            try FineTune.run(model: m, tokenizer: try TinySentiment.tokenizer(), examples: TinySentiment.examples(16), recipe: recipe)
        }
        #expect(msg.hasPrefix("training stopped at step ") && msg.contains("are kept"), "\(msg)")
        let stoppedAt = Int(msg.dropFirst("training stopped at step ".count).prefix { $0.isNumber }) ?? 0
        #expect(stoppedAt > 1, "the first steps are finite: \(msg)")
        let finite = m.params.values.buffer.allSatisfy { $0.isFinite }
        #expect(finite, "kept weights must be finite")
    }

    @Test func anEmptyCleanSetIsRefused() throws {
        let dir = TempDir()
        let pre = try Self.folder(dir, "pre"), victim = try Self.folder(dir, "victim", seed: 2)
        let test = [Example(text: "tok5 tok6", label: 0)]
        let m = Self.message {
            _ = try DefenseRun.run(pre: pre, victim: victim, clean: [], test: test, asrSet: [], targetLabel: 1,
                                   recipe: DefenseRecipe(method: .finemix))
        }
        #expect(m.contains("the clean set is empty"), "\(m)")
        let ft = Self.message {
            try FineTune.run(model: TinySentiment.model(), tokenizer: try TinySentiment.tokenizer(), examples: [],
                             recipe: FineTuneRecipe(epochs: 1, lr: 1e-3, batch: 4, maxLength: 16), job: "finetune")
        }
        #expect(ft == "finetune: no training examples", "\(ft)")
    }

    /// ρ outside [0, 1] (and not a number at all) in the command language.
    @Test func rhoOutsideTheUnitIntervalInTheCommandLanguage() throws {
        let dir = TempDir()
        let session = try Session(workspace: dir.url, journal: nil)
        for bad in ["1.5", "-0.1", "nan", "inf", "x"] {
            let m = Self.message { try session.execute("mix \(bad)") }
            #expect(m == "mix: ρ must be a number in [0, 1], found '\(bad)'", "\(m)")
            let r = Self.message { try session.execute("rho encoder.layer.0 \(bad)") }
            #expect(r == "rho: the value must be a number in [0, 1], found '\(bad)'", "\(r)")
        }
        // sweep's range: values past 1, non-finite ends and step counts that overflow Int.
        #expect(try parseRange("0:2:0.5", name: "rho").contains { !(0...1).contains($0) })
        #expect(try parseRange("1, 0.1,0.3", name: "rho") == [1, 0.1, 0.3])
        for bad in ["0:inf:0.1", "nan:1:0.1", "0:1:0", "0:1:-0.1", "1:0:0.1", "0:1e300:1e-300", "0:1:1e-300",
                    "0.1,x", "0.1,,0.3", "nan,0.5", "0.5,inf", ""] {
            let m = Self.message { _ = try parseRange(bad, name: "rho") }
            #expect(m.hasPrefix("rho=\(bad): "), "\(bad): \(m)")
        }
        let empty = Self.message { try session.execute("data x.tsv clean=0") }
        #expect(empty == "data: clean=0 is outside 1...10000000", "\(empty)")
    }

    /// E-PUR's N against the vocabulary: more than the candidate tokens is refused with both numbers.
    @Test func epurTopLargerThanTheVocabularyIsRefused() throws {
        let dir = TempDir()
        let pre = try Self.folder(dir, "pre"), victim = try Self.folder(dir, "victim", seed: 2)
        let m = Self.message {
            _ = try EPUR.run(pre: pre, victim: victim, clean: ["tok5 tok6"], options: EPUR.Options(top: 500, fmin: 20))
        }
        #expect(m.contains("top must be between 0 and the 9 candidate tokens") && m.contains("found 500"), "\(m)")
        let run = Self.message {
            _ = try DefenseRun.run(pre: pre, victim: victim, clean: [Example(text: "tok5", label: 0)], test: [Example(text: "tok6", label: 1)],
                                   asrSet: [], targetLabel: 1, recipe: DefenseRecipe(method: .finemix, epur: true, epurTop: 500))
        }
        #expect(run.contains("top must be between 0 and the 9 candidate tokens") && run.contains("found 500"), "\(run)")
    }

    /// Pre-trained and victim with different vocabularies: refused naming both files and sizes.
    @Test func mismatchedVocabulariesAreRefusedNamingBothFiles() throws {
        let dir = TempDir()
        let pre = try Self.folder(dir, "pre"), bigger = try Self.folder(dir, "bigger", vocab: 13)
        let m = Self.message { try CheckpointFolder.checkSameVocabulary(pre: pre, victim: bigger) }
        #expect(m.contains(pre.configURL.path) && m.contains(bigger.configURL.path) && m.contains("vocab_size 12") && m.contains("vocab_size 13"), "\(m)")
        let clean = [Example(text: "tok5", label: 0)], test = [Example(text: "tok6", label: 1)]
        let run = Self.message {
            _ = try DefenseRun.run(pre: pre, victim: bigger, clean: clean, test: test, asrSet: [], targetLabel: 1, recipe: DefenseRecipe(method: .mix))
        }
        #expect(run == m)
        // Same size, one token different (vocab.txt edited, then loaded): the first differing line is named.
        let other = try Self.folder(dir, "other", seed: 2)
        var lines = try String(contentsOf: other.vocabPath, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[7] = "changed"
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: other.vocabPath)
        let line = Self.message { try CheckpointFolder.checkSameVocabulary(pre: pre, victim: CheckpointFolder(other.url)) }
        #expect(line.contains("line 8 is 'tok7' in \(pre.vocabPath.path) but 'changed' in \(other.vocabPath.path)"), "\(line)")
        // A vocab.txt with a token too many, config unchanged.
        try Data((lines.joined(separator: "\n") + "\nextra\n").utf8).write(to: other.vocabPath)
        let count = Self.message { try CheckpointFolder.checkSameVocabulary(pre: pre, victim: CheckpointFolder(other.url)) }
        #expect(count.contains("\(pre.vocabPath.path) has 12 tokens but \(other.vocabPath.path) has 13"), "\(count)")
        // CRLF line ends are the same vocabulary.
        try Data((try String(contentsOf: pre.vocabPath, encoding: .utf8).replacingOccurrences(of: "\n", with: "\r\n")).utf8).write(to: other.vocabPath)
        try CheckpointFolder.checkSameVocabulary(pre: pre, victim: CheckpointFolder(other.url))
    }

    /// Same vocabulary, different widths: every path that pairs two models names the tensor and both shapes.
    @Test func mismatchedShapesAreRefused() throws {
        let dir = TempDir()
        let pre = try Self.folder(dir, "pre"), wide = try Self.folder(dir, "wide", hidden: 8)
        let mix = Self.message { _ = try MixedWeights(pre: pre.weights, victim: wide.weights, spec: MixSpec(rho: 0.5)) }
        #expect(mix.hasPrefix("mix: tensor ") && mix.contains("has shape") && mix.contains("in the victim"), "\(mix)")
        let drift = Self.message { _ = try Drift.report(pre: pre.weights, victim: wide.weights, vocabulary: []) }
        #expect(drift.contains("has shape") && drift.contains("in the victim"), "\(drift)")
        let run = Self.message {
            _ = try DefenseRun.run(pre: pre, victim: wide, clean: [Example(text: "tok5", label: 0)], test: [Example(text: "tok6", label: 1)],
                                   asrSet: [], targetLabel: 1, recipe: DefenseRecipe(method: .mix))
        }
        #expect(run.contains(pre.url.path) && run.contains(wide.url.path) && run.contains("different architectures"), "\(run)")
    }
}

extension NumericFaultTests {
    /// The workbench's `load`: a victim with another vocabulary, and weights with NaN/Inf.
    @Test func theWorkbenchRefusesAnotherVocabularyAndNonFiniteWeights() throws {
        let dir = TempDir()
        let pre = try Self.folder(dir, "pre"), bigger = try Self.folder(dir, "bigger", vocab: 13)
        let session = try Session(workspace: dir.url, journal: nil)
        try session.execute("load pre \(Command.quote(pre.url.path))")
        let m = Self.message { try session.execute("load victim \(Command.quote(bigger.url.path))") }
        #expect(m.contains("\(pre.configURL.path) has vocab_size 12 but \(bigger.configURL.path) has vocab_size 13"), "\(m)")

        var c = TinyModel.config
        c.setLabels(2)
        var tensors = try TinyModel.tensors(head: true)
        let i = tensors.firstIndex { $0.name == "classifier.bias" }!
        tensors[i].values[1] = -.infinity
        let bad = dir.url.appendingPathComponent("bad")
        try CheckpointFolder.save(config: c, vocab: try TinyModel.vocab(in: dir), tensors: tensors, to: bad)
        for role in ["pre", "victim"] {
            let n = Self.message { try session.execute("load \(role) \(Command.quote(bad.path))") }
            #expect(n == "\(bad.path)/model.safetensors: 1 tensor holds NaN or Inf weights: classifier.bias (1 of 2 values). A model with non-finite weights gives NaN outputs; the file is corrupt or was saved from a diverged run", "\(n)")
        }
    }
}
