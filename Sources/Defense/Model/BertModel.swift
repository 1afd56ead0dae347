import Foundation

/// Dropout sites, so every mask has its own stream.
/// Where a dropout mask is drawn. Every mask has its own counter stream, keyed by the step's seed,
/// the layer (-1 for the embeddings), the site and, for attention probabilities, the (sequence,
/// head) item; forward and backward derive the same key, so backward redraws forward's mask.
enum DropoutSite: Int {
    case embeddings = 0, attentionProbs, attentionOutput, ffnOutput, classifier, headInput

    func key(_ seed: UInt64, layer: Int, item: Int = 0) -> UInt32 { Counter.key(seed, layer, rawValue, item) }
}

/// A sequence classifier of any family (see ModelFamily): parameters, their gradients, and
/// forward/backward over a batch. The forward and backward passes are plain functions over the
/// flat buffers, in the order the family's transformers `*ForSequenceClassification` computes them.
public final class BertModel: @unchecked Sendable {
    public let params: BertParameters
    /// Gradients, same layout as `params.values`; allocated on first backward.
    public private(set) var grads: FlatBuffer?
    public var config: BertConfig { params.config }
    public var layout: ParameterLayout { params.layout }

    public init(params: BertParameters) { self.params = params }
    public convenience init(config: BertConfig) { self.init(params: BertParameters(config: config)) }

    public func ensureGradients() -> FlatBuffer {
        if let g = grads { return g }
        let g = FlatBuffer(count: layout.count)
        grads = g
        return g
    }

    // MARK: forward

