import Dispatch
import Foundation

/// θ_Mix = θ_Pre + m ⊙ (θ_Bd − θ_Pre), computed lazily: a read of any range of any tensor reads
/// the same range of the two sources (in place for F32, from the buffers read at load) and selects per scalar.
/// Nothing the size of a model is held, so saving a mixed BERT-base streams, and the engine loads
/// a mix like any checkpoint.
///
/// The mixed value is chosen, never computed: m = 1 gives the victim's value bit for bit and m = 0
/// the pre-trained one (pre + (victim − pre) would not round-trip in floating point).
///
/// Tensors: the victim's floating-point tensors. Those also in the pre-trained model are mixed
/// (shapes must agree, but for a head of another label count). Those only in the victim (the
/// classifier head) are kept. With `head: .reinit` the family's head tensors (`classifier.*`, and
/// for RoBERTa, XLM-R, ELECTRA and DistilBERT the dense layer before it, see ModelFamily.isHead)
/// are drawn afresh, whether or not the pre-trained model has them: weights N(0, 0.02), biases 0.
/// Integer buffers (`position_ids`) are not floating-point tensors and never pass through here.
///
/// Masks: `random` draws bit i of tensor t as Bernoulli(ρ) from the counter-based stream keyed by
/// (seed, "mix/" + t) at index i, so the mask does not depend on how reads are chunked or threaded,
/// and a larger ρ keeps a superset of the weights a smaller ρ keeps under the same seed.
/// `largest`/`smallest` keep exactly round(ρ·n) entries of each tensor, ranked by |Δ|, ties to the
/// lower index; the cut-off is found once per tensor at construction (a radix select, three
/// streaming passes, tensors in parallel).
public final class MixedWeights: RangedTensorSource, @unchecked Sendable {
    // @unchecked: every stored property is immutable after init; the sources are read-only.
    public let pre: any TensorSource
    public let victim: any TensorSource
    public let spec: MixSpec
    public let tensorNames: [String]
    /// Standard deviation of a re-initialised head (HuggingFace's initializer_range default).
    public let reinitStd: Double
    /// The victim's family: which tensors `head: .reinit` draws afresh.
    public let family: ModelFamily
    private let plans: [String: Plan]

    enum Plan: Sendable {
        case victim
        case pre
        /// keep iff bits(key, i) >> 11 < threshold
        case random(key: UInt64, threshold: UInt64)
        /// keep iff rank(i) > cut || (rank(i) == cut && i <= lastTie), rank = |Δ| bits (or their complement)
        case ranked(smallest: Bool, cut: UInt32, lastTie: Int)
        case normal(key: UInt64, std: Double)
        case zero
    }

    public init(pre: any TensorSource, victim: any TensorSource, spec: MixSpec, family: ModelFamily = .bert,
                reinitStd: Double = 0.02) throws {
        try spec.validate()
        self.family = family
        self.pre = pre
        self.victim = victim
        self.spec = spec
        self.reinitStd = reinitStd
        let layout = try MixLayout(pre: pre, victim: victim, spec: spec)
        tensorNames = victim.tensorNames
        var plans: [String: Plan] = [:]
        var ranked: [(name: String, k: Int, n: Int)] = []
        let reinit = { (name: String) in spec.head == .reinit && family.isHead(name) }
        for t in layout.mixed where !reinit(t.name) {
            switch spec.select {
            case .random:
                let threshold = SeededRandom.bernoulliThreshold(t.rho)
                plans[t.name] = threshold == 0 ? .pre : threshold == 1 << 53 ? .victim
                    : .random(key: MixLayout.maskKey(seed: spec.seed, tensor: t.name), threshold: threshold)
            case .largest, .smallest:
                if t.target == t.count { plans[t.name] = .victim }
                else if t.target == 0 { plans[t.name] = .pre }
                else { ranked.append((t.name, t.target, t.count)) }
            }
        }
        for name in layout.victimOnly where !reinit(name) { plans[name] = .victim }
        for name in tensorNames where reinit(name) {
            plans[name] = name.hasSuffix(".bias") ? .zero
                : .normal(key: SeededRandom.streamKey(seed: spec.seed, stream: "mix-head/" + name), std: reinitStd)
        }
        let cuts = try RankedSelect.cuts(pre: pre, victim: victim, tensors: ranked, smallest: spec.select == .smallest)
        for (t, cut) in zip(ranked, cuts) {
            plans[t.name] = .ranked(smallest: spec.select == .smallest, cut: cut.cut, lastTie: cut.lastTie)
        }
        self.plans = plans
    }

    public func shape(of name: String) -> [Int]? { plans[name] == nil ? nil : victim.shape(of: name) }

    /// Kept counts per tensor and layer: what this mix keeps from the victim.
    public func summary() throws -> MixSummary { try keptFractions(pre: pre, victim: victim, spec: spec) }

    public func readFloats(_ name: String, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard let count = elementCount(of: name) else { throw FinemixError("mix: tensor \(name) is missing") }
        guard count == buffer.count else {
            throw FinemixError("mix: tensor \(name) has \(count) values, expected \(buffer.count)")
        }
        try withFloats(name, in: 0..<count, scratch: buffer) { out in
            if out.baseAddress != UnsafePointer(buffer.baseAddress), let src = out.baseAddress, let dst = buffer.baseAddress {
                dst.update(from: src, count: count)
            }
        }
    }

