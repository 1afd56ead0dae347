/// The embedding sum every family starts with: word + position (+ token type), E wide.
/// Positions are the token's index, except in RoBERTa and XLM-R, where transformers'
/// `create_position_ids_from_input_ids` numbers the non-pad tokens padding_idx+1, padding_idx+2, …
/// and gives every pad token padding_idx itself.
enum Embeddings {
    /// Position of every token of one sequence, written into `pos` [S].
    @inline(__always)
    static func positions(_ pos: UnsafeMutablePointer<Int>, ids: UnsafePointer<Int32>, seq S: Int,
                          pastPadding: Bool, pad: Int32) {
        guard pastPadding else { for s in 0..<S { pos[s] = s }; return }
        var seen = 0
        for s in 0..<S {
            if ids[s] == pad { pos[s] = Int(pad) } else { seen += 1; pos[s] = Int(pad) + seen }
        }
    }

    /// out[n] = word[ids[n]] + pos[position(n)] (+ type[types[n]]); out [N,E].
    static func forward(_ out: UnsafeMutablePointer<Float>, batch: Batch, layout lay: ParameterLayout,
                        weights w: FlatBuffer) {
        let c = lay.config, fam = lay.family, S = batch.seq, E = c.embeddingWidth
        let pad = Int32(c.padTokenId), past = fam.positionsPastPadding, types = fam.hasTokenTypes
        let we = w[lay.wordEmb], pe = w[lay.posEmb], te = w[lay.typeEmb]
        batch.ids.withUnsafeBufferPointer { ids in
            batch.typeIds.withUnsafeBufferPointer { tt in
                Parallel.forRange(batch.batch, grain: S * E) { r in
                    let pos = UnsafeMutablePointer<Int>.allocate(capacity: S)
                    defer { pos.deallocate() }
                    for b in r {
                        positions(pos, ids: ids.baseAddress! + b * S, seq: S, pastPadding: past, pad: pad)
                        for s in 0..<S {
                            let n = b * S + s
                            let a = we + Int(ids[n]) * E, p = pe + pos[s] * E, o = out + n * E
                            if types {
                                let t = te + Int(tt[n]) * E
                                for j in 0..<E { o[j] = a[j] + p[j] + t[j] }
                            } else {
                                for j in 0..<E { o[j] = a[j] + p[j] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds ∂loss/∂sum [N,E] into the rows of the tables each token read. Columns are split over
    /// workers, so every table row is summed in token order whatever the thread count.
    static func backward(_ dSum: UnsafePointer<Float>, batch: Batch, layout lay: ParameterLayout, grads g: FlatBuffer) {
        let c = lay.config, fam = lay.family, S = batch.seq, N = batch.batch * S, E = c.embeddingWidth
        let pad = Int32(c.padTokenId), past = fam.positionsPastPadding, types = fam.hasTokenTypes
        let gw = g[lay.wordEmb], gp = g[lay.posEmb], gt = g[lay.typeEmb]
        batch.ids.withUnsafeBufferPointer { ids in
            batch.typeIds.withUnsafeBufferPointer { tt in
                Parallel.forWorkers(E) { _, cols in
                    let pos = UnsafeMutablePointer<Int>.allocate(capacity: S)
                    defer { pos.deallocate() }
                    for n in 0..<N {
                        if n % S == 0 { positions(pos, ids: ids.baseAddress! + n, seq: S, pastPadding: past, pad: pad) }
                        let d = dSum + n * E
                        let a = gw + Int(ids[n]) * E, p = gp + pos[n % S] * E
                        if types {
                            let t = gt + Int(tt[n]) * E
                            for j in cols { let v = d[j]; a[j] += v; p[j] += v; t[j] += v }
                        } else {
                            for j in cols { let v = d[j]; a[j] += v; p[j] += v }
                        }
                    }
                }
            }
        }
    }
}
