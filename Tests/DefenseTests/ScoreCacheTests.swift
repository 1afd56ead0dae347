import Foundation
import Testing
@testable import Defense

/// The victim's "before" score kept by checkpoint bytes and sentences (ScoreCache).
@Suite struct ScoreCacheTests {
    @Test func secondMeasurementIsReadAndAnyChangeIsAnotherKey() throws {
        let dir = TempDir()
        let url = dir.url.appendingPathComponent("victim")
        try CheckpointFolder.save(config: TinyModel.config, vocab: try TinyModel.vocab(in: dir), tensors: try TinyModel.tensors(head: true), to: url)
        let victim = try CheckpointFolder(url)
        let test = [Example(text: "a b", label: 1), Example(text: "c", label: 0)], asr = [Example(text: "cf c", label: 0)]
        let key = try #require(try ScoreCache.key(victim: victim, test: test, asrSet: asr, targetLabel: 1, maxLength: 64, basis: nil))
        let cache = ScoreCache(workspace: dir.url)
        var measured = 0
        let score = DefenseScore(EvaluationResult(acc: 0.5, asr: 1, nTest: 2, nCorrect: 1, nPoisonedTest: 1, nPoisonedToTarget: 1, targetLabel: 1))
        let measure = { () -> DefenseScore in measured += 1; return score }
        #expect(try cache.score(key: key, measure: measure) == (score: score, cached: false))
        let second = try cache.score(key: key, measure: measure)
        #expect(second.cached && second.score == score && measured == 1)

        // Other sentences, labels, target or length: other keys.
        var relabelled = test
        relabelled[0].label = 0
        let others = [try ScoreCache.key(victim: victim, test: relabelled, asrSet: asr, targetLabel: 1, maxLength: 64, basis: nil),
                      try ScoreCache.key(victim: victim, test: test, asrSet: [], targetLabel: 1, maxLength: 64, basis: nil),
                      try ScoreCache.key(victim: victim, test: test, asrSet: asr, targetLabel: 0, maxLength: 64, basis: nil),
                      try ScoreCache.key(victim: victim, test: test, asrSet: asr, targetLabel: 1, maxLength: 32, basis: nil),
                      // a BF16 score is never read as the FP32 one, nor the other way round
                      try ScoreCache.key(victim: victim, test: test, asrSet: asr, targetLabel: 1, maxLength: 64, basis: nil, precision: .bf16)]
        #expect(Set(others.compactMap { $0 } + [key]).count == others.count + 1)
        // Other weights in the same folder: another key.
        try CheckpointFolder.save(config: TinyModel.config, vocab: try TinyModel.vocab(in: dir), tensors: try TinyModel.tensors(head: true, seed: 2), to: url)
        #expect(try ScoreCache.key(victim: try CheckpointFolder(url), test: test, asrSet: asr, targetLabel: 1, maxLength: 64, basis: nil) != key)

        // A damaged score file is measured again and rewritten.
        try Data("{".utf8).write(to: cache.folder.appendingPathComponent("\(key).json"))
        #expect(try cache.score(key: key, measure: measure).cached == false && measured == 2)
        #expect(try cache.score(key: key, measure: measure).cached && measured == 2)
    }
}
