import Foundation

/// The exact GELU, x·Φ(x) = ½x(1 + erf(x/√2)), which BERT's `"gelu"` means.
public enum GELU {
    static let invSqrt2: Float = 0.70710678118654752
    static let invSqrt2Pi: Float = 0.39894228040143268

    /// x[n] += bias[n % cols] (the pre-activation is kept), out[n] = gelu(x[n]).
    public static func forwardBias(_ out: UnsafeMutablePointer<Float>, _ x: UnsafeMutablePointer<Float>,
                                   bias: UnsafePointer<Float>, rows: Int, cols: Int) {
        Parallel.forRange(rows, grain: cols) { r in
            for i in r {
                let xi = x + i * cols, oi = out + i * cols
                for j in 0..<cols {
                    let v = xi[j] + bias[j]
                    xi[j] = v
                    oi[j] = 0.5 * v * (1 + erf(v * invSqrt2))
                }
            }
        }
    }

    /// out[n] = gelu(x[n]).
    public static func forward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        Parallel.forRange(count) { r in
            for i in r { let v = x[i]; out[i] = 0.5 * v * (1 + erf(v * invSqrt2)) }
        }
    }

    /// d[n] *= gelu'(x[n]) = Φ(x) + x·φ(x), in place over the incoming gradient.
    public static func backward(_ d: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int) {
        Parallel.forRange(count) { r in
            for i in r {
                let v = x[i]
                let cdf = 0.5 * (1 + erf(v * invSqrt2))
                let pdf = invSqrt2Pi * exp(-0.5 * v * v)
                d[i] *= cdf + v * pdf
            }
        }
    }
}
