import Dispatch
import Foundation

/// Weight drift between a pre-trained model and a fine-tuned (victim) one, as docs/method.md defines it.
///
/// The scan streams: every tensor is cut into row-aligned pieces of at most `pieceValues` values,
/// the pieces run on all cores (`concurrentPerform`), and each reads straight from the two
/// loaded files' buffers (F32) or converts into a small scratch buffer (F16/BF16). Sums are Double.
/// Nothing the size of a model is copied.
/// Sums run in Float over blocks of at most 512 values and in Double across blocks: exact enough
/// (relative error ~1e-7) and several times faster than widening every product.
public enum Drift {
    public struct Options: Sendable {
        /// |Δ| strictly above this counts as changed. 1e-6 sits far below a single AdamW step at
        /// lr 5e-5 on weights of magnitude ~0.05 (≈1e-5 or more), yet above the round-off of
        /// re-saving F32 weights (exactly 0): changed_frac is the share of weights fine-tuning moved.
        public var changedThreshold: Double = 1e-6
        /// How many embedding rows the report lists (`tokens`).
        public var topTokens: Int = 20
        /// Bins of each tensor's Δ histogram; 0 skips the second pass that counts them.
        public var histogramBins: Int = 0
        public init(changedThreshold: Double = 1e-6, topTokens: Int = 20, histogramBins: Int = 0) {
            self.changedThreshold = changedThreshold; self.topTokens = topTokens
            self.histogramBins = histogramBins
        }
    }

    public static let wordEmbeddings = "embeddings.word_embeddings.weight"
    /// Below this ‖pre‖ a ratio means nothing: the tensor is reported with its absolute drift.
    public static let zeroNormLimit = 1e-12
    static let pieceValues = 1 << 18

    /// The full report. `vocabulary[id]` names embedding rows (a plain line split of vocab.txt).
    public static func report(pre: any TensorSource, victim: any TensorSource, vocabulary: [String],
                              options: Options = Options()) throws -> DriftReport {
        let preNames = Set(pre.tensorNames), victimNames = Set(victim.tensorNames)
        let common = preNames.intersection(victimNames).sorted()
        for name in common where pre.shape(of: name) != victim.shape(of: name) {
            throw FinemixError("tensor \(name) has shape \(pre.shape(of: name)!) in the pre-trained model but \(victim.shape(of: name)!) in the victim; the two models must have the same architecture")
        }
        let wantRows = common.contains(wordEmbeddings) && (pre.shape(of: wordEmbeddings)?.count == 2)
        let scan = try Scan.run(pre: pre, victim: victim, names: common, rowsOf: wantRows ? wordEmbeddings : nil,
                                threshold: Float(options.changedThreshold))

        var tensors = zip(common, scan.stats).map { name, s in s.drift(name: name, shape: pre.shape(of: name)!) }
        if options.histogramBins > 0 {
            // The bins span each tensor's own ±max|Δ|, known only after the first pass.
            let counts = try Scan.histograms(pre: pre, victim: victim, names: common,
                                             limits: scan.stats.map(\.maxAbs), bins: options.histogramBins)
            for i in tensors.indices { tensors[i].histogram = counts[i] }
        }
        let onlyInVictim = victimNames.subtracting(preNames).sorted()
        let layers = aggregate(tensors, onlyInVictim: onlyInVictim)

        var tokens: [TokenDrift] = []
        if let rows = scan.rows, options.topTokens > 0 {
            let moved = rows.indices.filter { rows[$0] > 0 }
            let top = moved.sorted { rows[$0] != rows[$1] ? rows[$0] > rows[$1] : $0 < $1 }.prefix(options.topTokens)
            tokens = top.map { TokenDrift(token: $0 < vocabulary.count ? vocabulary[$0] : "[\($0)]", id: $0, drift: Double(rows[$0])) }
        }
        return DriftReport(tensors: tensors, layers: layers, onlyInPre: preNames.subtracting(victimNames).sorted(),
                           onlyInVictim: onlyInVictim, tokens: tokens, changedThreshold: options.changedThreshold)
    }

