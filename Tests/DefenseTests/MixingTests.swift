import Foundation
import Testing
@testable import Defense
import TestSupport

/// Small BERT-named models and helpers for the mixing and E-PUR tests.
enum MixFixture {
    static let shapes: [(String, [Int])] = [
        ("embeddings.word_embeddings.weight", [40, 8]),
        ("embeddings.LayerNorm.weight", [8]),
        ("encoder.layer.0.attention.self.query.weight", [8, 8]),
        ("encoder.layer.0.intermediate.dense.weight", [16, 8]),
        ("encoder.layer.0.output.dense.weight", [8, 16]),
        ("encoder.layer.1.attention.output.dense.bias", [8]),
        ("pooler.dense.weight", [8, 8]),
    ]

    /// Pre-trained: N(0, 0.05)-ish values; victim: the same plus noise, and a classifier head.
    static func pair(seed: UInt64 = 3) -> (pre: TensorDictionary, victim: TensorDictionary) {
        var g = SeededRandom(seed: seed)
        var pre: [NamedTensor] = [], victim: [NamedTensor] = []
        for (name, shape) in shapes {
            let n = shape.reduce(1, *)
            let p = (0..<n).map { _ in (g.nextFloat() - 0.5) * 0.2 }
            let v = p.map { $0 + (g.nextFloat() - 0.5) * 0.02 }
            pre.append(NamedTensor(name: name, shape: shape, values: p))
            victim.append(NamedTensor(name: name, shape: shape, values: v))
        }
        victim.append(NamedTensor(name: "classifier.weight", shape: [2, 8], values: (0..<16).map { _ in g.nextFloat() }))
        victim.append(NamedTensor(name: "classifier.bias", shape: [2], values: [0.5, -0.5]))
        return (TensorDictionary(pre), TensorDictionary(victim))
    }

    static func read(_ s: any TensorSource, _ name: String) throws -> [Float] {
        var v = [Float](repeating: 0, count: try #require(s.elementCount(of: name)))
        try v.withUnsafeMutableBufferPointer { try s.readFloats(name, into: $0) }
        return v
    }

    /// Reads through withFloats in pieces of `step` values.
    static func readChunked(_ s: any RangedTensorSource, _ name: String, step: Int) throws -> [Float] {
        let n = try #require(s.elementCount(of: name))
        var out: [Float] = []
        out.reserveCapacity(n)
        let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: step)
        defer { scratch.deallocate() }
        var lo = 0
        while lo < n {
            let r = lo..<min(n, lo + step)
            try s.withFloats(name, in: r, scratch: scratch) { out.append(contentsOf: $0) }
            lo = r.upperBound
        }
        return out
    }

    static func bits(_ v: [Float]) -> [UInt32] { v.map(\.bitPattern) }

    /// MiniLM's width with 8000 tokens and 4 layers, random weights (5.5M values, word embeddings
    /// large enough for the multi-core read path), two different seeds.
    static func minilmPair() throws -> (pre: SyntheticWeights, victim: SyntheticWeights) {
        var c = BertConfig.minilm
        c.vocabSize = 8000; c.numHiddenLayers = 4
        return (try SyntheticWeights(config: c, seed: 10, withHead: false),
                try SyntheticWeights(config: c, seed: 11, withHead: true))
    }
}

