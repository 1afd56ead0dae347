import Foundation
import Testing
@testable import Defense

/// Every kernel's backward against central differences of its forward. The loss is Σ out·R for a
/// fixed random R, summed in Double; steps of 1e-2 on Float kernels give about 1e-3 relative error.
@Suite struct KernelGradientTests {
    /// Numerical ∂f/∂x[i] for every i, f summed in Double.
    static func numeric(_ x: inout [Float], h: Float = 1e-2, _ f: ([Float]) -> Double) -> [Float] {
        var out = [Float](repeating: 0, count: x.count)
        for i in 0..<x.count {
            let keep = x[i]
            x[i] = keep + h; let up = f(x)
            x[i] = keep - h; let down = f(x)
            x[i] = keep
            out[i] = Float((up - down) / Double(2 * h))
        }
        return out
    }

    static func dot(_ a: [Float], _ r: [Float]) -> Double { zip(a, r).reduce(0) { $0 + Double($1.0) * Double($1.1) } }

    @Test func linear() {
        let rows = 3, inF = 4, outF = 5
        var x = EngineTest.randomArray(rows * inF, seed: 1), w = EngineTest.randomArray(outF * inF, seed: 2)
        var b = EngineTest.randomArray(outF, seed: 3)
        let r = EngineTest.randomArray(rows * outF, seed: 4)
        func f(_ x: [Float], _ w: [Float], _ b: [Float]) -> Double {
            var y = [Float](repeating: 0, count: rows * outF)
            Linear.forward(&y, x, w, b, rows: rows, inF: inF, outF: outF)
            return Self.dot(y, r)
        }
        var dx = [Float](repeating: 0, count: x.count), dw = [Float](repeating: 0, count: w.count)
        var db = [Float](repeating: 0, count: b.count)
        Linear.backward(dinp: &dx, dweight: &dw, dbias: &db, dout: r, inp: x, weight: w, rows: rows, inF: inF, outF: outF)
        let (w0, b0, x0) = (w, b, x)
        #expect(EngineTest.maxRelative(dx, Self.numeric(&x) { f($0, w0, b0) }, floor: 0.1) < 2e-3)
        #expect(EngineTest.maxRelative(dw, Self.numeric(&w) { f(x0, $0, b0) }, floor: 0.1) < 2e-3)
        #expect(EngineTest.maxRelative(db, Self.numeric(&b) { f(x0, w0, $0) }, floor: 0.1) < 2e-3)
    }

    @Test func layerNorm() {
        let rows = 3, cols = 6
        var x = EngineTest.randomArray(rows * cols, seed: 5), g = EngineTest.randomArray(cols, seed: 6)
        var be = EngineTest.randomArray(cols, seed: 7)
        let r = EngineTest.randomArray(rows * cols, seed: 8)
        func f(_ x: [Float], _ g: [Float], _ be: [Float]) -> Double {
            var y = [Float](repeating: 0, count: rows * cols), m = [Float](repeating: 0, count: rows), s = m
            LayerNorm.forward(&y, mean: &m, rstd: &s, x, gamma: g, beta: be, rows: rows, cols: cols, eps: 1e-12)
            return Self.dot(y, r)
        }
        var y = [Float](repeating: 0, count: rows * cols), m = [Float](repeating: 0, count: rows), s = m
        LayerNorm.forward(&y, mean: &m, rstd: &s, x, gamma: g, beta: be, rows: rows, cols: cols, eps: 1e-12)
        var dx = [Float](repeating: 0, count: x.count), dg = [Float](repeating: 0, count: cols), db = dg
        var partial = [Float](repeating: 0, count: 2 * cols * Parallel.threads)
        LayerNorm.backward(dx: &dx, dgamma: &dg, dbeta: &db, partial: &partial, dout: r, x: x, mean: m, rstd: s,
                           gamma: g, rows: rows, cols: cols)
        let (x0, g0, b0) = (x, g, be)
        #expect(EngineTest.maxRelative(dx, Self.numeric(&x, h: 3e-3) { f($0, g0, b0) }, floor: 0.1) < 5e-3)
        #expect(EngineTest.maxRelative(dg, Self.numeric(&g) { f(x0, $0, b0) }, floor: 0.1) < 2e-3)
        #expect(EngineTest.maxRelative(db, Self.numeric(&be) { f(x0, g0, $0) }, floor: 0.1) < 2e-3)
        // the recomputation backward relies on equals the forward
        var y2 = [Float](repeating: 0, count: rows * cols)
        LayerNorm.recompute(&y2, mean: m, rstd: s, x, gamma: g, beta: be, rows: rows, cols: cols)
        #expect(y2 == y)
    }

