import CBLAS
import Foundation

/// Multi-head self-attention core, one (sequence, head) at a time, heads spread over the workers
/// with single-threaded BLAS. Q, K, V are column blocks of qkv [N, 3H]; head h of sequence b is
/// rows b·S..<(b+1)·S, columns h·d..<(h+1)·d of each block. Keys at or past the sequence's length
/// get probability exactly 0 (HuggingFace adds the dtype's minimum to their scores: same result).
///
/// `firstOnly`: only each sequence's first query (the one the classifier head reads), for the last
/// layer. K and V still cover every token; ctx and dctx are then compact [B, H] (row b for
/// sequence b), and backward writes ∂Q only in rows b·S. Query row 0's probability j draws the
/// same dropout element (0·S + j) as in the full computation.
enum Attention {
    struct Shape { let batch, seq, hidden, heads, headDim: Int }

    /// P[queries, len] = softmax(Q·Kᵀ/√d) over the valid keys (row stride S); returns nothing else.
    @inline(__always)
    static func probabilities(_ P: UnsafeMutablePointer<Float>, q: UnsafePointer<Float>, k: UnsafePointer<Float>,
                              len: Int, queries: Int, _ s: Shape) {
        let S = s.seq, ld = Int32(3 * s.hidden)
        let scale = 1 / Float(s.headDim).squareRoot()
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(queries), Int32(len), Int32(s.headDim),
                    scale, q, ld, k, ld, 0, P, Int32(S))
        for i in 0..<queries {
            let row = P + i * S
            let m = FastMath.max(row, len)
            let mv = SIMD8<Float>(repeating: m)
            var j = 0
            while j + 8 <= len { FastMath.store(FastMath.exp(FastMath.load(row + j) - mv), row + j); j += 8 }
            while j < len { row[j] = FastMath.exp(row[j] - m); j += 1 }
            let inv = 1 / FastMath.sum(row, len)
            for j in 0..<len { row[j] *= inv }
        }
    }

    /// ctx[N, H] from qkv[N, 3H]. `keys(b, h)` gives the dropout stream of one head's probabilities.
    static func forward(ctx: UnsafeMutablePointer<Float>, qkv: UnsafePointer<Float>, lengths: [Int],
                        scratch: UnsafeMutablePointer<Float>, dropout: (Int) -> Dropout, _ s: Shape, firstOnly: Bool = false) {
        let S = s.seq, H = s.hidden, d = s.headDim
        let Q = firstOnly ? 1 : S  // query rows per sequence; also ctx's rows per sequence
        BLASThreads.single {
            lengths.withUnsafeBufferPointer { lens in
                Parallel.forWorkers(s.batch * s.heads) { w, items in
                    let P = scratch + w * 3 * S * S, Pd = P + S * S
                    for item in items {
                        let b = item / s.heads, h = item % s.heads, len = lens[b]
                        let q = qkv + b * S * 3 * H + h * d
                        probabilities(P, q: q, k: q + H, len: len, queries: Q, s)
                        let drop = dropout(item)
                        var probs = UnsafePointer(P)
                        if drop.active {
                            for i in 0..<Q { for j in 0..<len { Pd[i * S + j] = P[i * S + j] * drop.factor(i * S + j) } }
                            probs = UnsafePointer(Pd)
                        }
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(Q), Int32(d), Int32(len),
                                    1, probs, Int32(S), q + 2 * H, Int32(3 * H), 0, ctx + b * Q * H + h * d, Int32(H))
                    }
                }
            }
        }
    }

    /// dqkv[N, 3H] (overwritten) from dctx[N, H], recomputing the probabilities.
    static func backward(dqkv: UnsafeMutablePointer<Float>, dctx: UnsafePointer<Float>, qkv: UnsafePointer<Float>,
                         lengths: [Int], scratch: UnsafeMutablePointer<Float>, dropout: (Int) -> Dropout, _ s: Shape,
                         firstOnly: Bool = false) {
        let S = s.seq, H = s.hidden, d = s.headDim
        let Q = firstOnly ? 1 : S  // query rows per sequence; also ctx's rows per sequence
        let scale = 1 / Float(d).squareRoot()
        BLASThreads.single {
            lengths.withUnsafeBufferPointer { lens in
                Parallel.forWorkers(s.batch * s.heads) { w, items in
                    let P = scratch + w * 3 * S * S, Pd = P + S * S, dP = Pd + S * S
                    for item in items {
                        let b = item / s.heads, h = item % s.heads, len = lens[b]
                        let q = qkv + b * S * 3 * H + h * d, k = q + H, v = q + 2 * H
                        let dq = dqkv + b * S * 3 * H + h * d, dk = dq + H, dv = dq + 2 * H
                        let dc = dctx + b * Q * H + h * d
                        probabilities(P, q: q, k: k, len: len, queries: Q, s)
                        let drop = dropout(item)
                        var probs = UnsafePointer(P)
                        if drop.active {
                            for i in 0..<Q { for j in 0..<len { Pd[i * S + j] = P[i * S + j] * drop.factor(i * S + j) } }
                            probs = UnsafePointer(Pd)
                        }
                        // dPd[Q, len] = dctx · Vᵀ ; dV[len, d] = Pdᵀ · dctx
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(Q), Int32(len), Int32(d),
                                    1, dc, Int32(H), v, Int32(3 * H), 0, dP, Int32(S))
                        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(len), Int32(d), Int32(Q),
                                    1, probs, Int32(S), dc, Int32(H), 0, dv, Int32(3 * H))
                        // through dropout and softmax: dS = P ⊙ (dP − Σ_j P·dP)
                        for i in 0..<Q {
                            let pr = P + i * S, g = dP + i * S
                            if drop.active { for j in 0..<len { g[j] *= drop.factor(i * S + j) } }
                            let dot = FastMath.dot(pr, g, len)
                            for j in 0..<len { g[j] = pr[j] * (g[j] - dot) }
                        }
                        // dQ[Q, d] = dS · K · scale ; dK[len, d] = dSᵀ · Q · scale
                        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(Q), Int32(d), Int32(len),
                                    scale, dP, Int32(S), k, Int32(3 * H), 0, dq, Int32(3 * H))
                        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, Int32(len), Int32(d), Int32(Q),
                                    scale, dP, Int32(S), q, Int32(3 * H), 0, dk, Int32(3 * H))
                        // masked keys get no gradient
                        for j in len..<S {
                            (dk + j * 3 * H).update(repeating: 0, count: d)
                            (dv + j * 3 * H).update(repeating: 0, count: d)
                        }
                    }
                }
            }
        }
    }
}