    static func aggregate(_ tensors: [TensorDrift], onlyInVictim: [String]) -> [LayerDrift] {
        var sums: [String: (delta2: Double, pre2: Double)] = [:]
        for t in tensors {
            let g = LayerGroups.group(of: t.name)
            let s = sums[g] ?? (0, 0)
            sums[g] = (s.delta2 + t.deltaNorm * t.deltaNorm, s.pre2 + t.preNorm * t.preNorm)
        }
        var layers = sums.map { g, s -> LayerDrift in
            let pre = s.pre2.squareRoot(), delta = s.delta2.squareRoot()
            return pre > zeroNormLimit ? LayerDrift(name: g, relL2: delta / pre)
                                       : LayerDrift(name: g, relL2: delta, zeroNorm: true)
        }
        for g in Set(onlyInVictim.map(LayerGroups.group(of:))) where sums[g] == nil {
            layers.append(LayerDrift(name: g, relL2: nil, isNew: true))
        }
        return layers.sorted { LayerGroups.sortKey($0.name) < LayerGroups.sortKey($1.name) }
    }
}

/// δ_i = ‖E_victim[i] − E_pre[i]‖₂ for every vocabulary row of the word embeddings (E-PUR's input).
public func embeddingRowDrift(pre: any TensorSource, victim: any TensorSource) throws -> [Float] {
    let name = Drift.wordEmbeddings
    guard let shape = pre.shape(of: name), shape.count == 2 else {
        throw FinemixError("tensor \(name) is missing from the pre-trained model or is not a matrix")
    }
    guard victim.shape(of: name) == shape else {
        throw FinemixError("tensor \(name) has shape \(shape) in the pre-trained model but \(victim.shape(of: name).map { "\($0)" } ?? "is missing") in the victim")
    }
    return try Drift.Scan.run(pre: pre, victim: victim, names: [name], rowsOf: name, threshold: 0).rows!
}

extension Drift {
    /// Sums for one tensor (or one piece of it).
    struct Stats {
        var pre2 = 0.0, victim2 = 0.0, dot = 0.0, delta2 = 0.0
        var maxAbs: Float = 0
        var changed = 0
        var count = 0

        mutating func add(_ o: Stats) {
            pre2 += o.pre2; victim2 += o.victim2; dot += o.dot; delta2 += o.delta2
            maxAbs = max(maxAbs, o.maxAbs); changed += o.changed; count += o.count
        }

        func drift(name: String, shape: [Int]) -> TensorDrift {
            let preNorm = pre2.squareRoot(), victimNorm = victim2.squareRoot(), deltaNorm = delta2.squareRoot()
            let zero = preNorm <= Drift.zeroNormLimit
            let cosine: Double
            if preNorm == 0 && victimNorm == 0 { cosine = 1 }
            else if preNorm == 0 || victimNorm == 0 { cosine = 0 }
            else { cosine = min(1, max(-1, dot / (preNorm * victimNorm))) }
            return TensorDrift(name: name, shape: shape, relL2: zero ? deltaNorm : deltaNorm / preNorm,
                               cosine: cosine, maxAbs: Double(maxAbs),
                               changedFrac: count == 0 ? 0 : Double(changed) / Double(count),
                               zeroNorm: zero, deltaNorm: deltaNorm, preNorm: preNorm)
        }
    }

    /// The two sources and the output buffers, shared read-only (sources) or by disjoint index
    /// (outputs) between the workers of `concurrentPerform`.
    struct Shared: @unchecked Sendable {
        let pre: any TensorSource
        let victim: any TensorSource
        let stats: UnsafeMutableBufferPointer<Stats>
        let rows: UnsafeMutableBufferPointer<Float>
        let failure: ErrorBox
    }

    final class ErrorBox: @unchecked Sendable {
        private let lock = NSLock()
        private var first: Error?
        func record(_ e: Error) { lock.lock(); if first == nil { first = e }; lock.unlock() }
        var error: Error? { lock.lock(); defer { lock.unlock() }; return first }
    }

