import Foundation

/// LayerNorm over the last dimension, as PyTorch: biased variance, eps inside the square root.
public enum LayerNorm {
    /// out[rows, cols] = (x − mean) · rstd · γ + β; saves mean[rows] and rstd[rows] for backward.
    public static func forward(_ out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>,
                               rstd: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                               gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                               rows: Int, cols: Int, eps: Float) {
        Parallel.forRange(rows, grain: cols) { r in
            for i in r {
                let xi = x + i * cols, oi = out + i * cols
                var s: Float = 0
                for j in 0..<cols { s += xi[j] }
                let m = s / Float(cols)
                var v: Float = 0
                for j in 0..<cols { let d = xi[j] - m; v += d * d }
                let rs = 1 / (v / Float(cols) + eps).squareRoot()
                for j in 0..<cols { oi[j] = (xi[j] - m) * rs * gamma[j] + beta[j] }
                mean[i] = m; rstd[i] = rs
            }
        }
    }

    /// Recomputes the forward output from the saved statistics (backward uses it instead of
    /// keeping another activation).
    public static func recompute(_ out: UnsafeMutablePointer<Float>, mean: UnsafePointer<Float>,
                                 rstd: UnsafePointer<Float>, _ x: UnsafePointer<Float>,
                                 gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, rows: Int, cols: Int) {
        Parallel.forRange(rows, grain: cols) { r in
            for i in r {
                let xi = x + i * cols, oi = out + i * cols
                let m = mean[i], rs = rstd[i]
                for j in 0..<cols { oi[j] = (xi[j] - m) * rs * gamma[j] + beta[j] }
            }
        }
    }

    /// dx[rows, cols] = ∂L/∂x (overwritten); dγ, dβ [cols] accumulated. `partial` is scratch of
    /// 2·cols·Parallel.threads floats so each worker sums its rows in a fixed order.
    public static func backward(dx: UnsafeMutablePointer<Float>, dgamma: UnsafeMutablePointer<Float>?,
                                dbeta: UnsafeMutablePointer<Float>?, partial: UnsafeMutablePointer<Float>,
                                dout: UnsafePointer<Float>, x: UnsafePointer<Float>,
                                mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
                                gamma: UnsafePointer<Float>, rows: Int, cols: Int) {
        let t = Parallel.threads
        partial.update(repeating: 0, count: 2 * cols * t)
        Parallel.forWorkers(rows) { w, r in
            let pg = partial + 2 * cols * w, pb = pg + cols
            for i in r {
                let xi = x + i * cols, dyi = dout + i * cols, dxi = dx + i * cols
                let m = mean[i], rs = rstd[i]
                var sumD: Float = 0, sumDX: Float = 0
                for j in 0..<cols {
                    let xh = (xi[j] - m) * rs
                    let dn = dyi[j] * gamma[j]
                    sumD += dn; sumDX += dn * xh
                    pg[j] += dyi[j] * xh
                    pb[j] += dyi[j]
                }
                let meanD = sumD / Float(cols), meanDX = sumDX / Float(cols)
                for j in 0..<cols {
                    let xh = (xi[j] - m) * rs
                    dxi[j] = rs * (dyi[j] * gamma[j] - meanD - xh * meanDX)
                }
            }
        }
        for w in 0..<t {
            let pg = partial + 2 * cols * w, pb = pg + cols
            if let dgamma { for j in 0..<cols { dgamma[j] += pg[j] } }
            if let dbeta { for j in 0..<cols { dbeta[j] += pb[j] } }
        }
    }
}
