import CDNNL
import Foundation

/// How the encoder's weight products are computed: FP32 sgemm (OpenBLAS), or BF16 operands with
/// FP32 sums (oneDNN's matmul, on CPUs with AVX512-BF16). Only the four products of each layer
/// change (in training their two backward products too); attention, LayerNorm, GELU, the head,
/// the embeddings and the optimizer's master weights stay FP32.
public enum Precision: String, Sendable, Codable {
    case fp32, bf16

    /// Throws, in one sentence, when this machine cannot run `self`.
    public func requireSupported() throws {
        guard self == .bf16 else { return }
        let isa = dnnl_get_effective_cpu_isa().rawValue, bf16 = dnnl_cpu_isa_avx512_core_bf16.rawValue
        guard isa & bf16 == bf16 else {
            throw FinemixError("--precision bf16 needs a CPU with AVX512-BF16, and oneDNN finds none here (instruction set 0x\(String(isa, radix: 16))); use --precision fp32")
        }
    }

    /// The weights a `Predictor` of this precision reads: `model`'s rounded to BF16, nil for FP32.
    /// `round`: false for an owner that rounds before every use (the evaluator, the trainer).
    public func weights(of model: BertModel, round: Bool = true) -> BF16Weights? {
        self == .bf16 ? BF16Weights(model, round: round) : nil
    }

    /// As recipes and reports record it: nil for FP32, as in every file written before the choice.
    public var recorded: Precision? { self == .bf16 ? .bf16 : nil }
}

/// The encoder's linear weights rounded to BF16, in the parameters' layout (a weight's offset is
/// the same in both), shared by every worker's `BF16Products`. `refresh()` rounds them again
/// from the model: the evaluator does so before every prediction and the trainer before every
/// step, so a model changed in between is never read through a stale copy.
public final class BF16Weights: @unchecked Sendable {
    let model: BertModel
    let base: UnsafeMutablePointer<UInt16>
    /// The FP32 parameters the copy is made from: a weight pointer into them gives the offset.
    let source: UnsafePointer<Float>

    /// `round`: false leaves the copy unwritten until the first `refresh()`.
    public init(_ model: BertModel, round: Bool = true) {
        self.model = model
        source = UnsafePointer(model.params.values.base)
        // The table and the other tensors are never read in BF16: left unwritten.
        base = .allocate(capacity: max(1, model.layout.count))
        if round { refresh() }
    }
    deinit { base.deallocate() }

    /// Rounds the model's current weights (about 10 ms for MiniLM).
    public func refresh() {
        let c = model.config, H = c.hiddenSize, I = c.intermediateSize, w = model.params.values, out = base
        let blocks = model.layout.layers.flatMap { o in [(o.qkvW, 3 * H * H), (o.attnOutW, H * H), (o.interW, I * H), (o.outW, H * I)] }
        Parallel.forRange(blocks.count, grain: 1) { r in
            for (offset, n) in blocks[r] { BF16.convert(w[offset], rows: 1, cols: n, stride: n, into: out + offset) }
        }
    }

    func weight(_ p: UnsafePointer<Float>) -> UnsafePointer<UInt16> { UnsafePointer(base + (p - source)) }
}

/// One worker's BF16 products: its oneDNN stream, its matmul primitives by shape, and room for
/// the operands it rounds to BF16. Not shared between workers.
final class BF16Products {
    let weights: BF16Weights
    private let stream: dnnl_stream_t
    /// Rounded operands, packed: a product's input rows (forward; the weight gradient's other
    /// factor), and backward's output gradient (allocated at the first backward).
    private let inputs: UnsafeMutablePointer<UInt16>
    private var gradients: UnsafeMutablePointer<UInt16>?
    private let capacity: Int
    private var primitives: [Shape: Primitive] = [:]

    /// C[m, n] (+)= A[m, k]·B[k, n]: BF16 A and B at any row and column strides (a transpose is a
    /// stride), C in FP32 with rows `ldc` apart, added to when `add` (sgemm's beta 1).
    private struct Shape: Hashable { let m, n, k, a0, a1, b0, b1, ldc: Int; let add: Bool }
    private final class Primitive {
        let primitive: dnnl_primitive_t, src: dnnl_memory_t, weights: dnnl_memory_t, dst: dnnl_memory_t
        init(primitive: dnnl_primitive_t, src: dnnl_memory_t, weights: dnnl_memory_t, dst: dnnl_memory_t) {
            self.primitive = primitive; self.src = src; self.weights = weights; self.dst = dst
        }
        deinit { dnnl_memory_destroy(src); dnnl_memory_destroy(weights); dnnl_memory_destroy(dst); dnnl_primitive_destroy(primitive) }
    }

