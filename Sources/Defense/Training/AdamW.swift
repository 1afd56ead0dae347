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
/// With `lazy`, the rows of one table are updated only when a batch reads them (LazyRows).
public final class AdamW: @unchecked Sendable {
    public let settings: AdamWSettings
    public let m: FlatBuffer, v: FlatBuffer
    public private(set) var steps = 0

    public init(count: Int, settings: AdamWSettings = AdamWSettings()) {
        self.settings = settings
        m = FlatBuffer(count: count); v = FlatBuffer(count: count)
    }

    /// What one step applies to every element besides its gradient.
    public struct StepConstants: Sendable {
        public var lr: Float, stepSize: Float, bc2Sqrt: Float
    }

    /// Step `step`'s constants at learning rate `lr` (bias corrections in Double, as PyTorch).
    func constants(step: Int, lr: Float) -> StepConstants {
        let bc1 = 1 - pow(Double(settings.beta1), Double(step)), bc2 = 1 - pow(Double(settings.beta2), Double(step))
        return StepConstants(lr: lr, stepSize: Float(Double(lr) / bc1), bc2Sqrt: Float(bc2.squareRoot()))
    }

    /// The update of one element: the dense pass and LazyRows' replay both run exactly this, so a
    /// replayed step gives the same bits as the dense one.
    @inline(__always)
    static func element(_ p: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
                        _ i: Int, g gi: Float, b1: Float, b2: Float, eps: Float, decay: Float, k: StepConstants) {
        let mi = m[i] + (1 - b1) * (gi - m[i])
        let vi = b2 * v[i] + (1 - b2) * gi * gi
        m[i] = mi; v[i] = vi
        p[i] = p[i] * decay - k.stepSize * mi / (vi.squareRoot() / k.bc2Sqrt + eps)
    }

    /// `element` over i..<i+n, eight lanes at a time with each lane's operations exactly those of
    /// `element` (IEEE add, multiply, divide and square root round the same in a vector), so the
    /// same bits; the scalar loop did not vectorise and was the step's largest cost after sgemm.
    /// `g` nil: a zero gradient (LazyRows' replay).
    @inline(__always)
    static func elements(_ p: UnsafeMutablePointer<Float>, _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
                         from i: Int, count n: Int, g: UnsafePointer<Float>?, b1: Float, b2: Float, eps: Float, decay: Float,
                         k: StepConstants) {
        let c1 = 1 - b1, c2 = 1 - b2
        var j = 0
        while j + 8 <= n {
            let at = i + j
            let gi = g.map { FastMath.load($0 + at) } ?? SIMD8<Float>(repeating: 0)
            let m0 = FastMath.load(m + at), v0 = FastMath.load(v + at), p0 = FastMath.load(p + at)
            let mi = m0 + c1 * (gi - m0)
            let vi = b2 * v0 + c2 * gi * gi
            FastMath.store(mi, m + at); FastMath.store(vi, v + at)
            FastMath.store(p0 * decay - k.stepSize * mi / (vi.squareRoot() / k.bc2Sqrt + eps), p + at)
            j += 8
        }
        while j < n {
            element(p, m, v, i + j, g: g?[i + j] ?? 0, b1: b1, b2: b2, eps: eps, decay: decay, k: k)
            j += 1
        }
    }

    /// Decay factor of a step for a segment.
    @inline(__always)
    func decay(_ k: StepConstants, decays: Bool) -> Float { decays ? 1 - k.lr * settings.weightDecay : 1 }

    /// One update of `params` from `grads` over `segments`, at learning rate `lr`. With `lazy`,
    /// its table is left out of the dense pass and only the rows of this step's batch move
    /// (they must be current: `LazyRows.catchUp` before the forward pass).
    public func update(params: FlatBuffer, grads: FlatBuffer, segments: [Freezing.Segment], lr: Float, lazy: LazyRows? = nil) {
        steps += 1
        let s = settings
        let b1 = s.beta1, b2 = s.beta2, eps = s.eps
        let k = constants(step: steps, lr: lr)
        let p = params.base, g = grads.base, m = m.base, v = v.base
        for seg in lazy?.outside(segments) ?? segments {
            let decay = decay(k, decays: seg.decays)
            let lo = seg.range.lowerBound
            Parallel.forRange(seg.range.count) { r in
                AdamW.elements(p, m, v, from: lo + r.lowerBound, count: r.count, g: g, b1: b1, b2: b2, eps: eps, decay: decay, k: k)
            }
        }
        lazy?.step(k, params: params, grads: grads, optimizer: self)
    }
}

/// Global-norm gradient clipping, as `torch.nn.utils.clip_grad_norm_`.
public enum GradientClipping {
    /// The L2 norm of the gradient over `segments` (Double sums in a fixed order per thread count).
    /// With `lazy`, runs of its table that hold no row of the step (all zero, so they add nothing
    /// to any sum) are skipped: the same sums in the same order as the dense pass, the same bits.
    public static func norm(_ grads: FlatBuffer, segments: [Freezing.Segment], lazy: LazyRows? = nil) -> Double {
        var total = 0.0
        let g = grads.base
        for seg in segments {
            let T = Parallel.threads
            var partial = [Double](repeating: 0, count: T)
            let lo = seg.range.lowerBound
            partial.withUnsafeMutableBufferPointer { part in
                let pp = part.baseAddress!
                Parallel.forWorkers(seg.range.count) { w, r in
                    var s = 0.0
                    var k = r.lowerBound
                    // Float partial sums over short runs keep the loop vectorised; Double across runs.
                    while k < r.upperBound {
                        let end = min(r.upperBound, k + 256)
                        if let lazy, lazy.holdsNoStepRow(lo + k, lo + end) { k = end; continue }
                        var f: Float = 0
                        for i in k..<end { let x = g[lo + i]; f += x * x }
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
    public static func clip(_ grads: FlatBuffer, segments: [Freezing.Segment], maxNorm: Float, lazy: LazyRows? = nil) -> Double {
        let n = norm(grads, segments: segments, lazy: lazy)
        let coef = Double(maxNorm) / (n + 1e-6)
        if coef < 1 {
            let c = Float(coef), g = grads.base
            lazy?.scaleGradient(grads, by: c)
            for seg in lazy?.outside(segments) ?? segments {
                let lo = seg.range.lowerBound
                Parallel.forRange(seg.range.count) { r in for k in r { g[lo + k] *= c } }
            }
        }
        return n
    }
}
