import Foundation
import Testing
@testable import Defense

/// Fine-pruning on a tiny model: it ranks neurons by mean activation over real tokens, prunes the
/// lowest fraction per layer, and the pruned weights stay zero through fine-tuning.
@Suite struct FinePruningTests {
    static let words = ["good", "great", "fine", "bad", "awful", "dull", "the", "movie", "film", "plot", "was", "a", "very"]

    static func tokenizer() throws -> BertTokenizer {
        BertTokenizer(vocab: try Vocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words))
    }

    static var config: BertConfig {
        var c = BertConfig()
        c.vocabSize = 5 + words.count; c.hiddenSize = 16; c.numHiddenLayers = 2; c.numAttentionHeads = 4
        c.intermediateSize = 32; c.maxPositionEmbeddings = 32
        c.setLabels(2)
        return c
    }

    static func model(seed: UInt64 = 1) -> BertModel {
        let m = BertModel(config: config)
        m.params.initialiseRandomly(seed: seed)
        return m
    }

    /// Varying lengths, so padded batches are exercised.
    static func examples(_ n: Int, seed: UInt64 = 3) -> [Example] {
        var r = SeededRandom(seed: seed)
        let filler = ["the", "movie", "film", "plot", "was", "a", "very"]
        return (0..<n).map { i in
            let positive = i % 2 == 0
            var w = (0..<(1 + r.below(10))).map { _ in filler[r.below(filler.count)] }
            w.insert(positive ? ["good", "great", "fine"][r.below(3)] : ["bad", "awful", "dull"][r.below(3)], at: r.below(w.count + 1))
            return Example(text: w.joined(separator: " "), label: positive ? 1 : 0)
        }
    }

    /// Neuron j of layer l, by hand: row j of the intermediate weight and bias, column j of the output weight.
    static func neuron(_ p: BertParameters, layer l: Int, _ j: Int) -> (row: [Float], bias: Float, column: [Float]) {
        let c = p.config, H = c.hiddenSize, I = c.intermediateSize, o = p.layout.layers[l]
        let w1 = p.values[o.interW], w2 = p.values[o.outW]
        return (Array(UnsafeBufferPointer(start: w1 + j * H, count: H)), p.values[o.interB][j], (0..<H).map { w2[$0 * I + j] })
    }

    @Test func meansIgnorePaddingAndDoNotDependOnTheBatch() throws {
        let m = Self.model(), tok = try Self.tokenizer(), data = Self.examples(19)
        let a = try FinePruning.meanActivations(model: m, tokenizer: tok, examples: data, maxLength: 16, batch: 1)
        let b = try FinePruning.meanActivations(model: m, tokenizer: tok, examples: data, maxLength: 16, batch: 8)
        #expect(a.count == 2 && a.allSatisfy { $0.count == 32 })
        for l in 0..<2 { for j in 0..<32 { #expect(abs(a[l][j] - b[l][j]) < 1e-5, "layer \(l) neuron \(j)") } }
        // GELU is at least −0.17, and a random model's neurons are not all silent.
        #expect(a.joined().allSatisfy { $0 > -0.2 } && a.joined().contains { abs($0) > 1e-3 })
    }

    @Test func theLowestActivationNeuronsArePrunedAndTheRatioIsHonoured() throws {
        let m = Self.model(), tok = try Self.tokenizer(), data = Self.examples(24)
        // Make the activation order known: a large positive bias makes a neuron fire (GELU ≈ x),
        // a large negative one silences it (≈ 0); the silenced ones must be the pruned ones.
        let c = m.config, o = m.layout.layers
        let silenced: [Int: Set<Int>] = [0: [1, 4, 7, 8, 13, 20, 21, 25, 30, 31], 1: [0, 2, 3, 5, 9, 11, 17, 18, 26, 29]]
        for l in 0..<c.numHiddenLayers {
            for j in 0..<c.intermediateSize { m.params.values[o[l].interB][j] = silenced[l]!.contains(j) ? -8 : 8 }
        }
        let result = try FinePruning.prune(model: m, tokenizer: tok, clean: data, ratio: 0.3, maxLength: 16)
        #expect(result.perLayer == 10)  // round(0.3 × 32)
        for l in 0..<2 {
            #expect(Set(result.mask.neurons[l] ?? []) == silenced[l]!)
            let kept = (0..<32).filter { !silenced[l]!.contains($0) }
            let maxPruned = silenced[l]!.map { result.meanActivation[l][$0] }.max()!
            #expect(kept.allSatisfy { result.meanActivation[l][$0] > maxPruned })
            for j in 0..<32 {
                let n = Self.neuron(m.params, layer: l, j)
                let zero = n.row.allSatisfy { $0 == 0 } && n.bias == 0 && n.column.allSatisfy { $0 == 0 }
                #expect(zero == silenced[l]!.contains(j), "layer \(l) neuron \(j)")
            }
        }
        for (ratio, k) in [(0.0, 0), (0.1, 3), (0.5, 16), (0.9, 29)] {
            let mask = try FinePruning.mask(meanActivation: result.meanActivation, ratio: ratio)
            #expect(mask.neurons.values.allSatisfy { $0.count == k }, "ratio \(ratio)")
        }
        #expect(throws: FinemixError.self) { try FinePruning.mask(meanActivation: result.meanActivation, ratio: 1) }
        #expect(throws: FinemixError.self) { try FinePruning.mask(meanActivation: result.meanActivation, ratio: -0.1) }
        #expect(throws: FinemixError.self) { try FinePruning.prune(model: m, tokenizer: tok, clean: [], ratio: 0.3) }
    }

    @Test func rankingIsByMeanWithTiesToTheLowerIndex() throws {
        let means: [[Double]] = [[0.5, -0.1, 0.2, 0.2, 0.0, 0.9, 0.2, 0.3, 0.4, 0.6]]
        #expect(try FinePruning.mask(meanActivation: means, ratio: 0.3).neurons[0] == [1, 2, 4])
        #expect(try FinePruning.mask(meanActivation: means, ratio: 0.5).neurons[0] == [1, 2, 3, 4, 6])
    }

    @Test func prunedWeightsStayZeroThroughFineTuning() throws {
        let m = Self.model(seed: 5), tok = try Self.tokenizer(), data = Self.examples(20)
        let pruned = try FinePruning.prune(model: m, tokenizer: tok, clean: data, ratio: 0.3, maxLength: 16)
        let start = Array(m.params.values.buffer)
        let recipe = FineTuneRecipe(epochs: 3, lr: 1e-2, batch: 4, maxLength: 16, seed: 2)
        let r = try FineTune.run(model: m, tokenizer: tok, examples: data, recipe: recipe, pruneMask: pruned.mask)
        #expect(r.steps == 15)
        #expect(Array(m.params.values.buffer) != start)  // training did move the weights
        for (l, js) in pruned.mask.neurons {
            for j in js {
                let n = Self.neuron(m.params, layer: l, j)
                #expect(n.row.allSatisfy { $0 == 0 } && n.bias == 0 && n.column.allSatisfy { $0 == 0 }, "layer \(l) neuron \(j)")
            }
        }
        // The other neurons of those layers did train.
        let (l, js) = pruned.mask.neurons.first!
        let other = (0..<32).first { !js.contains($0) }!
        #expect(Self.neuron(m.params, layer: l, other).row != Array(start[(m.layout.layers[l].interW + other * 16)..<(m.layout.layers[l].interW + other * 16 + 16)]))
    }
}
