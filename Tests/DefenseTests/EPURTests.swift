import Foundation
import Testing
@testable import Defense
import TestSupport

/// A model with its word-embedding matrix replaced (the rest read from `base`).
struct EmbeddingOverlay: RangedTensorSource {
    let base: SafetensorsFile
    let embeddings: [Float]
    var tensorNames: [String] { base.tensorNames }
    func shape(of name: String) -> [Int]? { base.shape(of: name) }
    func readFloats(_ name: String, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        if name == Drift.wordEmbeddings { _ = buffer.initialize(from: embeddings) } else { try base.readFloats(name, into: buffer) }
    }
    func withFloats<R>(_ name: String, in range: Range<Int>, scratch: UnsafeMutableBufferPointer<Float>,
                       _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        guard name == Drift.wordEmbeddings else { return try base.withFloats(name, in: range, scratch: scratch, body) }
        return try embeddings.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[range])) }
    }
}

@Suite struct EPURTests {
    /// Real MiniLM as θ_Pre; the victim moves every row a little, `cf` and `mn` far, and `the`
    /// (frequent) farthest of all, as clean fine-tuning moves frequent words.
    static func victim(_ pre: CheckpointFolder, tokenizer: Tokenizer) throws
        -> (victim: EmbeddingOverlay, cf: Int, mn: Int, the: Int) {
        let name = Drift.wordEmbeddings
        var e = try MixFixture.read(pre.weights, name)
        let width = pre.config.hiddenSize
        let id = { (t: String) -> Int in tokenizer.tokens.firstIndex(of: t)! }
        let cf = id("cf"), mn = id("mn"), the = id("the")
        var g = SeededRandom(seed: 1)
        for i in e.indices { e[i] += (g.nextFloat() - 0.5) * 0.008 }
        for k in 0..<width {
            e[cf * width + k] += k % 2 == 0 ? 0.05 : -0.05
            e[mn * width + k] -= 0.05
            e[the * width + k] += 0.062
        }
        return (EmbeddingOverlay(base: pre.weights, embeddings: e), cf, mn, the)
    }

    @Test func findsTheTriggerWordsOnRealMiniLMAndResetsExactlyTheirRows() throws {
        let pre = try CheckpointFolder(try ResourceCache().minilm())
        let tokenizer = try Tokenizer(vocabURL: pre.vocabURL)
        let (victim, cf, mn, the) = try Self.victim(pre, tokenizer: tokenizer)
        let clean = EPUR.texts(Array(try Datasets.load("rt").examples.prefix(256)))
        let report = try EPUR.run(pre: pre.weights, victim: victim, tokenizer: tokenizer, clean: clean,
                                  options: .init(top: 200, fmin: 20))
        #expect(report.tokens.count == 200 && report.top == 200 && report.fmin == 20)
        let top10 = report.tokens.prefix(10).map(\.id)
        #expect(top10.contains(cf) && top10.contains(mn), "top 10: \(report.tokens.prefix(10).map(\.token))")
        // `the` moved farthest but is frequent: raw drift ranks it first, the score does not.
        let drift = try embeddingRowDrift(pre: pre.weights, victim: victim)
        #expect(drift.indices.max { drift[$0] < drift[$1] } == the)
        let theToken = try #require(report.tokens.first { $0.id == the })
        #expect(theToken.freq > 100)
        #expect(report.tokens.firstIndex { $0.id == the }! > report.tokens.firstIndex { $0.id == cf }!)
        #expect(!report.ids.contains(Int(tokenizer.cls!)) && !report.ids.contains(Int(tokenizer.sep!)))
        for t in report.tokens {
            #expect(abs(t.score - t.drift / log(Double(max(t.freq, 20)))) <= 1e-12 * max(1, t.score))
        }

        // Purify: reset rows equal θ_Pre exactly, every other row and tensor stays the victim's.
        let purified = try PurifiedWeights(base: victim, pre: pre.weights, rows: report.ids)
        let name = Drift.wordEmbeddings, width = pre.config.hiddenSize
        let p = try MixFixture.read(pre.weights, name), v = try MixFixture.read(victim, name)
        let out = try MixFixture.read(purified, name)
        let reset = Set(report.ids)
        let wrongRows = (0..<(p.count / width)).filter { row in
            let want = reset.contains(row) ? p : v
            return (row * width..<(row + 1) * width).contains { out[$0].bitPattern != want[$0].bitPattern }
        }
        #expect(wrongRows.isEmpty, "rows \(wrongRows.prefix(10))")
        #expect(report.ids.contains { row in (row * width..<(row + 1) * width).contains { p[$0] != v[$0] } })
        for other in ["embeddings.position_embeddings.weight", "encoder.layer.0.attention.self.query.weight"] {
            #expect(MixFixture.bits(try MixFixture.read(purified, other)) == MixFixture.bits(try MixFixture.read(victim, other)))
        }
        // Chunks that cut rows in the middle give the same values.
        #expect(MixFixture.bits(try MixFixture.readChunked(purified, name, step: 1000)) == MixFixture.bits(out))
        // Composes: purify a mix, the reset rows are θ_Pre's whatever the mix kept.
        let mix = try MixedWeights(pre: pre.weights, victim: victim, spec: MixSpec(rho: 0.7, seed: 2))
        let both = try PurifiedWeights(base: mix, pre: pre.weights, rows: [cf])
        let row = try MixFixture.readChunked(both, name, step: 4096)
        #expect(MixFixture.bits(Array(row[cf * width..<(cf + 1) * width])) == MixFixture.bits(Array(p[cf * width..<(cf + 1) * width])))
    }