    public func withFloats<R>(_ name: String, in range: Range<Int>, scratch: UnsafeMutableBufferPointer<Float>,
                              _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        try mixed(name, in: range, scratch: scratch, spread: true, body)
    }

    /// `spread`: split large ranges over the cores (off when the caller already runs one piece per core).
    func mixed<R>(_ name: String, in range: Range<Int>, scratch: UnsafeMutableBufferPointer<Float>, spread: Bool,
                  _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        guard let plan = plans[name], let count = elementCount(of: name) else {
            throw FinemixError("mix: tensor \(name) is missing")
        }
        guard range.lowerBound >= 0, range.upperBound <= count else {
            throw FinemixError("mix: tensor \(name): range \(range) is outside its \(count) values")
        }
        let n = range.count
        switch plan {
        case .victim: return try victim.floats(name, in: range, scratch: scratch, body)
        case .pre: return try pre.floats(name, in: range, scratch: scratch, body)
        default: break
        }
        guard scratch.count >= n else {
            throw FinemixError("mix: tensor \(name): scratch of \(scratch.count) values is smaller than the range of \(n)")
        }
        let out = scratch.baseAddress!
        let first = range.lowerBound
        switch plan {
        case .normal(let key, let std):
            Self.parallel(n, spread) { lo, hi in
                for k in lo..<hi { out[k] = Float(std * SeededRandom.normal(key: key, index: UInt64(first + k))) }
            }
        case .zero:
            out.update(repeating: 0, count: n)
        case .random, .ranked:
            let victimScratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(n, 1))
            defer { victimScratch.deallocate() }
            // pre's values may land in `scratch` itself; each output overwrites only its own input.
            try pre.floats(name, in: range, scratch: scratch) { p in
                try victim.floats(name, in: range, scratch: victimScratch) { v in
                    let pp = p.baseAddress!, vv = v.baseAddress!
                    if case .random(let key, let threshold) = plan {
                        Self.parallel(n, spread) { lo, hi in
                            for k in lo..<hi {
                                let keep = SeededRandom.bits(key: key, index: UInt64(first + k)) >> 11 < threshold
                                out[k] = keep ? vv[k] : pp[k]
                            }
                        }
                    } else if case .ranked(let smallest, let cut, let lastTie) = plan {
                        Self.parallel(n, spread) { lo, hi in
                            for k in lo..<hi {
                                let r = RankedSelect.rank(pp[k], vv[k], smallest: smallest)
                                let keep = r > cut || (r == cut && first + k <= lastTie)
                                out[k] = keep ? vv[k] : pp[k]
                            }
                        }
                    }
                }
            }
        case .victim, .pre:
            break
        }
        return try body(UnsafeBufferPointer(start: out, count: n))
    }

    /// Splits large ranges over the cores; small ones run inline.
    static func parallel(_ n: Int, _ spread: Bool, _ work: (Int, Int) -> Void) {
        let pieces = !spread || n < 1 << 16 ? 1 : min(ProcessInfo.processInfo.activeProcessorCount * 2, n >> 15)
        if pieces <= 1 { work(0, n); return }
        withoutActuallyEscaping(work) { w in
            let box = UncheckedBox(w)
            DispatchQueue.concurrentPerform(iterations: pieces) { i in
                box.value(n * i / pieces, n * (i + 1) / pieces)
            }
        }
    }

    /// A full pass over every mixed value, in parallel pieces, returning an order-independent
    /// digest of the bit patterns: what mixing costs without writing, and a fingerprint two mixes
    /// with the same spec share.
    public func digest() throws -> UInt64 {
        struct Piece { let name: String; let range: Range<Int> }
        var pieces: [Piece] = []
        let step = 1 << 20
        for name in tensorNames {
            let count = elementCount(of: name) ?? 0
            var lo = 0
            while lo < count { pieces.append(Piece(name: name, range: lo..<min(count, lo + step))); lo += step }
        }
        let results = UnsafeMutableBufferPointer<UInt64>.allocate(capacity: max(pieces.count, 1))
        results.initialize(repeating: 0)
        defer { results.deallocate() }
        let failure = FirstError()
        let shared = UncheckedBox((self, pieces, results))
        DispatchQueue.concurrentPerform(iterations: pieces.count) { i in
            let (mix, pieces, results) = shared.value
            let piece = pieces[i]
            let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: piece.range.count)
            defer { scratch.deallocate() }
            do {
                let nameKey = SeededRandom.streamKey(seed: 0, stream: piece.name)
                results[i] = try mix.mixed(piece.name, in: piece.range, scratch: scratch, spread: false) { values in
                    var h: UInt64 = 0
                    for (k, x) in values.enumerated() {
                        h &+= SeededRandom.bits(key: nameKey ^ UInt64(x.bitPattern), index: UInt64(piece.range.lowerBound + k))
                    }
                    return h
                }
            } catch {
                failure.record(error)
            }
        }
        if let e = failure.error { throw e }
        return results.reduce(0, &+)
    }

}

/// Lets a non-Sendable value cross into `concurrentPerform` where each worker touches its own part.
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// The first error any worker of a parallel loop met.
final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Error?
    func record(_ e: Error) { lock.lock(); if first == nil { first = e }; lock.unlock() }
    var error: Error? { lock.lock(); defer { lock.unlock() }; return first }
}
