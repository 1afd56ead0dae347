import Foundation

/// The element-wise activations the families use, by transformers' names: `hidden_act` in the
/// feed-forward blocks (gelu, gelu_new, relu) and the heads' (tanh, relu, gelu).
public enum Activation: String, Sendable, CaseIterable {
    /// x·Φ(x) with the exact erf; see GELU.
    case gelu
    /// ½x(1 + tanh(√(2/π)(x + 0.044715x³))): GPT-2's approximation, transformers' NewGELUActivation.
    case geluNew = "gelu_new"
    case relu
    case tanh

    /// The values `hidden_act` (DistilBERT: `activation`) may take.
    public static let hiddenActs: [Activation] = [.gelu, .geluNew, .relu]

    static let k0: Float = 0.7978845608028654  // √(2/π)
    static let k1: Float = 0.044715

    @inline(__always) func value(_ v: Float) -> Float {
        switch self {
        case .gelu: return GELU.gelu(v)
        case .geluNew: return 0.5 * v * (1 + Foundation.tanh(Self.k0 * (v + Self.k1 * v * v * v)))
        case .relu: return max(v, 0)
        case .tanh: return Foundation.tanh(v)
        }
    }

    @inline(__always) func derivative(_ v: Float) -> Float {
        switch self {
        case .gelu:
            return 0.5 * (1 + FastMath.erf(v * GELU.invSqrt2)) + v * GELU.invSqrt2Pi * FastMath.exp(-0.5 * v * v)
        case .geluNew:
            let t = Foundation.tanh(Self.k0 * (v + Self.k1 * v * v * v))
            return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * Self.k0 * (1 + 3 * Self.k1 * v * v)
        case .relu: return v > 0 ? 1 : 0
        case .tanh: let t = Foundation.tanh(v); return 1 - t * t
        }
    }

    /// out[n] = f(x[n]); out may be x. GELU takes its vectorised kernel.
    public func forward(_ out: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        if self == .gelu { GELU.forward(out, x, count: count); return }
        Parallel.forRange(count) { r in for i in r { out[i] = value(x[i]) } }
    }

    /// out[n] = f(x[n]) and x[n] = f'(x[n]), for backward without a stored output (see GELU).
    public func recomputeWithDerivative(_ out: UnsafeMutablePointer<Float>, _ x: UnsafeMutablePointer<Float>, count: Int) {
        if self == .gelu { GELU.recomputeWithDerivative(out, x, count: count); return }
        Parallel.forRange(count) { r in
            for i in r { let v = x[i]; out[i] = value(v); x[i] = derivative(v) }
        }
    }

    /// d[n] *= f'(x[n]).
    public func backward(_ d: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { d[i] *= derivative(x[i]) }
    }
}
