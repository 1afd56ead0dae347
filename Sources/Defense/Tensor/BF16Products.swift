import CDNNL
import Foundation

/// How inference computes the encoder's weight products: FP32 sgemm (OpenBLAS), or BF16 weights
/// and inputs with FP32 sums (oneDNN's matmul, on CPUs with AVX512-BF16). Only the four products
/// of each layer change; attention, LayerNorm, GELU and the head stay FP32. Training is FP32.
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
    public func weights(of model: BertModel) -> BF16Weights? { self == .bf16 ? BF16Weights(model) : nil }
}

/// The encoder's linear weights rounded to BF16, in the parameters' layout (a weight's offset is
/// the same in both), shared by every worker's `BF16Products`. `refresh()` rounds them again
/// from the model: the evaluator does so before every prediction, so a model trained between
/// two predictions is never read through a stale copy.
public final class BF16Weights: @unchecked Sendable {
    let model: BertModel
    let base: UnsafeMutablePointer<UInt16>
    /// The FP32 parameters the copy is made from: a weight pointer into them gives the offset.
    let source: UnsafePointer<Float>

    public init(_ model: BertModel) {
        self.model = model
        source = UnsafePointer(model.params.values.base)
        // The table and the other tensors are never read in BF16: left unwritten.
        base = .allocate(capacity: max(1, model.layout.count))
        refresh()
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
/// its inputs rounded to BF16. Not shared between workers.
final class BF16Products {
    let weights: BF16Weights
    private let stream: dnnl_stream_t
    private let scratch: UnsafeMutablePointer<UInt16>
    private let scratchCount: Int
    private var primitives: [Shape: Primitive] = [:]

    /// One product's shape: [rows, inF]·[inF, outF] added into rows of stride `outStride`.
    private struct Shape: Hashable { let rows, inF, outF, outStride: Int }
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

    /// `maxInputs`: the most input elements (rows × inF) one product reads.
    init(weights: BF16Weights, maxInputs: Int) throws {
        try Precision.bf16.requireSupported()
        guard let engine = Self.engine else { throw FinemixError("oneDNN could not open its CPU engine") }
        var s: dnnl_stream_t?
        guard dnnl_stream_create(&s, engine, dnnl_stream_default_flags.rawValue) == dnnl_success, let s else {
            throw FinemixError("oneDNN could not open a stream")
        }
        self.weights = weights; stream = s
        scratchCount = max(1, maxInputs)
        scratch = .allocate(capacity: scratchCount)
    }

    deinit {
        primitives.removeAll()
        dnnl_stream_destroy(stream)
        scratch.deallocate()
    }

    /// out[rows, outF] += inp[rows, inF]·W[outF, inF]ᵀ with W and inp rounded to BF16 and the
    /// sums in FP32, as `Linear.accumulate` (out holds the bias and residual; same strides).
    func accumulate(_ out: UnsafeMutablePointer<Float>, _ inp: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                    rows: Int, inF: Int, outF: Int, inStride: Int? = nil, outStride: Int? = nil) throws {
        precondition(rows * inF <= scratchCount, "a BF16 product's input exceeds the room sized for it")
        BF16.convert(inp, rows: rows, cols: inF, stride: inStride ?? inF, into: scratch)
        let shape = Shape(rows: rows, inF: inF, outF: outF, outStride: outStride ?? outF)
        let p: Primitive
        if let found = primitives[shape] { p = found } else {
            guard let made = try? make(shape) else {
                throw FinemixError("oneDNN could not make a BF16 product of [\(rows)×\(inF)]·[\(inF)×\(outF)]; use --precision fp32")
            }
            primitives[shape] = made; p = made
        }
        dnnl_memory_set_data_handle(p.src, scratch)
        dnnl_memory_set_data_handle(p.weights, UnsafeMutableRawPointer(mutating: weights.weight(weight)))
        dnnl_memory_set_data_handle(p.dst, out)
        // Debian's oneDNN threads with OpenMP; this worker is one of finemix's, so one thread.
        omp_set_num_threads(1)
        var args = [dnnl_exec_arg_t(arg: DNNL_ARG_SRC_0, memory: p.src), dnnl_exec_arg_t(arg: DNNL_ARG_WEIGHTS_0, memory: p.weights),
                    dnnl_exec_arg_t(arg: DNNL_ARG_DST_0, memory: p.dst)]
        let status = dnnl_primitive_execute(p.primitive, stream, 3, &args)
        guard status == dnnl_success, dnnl_stream_wait(stream) == dnnl_success else {
            throw FinemixError("oneDNN failed a BF16 product of [\(rows)×\(inF)]·[\(inF)×\(outF)] (status \(status.rawValue)); use --precision fp32")
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
        // src [rows, inF] packed; weights [inF, outF] read from W [outF, inF] row-major; dst strided,
        // added to (a sum post-op: sgemm's beta 1)
        var src = try desc((s.rows, s.inF), (s.inF, 1), dnnl_bf16)
        var wei = try desc((s.inF, s.outF), (1, s.inF), dnnl_bf16)
        var dst = try desc((s.rows, s.outF), (s.outStride, 1), dnnl_f32)
        var md = dnnl_matmul_desc_t()
        guard dnnl_matmul_desc_init(&md, &src, &wei, nil, &dst) == dnnl_success else { throw Refused() }
        var attr: dnnl_primitive_attr_t?
        var ops: dnnl_post_ops_t?
        guard dnnl_primitive_attr_create(&attr) == dnnl_success else { throw Refused() }
        defer { dnnl_primitive_attr_destroy(attr); if let ops { dnnl_post_ops_destroy(ops) } }
        guard dnnl_post_ops_create(&ops) == dnnl_success, dnnl_post_ops_append_sum(ops, 1) == dnnl_success,
              dnnl_primitive_attr_set_post_ops(attr, ops) == dnnl_success else { throw Refused() }
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