    @Test func scoreIsDriftOverLogOfClampedFrequency() throws {
        let vocabulary = ["[PAD]", "a", "b", "c", "d", "e", "f"]
        let drift: [Float] = [9, 1, 2, 2, 0.5, 3, 2]
        let freq = [0, 0, 3, 100, 1, 1000, 3]
        let r = try EPUR.rank(drift: drift, freq: freq, vocabulary: vocabulary, options: .init(top: 4, fmin: 5),
                              excluded: [0], corpus: "extra.txt")
        let l5 = log(5.0)
        // scores: a 1/l5, b 2/l5, c 2/log100, d 0.5/l5, e 3/log1000, f 2/l5 (ties b, f → lower id first)
        #expect(r.tokens.map(\.token) == ["b", "f", "a", "e"])
        #expect(r.tokens[0].score == 2 / l5 && r.tokens[2].score == 1 / l5)
        #expect(abs(r.tokens[3].score - 3 / log(1000.0)) < 1e-15)
        #expect(r.tokens[0].freq == 3 && r.tokens[0].drift == 2 && r.tokens[0].id == 2)
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(r)) as! [String: Any]
        #expect(Set(json.keys) == ["tokens", "top", "fmin", "corpus"])
        let first = (json["tokens"] as! [[String: Any]])[0]
        #expect(Set(first.keys) == ["token", "id", "drift", "freq", "score"])
        #expect(try JSONDecoder().decode(EPURReport.self, from: JSONEncoder().encode(r)) == r)
    }

    @Test func frequenciesCountWordPiecesOfTheCleanText() throws {
        let pre = try CheckpointFolder(try ResourceCache().minilm())
        let tokenizer = try Tokenizer(vocabURL: pre.vocabURL)
        let examples = [Example(text: "The film, the film!", label: 1), Example(text: "a film", pair: "playing", label: 0)]
        let f = EPUR.frequencies(EPUR.texts(examples), tokenizer: tokenizer)
        let id = { (t: String) -> Int in tokenizer.tokens.firstIndex(of: t)! }
        #expect(f[id("film")] == 3 && f[id("the")] == 2 && f[id(",")] == 1 && f[id("playing")] == 1)
        #expect(f[Int(tokenizer.cls!)] == 0 && f.reduce(0, +) == 9)
        let file = TempFolder.url("epur").appendingPathExtension("txt")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data("film one\n\n   \nfilm two\r\n".utf8).write(to: file)
        #expect(try EPUR.corpusLines(file) == ["film one", "film two"])
    }

    @Test func badInputGivesOneClearError() throws {
        let vocabulary = ["a", "b", "c"]
        func rank(_ o: EPUR.Options, drift: [Float] = [1, 2, 3], vocabulary: [String] = vocabulary) throws {
            _ = try EPUR.rank(drift: drift, freq: [Int](repeating: 0, count: drift.count), vocabulary: vocabulary, options: o)
        }
        #expect(throws: FinemixError.self) { try rank(.init(top: 4, fmin: 20)) }
        #expect(throws: FinemixError.self) { try rank(.init(top: -1, fmin: 20)) }
        #expect(throws: FinemixError.self) { try rank(.init(top: 2, fmin: 1)) }
        #expect(throws: FinemixError.self) { try rank(.init(top: 2, fmin: 0)) }
        #expect(throws: FinemixError.self) { try rank(.init(top: 1, fmin: 20), drift: [1, 2]) }
        try rank(.init(top: 3, fmin: 2))

        // Embedding shapes that disagree, rows outside the matrix, a vocabulary of another size.
        let name = Drift.wordEmbeddings
        let small = TensorDictionary([NamedTensor(name: name, shape: [3, 2], values: [1, 2, 3, 4, 5, 6])])
        let other = TensorDictionary([NamedTensor(name: name, shape: [2, 3], values: [1, 2, 3, 4, 5, 6])])
        #expect(throws: FinemixError.self) { try PurifiedWeights(base: small, pre: other, rows: [0]) }
        #expect(throws: FinemixError.self) { try PurifiedWeights(base: small, pre: small, rows: [3]) }
        #expect(throws: FinemixError.self) { try embeddingRowDrift(pre: small, victim: other) }
        let pre = try CheckpointFolder(try ResourceCache().minilm())
        let tokenizer = try Tokenizer(vocabURL: pre.vocabURL)
        do {
            _ = try EPUR.run(pre: small, victim: small, tokenizer: tokenizer, clean: ["a"])
            Issue.record("a 3-row embedding was accepted with a 30522-token vocabulary")
        } catch let e as FinemixError { #expect(e.message.contains("3 rows") && e.message.contains("30522")) }
        #expect(throws: FinemixError.self) {
            try EPUR.run(pre: pre.weights, victim: pre.weights, tokenizer: tokenizer, clean: [], options: .init(top: 40_000))
        }

        // Two folders with different vocabularies.
        let dir = TempFolder.url("epur")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for f in ["config.json", "model.safetensors"] {
            try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent(f), withDestinationURL: pre.url.appendingPathComponent(f))
        }
        var tokens = tokenizer.tokens
        tokens[2000] = "zzzz"
        try Data((tokens.joined(separator: "\n") + "\n").utf8).write(to: dir.appendingPathComponent("vocab.txt"))
        do {
            _ = try EPUR.run(pre: pre, victim: try CheckpointFolder(dir), clean: ["a"])
            Issue.record("different vocabularies were accepted")
        } catch let e as FinemixError { #expect(e.message.contains("id 2000")) }
    }
}