    @Test func gelu() {
        var x = EngineTest.randomArray(40, seed: 9, scale: 2)
        let r = EngineTest.randomArray(40, seed: 10)
        func f(_ x: [Float]) -> Double {
            var y = [Float](repeating: 0, count: x.count)
            GELU.forward(&y, x, count: x.count)
            return Self.dot(y, r)
        }
        var d = r
        GELU.backward(&d, x: x, count: x.count)
        #expect(EngineTest.maxRelative(d, Self.numeric(&x, h: 1e-2, f), floor: 0.1) < 2e-3)
        // exact erf GELU at known points: gelu(1) = 0.8413447, gelu(-1) = -0.1586553
        var y = [Float](repeating: 0, count: 2)
        GELU.forward(&y, [1, -1], count: 2)
        #expect(abs(y[0] - 0.8413447) < 1e-6 && abs(y[1] + 0.1586553) < 1e-6)
        // backward's fused recompute gives the forward's output and the derivative
        var xd = x, out2 = [Float](repeating: 0, count: x.count), fw = out2
        GELU.recomputeWithDerivative(&out2, &xd, count: x.count)
        GELU.forward(&fw, x, count: x.count)
        var ones = [Float](repeating: 1, count: x.count)
        GELU.backward(&ones, x: x, count: x.count)
        #expect(zip(out2, fw).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(zip(xd, ones).allSatisfy { abs($0 - $1) < 1e-6 })
        // its eight-lane loop gives the scalar formula's bits in every lane (43: a scalar tail
        // too; -0, 0 and large values included)
        let odd: [Float] = EngineTest.randomArray(40, seed: 12, scale: 3) + [-0.0, 0, 12]
        var lanes = odd, laneOut = [Float](repeating: 0, count: odd.count)
        GELU.recomputeWithDerivative(&laneOut, &lanes, count: odd.count)
        for (i, v) in odd.enumerated() {
            let (value, slope) = GELU.valueAndSlope(v)
            #expect(laneOut[i].bitPattern == value.bitPattern && lanes[i].bitPattern == slope.bitPattern, "element \(i)")
        }
        // the bias-fused forward keeps the biased pre-activation
        var pre: [Float] = [0.5, -0.25], out = [Float](repeating: 0, count: 2)
        GELU.forwardBias(&out, &pre, bias: [0.5, -0.75], rows: 1, cols: 2)
        #expect(pre == [1, -1])
        #expect(abs(out[0] - 0.8413447) < 1e-6)
    }

    @Test func crossEntropy() {
        let batch = 3, classes = 4
        var logits = EngineTest.randomArray(batch * classes, seed: 11, scale: 2)
        let labels: [Int32] = [0, 3, 2]
        var d = [Float](repeating: 0, count: logits.count)
        let loss = CrossEntropy.forwardBackward(logits: logits, labels: labels, batch: batch, classes: classes, dlogits: &d)
        let num = Self.numeric(&logits, h: 1e-2) {
            Double(CrossEntropy.forwardBackward(logits: $0, labels: labels, batch: batch, classes: classes, dlogits: nil))
        }
        #expect(EngineTest.maxRelative(d, num, floor: 0.1) < 2e-3)
        #expect(loss > 0)
    }

    @Test func dropoutMaskIsReproducibleAndHasTheRightRate() {
        let n = 100_000
        let x = [Float](repeating: 1, count: n)
        var a = [Float](repeating: 0, count: n), b = a
        let d = Dropout(p: 0.1, key: Counter.key(5, 1, 2))
        d.apply(&a, x, count: n)
        // The mask is a function of the element index alone, so the threaded kernel must equal
        // a one-thread loop. (Not by setting Parallel.threads = 1: tests run concurrently, and
        // ThreadSanitizer caught that global changing under other tests' kernels, whose
        // per-thread scratch is sized by it.)
        for i in 0..<n { b[i] = x[i] * d.factor(i) }
        #expect(a == b)  // same mask on any thread count
        let dropped = a.filter { $0 == 0 }.count
        #expect(abs(Double(dropped) / Double(n) - 0.1) < 0.005)
        #expect(a.allSatisfy { $0 == 0 || abs($0 - 1 / 0.9) < 1e-6 })
        var c = [Float](repeating: 0, count: n)
        Dropout(p: 0.1, key: Counter.key(5, 1, 3)).apply(&c, x, count: n)
        #expect(c != a)  // another site, another mask
    }

    @Test func attention() throws {
        // 2 sequences of length 5 (second padded from 3), hidden 4, 2 heads
        let B = 2, S = 5, H = 4, heads = 2
        let shape = Attention.Shape(batch: B, seq: S, hidden: H, heads: heads, headDim: H / heads)
        let lengths = [5, 3]
        var qkv = EngineTest.randomArray(B * S * 3 * H, seed: 12)
        let r = EngineTest.randomArray(B * S * H, seed: 13)
        var scratch = [Float](repeating: 0, count: Parallel.threads * 3 * S * S)
        let noDrop: (Int) -> Dropout = { _ in Dropout(p: 0, key: 0) }
        func f(_ qkv: [Float]) -> Double {
            var ctx = [Float](repeating: 0, count: B * S * H)
            var sc = [Float](repeating: 0, count: Parallel.threads * 3 * S * S)
            Attention.forward(ctx: &ctx, qkv: qkv, lengths: lengths, scratch: &sc, dropout: noDrop, shape)
            return Self.dot(ctx, r)
        }
        var dqkv = [Float](repeating: 0, count: qkv.count)
        Attention.backward(dqkv: &dqkv, dctx: r, qkv: qkv, lengths: lengths, scratch: &scratch, dropout: noDrop, shape)
        #expect(EngineTest.maxRelative(dqkv, Self.numeric(&qkv, h: 1e-2, f), floor: 0.1) < 3e-3)
        // a padded key changes nothing
        let before = f(qkv)
        qkv[(1 * S + 4) * 3 * H + H] += 5   // key of sequence 1, position 4 (padding)
        #expect(f(qkv) == before)
        // with dropout, the backward matches the forward's mask
        let drop: (Int) -> Dropout = { Dropout(p: 0.3, key: Counter.key(9, $0)) }
        func fd(_ qkv: [Float]) -> Double {
            var ctx = [Float](repeating: 0, count: B * S * H)
            var sc = [Float](repeating: 0, count: Parallel.threads * 3 * S * S)
            Attention.forward(ctx: &ctx, qkv: qkv, lengths: lengths, scratch: &sc, dropout: drop, shape)
            return Self.dot(ctx, r)
        }
        Attention.backward(dqkv: &dqkv, dctx: r, qkv: qkv, lengths: lengths, scratch: &scratch, dropout: drop, shape)
        #expect(EngineTest.maxRelative(dqkv, Self.numeric(&qkv, h: 1e-2, fd), floor: 0.1) < 3e-3)
    }
}
