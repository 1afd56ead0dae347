/// Every buffer one forward/backward needs, allocated once for a capacity of (maxBatch, maxSeq)
/// and reused for any smaller batch shape: no allocation inside a step.
///
/// Kept per layer for backward (N = batch·seq tokens): qkv [N,3H], ctx [N,H], res1 [N,H] (input of
/// the attention LayerNorm), pre [N,I] (feed-forward pre-activation), res2 [N,H], the layer output
/// x [N,H], and LayerNorm statistics. The attention LayerNorm's output h1 [N,H] lives in one shared
/// buffer and backward recomputes it from res1 and the statistics. Attention probabilities are
/// recomputed in backward rather than stored ([B,heads,S,S] per layer would dominate memory).
/// Inference-only activations keep one layer's worth and alternate two layer outputs.
public final class Activations: @unchecked Sendable {
    public let config: BertConfig
    public let maxBatch: Int, maxSeq: Int
    public let training: Bool
    /// Which tokens the last encoder layer computes. `.all` (the default) keeps the last layer's
    /// buffers [N, ·] like every other layer's, for readers of every token (Fine-pruning);
    /// `.first` is the classifier's fast path.
    public var lastLayer: LastLayerTokens
    /// What the last `forward` computed; `backward` follows it.
    var forwardLastLayer: LastLayerTokens = .all
    /// BF16 weight products for inference (`Predictor` with `.bf16`); nil: FP32 sgemm.
    var bf16: BF16Products?
    let storage: FlatBuffer

    struct Layer {
        var qkv, ctx, res1, mean1, rstd1, h1, pre, res2, mean2, rstd2: UnsafeMutablePointer<Float>
    }
    var layers: [Layer] = []
    /// xs[0] = embeddings output; xs[l+1] = output of layer l (inference: two alternating buffers).
    var xs: [UnsafeMutablePointer<Float>] = []
    var embSum, embMean, embRstd: UnsafeMutablePointer<Float>
    var embOut: UnsafeMutablePointer<Float>      // [N,E] ELECTRA: dropout(LN(sum)), the projection's input
    var ffn: UnsafeMutablePointer<Float>          // [N,I] GELU output (forward), recomputed in backward
    var attnScratch: UnsafeMutablePointer<Float>  // per worker: 3 × [S,S]
    var cls, pooled, pooledDrop, logits: UnsafeMutablePointer<Float>
    var clsDrop, headPre: UnsafeMutablePointer<Float>  // [B,H] the head's dense input and pre-activation
    // backward only
    var dA, dB, dC, dqkv, dffn, lnPartial: UnsafeMutablePointer<Float>
    var dPooled, dPre, dLogits: UnsafeMutablePointer<Float>

    /// Where each buffer sits in the one flat allocation; computed before allocating, so the
    /// size can be checked against the memory there is.
    struct Plan {
        var sizes: [Int] = []
        var layerIdx: [[Int]] = []
        var h1Shared = 0, ffnI = 0, attI = 0
        var xIdx: [Int] = [], e: [Int] = [], head: [Int] = [], back: [Int] = []
        var total: Int { sizes.reduce(0, +) }

        init(_ c: BertConfig, maxBatch: Int, maxSeq: Int, training: Bool) {
            let N = maxBatch * maxSeq, H = c.hiddenSize, I = c.intermediateSize, L = c.numHiddenLayers
            // ELECTRA's embeddings are E wide; the buffers they share with the encoder hold the wider
            let E = c.embeddingWidth, W = max(H, E)
            let T = Parallel.threads
            func take(_ n: Int) -> Int { sizes.append((n + 15) / 16 * 16); return sizes.count - 1 }
            for _ in 0..<(training ? L : 1) {
                layerIdx.append([take(N * 3 * H), take(N * H), take(N * H), take(N), take(N), -1,
                                 take(N * I), take(N * H), take(N), take(N)])
            }
            h1Shared = take(N * H)
            xIdx = (0..<(training ? L + 1 : 2)).map { _ in take(N * H) }
            e = [take(N * E), take(N), take(N), take(E != H ? N * E : 0)]
            ffnI = take(N * I)
            attI = take(T * 3 * maxSeq * maxSeq)
            head = [take(maxBatch * H), take(maxBatch * H), take(maxBatch * H), take(maxBatch * c.numLabels),
                    take(maxBatch * H), take(maxBatch * H)]
            if training {
                back = [take(N * W), take(N * W), take(N * W), take(N * 3 * H), take(N * I), take(2 * T * max(W, 16)),
                        take(maxBatch * H), take(maxBatch * H), take(maxBatch * c.numLabels)]
            }
        }
    }

    /// Bytes the activations for (maxBatch, maxSeq) take. With `parts` > 1 (a training step cut
    /// into parts, see `Trainer`): each part's activations for its share of the batch, and every
    /// part but the first its own gradient buffer of `gradientBytes`. At `.bf16`, each part's
    /// room for the operands it rounds too.
    public static func bytes(config: BertConfig, maxBatch: Int, maxSeq: Int, training: Bool,
                             parts: Int = 1, gradientBytes: Int = 0, precision: Precision = .fp32) -> Int {
        let k = max(1, min(parts, maxBatch)), share = (maxBatch + k - 1) / k
        let operands = precision == .bf16 ? BF16Products.bytes(config, maxRows: share * maxSeq, training: training) : 0
        return k * (Plan(config, maxBatch: share, maxSeq: maxSeq, training: training).total * MemoryLayout<Float>.size + operands)
            + (k - 1) * gradientBytes
    }

