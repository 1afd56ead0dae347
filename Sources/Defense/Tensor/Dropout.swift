/// Inverted dropout with a counter-based mask: element i of stream `key` is kept when its 24-bit
/// draw is at least p·2²⁴, and kept values are scaled by 1/(1−p). Backward redraws the same mask.
public struct Dropout: Sendable {
    public let p: Float
    public let key: UInt32
    /// Added to every element index: a part of a batch (a shard of a step) draws the elements the
    /// whole batch would draw at its place.
    public let offset: Int
    let threshold: UInt32
    let scale: Float

    public init(p: Float, key: UInt32, offset: Int = 0) {
        self.p = p; self.key = key; self.offset = offset
        threshold = UInt32((Double(p) * 16_777_216).rounded())
        scale = p < 1 ? 1 / (1 - p) : 0
    }

    public var active: Bool { p > 0 }

    /// The multiplier (0 or 1/(1−p)) for element `i`.
    @inline(__always) public func factor(_ i: Int) -> Float {
        (Counter.bits(key, UInt32(truncatingIfNeeded: i + offset)) >> 8) >= threshold ? scale : 0
    }

    /// out[i] = x[i]·factor(i) for i in 0..<count (out may alias x).
    public func apply(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        if !active { if UnsafePointer(out) != x { out.update(from: x, count: count) }; return }
        Parallel.forRange(count) { r in for i in r { out[i] = x[i] * factor(i) } }
    }

    /// `apply` on compact rows: row i of x [rows, cols] stands for row i·rowStride of the full
    /// layout and draws that row's mask (the last layer computed on first tokens only).
    public func apply(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, rows: Int, cols: Int, rowStride: Int) {
        if !active || rowStride == 1 { apply(out, x, count: rows * cols); return }
        Parallel.forRange(rows, grain: cols) { r in
            for i in r {
                let base = i * cols, full = i * rowStride * cols
                for j in 0..<cols { out[base + j] = x[base + j] * factor(full + j) }
            }
        }
    }

    /// out[i] = (x[i] + bias[i % cols])·factor(i) + residual[i]: the end of every BERT sublayer.
    /// With `rowStride` > 1, row i draws the mask of row i·rowStride, as `apply(rows:cols:rowStride:)`.
    public func biasDropoutResidual(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>,
                                    bias: UnsafePointer<Float>, residual: UnsafePointer<Float>, rows: Int, cols: Int,
                                    rowStride: Int = 1) {
        let on = active
        Parallel.forRange(rows, grain: cols) { r in
            for i in r {
                let base = i * cols, full = i * rowStride * cols
                let xi = x + base, ri = residual + base, oi = out + base
                if on {
                    for j in 0..<cols { oi[j] = (xi[j] + bias[j]) * factor(full + j) + ri[j] }
                } else {
                    for j in 0..<cols { oi[j] = xi[j] + bias[j] + ri[j] }
                }
            }
        }
    }
}