    struct Piece { let tensor: Int; let range: Range<Int>; let width: Int }

    enum Scan {
        struct Result { let stats: [Stats]; let rows: [Float]? }

        static func run(pre: any TensorSource, victim: any TensorSource, names: [String], rowsOf: String?,
                        threshold: Float) throws -> Result {
            let pieces = cut(pre: pre, victim: victim, names: names)
            var rowCount = 0
            if let rowsOf, let shape = pre.shape(of: rowsOf) { rowCount = shape.reduce(1, *) / max(1, shape.last ?? 1) }

            var pieceStats = [Stats](repeating: Stats(), count: pieces.count)
            var rows = [Float](repeating: 0, count: rowCount)
            let rowTensor = rowsOf.flatMap { names.firstIndex(of: $0) }
            let failure = ErrorBox()
            try pieceStats.withUnsafeMutableBufferPointer { statsOut in
                try rows.withUnsafeMutableBufferPointer { rowsOut in
                    let shared = Shared(pre: pre, victim: victim, stats: statsOut, rows: rowsOut, failure: failure)
                    let work = pieces
                    let namesCopy = names
                    DispatchQueue.concurrentPerform(iterations: work.count) { i in
                        let piece = work[i]
                        do {
                            shared.stats[i] = try scanPiece(shared, namesCopy[piece.tensor], piece, threshold: threshold,
                                                            rows: piece.tensor == rowTensor ? shared.rows : nil)
                        } catch {
                            shared.failure.record(error)
                        }
                    }
                    if let e = failure.error { throw e }
                }
            }
            var stats = [Stats](repeating: Stats(), count: names.count)
            for (p, s) in zip(pieces, pieceStats) { stats[p.tensor].add(s) }
            return Result(stats: stats, rows: rowTensor == nil ? nil : rows)
        }

        /// Row-aligned pieces of every tensor, largest first so the last ones to finish are small.
        static func cut(pre: any TensorSource, victim: any TensorSource, names: [String]) -> [Piece] {
            // A source without ranged access would re-read a whole tensor per piece: one piece each then.
            let ranged = pre is any RangedTensorSource && victim is any RangedTensorSource
            var pieces: [Piece] = []
            for (t, name) in names.enumerated() {
                let shape = pre.shape(of: name)!
                let count = shape.reduce(1, *)
                let width = max(1, shape.last ?? 1)
                let step = ranged ? max(1, pieceValues / width) * width : max(count, 1)
                var first = 0
                repeat {
                    let r = first..<min(count, first + step)
                    pieces.append(Piece(tensor: t, range: r, width: width))
                    first = r.upperBound
                } while first < count
            }
            pieces.sort { $0.range.count > $1.range.count }
            return pieces
        }