    /// Runs the classifier on `batch`; returns logits [batch, numLabels] (a view into `acts`,
    /// valid until the next call). `dropoutSeed` nil = evaluation mode (no dropout).
    /// `watch`, when given, sees each stage's output as it is computed (name, values): the
    /// non-finite diagnosis re-runs a batch with it to name where NaN or Inf first appears.
    @discardableResult
    public func forward(_ batch: Batch, _ acts: Activations, dropoutSeed: UInt64? = nil,
                        watch: ((String, UnsafeBufferPointer<Float>) throws -> Void)? = nil) throws -> UnsafeMutablePointer<Float> {
        try batch.validate(config, needLabels: false)
        guard acts.fits(batch) else {
            throw FinemixError("batch \(batch.batch)×\(batch.seq) exceeds the activations' capacity \(acts.maxBatch)×\(acts.maxSeq)")
        }
        let c = config, lay = layout, w = params.values
        let B = batch.batch, S = batch.seq, N = B * S, H = c.hiddenSize, I = c.intermediateSize
        let eps = Float(c.layerNormEps)
        let shape = Attention.Shape(batch: B, seq: S, hidden: H, heads: c.numAttentionHeads, headDim: c.headDim)
        let ph = dropoutSeed == nil ? 0 : Float(c.hiddenDropoutProb)
        let pa = dropoutSeed == nil ? 0 : Float(c.attentionProbsDropoutProb)
        let pc = dropoutSeed == nil ? 0 : Float(c.headDropout)
        let seed = dropoutSeed ?? 0
        let fam = lay.family, E = c.embeddingWidth, act = Activation(rawValue: c.hiddenAct) ?? .gelu
        let at = batch.firstSequence  // masks at the whole step's positions (Trainer's shards)
        // The encoder's weight products: FP32 sgemm, or BF16 when the activations carry it.
        let bf16 = acts.bf16
        func accumulate(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                        rows: Int, inF: Int, outF: Int, inStride: Int? = nil, outStride: Int? = nil) throws {
            if let bf16 {
                try bf16.forward(out, inp, weight, rows: rows, inF: inF, outF: outF, inStride: inStride, outStride: outStride)
            } else {
                Linear.accumulate(out, inp, weight, rows: rows, inF: inF, outF: outF, inStride: inStride, outStride: outStride)
            }
        }
        /// out = inp·Wᵀ, no bias (dropout adds it after)
        func product(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                     rows: Int, inF: Int, outF: Int) throws {
            if let bf16 {
                try bf16.forward(out, inp, weight, rows: rows, inF: inF, outF: outF, add: false)
            } else {
                Linear.forward(out, inp, weight, nil, rows: rows, inF: inF, outF: outF)
            }
        }

        // embeddings: word + position (+ token type) [N,E] → LayerNorm → dropout (→ ELECTRA: ·Wpᵀ + bp → [N,H])
        Embeddings.forward(acts.embSum, batch: batch, layout: lay, weights: w)
        let x0 = acts.x(0), ln0 = lay.hasProjection ? acts.embOut : x0
        LayerNorm.forward(ln0, mean: acts.embMean, rstd: acts.embRstd, acts.embSum,
                          gamma: w[lay.embLNG], beta: w[lay.embLNB], rows: N, cols: E, eps: eps)
        Dropout(p: ph, key: DropoutSite.embeddings.key(seed, layer: -1), offset: at * S * E).apply(ln0, ln0, count: N * E)
        if lay.hasProjection {
            Linear.forward(x0, ln0, w[lay.projW], w[lay.projB], rows: N, inF: E, outF: H)
        }
        func stage(_ name: String, _ p: UnsafeMutablePointer<Float>, _ count: Int) throws {
            try watch?(name, UnsafeBufferPointer(start: p, count: count))
        }
        try stage("embeddings", x0, N * H)

        let L = c.numHiddenLayers, firstOnly = acts.lastLayer == .first && L > 0
        acts.forwardLastLayer = firstOnly ? .first : .all
        for l in 0..<L {
            let o = lay.layers[l], a = acts.layer(l), x = acts.x(l), y = acts.x(l + 1)
            // On the last layer with `.first`, everything after K and V runs on R = B compact rows,
            // row b standing for token 0 of sequence b (row b·S, whose dropout masks it draws).
            let compact = firstOnly && l == L - 1
            let R = compact ? B : N, rs = compact ? S : 1
            // Sublayers end in bias + residual: without dropout both go into the sgemm's C first
            // (beta 1), saving the zeroing and the separate sum pass. Dropout needs them apart.
            Linear.prefill(a.qkv, bias: w[o.qkvB], residual: nil, rows: N, cols: 3 * H)
            if compact {
                // K, V for every token; Q only in rows b·S, read from x and written in place
                try accumulate(a.qkv + H, x, w[o.qkvW] + H * H, rows: N, inF: H, outF: 2 * H, outStride: 3 * H)
                try accumulate(a.qkv, x, w[o.qkvW], rows: B, inF: H, outF: H, inStride: S * H, outStride: S * 3 * H)
            } else {
                try accumulate(a.qkv, x, w[o.qkvW], rows: N, inF: H, outF: 3 * H)
            }
            Attention.forward(ctx: a.ctx, qkv: a.qkv, lengths: batch.lengths, scratch: acts.attnScratch,
                              dropout: { Dropout(p: pa, key: DropoutSite.attentionProbs.key(seed, layer: l, item: at * c.numAttentionHeads + $0)) },
                              shape, firstOnly: compact)
            try stage("encoder.layer.\(l).attention.self", a.ctx, R * H)
            // the residual: compact, the first tokens of x gathered into y (free until LayerNorm 2)
            var res: UnsafePointer<Float> = UnsafePointer(x)
            if compact {
                for b in 0..<B { (y + b * H).update(from: x + b * S * H, count: H) }
                res = UnsafePointer(y)
            }
            let dropA = Dropout(p: fam.dropoutAfterAttentionOutput ? ph : 0, key: DropoutSite.attentionOutput.key(seed, layer: l),
                                offset: at * S * H)
            if dropA.active {
                try product(a.res1, a.ctx, w[o.attnOutW], rows: R, inF: H, outF: H)
                dropA.biasDropoutResidual(a.res1, a.res1, bias: w[o.attnOutB], residual: res, rows: R, cols: H, rowStride: rs)
            } else {
                Linear.prefill(a.res1, bias: w[o.attnOutB], residual: res, rows: R, cols: H)
                try accumulate(a.res1, a.ctx, w[o.attnOutW], rows: R, inF: H, outF: H)
            }
            LayerNorm.forward(a.h1, mean: a.mean1, rstd: a.rstd1, a.res1, gamma: w[o.ln1G], beta: w[o.ln1B],
                              rows: R, cols: H, eps: eps)
            try stage("encoder.layer.\(l).attention.output", a.h1, R * H)
            Linear.prefill(a.pre, bias: w[o.interB], residual: nil, rows: R, cols: I)
            try accumulate(a.pre, a.h1, w[o.interW], rows: R, inF: H, outF: I)
            // backward and Fine-pruning read the pre-activation; inference overwrites it in place
            let ffn = acts.training ? acts.ffn : a.pre
            act.forward(ffn, a.pre, count: R * I)
            try stage("encoder.layer.\(l).intermediate", ffn, R * I)
            let dropF = Dropout(p: ph, key: DropoutSite.ffnOutput.key(seed, layer: l), offset: at * S * H)
            if dropF.active {
                try product(a.res2, ffn, w[o.outW], rows: R, inF: I, outF: H)
                dropF.biasDropoutResidual(a.res2, a.res2, bias: w[o.outB], residual: a.h1, rows: R, cols: H, rowStride: rs)
            } else {
                Linear.prefill(a.res2, bias: w[o.outB], residual: a.h1, rows: R, cols: H)
                try accumulate(a.res2, ffn, w[o.outW], rows: R, inF: I, outF: H)
            }
            LayerNorm.forward(y, mean: a.mean2, rstd: a.rstd2, a.res2, gamma: w[o.ln2G], beta: w[o.ln2B],
                              rows: R, cols: H, eps: eps)
            try stage("encoder.layer.\(l).output", y, R * H)
        }

        // the head on the first token: [dropout →] dense → activation → dropout → linear. BERT's pooler
        // (tanh) + classifier, RobertaClassificationHead (tanh), DistilBERT's pre_classifier (ReLU)
        // + classifier and ElectraClassificationHead (GELU) are all this.
        let last = acts.x(L), rowsPerSequence = firstOnly ? 1 : S
        for b in 0..<B { (acts.cls + b * H).update(from: last + b * rowsPerSequence * H, count: H) }
        var headIn = acts.cls
        if fam.dropoutBeforeHead {
            Dropout(p: pc, key: DropoutSite.headInput.key(seed, layer: L), offset: at * H)
                .apply(acts.clsDrop, acts.cls, count: B * H)
            headIn = acts.clsDrop
        }
        Linear.forward(acts.headPre, headIn, w[lay.poolerW], w[lay.poolerB], rows: B, inF: H, outF: H)
        fam.headActivation.forward(acts.pooled, acts.headPre, count: B * H)
        try stage("pooler", acts.pooled, B * H)
        Dropout(p: pc, key: DropoutSite.classifier.key(seed, layer: L), offset: at * H)
            .apply(acts.pooledDrop, acts.pooled, count: B * H)
        Linear.forward(acts.logits, acts.pooledDrop, w[lay.classifierW], w[lay.classifierB],
                       rows: B, inF: H, outF: c.numLabels)
        return acts.logits
    }

    /// Mean cross-entropy of the logits of the last `forward` against the batch's labels; with
    /// `gradient`, also writes ∂loss/∂logits for `backward`.
    public func loss(_ batch: Batch, _ acts: Activations, gradient: Bool, meanOver: Int? = nil) throws -> Float {
        try batch.validate(config, needLabels: true)
        return batch.labels.withUnsafeBufferPointer { y in
            CrossEntropy.forwardBackward(logits: acts.logits, labels: y.baseAddress!, batch: batch.batch,
                                         classes: config.numLabels, dlogits: gradient ? acts.dLogits : nil, meanOver: meanOver)
        }
    }
}
