/// The exact GELU, x·Φ(x) = ½x(1 + erf(x/√2)), which BERT's `"gelu"` means (erf to 1.5e-7, as
/// PyTorch's vectorised CPU kernel computes it).
public enum GELU {
    static let invSqrt2: Float = 0.70710678118654752
    static let invSqrt2Pi: Float = 0.39894228040143268

    @inline(__always) static func gelu(_ v: SIMD8<Float>) -> SIMD8<Float> {
        0.5 * v * (1 + FastMath.erf(v * invSqrt2))
    }

    @inline(__always) static func gelu(_ v: Float) -> Float { 0.5 * v * (1 + FastMath.erf(v * invSqrt2)) }

    /// x[n] += bias[n % cols] (the pre-activation is kept), out[n] = gelu(x[n]).
    public static func forwardBias(_ out: UnsafeMutablePointer<Float>, _ x: UnsafeMutablePointer<Float>,
                                   bias: UnsafePointer<Float>, rows: Int, cols: Int) {
        Parallel.forRange(rows, grain: cols) { r in
            for i in r {
                let xi = x + i * cols, oi = out + i * cols
                var j = 0
                while j + 8 <= cols {
                    let v = FastMath.load(xi + j) + FastMath.load(bias + j)
                    FastMath.store(v, xi + j); FastMath.store(gelu(v), oi + j); j += 8
                }
                while j < cols { let v = xi[j] + bias[j]; xi[j] = v; oi[j] = gelu(v); j += 1 }
            }
        }
    }

    /// out[n] = gelu(x[n]); out may be x.
    public static func forward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        Parallel.forRange(count) { r in
            var i = r.lowerBound
            while i + 8 <= r.upperBound { FastMath.store(gelu(FastMath.load(x + i)), out + i); i += 8 }
            while i < r.upperBound { out[i] = gelu(x[i]); i += 1 }
        }
    }

    /// For backward without a stored GELU output: out[n] = gelu(x[n]) and x[n] = gelu'(x[n]), one
    /// exp per element (erf's exp(−x²/2) is the density's too). Overwrites the pre-activation, so
    /// one forward supports one backward. Eight lanes at a time, each lane the scalar `valueAndSlope`
    /// operation for operation (the compiler leaves the scalar loop unvectorised: x is written).
    public static func recomputeWithDerivative(_ out: UnsafeMutablePointer<Float>, _ x: UnsafeMutablePointer<Float>, count: Int) {
        Parallel.forRange(count) { r in
            var i = r.lowerBound
            while i + 8 <= r.upperBound {
                let (value, slope) = valueAndSlope(FastMath.load(x + i))
                FastMath.store(value, out + i); FastMath.store(slope, x + i); i += 8
            }
            while i < r.upperBound { let (value, slope) = valueAndSlope(x[i]); out[i] = value; x[i] = slope; i += 1 }
        }
    }

    /// gelu(v) and gelu'(v) sharing erf's exp(−v²/2).
    @inline(__always) static func valueAndSlope(_ v: Float) -> (Float, Float) {
        let e = FastMath.exp(-0.5 * v * v)
        let y = FastMath.erfOfMagnitude(abs(v) * invSqrt2, expOfMinusSquare: e)
        let cdf = 0.5 * (1 + (v < 0 ? -y : y))
        return (v * cdf, cdf + v * invSqrt2Pi * e)
    }

    @inline(__always) static func valueAndSlope(_ v: SIMD8<Float>) -> (SIMD8<Float>, SIMD8<Float>) {
        let e = FastMath.exp(-0.5 * v * v)
        let a = unsafeBitCast(unsafeBitCast(v, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: SIMD8<Float>.self)
        var y = FastMath.erfOfMagnitude(a * invSqrt2, expOfMinusSquare: e)
        y.replace(with: -y, where: v .< 0)
        let cdf = 0.5 * (1 + y)
        return (v * cdf, cdf + v * invSqrt2Pi * e)
    }

    /// d[n] *= g[n]: the incoming gradient times a saved derivative.
    public static func multiply(_ d: UnsafeMutablePointer<Float>, by g: UnsafePointer<Float>, count: Int) {
        Parallel.forRange(count) { r in for i in r { d[i] *= g[i] } }
    }

    /// d[n] *= gelu'(x[n]) = Φ(x) + x·φ(x), in place over the incoming gradient.
    public static func backward(_ d: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int) {
        Parallel.forRange(count) { r in
            for i in r {
                let v = x[i]
                let cdf = 0.5 * (1 + FastMath.erf(v * invSqrt2))
                let pdf = invSqrt2Pi * FastMath.exp(-0.5 * v * v)
                d[i] *= cdf + v * pdf
            }
        }
    }
}