@Suite struct MixingTests {
    @Test func counterStreamIsAPureFunctionOfKeyAndIndex() {
        let key = SeededRandom.streamKey(seed: 7, stream: "mix/a")
        #expect(key == SeededRandom.streamKey(seed: 7, stream: "mix/a"))
        #expect(key != SeededRandom.streamKey(seed: 8, stream: "mix/a"))
        #expect(key != SeededRandom.streamKey(seed: 7, stream: "mix/b"))
        // Index i of the stream is SplitMix64's (i+1)-th output from state `key`.
        var state = key
        for i in 0..<100 { #expect(SeededRandom.bits(key: key, index: UInt64(i)) == SeededRandom.splitMix64(&state)) }
        #expect(SeededRandom.bernoulliThreshold(0) == 0)
        #expect(SeededRandom.bernoulliThreshold(.nan) == 0)
        #expect(SeededRandom.bernoulliThreshold(1) == 1 << 53)
        #expect(SeededRandom.bernoulliThreshold(0.5) == 1 << 52)
        // Normal draws: mean 0, deviation 1 within sampling error over 200k.
        let n = 200_000
        var sum = 0.0, sum2 = 0.0
        for i in 0..<n { let z = SeededRandom.normal(key: key, index: UInt64(i)); sum += z; sum2 += z * z }
        #expect(abs(sum / Double(n)) < 4 / Double(n).squareRoot())
        #expect(abs(sum2 / Double(n) - 1) < 4 * (2.0 / Double(n)).squareRoot())
    }

    @Test func sameSeedGivesBitIdenticalWeightsAndAnotherSeedAnotherMask() throws {
        let (pre, victim) = MixFixture.pair()
        let a = try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: 0.3, seed: 7))
        let b = try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: 0.3, seed: 7))
        let c = try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: 0.3, seed: 8))
        var differs = false
        for name in a.tensorNames {
            let x = try MixFixture.read(a, name)
            #expect(MixFixture.bits(x) == MixFixture.bits(try MixFixture.read(b, name)), "\(name)")
            if MixFixture.bits(x) != MixFixture.bits(try MixFixture.read(c, name)) { differs = true }
        }
        #expect(differs)
        #expect(try a.digest() == b.digest())
        #expect(try a.digest() != c.digest())
    }

    @Test(arguments: MixSpec.Select.allCases)
    func rhoOneIsTheVictimAndRhoZeroThePretrainedModelExactly(select: MixSpec.Select) throws {
        let (pre, victim) = try MixFixture.minilmPair()
        let one = try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: 1, select: select, seed: 1))
        let zero = try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: 0, select: select, seed: 1))
        #expect(one.tensorNames == victim.tensorNames)
        for name in victim.tensorNames {
            let v = MixFixture.bits(try MixFixture.read(victim, name))
            #expect(MixFixture.bits(try MixFixture.read(one, name)) == v, "\(name)")
            // The head has no pre-trained counterpart: kept from the victim at every ρ.
            let expected = pre.shape(of: name) == nil ? v : MixFixture.bits(try MixFixture.read(pre, name))
            #expect(MixFixture.bits(try MixFixture.read(zero, name)) == expected, "\(name)")
        }
        #expect(try one.summary().fraction == 1)
        #expect(try zero.summary().kept == 0)
    }

    @Test func randomKeepsRhoWithinSamplingErrorAndTheSummaryCountsTheRealMask() throws {
        let (pre, victim) = try MixFixture.minilmPair()
        for rho in [0.05, 0.3, 0.7] {
            let mix = try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: rho, seed: 42))
            let summary = try mix.summary()
            for t in summary.tensors {
                let n = Double(t.count)
                let sigma = (n * rho * (1 - rho)).squareRoot()
                #expect(abs(Double(t.kept) - n * rho) <= 4 * sigma + 1, "\(t.name): kept \(t.kept) of \(t.count)")
            }
            let n = Double(summary.count)
            #expect(abs(Double(summary.kept) - n * rho) <= 4 * (n * rho * (1 - rho)).squareRoot())
            // The summary's counts are the mask the weights use: count values taken from the victim.
            for name in ["embeddings.word_embeddings.weight", "encoder.layer.2.output.dense.weight", "pooler.dense.bias"] {
                let m = try MixFixture.read(mix, name), v = try MixFixture.read(victim, name), p = try MixFixture.read(pre, name)
                var fromVictim = 0, neither = 0
                for i in m.indices {
                    if m[i].bitPattern != v[i].bitPattern && m[i].bitPattern != p[i].bitPattern { neither += 1 }
                    if m[i].bitPattern == v[i].bitPattern && v[i] != p[i] { fromVictim += 1 }
                }
                #expect(neither == 0, "\(name): values taken from neither model")
                let t = try #require(summary.tensors.first { $0.name == name })
                let ties = zip(v, p).filter { $0 == $1 }.count
                #expect(fromVictim <= t.kept && t.kept <= fromVictim + ties, "\(name)")
            }
        }
    }

    @Test func largerRhoKeepsASupersetUnderOneSeed() throws {
        let (pre, victim) = MixFixture.pair()
        let small = try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: 0.2, seed: 5))
        let large = try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: 0.6, seed: 5))
        let name = "embeddings.word_embeddings.weight"
        let v = try MixFixture.read(victim, name), s = try MixFixture.read(small, name), l = try MixFixture.read(large, name)
        #expect(v.indices.filter { s[$0] == v[$0] && l[$0] != v[$0] }.isEmpty)
    }

    @Test(arguments: [MixSpec.Select.largest, .smallest])
    func rankedKeepsExactlyRoundRhoNOfTheLargestOrSmallestDelta(select: MixSpec.Select) throws {
        let (pre, victim) = MixFixture.pair()
        for rho in [0.01, 0.3, 0.5, 0.77, 0.99] {
            let mix = try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: rho, select: select, seed: 0))
            let summary = try mix.summary()
            for name in pre.tensorNames {
                let p = try MixFixture.read(pre, name), v = try MixFixture.read(victim, name), m = try MixFixture.read(mix, name)
                let keptIdx = m.indices.filter { m[$0] == v[$0] && v[$0] != p[$0] }
                let k = Int((rho * Double(p.count)).rounded())
                #expect(keptIdx.count == k, "\(name) ρ=\(rho)")
                #expect(summary.tensors.first { $0.name == name }?.kept == k)
                let delta = zip(v, p).map { abs($0 - $1) }
                let kept = Set(keptIdx)
                let inside = keptIdx.map { delta[$0] }, outside = p.indices.filter { !kept.contains($0) }.map { delta[$0] }
                if select == .largest {
                    #expect((inside.min() ?? .infinity) >= (outside.max() ?? 0), "\(name) ρ=\(rho)")
                } else {
                    #expect((inside.max() ?? 0) <= (outside.min() ?? .infinity), "\(name) ρ=\(rho)")
                }
            }
        }
    }

    @Test func rankedTiesGoToTheLowerIndex() throws {
        let name = "pooler.dense.bias"
        let pre = TensorDictionary([NamedTensor(name: name, shape: [8], values: [Float](repeating: 0, count: 8))])
        let victim = TensorDictionary([NamedTensor(name: name, shape: [8], values: [1, 3, 2, 3, 3, 0.5, 3, 1])])
        let mix = try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: 0.25, select: .largest))
        #expect(try MixFixture.read(mix, name) == [0, 3, 0, 3, 0, 0, 0, 0])
        let three = try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: 0.5, select: .largest))
        #expect(try MixFixture.read(three, name) == [0, 3, 0, 3, 3, 0, 3, 0])
        let smallest = try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: 0.375, select: .smallest))
        #expect(try MixFixture.read(smallest, name) == [1, 0, 0, 0, 0, 0.5, 0, 1])
    }

    @Test func perLayerScopeUsesEachLayersRho() throws {
        let (pre, victim) = try MixFixture.minilmPair()
        let layers = ["embeddings": 0.0, "encoder.layer.0.ffn": 1.0, "encoder.layer.3.attention": 0.1]
        for select in MixSpec.Select.allCases {
            let spec = MixSpec.perLayer(layers, default: 0.5, select: select, seed: 9)
            let summary = try keptFractions(pre: pre, victim: victim, spec: spec)
            for layer in summary.layers {
                let rho = layers[layer.name] ?? 0.5
                #expect(layer.rho == rho)
                let n = Double(layer.count)
                #expect(abs(Double(layer.kept) - n * rho) <= 4 * (n * rho * (1 - rho)).squareRoot() + 1, "\(layer.name)")
            }
            #expect(summary.layers.first { $0.name == "embeddings" }?.kept == 0)
            #expect(summary.layers.map(\.name).first == "embeddings" && summary.layers.map(\.name).last == "pooler")
            let mix = try MixedWeights(pre: pre, victim: victim, spec: spec)
            let ffn = "encoder.layer.0.intermediate.dense.weight", emb = "embeddings.position_embeddings.weight"
            #expect(MixFixture.bits(try MixFixture.read(mix, ffn)) == MixFixture.bits(try MixFixture.read(victim, ffn)))
            #expect(MixFixture.bits(try MixFixture.read(mix, emb)) == MixFixture.bits(try MixFixture.read(pre, emb)))
        }
    }

    @Test func headIsKeptOrReinitialised() throws {
        let (pre, victim) = try MixFixture.minilmPair()
        let keep = try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: 0.3, seed: 1, head: .keep))
        for name in ["classifier.weight", "classifier.bias"] {
            #expect(MixFixture.bits(try MixFixture.read(keep, name)) == MixFixture.bits(try MixFixture.read(victim, name)))
        }
        let spec = MixSpec(rho: 0.3, seed: 1, head: .reinit)
        let a = try MixedWeights(pre: pre, victim: victim, spec: spec)
        let b = try MixedWeights(pre: pre, victim: victim, spec: spec)
        let c = try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: 0.3, seed: 2, head: .reinit))
        #expect(try MixFixture.read(a, "classifier.bias").allSatisfy { $0 == 0 })
        let w = try MixFixture.read(a, "classifier.weight")
        #expect(w == (try MixFixture.read(b, "classifier.weight")))
        #expect(w != (try MixFixture.read(c, "classifier.weight")))
        #expect(w != (try MixFixture.read(victim, "classifier.weight")))
        let n = Double(w.count)   // 2 × 384
        let mean = w.reduce(0.0) { $0 + Double($1) } / n
        let sd = (w.reduce(0.0) { $0 + Double($1) * Double($1) } / n).squareRoot()
        #expect(abs(mean) < 4 * 0.02 / n.squareRoot())
        #expect(abs(sd - 0.02) < 0.003)
        let summary = try a.summary()
        #expect(summary.victimOnly == ["classifier.bias", "classifier.weight"] && summary.head == .reinit)
        // The encoder mix does not depend on the head option.
        let name = "encoder.layer.1.attention.self.key.weight"
        #expect(MixFixture.bits(try MixFixture.read(a, name)) == MixFixture.bits(try MixFixture.read(keep, name)))
    }

    @Test(arguments: MixSpec.Select.allCases)
    func chunkedReadsEqualWholeReads(select: MixSpec.Select) throws {
        let (pre, victim) = try MixFixture.minilmPair()
        let mix = try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: 0.4, select: select, seed: 3))
        // Word embeddings: 3M values, so whole reads take the multi-core path; odd chunk sizes.
        for name in ["embeddings.word_embeddings.weight", "encoder.layer.3.output.dense.weight", "pooler.dense.bias"] {
            let whole = MixFixture.bits(try MixFixture.read(mix, name))
            for step in [777, 100_003, 1 << 20] {
                #expect(MixFixture.bits(try MixFixture.readChunked(mix, name, step: step)) == whole, "\(name) step \(step)")
            }
        }
    }

    @Test func aMixSavesAndLoadsAsACheckpoint() throws {
        let (pre, victim) = MixFixture.pair()
        let mix = try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: 0.5, select: .largest, seed: 1))
        let dir = TempFolder.url("mix")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("model.safetensors")
        try SafetensorsWriter.write(mix, names: mix.tensorNames, storedName: { $0 }, to: file)
        let back = try SafetensorsFile(file)
        #expect(back.tensorNames == mix.tensorNames)
        for name in mix.tensorNames {
            #expect(MixFixture.bits(try MixFixture.read(back, name)) == MixFixture.bits(try MixFixture.read(mix, name)))
        }
    }

    @Test func specRoundTripsThroughJSON() throws {
        let spec = MixSpec.perLayer(["pooler": 0.2], default: 0.3, select: .smallest, seed: 11, head: .reinit)
        let data = try JSONEncoder().encode(spec)
        #expect(try JSONDecoder().decode(MixSpec.self, from: data) == spec)
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(Set(json.keys) == ["rho", "select", "scope", "layers", "seed", "head"])
        #expect(json["select"] as? String == "smallest" && json["scope"] as? String == "layer")
    }

    @Test func badInputGivesOneClearError() throws {
        let (pre, victim) = MixFixture.pair()
        for rho in [-0.1, 1.5, .nan, .infinity] {
            #expect(throws: FinemixError.self) { try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: rho)) }
            #expect(throws: FinemixError.self) { try keptFractions(pre: pre, victim: victim, spec: MixSpec(rho: rho)) }
        }
        do {
            _ = try MixedWeights(pre: pre, victim: victim, spec: .perLayer(["encoder.layer.9.ffn": 0.2], default: 0.3))
            Issue.record("an unknown layer was accepted")
        } catch let e as FinemixError { #expect(e.message.contains("encoder.layer.9.ffn") && e.message.contains("encoder.layer.0.ffn")) }
        #expect(throws: FinemixError.self) {
            try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: 0.3, scope: .global, layers: ["pooler": 0.1]))
        }
        #expect(throws: FinemixError.self) {
            try MixedWeights(pre: pre, victim: victim, spec: .perLayer(["pooler": 2], default: 0.3))
        }
        var tensors = victim.tensors
        tensors["pooler.dense.weight"] = NamedTensor(name: "pooler.dense.weight", shape: [4, 16], values: [Float](repeating: 0, count: 64))
        do {
            _ = try MixedWeights(pre: pre, victim: TensorDictionary(Array(tensors.values)), spec: MixSpec(rho: 0.3))
            Issue.record("a shape mismatch was accepted")
        } catch let e as FinemixError { #expect(e.message.contains("pooler.dense.weight") && e.message.contains("[4, 16]")) }
        let mix = try MixedWeights(pre: pre, victim: victim, spec: MixSpec(rho: 0.3))
        let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: 4)
        defer { scratch.deallocate() }
        #expect(throws: FinemixError.self) { try mix.withFloats("nope", in: 0..<1, scratch: scratch) { _ in } }
        #expect(throws: FinemixError.self) { try mix.withFloats("pooler.dense.weight", in: 60..<65, scratch: scratch) { _ in } }
        #expect(throws: FinemixError.self) { try mix.withFloats("pooler.dense.weight", in: 0..<8, scratch: scratch) { _ in } }
    }
}