    /// oneDNN's CPU engine, one for the process.
    nonisolated(unsafe) private static let engine: dnnl_engine_t? = {
        var e: dnnl_engine_t?
        return dnnl_engine_create(&e, dnnl_cpu, 0) == dnnl_success ? e : nil
    }()

    /// `maxRows`: the most token rows one product has (batch × sequence length).
    init(weights: BF16Weights, maxRows: Int) throws {
        try Precision.bf16.requireSupported()
        guard let engine = Self.engine else { throw FinemixError("oneDNN could not open its CPU engine") }
        var s: dnnl_stream_t?
        guard dnnl_stream_create(&s, engine, dnnl_stream_default_flags.rawValue) == dnnl_success, let s else {
            throw FinemixError("oneDNN could not open a stream")
        }
        self.weights = weights; stream = s
        // the widest operand: the feed-forward activations, or the QKV output's gradient
        let c = weights.model.config
        capacity = max(1, maxRows * max(c.intermediateSize, 3 * c.hiddenSize))
        inputs = .allocate(capacity: capacity)
    }

    deinit {
        primitives.removeAll()
        dnnl_stream_destroy(stream)
        inputs.deallocate()
        gradients?.deallocate()
    }

    /// Bytes a worker's products take beside the activations (the operands' room).
    static func bytes(_ c: BertConfig, maxRows: Int, training: Bool) -> Int {
        (training ? 2 : 1) * maxRows * max(c.intermediateSize, 3 * c.hiddenSize) * MemoryLayout<UInt16>.size
    }

    /// out[rows, outF] (+)= inp[rows, inF]·W[outF, inF]ᵀ with W and inp rounded to BF16 and the
    /// sums in FP32, as `Linear.accumulate` (`add`: out holds the bias and residual) or
    /// `Linear.forward` without a bias (not `add`). Same strides.
    func forward(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                 rows: Int, inF: Int, outF: Int, inStride: Int? = nil, outStride: Int? = nil, add: Bool = true) throws {
        precondition(rows * inF <= capacity, "a BF16 product's input exceeds the room sized for it")
        BF16.convert(inp, rows: rows, cols: inF, stride: inStride ?? inF, into: inputs)
        try multiply(out, ldc: outStride ?? outF, a: inputs, (inF, 1), b: weights.weight(weight), (1, inF),
                     m: rows, n: outF, k: inF, add: add)
    }

    /// `Linear.backward` with BF16 products: dW[outF, inF] += doutᵀ·inp and dinp[rows, inF] (+)=
    /// dout·W from dout, inp and W rounded to BF16, sums in FP32; db from the FP32 dout.
    func backward(dinp: UnsafeMutablePointer<Float>?, accumulateInput: Bool = false,
                  dweight: UnsafeMutablePointer<Float>?, dbias: UnsafeMutablePointer<Float>?,
                  dout: UnsafePointer<Float>, inp: UnsafePointer<Float>, weight: UnsafePointer<Float>,
                  rows: Int, inF: Int, outF: Int, doutStride: Int? = nil, inStride: Int? = nil) throws {
        precondition(rows * max(inF, outF) <= capacity, "a BF16 product's operand exceeds the room sized for it")
        let g: UnsafeMutablePointer<UInt16>
        if let made = gradients { g = made } else { g = .allocate(capacity: capacity); gradients = g }
        BF16.convert(dout, rows: rows, cols: outF, stride: doutStride ?? outF, into: g)
        if let dweight {
            // doutᵀ is dout's packed rows read down the columns
            BF16.convert(inp, rows: rows, cols: inF, stride: inStride ?? inF, into: inputs)
            try multiply(dweight, ldc: inF, a: g, (1, outF), b: inputs, (inF, 1), m: outF, n: inF, k: rows, add: true)
        }
        if let dbias { Linear.columnSums(dbias, dout, rows: rows, cols: outF, stride: doutStride) }
        if let dinp {
            try multiply(dinp, ldc: inStride ?? inF, a: g, (outF, 1), b: weights.weight(weight), (inF, 1),
                         m: rows, n: inF, k: outF, add: accumulateInput)
        }
    }

