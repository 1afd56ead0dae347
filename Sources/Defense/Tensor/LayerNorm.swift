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
                let m = FastMath.sum(xi, cols) / Float(cols)
                let v = FastMath.squaredDeviation(xi, cols, mean: m)
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

    /// dx[rows, cols] = ∂L/∂x (overwritten; must not alias dout); dγ, dβ [cols] accumulated. `partial` is scratch of
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
                // xhat is written into dx first, then overwritten by the gradient
                for j in 0..<cols {
                    let xh = (xi[j] - m) * rs
                    dxi[j] = xh
                    pg[j] += dyi[j] * xh
                    pb[j] += dyi[j]
                }
                var accD = SIMD8<Float>(repeating: 0), accDX = SIMD8<Float>(repeating: 0)
                var j = 0
                while j + 8 <= cols {
                    let dn = FastMath.load(dyi + j) * FastMath.load(gamma + j)
                    accD += dn; accDX = accDX.addingProduct(dn, FastMath.load(dxi + j)); j += 8
                }
                var sumD = accD.sum(), sumDX = accDX.sum()
                while j < cols { let dn = dyi[j] * gamma[j]; sumD += dn; sumDX += dn * dxi[j]; j += 1 }
                let meanD = sumD / Float(cols), meanDX = sumDX / Float(cols)
                for j in 0..<cols {
                    dxi[j] = rs * (dyi[j] * gamma[j] - meanD - dxi[j] * meanDX)
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