    /// The largest batch up to `limit` whose activations take at most `bytes` (0 when not even one does).
    public static func largestBatch(config: BertConfig, maxSeq: Int, training: Bool, limit: Int, within bytes: Int,
                                    parts: Int = 1, gradientBytes: Int = 0, precision: Precision = .fp32) -> Int {
        var lo = 0, hi = max(0, limit)
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            let need = Self.bytes(config: config, maxBatch: mid, maxSeq: maxSeq, training: training, parts: parts,
                                  gradientBytes: gradientBytes, precision: precision)
            if need <= bytes { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    /// Throws, naming the memory needed and available and the largest batch that fits, when the
    /// activations for (maxBatch, maxSeq) (cut into `parts`, as `bytes`) do not fit in `budget`.
    public static func requireFits(config c: BertConfig, maxBatch: Int, maxSeq: Int, training: Bool,
                                   parts: Int = 1, gradientBytes: Int = 0, precision: Precision = .fp32,
                                   budget: MemoryBudget = .current()) throws {
        let need = bytes(config: c, maxBatch: maxBatch, maxSeq: maxSeq, training: training, parts: parts, gradientBytes: gradientBytes,
                         precision: precision)
        guard need > budget.bytes else { return }
        let fit = largestBatch(config: c, maxSeq: maxSeq, training: training, limit: maxBatch, within: budget.bytes,
                               parts: parts, gradientBytes: gradientBytes, precision: precision)
        let advice = fit > 0 ? "at most \(fit) sequences of \(maxSeq) tokens fit; use a smaller batch"
                             : "not even one sequence of \(maxSeq) tokens fits; use a shorter maximum length"
        let what = min(parts, maxBatch) > 1 ? "training activations and gradients for \(min(parts, maxBatch)) parts side by side"
                                            : "\(training ? "training" : "inference") activations"
        throw FinemixError("a batch of \(maxBatch) sequences × \(maxSeq) tokens needs \(MemoryBudget.describe(need)) of \(what), but \(MemoryBudget.describe(budget.bytes)) is available (\(budget.source)); \(advice)")
    }

    /// Refuses, in one sentence naming what it needs and what there is, a capacity the machine
    /// cannot hold: an allocation that fails aborts the process.
    public init(config c: BertConfig, maxBatch: Int, maxSeq: Int, training: Bool, lastLayer: LastLayerTokens = .all,
                budget: MemoryBudget = .current()) throws {
        self.config = c; self.maxBatch = maxBatch; self.maxSeq = maxSeq; self.training = training
        self.lastLayer = lastLayer
        guard maxBatch >= 1, maxSeq >= 1 else {
            throw FinemixError("a batch needs at least 1 sequence of at least 1 token, found \(maxBatch) × \(maxSeq)")
        }
        try Self.requireFits(config: c, maxBatch: maxBatch, maxSeq: maxSeq, training: training, budget: budget)
        let plan = Plan(c, maxBatch: maxBatch, maxSeq: maxSeq, training: training)
        let sizes = plan.sizes, layerIdx = plan.layerIdx, h1Shared = plan.h1Shared, xIdx = plan.xIdx
        let e = plan.e, ffnI = plan.ffnI, attI = plan.attI, head = plan.head, back = plan.back
        var offsets: [Int] = [], total = 0
        for s in sizes { offsets.append(total); total += s }
        storage = FlatBuffer(count: total)
        let base = storage.base
        func p(_ i: Int) -> UnsafeMutablePointer<Float> { base + offsets[i] }
        layers = layerIdx.map { a in
            Layer(qkv: p(a[0]), ctx: p(a[1]), res1: p(a[2]), mean1: p(a[3]), rstd1: p(a[4]), h1: p(h1Shared),
                  pre: p(a[6]), res2: p(a[7]), mean2: p(a[8]), rstd2: p(a[9]))
        }
        xs = xIdx.map(p)
        embSum = p(e[0]); embMean = p(e[1]); embRstd = p(e[2]); embOut = p(e[3])
        ffn = p(ffnI); attnScratch = p(attI)
        cls = p(head[0]); pooled = p(head[1]); pooledDrop = p(head[2]); logits = p(head[3])
        clsDrop = p(head[4]); headPre = p(head[5])
        if training {
            dA = p(back[0]); dB = p(back[1]); dC = p(back[2]); dqkv = p(back[3]); dffn = p(back[4])
            lnPartial = p(back[5]); dPooled = p(back[6]); dPre = p(back[7]); dLogits = p(back[8])
        } else {
            dA = base; dB = base; dC = base; dqkv = base; dffn = base; lnPartial = base
            dPooled = base; dPre = base; dLogits = base
        }
    }

    func layer(_ l: Int) -> Layer { layers[training ? l : 0] }
    func x(_ l: Int) -> UnsafeMutablePointer<Float> { xs[training ? l : l % 2] }

    public var bytes: Int { storage.count * 4 }

    public func fits(_ b: Batch) -> Bool { b.batch <= maxBatch && b.seq <= maxSeq }
}

/// The tokens the last encoder layer computes. A sequence classifier reads only each sequence's
/// first token of the last layer's output, and in that layer only K and V need every token.
public enum LastLayerTokens: Sendable {
    /// Every token, as in the other layers: `layer(L-1)` and `x(L)` hold [N, ·].
    case all
    /// K and V for every token, the rest (Q, attention, output projection, both LayerNorms, the
    /// feed-forward) for the first token of each sequence only: `layer(L-1)`'s ctx, res1, pre,
    /// res2 and `x(L)` hold compact rows [B, ·], row b for sequence b. Logits and gradients are
    /// those of `.all` up to float rounding, dropout included (row b draws row b·S's masks).
    case first
}