    private func multiply(_ c: UnsafeMutablePointer<Float>, ldc: Int, a: UnsafePointer<UInt16>, _ aStrides: (Int, Int),
                          b: UnsafePointer<UInt16>, _ bStrides: (Int, Int), m: Int, n: Int, k: Int, add: Bool) throws {
        let shape = Shape(m: m, n: n, k: k, a0: aStrides.0, a1: aStrides.1, b0: bStrides.0, b1: bStrides.1, ldc: ldc, add: add)
        let p: Primitive
        if let found = primitives[shape] { p = found } else {
            guard let made = try? make(shape) else {
                throw FinemixError("oneDNN could not make a BF16 product of [\(m)×\(k)]·[\(k)×\(n)]; use --precision fp32")
            }
            primitives[shape] = made; p = made
        }
        dnnl_memory_set_data_handle(p.src, UnsafeMutableRawPointer(mutating: a))
        dnnl_memory_set_data_handle(p.weights, UnsafeMutableRawPointer(mutating: b))
        dnnl_memory_set_data_handle(p.dst, c)
        // Debian's oneDNN threads with OpenMP: as many threads as OpenBLAS has now (one inside
        // the engine's side-by-side workers, every core for a product the caller shares).
        omp_set_num_threads(Int32(BLASThreads.current))
        var args = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC_0, memory: p.src), dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS_0, memory: p.weights),
                    dnnl_exec_arg_t(arg: DNNL_ARG_DST_0, memory: p.dst)]
        let status = dnnl_primitive_execute(p.primitive, stream, 3, &args)
        guard status == dnnl_success, dnnl_stream_wait(stream) == dnnl_success else {
            throw FinemixError("oneDNN failed a BF16 product of [\(m)×\(k)]·[\(k)×\(n)] (status \(status.rawValue)); use --precision fp32")
        }
    }

    private struct Refused: Error {}

    private func make(_ s: Shape) throws -> Primitive {
        guard let engine = Self.engine else { throw Refused() }
        func desc(_ dims: (Int, Int), _ strides: (Int, Int), _ type: dnnl_data_type_t) throws -> dnnl_memory_desc_t {
            var d = dnnl_memory_desc_t()
            let dd = [Int64(dims.0), Int64(dims.1)], ss = [Int64(strides.0), Int64(strides.1)]
            guard dnnl_memory_desc_init_by_strides(&d, 2, dd, type, ss) == dnnl_success else { throw Refused() }
            return d
        }
        var src = try desc((s.m, s.k), (s.a0, s.a1), dnnl_bf16)
        var wei = try desc((s.k, s.n), (s.b0, s.b1), dnnl_bf16)
        var dst = try desc((s.m, s.n), (s.ldc, 1), dnnl_f32)
        var md = dnnl_matmul_desc_t()
        guard dnnl_matmul_desc_init(&md, &src, &wei, nil, &dst) == dnnl_success else { throw Refused() }
        var attr: dnnl_primitive_attr_t?
        var ops: dnnl_post_ops_t?
        guard dnnl_primitive_attr_create(&attr) == dnnl_success else { throw Refused() }
        defer { dnnl_primitive_attr_destroy(attr); if let ops { dnnl_post_ops_destroy(ops) } }
        if s.add {
            guard dnnl_post_ops_create(&ops) == dnnl_success, dnnl_post_ops_append_sum(ops, 1) == dnnl_success,
                  dnnl_primitive_attr_set_post_ops(attr, ops) == dnnl_success else { throw Refused() }
        }
        var pd: dnnl_primitive_desc_t?
        guard dnnl_primitive_desc_create(&pd, &md, attr, engine, nil) == dnnl_success, let pd else { throw Refused() }
        defer { dnnl_primitive_desc_destroy(pd) }
        var prim: dnnl_primitive_t?
        guard dnnl_primitive_create(&prim, pd) == dnnl_success, let prim else { throw Refused() }
        var ms: dnnl_memory_t?, mw: dnnl_memory_t?, mdst: dnnl_memory_t?
        // DNNL_MEMORY_NONE: handles are set before every execution
        guard dnnl_memory_create(&ms, &src, engine, nil) == dnnl_success, let ms,
              dnnl_memory_create(&mw, &wei, engine, nil) == dnnl_success, let mw,
              dnnl_memory_create(&mdst, &dst, engine, nil) == dnnl_success, let mdst else {
            dnnl_primitive_destroy(prim); throw Refused()
        }
        return Primitive(primitive: prim, src: ms, weights: mw, dst: mdst)
    }
}
