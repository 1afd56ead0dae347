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
    let storage: FlatBuffer

    struct Layer {
        var qkv, ctx, res1, mean1, rstd1, h1, pre, res2, mean2, rstd2: UnsafeMutablePointer<Float>
    }
    var layers: [Layer] = []
    /// xs[0] = embeddings output; xs[l+1] = output of layer l (inference: two alternating buffers).
    var xs: [UnsafeMutablePointer<Float>] = []
    var embSum, embMean, embRstd: UnsafeMutablePointer<Float>
    var ffn: UnsafeMutablePointer<Float>          // [N,I] GELU output (forward), recomputed in backward
    var attnScratch: UnsafeMutablePointer<Float>  // per worker: 3 × [S,S]
    var cls, pooled, pooledDrop, logits: UnsafeMutablePointer<Float>
    // backward only
    var dA, dB, dC, dqkv, dffn, lnPartial: UnsafeMutablePointer<Float>
    var dPooled, dPre, dLogits: UnsafeMutablePointer<Float>

    public init(config c: BertConfig, maxBatch: Int, maxSeq: Int, training: Bool) {
        self.config = c; self.maxBatch = maxBatch; self.maxSeq = maxSeq; self.training = training
        let N = maxBatch * maxSeq, H = c.hiddenSize, I = c.intermediateSize, L = c.numHiddenLayers
        let T = Parallel.threads
        var sizes: [Int] = []
        func take(_ n: Int) -> Int { sizes.append((n + 15) / 16 * 16); return sizes.count - 1 }
        let perLayer = training ? L : 1
        var layerIdx: [[Int]] = []
        for _ in 0..<perLayer {
            layerIdx.append([take(N * 3 * H), take(N * H), take(N * H), take(N), take(N), -1,
                             take(N * I), take(N * H), take(N), take(N)])
        }
        let h1Shared = take(N * H)
        let xIdx = (0..<(training ? L + 1 : 2)).map { _ in take(N * H) }
        let e = [take(N * H), take(N), take(N)]
        let ffnI = take(N * I)
        let attI = take(T * 3 * maxSeq * maxSeq)
        let head = [take(maxBatch * H), take(maxBatch * H), take(maxBatch * H), take(maxBatch * c.numLabels)]
        var back: [Int] = []
        if training {
            back = [take(N * H), take(N * H), take(N * H), take(N * 3 * H), take(N * I), take(2 * T * max(H, 16)),
                    take(maxBatch * H), take(maxBatch * H), take(maxBatch * c.numLabels)]
        }
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
        embSum = p(e[0]); embMean = p(e[1]); embRstd = p(e[2])
        ffn = p(ffnI); attnScratch = p(attI)
        cls = p(head[0]); pooled = p(head[1]); pooledDrop = p(head[2]); logits = p(head[3])
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
