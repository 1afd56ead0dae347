import Dispatch
import Foundation

/// What a mix keeps from the victim, per tensor and per layer group: the Mixer's live preview and
/// part of every mix report. For `random` it counts the mask (hashes only, no weights read); for
/// `largest`/`smallest` the count is exactly round(ρ·n) by construction.
public struct MixSummary: Codable, Equatable, Sendable {
    public struct Tensor: Codable, Equatable, Sendable {
        public var name: String
        public var layer: String
        public var rho: Double
        public var count: Int
        public var kept: Int
        public var fraction: Double { count == 0 ? 0 : Double(kept) / Double(count) }

        enum CodingKeys: String, CodingKey { case name, layer, rho, count, kept, fraction }
        public init(name: String, layer: String, rho: Double, count: Int, kept: Int) {
            self.name = name; self.layer = layer; self.rho = rho; self.count = count; self.kept = kept
        }
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            name = try c.decode(String.self, forKey: .name); layer = try c.decode(String.self, forKey: .layer)
            rho = try c.decode(Double.self, forKey: .rho); count = try c.decode(Int.self, forKey: .count)
            kept = try c.decode(Int.self, forKey: .kept)
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name); try c.encode(layer, forKey: .layer); try c.encode(rho, forKey: .rho)
            try c.encode(count, forKey: .count); try c.encode(kept, forKey: .kept); try c.encode(fraction, forKey: .fraction)
        }
    }

    public struct Layer: Codable, Equatable, Sendable {
        public var name: String
        public var rho: Double
        public var count: Int
        public var kept: Int
        public var fraction: Double

        public init(name: String, rho: Double, count: Int, kept: Int) {
            self.name = name; self.rho = rho; self.count = count; self.kept = kept
            fraction = count == 0 ? 0 : Double(kept) / Double(count)
        }
    }

    public var spec: MixSpec
    public var tensors: [Tensor]
    /// Model order (embeddings, encoder layers, pooler); the head is not mixed and not listed here.
    public var layers: [Layer]
    public var count: Int
    public var kept: Int
    public var fraction: Double
    /// Tensors only in the victim (the classifier head): kept as they are, or re-initialised.
    public var victimOnly: [String]
    public var head: MixSpec.Head
    /// Tensors only in the pre-trained model (e.g. a masked-LM head): not part of the mix.
    public var preOnly: [String]

    enum CodingKeys: String, CodingKey {
        case spec, tensors, layers, count, kept, fraction, head
        case victimOnly = "victim_only", preOnly = "pre_only"
    }
}

/// The mixed tensors and their ρ, checked: shapes agree, per-layer names exist.
struct MixLayout {
    struct Entry { let name: String; let group: String; let count: Int; let rho: Double
        /// round(ρ·n): the exact count `largest`/`smallest` keep.
        var target: Int { min(count, max(0, Int((rho * Double(count)).rounded()))) }
    }
    let mixed: [Entry]
    let victimOnly: [String]
    let preOnly: [String]

    init(pre: any TensorSource, victim: any TensorSource, spec: MixSpec) throws {
        try spec.validate()
        let preNames = Set(pre.tensorNames)
        let victimNames = victim.tensorNames
        var mixed: [Entry] = []
        var victimOnly: [String] = []
        for name in victimNames {
            guard preNames.contains(name) else { victimOnly.append(name); continue }
            let a = pre.shape(of: name), b = victim.shape(of: name)
            // The victim's head over a pre-trained classifier of another label count is the victim's own.
            if let a, let b, a != b, name.hasPrefix("classifier."), a.count == b.count, a.dropFirst() == b.dropFirst() {
                victimOnly.append(name); continue
            }
            guard a == b, let shape = b else {
                throw FinemixError("mix: tensor \(name) has shape \(a.map { "\($0)" } ?? "?") in the pre-trained model but \(b.map { "\($0)" } ?? "?") in the victim; the two models must have the same architecture")
            }
            let group = LayerGroups.group(of: name)
            mixed.append(Entry(name: name, group: group, count: shape.reduce(1, *), rho: spec.rho(forGroup: group)))
        }
        if spec.scope == .layer {
            let groups = Set(mixed.map(\.group))
            for g in spec.layers.keys.sorted() where !groups.contains(g) {
                let known = groups.sorted { LayerGroups.sortKey($0) < LayerGroups.sortKey($1) }
                throw FinemixError("mix: no layer named '\(g)' in these models; layers are \(known.joined(separator: ", "))")
            }
        }
        self.mixed = mixed
        self.victimOnly = victimOnly
        preOnly = preNames.subtracting(victimNames).sorted()
    }

