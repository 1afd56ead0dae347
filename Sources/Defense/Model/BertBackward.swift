import Foundation

extension BertModel {
    /// Accumulates ∂loss/∂parameters into `grads`, from `acts.dLogits` (written by `loss`) and the
    /// activations of the last training `forward` on the same batch with the same `dropoutSeed`.
    /// Consumes those activations (the feed-forward pre-activations are overwritten): one forward,
    /// one backward.
    /// `grads`: where to accumulate instead of the model's own buffer (a shard's, see `Trainer`).
    /// With BF16 activations (`Trainer` at `Precision.bf16`) the encoder's products are BF16's.
    public func backward(_ batch: Batch, _ acts: Activations, dropoutSeed: UInt64? = nil, into grads: FlatBuffer? = nil) throws {
        precondition(acts.training, "backward needs training activations")
        let g = grads ?? ensureGradients()
        let c = config, lay = layout, w = params.values
        let B = batch.batch, S = batch.seq, N = B * S, H = c.hiddenSize, I = c.intermediateSize, L = c.numHiddenLayers
        let shape = Attention.Shape(batch: B, seq: S, hidden: H, heads: c.numAttentionHeads, headDim: c.headDim)
        let ph = dropoutSeed == nil ? 0 : Float(c.hiddenDropoutProb)
        let pa = dropoutSeed == nil ? 0 : Float(c.attentionProbsDropoutProb)
        let pc = dropoutSeed == nil ? 0 : Float(c.headDropout)
        let seed = dropoutSeed ?? 0
        let fam = lay.family, E = c.embeddingWidth, act = Activation(rawValue: c.hiddenAct) ?? .gelu
        let at = batch.firstSequence  // forward's masks: the whole step's positions
        let bf16 = acts.bf16
        /// An encoder product's backward: `Linear.backward`, or BF16's
        func linear(dinp: UnsafeMutablePointer<Float>?, accumulateInput: Bool = false,
                    dweight: UnsafeMutablePointer<Float>?, dbias: UnsafeMutablePointer<Float>?,
                    dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                    rows: Int, inF: Int, outF: Int, doutStride: Int? = nil, inStride: Int? = nil) throws {
            if let bf16 {
                try bf16.backward(dinp: dinp, accumulateInput: accumulateInput, dweight: dweight, dbias: dbias, dout: dout, inp: inp,
                                  weight: weight, rows: rows, inF: inF, outF: outF, doutStride: doutStride, inStride: inStride)
            } else {
                Linear.backward(dinp: dinp, accumulateInput: accumulateInput, dweight: dweight, dbias: dbias, dout: dout, inp: inp,
                                weight: weight, rows: rows, inF: inF, outF: outF, doutStride: doutStride, inStride: inStride)
            }
        }

        // classifier: logits = dropout(pooled)·Wcᵀ + bc
        Linear.backward(dinp: acts.dPooled, dweight: g[lay.classifierW], dbias: g[lay.classifierB],
                        dout: acts.dLogits, inp: acts.pooledDrop, weight: w[lay.classifierW],
                        rows: B, inF: H, outF: c.numLabels)
        let dropC = Dropout(p: pc, key: DropoutSite.classifier.key(seed, layer: L), offset: at * H)
        // head dense: pooled = f(headIn·Wpᵀ + bp), f tanh (from its output, as before), ReLU or GELU
        if fam.headActivation == .tanh {
            for i in 0..<(B * H) {
                let p = acts.pooled[i]
                acts.dPre[i] = acts.dPooled[i] * (dropC.active ? dropC.factor(i) : 1) * (1 - p * p)
            }
        } else {
            for i in 0..<(B * H) { acts.dPre[i] = acts.dPooled[i] * (dropC.active ? dropC.factor(i) : 1) }
            fam.headActivation.backward(acts.dPre, x: acts.headPre, count: B * H)
        }
        let dx = acts.dA
        let dropH = Dropout(p: fam.dropoutBeforeHead ? pc : 0, key: DropoutSite.headInput.key(seed, layer: L), offset: at * H)
        Linear.backward(dinp: acts.dPooled, dweight: g[lay.poolerW], dbias: g[lay.poolerB],
                        dout: acts.dPre, inp: fam.dropoutBeforeHead ? acts.clsDrop : acts.cls, weight: w[lay.poolerW],
                        rows: B, inF: H, outF: H)
        dropH.apply(acts.dPooled, acts.dPooled, count: B * H)
        // ∂(last layer output): the head's gradient on each first token, compact [B, H] when the
        // last layer ran on first tokens only, else at rows b·S of [N, H] with zeros elsewhere
        let firstOnly = acts.forwardLastLayer == .first
        dx.update(from: acts.dPooled, count: B * H)
        if !firstOnly { Self.spreadFirstRows(dx, batch: B, seq: S, cols: H) }

        // encoder layers, last to first; dx holds ∂loss/∂(layer output) on entry, ∂/∂(layer input) on exit
        for l in stride(from: L - 1, through: 0, by: -1) {
            let o = lay.layers[l], a = acts.layer(l), x = acts.x(l)
            let dRes = acts.dB, dTmp = acts.dC
            // the last layer on first tokens only: R = B compact rows up to the attention (see forward)
            let compact = firstOnly && l == L - 1
            let R = compact ? B : N, rs = compact ? S : 1
            // LayerNorm 2 → ∂res2; res2 = dropout(f) + h1
            LayerNorm.backward(dx: dRes, dgamma: g[o.ln2G], dbeta: g[o.ln2B], partial: acts.lnPartial,
                               dout: dx, x: a.res2, mean: a.mean2, rstd: a.rstd2, gamma: w[o.ln2G], rows: R, cols: H)
            Dropout(p: ph, key: DropoutSite.ffnOutput.key(seed, layer: l), offset: at * S * H).apply(dTmp, dRes, rows: R, cols: H, rowStride: rs)
            // f = act(pre)·W2ᵀ + b2 (activation output recomputed; pre becomes act'(pre))
            act.recomputeWithDerivative(acts.ffn, a.pre, count: R * I)
            try linear(dinp: acts.dffn, dweight: g[o.outW], dbias: g[o.outB], dout: dTmp, inp: acts.ffn,
                            weight: w[o.outW], rows: R, inF: I, outF: H)
            GELU.multiply(acts.dffn, by: a.pre, count: R * I)
            // pre = h1·W1ᵀ + b1; ∂h1 = ∂res2 (residual) + ∂pre·W1. h1 is recomputed into dx, which
            // is free between the two LayerNorm backwards.
            let h1 = dx
            LayerNorm.recompute(h1, mean: a.mean1, rstd: a.rstd1, a.res1, gamma: w[o.ln1G], beta: w[o.ln1B], rows: R, cols: H)
            try linear(dinp: dRes, accumulateInput: true, dweight: g[o.interW], dbias: g[o.interB],
                            dout: acts.dffn, inp: h1, weight: w[o.interW], rows: R, inF: H, outF: I)
            // LayerNorm 1 → ∂res1 (into dx: the layer output's gradient is spent); res1 = dropout(a) + x
            LayerNorm.backward(dx: dx, dgamma: g[o.ln1G], dbeta: g[o.ln1B], partial: acts.lnPartial,
                               dout: dRes, x: a.res1, mean: a.mean1, rstd: a.rstd1, gamma: w[o.ln1G], rows: R, cols: H)
            Dropout(p: fam.dropoutAfterAttentionOutput ? ph : 0, key: DropoutSite.attentionOutput.key(seed, layer: l), offset: at * S * H)
                .apply(dTmp, dx, rows: R, cols: H, rowStride: rs)
            // a = ctx·Woᵀ + bo
            try linear(dinp: dRes, dweight: g[o.attnOutW], dbias: g[o.attnOutB], dout: dTmp, inp: a.ctx,
                            weight: w[o.attnOutW], rows: R, inF: H, outF: H)
            Attention.backward(dqkv: acts.dqkv, dctx: dRes, qkv: a.qkv, lengths: batch.lengths, scratch: acts.attnScratch,
                               dropout: { Dropout(p: pa, key: DropoutSite.attentionProbs.key(seed, layer: l, item: at * c.numAttentionHeads + $0)) },
                               shape, firstOnly: compact)
            // qkv = x·Wqkvᵀ + b; ∂x = ∂res1 (residual, already in dx) + ∂qkv·Wqkv
            if compact {
                // ∂res1 reaches x only at the first tokens; ∂Q exists only in rows b·S
                Self.spreadFirstRows(dx, batch: B, seq: S, cols: H)
                try linear(dinp: dx, accumulateInput: true, dweight: g[o.qkvW] + H * H, dbias: g[o.qkvB] + H,
                                dout: acts.dqkv + H, inp: x, weight: w[o.qkvW] + H * H, rows: N, inF: H, outF: 2 * H,
                                doutStride: 3 * H)
                try linear(dinp: dx, accumulateInput: true, dweight: g[o.qkvW], dbias: g[o.qkvB], dout: acts.dqkv,
                                inp: x, weight: w[o.qkvW], rows: B, inF: H, outF: H, doutStride: S * 3 * H, inStride: S * H)
            } else {
                try linear(dinp: dx, accumulateInput: true, dweight: g[o.qkvW], dbias: g[o.qkvB], dout: acts.dqkv,
                                inp: x, weight: w[o.qkvW], rows: N, inF: H, outF: 3 * H)
            }
        }

        // embeddings: x0 = dropout(LN(word + pos (+ type))) (ELECTRA: x0 = that·Wpᵀ + bp)
        let dSum = acts.dB
        var dLN = dx
        if lay.hasProjection {
            dLN = acts.dC
            Linear.backward(dinp: dLN, dweight: g[lay.projW], dbias: g[lay.projB], dout: dx, inp: acts.embOut,
                            weight: w[lay.projW], rows: N, inF: E, outF: H)
        }
        Dropout(p: ph, key: DropoutSite.embeddings.key(seed, layer: -1), offset: at * S * E).apply(dLN, dLN, count: N * E)
        LayerNorm.backward(dx: dSum, dgamma: g[lay.embLNG], dbeta: g[lay.embLNB], partial: acts.lnPartial,
                           dout: dLN, x: acts.embSum, mean: acts.embMean, rstd: acts.embRstd, gamma: w[lay.embLNG],
                           rows: N, cols: E)
        Embeddings.backward(dSum, batch: batch, layout: lay, grads: g)
    }

    /// Moves the compact rows [B, cols] at the start of `p` to rows b·S of [B·S, cols], zeroing the
    /// other rows, in place (last row first: row b goes to b·S ≥ b, past every row still to move).
    static func spreadFirstRows(_ p: UnsafeMutablePointer<Float>, batch B: Int, seq S: Int, cols: Int) {
        guard S > 1 else { return }
        for b in stride(from: B - 1, through: 1, by: -1) { (p + b * S * cols).update(from: p + b * cols, count: cols) }
        for b in 0..<B { (p + (b * S + 1) * cols).update(repeating: 0, count: (S - 1) * cols) }
    }
}
