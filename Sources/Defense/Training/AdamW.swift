import Foundation

/// Hyper-parameters of AdamW, PyTorch's names and defaults except weight decay (0.01, as
/// finemix's method uses).
public struct AdamWSettings: Sendable, Equatable {
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var eps: Float = 1e-8
    public var weightDecay: Float = 0.01
    /// HuggingFace's Trainer exempts biases and LayerNorm weights from weight decay; true decays
    /// them too (plain `torch.optim.AdamW(model.parameters())`).
    public var decayBiasAndNorm = false
    public init(beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8, weightDecay: Float = 0.01,
                decayBiasAndNorm: Bool = false) {
        self.beta1 = beta1; self.beta2 = beta2; self.eps = eps; self.weightDecay = weightDecay
        self.decayBiasAndNorm = decayBiasAndNorm
    }
}

/// AdamW with decoupled weight decay and bias correction, as `torch.optim.AdamW`: one fused pass
/// per trainable segment of the flat buffer. Moments are flat buffers with the parameters' layout.
public final class AdamW: @unchecked Sendable {
    public let settings: AdamWSettings
    public let m: FlatBuffer, v: FlatBuffer
    public private(set) var steps = 0

    public init(count: Int, settings: AdamWSettings = AdamWSettings()) {
        self.settings = settings
        m = FlatBuffer(count: count); v = FlatBuffer(count: count)
    }

    /// One update of `params` from `grads` over `segments`, at learning rate `lr`.
    public func update(params: FlatBuffer, grads: FlatBuffer, segments: [Freezing.Segment], lr: Float) {
        steps += 1
        let s = settings
        let b1 = s.beta1, b2 = s.beta2, eps = s.eps
        let bc1 = 1 - pow(Double(b1), Double(steps)), bc2 = 1 - pow(Double(b2), Double(steps))
        let stepSize = Float(Double(lr) / bc1)
        let bc2Sqrt = Float(bc2.squareRoot())
        let p = params.base, g = grads.base, m = m.base, v = v.base
        for seg in segments {
            let decay: Float = seg.decays ? 1 - lr * s.weightDecay : 1
            let lo = seg.range.lowerBound
            Parallel.forRange(seg.range.count) { r in
                for k in r {
                    let i = lo + k
                    let gi = g[i]
                    let mi = m[i] + (1 - b1) * (gi - m[i])
                    let vi = b2 * v[i] + (1 - b2) * gi * gi
                    m[i] = mi; v[i] = vi
                    p[i] = p[i] * decay - stepSize * mi / (vi.squareRoot() / bc2Sqrt + eps)
                }
            }
        }
    }
}

/// Global-norm gradient clipping, as `torch.nn.utils.clip_grad_norm_`.
public enum GradientClipping {
    /// The L2 norm of the gradient over `segments` (Double sums in a fixed order per thread count).
    public static func norm(_ grads: FlatBuffer, segments: [Freezing.Segment]) -> Double {
        var total = 0.0
        let g = grads.base
        for seg in segments {
            let T = Parallel.threads
            var partial = [Double](repeating: 0, count: T)
            partial.withUnsafeMutableBufferPointer { part in
                let pp = part.baseAddress!
                Parallel.forWorkers(seg.range.count) { w, r in
                    var s = 0.0
                    var k = r.lowerBound
                    // Float partial sums over short runs keep the loop vectorised; Double across runs.
                    while k < r.upperBound {
                        let end = min(r.upperBound, k + 256)
                        var f: Float = 0
                        for i in k..<end { let x = g[seg.range.lowerBound + i]; f += x * x }
                        s += Double(f)
                        k = end
                    }
                    pp[w] = s
                }
            }
            for x in partial { total += x }
        }
        return total.squareRoot()
    }

    /// Scales the gradient so its norm is at most `maxNorm`; returns the norm before clipping.
    @discardableResult
    public static func clip(_ grads: FlatBuffer, segments: [Freezing.Segment], maxNorm: Float) -> Double {
        let n = norm(grads, segments: segments)
        let coef = Double(maxNorm) / (n + 1e-6)
        if coef < 1 {
            let c = Float(coef), g = grads.base
            for seg in segments {
                let lo = seg.range.lowerBound
                Parallel.forRange(seg.range.count) { r in for k in r { g[lo + k] *= c } }
            }
        }
        return n
    }
}
