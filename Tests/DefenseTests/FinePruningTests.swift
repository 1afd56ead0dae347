import Foundation
import Testing
@testable import Defense

/// Fine-pruning on a tiny model: it ranks neurons by mean activation over real tokens, prunes the
/// lowest fraction per layer, and the pruned weights stay zero through fine-tuning.
@Suite struct FinePruningTests {
    static func neuron(_ p: BertParameters, layer l: Int, _ j: Int) -> (row: [Float], bias: Float, column: [Float]) {
        let c = p.config, H = c.hiddenSize, I = c.intermediateSize, o = p.layout.layers[l]
        let w1 = p.values[o.interW], w2 = p.values[o.outW]
        return (Array(UnsafeBufferPointer(start: w1 + j * H, count: H)), p.values[o.interB][j], (0..<H).map { w2[$0 * I + j] })
    }

    @Test func meansIgnorePaddingAndDoNotDependOnTheBatch() throws {
        let m = TinySentiment.model(), tok = try TinySentiment.tokenizer(), data = TinySentiment.examples(19)
        let a = try FinePruning.meanActivations(model: m, tokenizer: tok, examples: data, maxLength: 16, batch: 1)
        let b = try FinePruning.meanActivations(model: m, tokenizer: tok, examples: data, maxLength: 16, batch: 8)
        #expect(a.count == 2 && a.allSatisfy { $0.count == 32 })
        for l in 0..<2 { for j in 0..<32 { #expect(abs(a[l][j] - b[l][j]) < 1e-5, "layer \(l) neuron \(j)") } }
        // GELU is at least −0.17, and a random model's neurons are not all silent.
        #expect(a.joined().allSatisfy { $0 > -0.2 } && a.joined().contains { abs($0) > 1e-3 })
    }

    @Test func theLowestActivationNeuronsArePrunedAndTheRatioIsHonoured() throws {
        let m = TinySentiment.model(), tok = try TinySentiment.tokenizer(), data = TinySentiment.examples(24)
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
        let m = TinySentiment.model(seed: 5), tok = try TinySentiment.tokenizer(), data = TinySentiment.examples(20)
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