        /// Second pass: counts of Δ in `bins` equal bins over [-limits[t], limits[t]] per tensor
        /// (all in the middle bin when the tensor did not move).
        static func histograms(pre: any TensorSource, victim: any TensorSource, names: [String],
                               limits: [Float], bins: Int) throws -> [[Int]] {
            let pieces = cut(pre: pre, victim: victim, names: names)
            var pieceCounts = [Int](repeating: 0, count: pieces.count * bins)
            let failure = ErrorBox()
            try pieceCounts.withUnsafeMutableBufferPointer { countsOut in
                let out = SendableCounts(base: countsOut)
                let shared = Shared(pre: pre, victim: victim, stats: .init(start: nil, count: 0),
                                    rows: .init(start: nil, count: 0), failure: failure)
                let work = pieces, namesCopy = names
                DispatchQueue.concurrentPerform(iterations: work.count) { i in
                    let piece = work[i]
                    let limit = limits[piece.tensor]
                    // Δ = ±limit maps to the edge bins; the clamp keeps +limit in the last one.
                    let scale = limit > 0 ? Float(bins) / (2 * limit) : 0
                    let counts = out.base.baseAddress! + i * bins
                    let n = piece.range.count
                    let scratchA = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(n, 1))
                    let scratchB = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(n, 1))
                    defer { scratchA.deallocate(); scratchB.deallocate() }
                    do {
                        try shared.pre.floats(namesCopy[piece.tensor], in: piece.range, scratch: scratchA) { p in
                            try shared.victim.floats(namesCopy[piece.tensor], in: piece.range, scratch: scratchB) { v in
                                guard limit > 0 else { counts[bins / 2] += n; return }
                                let top = Float(bins - 1)
                                for k in 0..<n {
                                    let x = ((v[k] - p[k]) + limit) * scale
                                    if x.isNaN { continue }  // non-finite weights are reported elsewhere, never binned
                                    counts[Int(min(top, max(0, x)))] += 1
                                }
                            }
                        }
                    } catch {
                        shared.failure.record(error)
                    }
                }
                if let e = failure.error { throw e }
            }
            var result = [[Int]](repeating: [Int](repeating: 0, count: bins), count: names.count)
            for (i, p) in pieces.enumerated() {
                for b in 0..<bins { result[p.tensor][b] += pieceCounts[i * bins + b] }
            }
            return result
        }

        struct SendableCounts: @unchecked Sendable { let base: UnsafeMutableBufferPointer<Int> }

        static func scanPiece(_ shared: Shared, _ name: String, _ piece: Piece, threshold: Float,
                              rows: UnsafeMutableBufferPointer<Float>?) throws -> Stats {
            let n = piece.range.count
            let scratchA = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(n, 1))
            let scratchB = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(n, 1))
            defer { scratchA.deallocate(); scratchB.deallocate() }
            return try shared.pre.floats(name, in: piece.range, scratch: scratchA) { p in
                try shared.victim.floats(name, in: piece.range, scratch: scratchB) { v in
                    var s = Stats()
                    s.count = n
                    let w = piece.width
                    let firstRow = piece.range.lowerBound / w
                    var r = 0
                    while r * w < n {
                        let rowEnd = min(n, r * w + w)
                        var rowDelta2 = 0.0
                        var lo = r * w
                        // Float over blocks of ≤ 512 values (a few ulps), Double across blocks.
                        while lo < rowEnd {
                            let hi = min(rowEnd, lo + 512)
                            var pp: Float = 0, vv: Float = 0, pv: Float = 0, dd: Float = 0
                            var mx: Float = 0
                            var changed = 0
                            for k in lo..<hi {
                                let a = p[k], b = v[k]
                                let d = b - a
                                pp += a * a; vv += b * b; pv += a * b; dd += d * d
                                let ad = abs(d)
                                mx = max(mx, ad)
                                changed &+= ad > threshold ? 1 : 0
                            }
                            s.pre2 += Double(pp); s.victim2 += Double(vv); s.dot += Double(pv); s.delta2 += Double(dd)
                            rowDelta2 += Double(dd)
                            s.maxAbs = max(s.maxAbs, mx)
                            s.changed += changed
                            lo = hi
                        }
                        if let rows { rows[firstRow + r] = Float(rowDelta2.squareRoot()) }
                        r += 1
                    }
                    return s
                }
            }
        }
    }
}

extension Drift {
    /// The token of each id, to name embedding rows: vocab.txt as a plain line split (token =
    /// line, id = line number, 0-based); tokenizer.json and vocab.json through the tokenizer.
    public static func vocabularyLines(_ url: URL) throws -> [String] {
        if [TokenizerFiles.json, TokenizerFiles.bpeVocab].contains(url.lastPathComponent) {
            return try Tokenizer(vocabURL: url).tokens
        }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FinemixError("\(url.path): cannot read the vocabulary")
        }
        // bytes, not Characters: Swift would keep "\r\n" together as one Character
        var lines = data.split(separator: 0x0A, omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == 0x0D ? line.dropLast() : line, as: UTF8.self)
        }
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}