    static func maskKey(seed: UInt64, tensor: String) -> UInt64 {
        SeededRandom.streamKey(seed: seed, stream: "mix/" + tensor)
    }
}

/// Kept counts of the mix `spec` of these two models without computing any mixed weight.
/// Throws as MixedWeights would (ρ out of range, shapes that differ, unknown layer names).
public func keptFractions(pre: any TensorSource, victim: any TensorSource, spec: MixSpec) throws -> MixSummary {
    let layout = try MixLayout(pre: pre, victim: victim, spec: spec)
    var kept = [Int](repeating: 0, count: layout.mixed.count)
    switch spec.select {
    case .largest, .smallest:
        kept = layout.mixed.map(\.target)
    case .random:
        // Pieces of ≤ 1M draws over all cores; exact counts of the same draws MixedWeights makes.
        struct Piece { let tensor: Int; let range: Range<Int>; let key: UInt64; let threshold: UInt64 }
        var pieces: [Piece] = []
        for (t, e) in layout.mixed.enumerated() {
            let threshold = SeededRandom.bernoulliThreshold(e.rho)
            if threshold == 0 { continue }
            if threshold == 1 << 53 { kept[t] = e.count; continue }
            let key = MixLayout.maskKey(seed: spec.seed, tensor: e.name)
            var lo = 0
            while lo < e.count {
                let hi = min(e.count, lo + (1 << 20))
                pieces.append(Piece(tensor: t, range: lo..<hi, key: key, threshold: threshold))
                lo = hi
            }
        }
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(pieces.count, 1))
        counts.initialize(repeating: 0)
        defer { counts.deallocate() }
        let shared = UncheckedBox((pieces, counts))
        DispatchQueue.concurrentPerform(iterations: pieces.count) { i in
            let (pieces, counts) = shared.value
            let p = pieces[i]
            var c = 0
            for j in p.range { c &+= SeededRandom.bits(key: p.key, index: UInt64(j)) >> 11 < p.threshold ? 1 : 0 }
            counts[i] = c
        }
        for (p, c) in zip(pieces, counts) { kept[p.tensor] += c }
    }
    let tensors = zip(layout.mixed, kept).map { e, k in
        MixSummary.Tensor(name: e.name, layer: e.group, rho: e.rho, count: e.count, kept: k)
    }
    var byGroup: [String: (rho: Double, count: Int, kept: Int)] = [:]
    for t in tensors {
        let g = byGroup[t.layer] ?? (t.rho, 0, 0)
        byGroup[t.layer] = (g.rho, g.count + t.count, g.kept + t.kept)
    }
    let layers = byGroup.keys.sorted { LayerGroups.sortKey($0) < LayerGroups.sortKey($1) }.map { g in
        MixSummary.Layer(name: g, rho: byGroup[g]!.rho, count: byGroup[g]!.count, kept: byGroup[g]!.kept)
    }
    let count = tensors.reduce(0) { $0 + $1.count }, total = tensors.reduce(0) { $0 + $1.kept }
    return MixSummary(spec: spec, tensors: tensors, layers: layers, count: count, kept: total,
                      fraction: count == 0 ? 0 : Double(total) / Double(count),
                      victimOnly: layout.victimOnly, head: spec.head, preOnly: layout.preOnly)
}
