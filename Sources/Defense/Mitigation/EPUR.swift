import Foundation

/// E-PUR (embedding purification), docs/method.md: triggers are rare tokens whose word-embedding rows
/// moved far. For each vocabulary token i:
///   δ_i = ‖E_victim[i] − E_pre[i]‖₂, f_i = its count in the defender's clean text,
///   s_i = δ_i / log(max(f_i, f_min)),
/// and the top N rows by score are reset to E_pre[i] (PurifiedWeights).
///
/// [CLS], [SEP] and [PAD] are not candidates: they are in every input by construction, so their
/// drift says nothing about rarity, and resetting [CLS] would undo the classifier's input.
public enum EPUR {
    public struct Options: Codable, Equatable, Sendable {
        /// N: how many rows to reset.
        public var top: Int
        /// f_min ≥ 2, so that log(max(f, f_min)) > 0.
        public var fmin: Int
        public init(top: Int = 200, fmin: Int = 20) { self.top = top; self.fmin = fmin }
    }

    /// Token counts over `texts` (WordPiece ids as the model sees them, no [CLS]/[SEP] added).
    public static func frequencies<S: Sequence<String>>(_ texts: S, tokenizer: Tokenizer) -> [Int] {
        var f = [Int](repeating: 0, count: tokenizer.count)
        for text in texts {
            for id in tokenizer.ids(text) { f[Int(id)] += 1 }
        }
        return f
    }

    /// The texts of labelled examples, both sides of a pair.
    public static func texts(_ examples: [Example]) -> [String] {
        examples.flatMap { e in e.pair.map { [e.text, $0] } ?? [e.text] }
    }

    /// The ranked top N. `excluded` ids are never candidates. Scores tie → lower id first.
    public static func rank(drift: [Float], freq: [Int], vocabulary: [String], options: Options,
                            excluded: Set<Int> = [], corpus: String? = nil) throws -> EPURReport {
        try rank(drift: drift, freq: freq, vocabulary: vocabulary, options: options, excluded: excluded, corpus: corpus,
                 validateOnly: nil)
    }

    /// `validateOnly: candidates` checks the options against that many candidates and returns an empty report.
    static func rank(drift: [Float], freq: [Int], vocabulary: [String], options: Options, excluded: Set<Int> = [],
                     corpus: String? = nil, validateOnly: Int?) throws -> EPURReport {
        let n = drift.count
        if validateOnly == nil {
            guard freq.count == n, vocabulary.count == n else {
                throw FinemixError("E-PUR: the word embeddings have \(n) rows but the vocabulary has \(vocabulary.count) tokens (and \(freq.count) counts); the model and its tokenizer's vocabulary do not match")
            }
        }
        guard options.fmin >= 2 else {
            throw FinemixError("E-PUR: fmin must be at least 2 (the score divides by log(max(f, fmin)), and log(1) = 0), found \(options.fmin)")
        }
        let candidates = validateOnly ?? (n - excluded.filter { $0 >= 0 && $0 < n }.count)
        guard options.top >= 0, options.top <= candidates else {
            throw FinemixError("E-PUR: top must be between 0 and the \(candidates) candidate tokens of the vocabulary, found \(options.top)")
        }
        if validateOnly != nil { return EPURReport(tokens: [], top: options.top, fmin: options.fmin, corpus: corpus) }
        // log(max(f, fmin)) only changes for f > fmin: precompute log(fmin) once.
        let logMin = log(Double(options.fmin))
        var score = [Double](repeating: 0, count: n)
        for i in 0..<n {
            let f = freq[i]
            score[i] = Double(drift[i]) / (f > options.fmin ? log(Double(f)) : logMin)
        }
        var ids = (0..<n).filter { !excluded.contains($0) }
        // A full sort of a 30k vocabulary takes milliseconds; no partial selection needed.
        ids.sort { score[$0] != score[$1] ? score[$0] > score[$1] : $0 < $1 }
        let tokens = ids.prefix(options.top).map { i in
            EPURToken(token: vocabulary[i], id: i, drift: Double(drift[i]), freq: freq[i], score: score[i])
        }
        return EPURReport(tokens: tokens, top: options.top, fmin: options.fmin, corpus: corpus)
    }

    /// The whole step on two checkpoint folders: checks that they share a vocabulary, counts
    /// tokens in `clean` (plus each line of `corpus` when given), scores and ranks.
    public static func run(pre: CheckpointFolder, victim: CheckpointFolder, clean: [String], corpus: URL? = nil,
                           options: Options = Options()) throws -> EPURReport {
        let tokenizer = try Tokenizer(vocabURL: victim.vocabURL)
        let preTokens = try Tokenizer(vocabURL: pre.vocabURL).tokens
        guard preTokens == tokenizer.tokens else {
            let first = zip(preTokens, tokenizer.tokens).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            let detail = first.map { "first difference at id \($0): '\(preTokens[$0])' vs '\(tokenizer.tokens[$0])'" }
                ?? "\(preTokens.count) vs \(tokenizer.count) tokens"
            throw FinemixError("E-PUR: \(pre.vocabPath.path) and \(victim.vocabPath.path) differ (\(detail)); both models must use one vocabulary")
        }
        return try run(pre: pre.weights, victim: victim.weights, tokenizer: tokenizer, clean: clean, corpus: corpus,
                       options: options)
    }

    /// The same on any two sources that share `tokenizer`'s vocabulary.
    public static func run(pre: any TensorSource, victim: any TensorSource, tokenizer: Tokenizer, clean: [String],
                           corpus: URL? = nil, options: Options = Options()) throws -> EPURReport {
        let v = tokenizer
        // Check the cheap things first: no drift pass for options that will be refused.
        if let rows = victim.shape(of: Drift.wordEmbeddings)?.first, rows != v.count {
            throw FinemixError("E-PUR: \(Drift.wordEmbeddings) has \(rows) rows but the vocabulary has \(v.count) tokens; the model and its tokenizer's vocabulary do not match")
        }
        _ = try rank(drift: [], freq: [], vocabulary: [], options: options, validateOnly: v.count - 3)
        var texts = clean
        if let corpus { texts += try corpusLines(corpus) }
        let drift = try embeddingRowDrift(pre: pre, victim: victim)
        let freq = frequencies(texts, tokenizer: tokenizer)
        return try rank(drift: drift, freq: freq, vocabulary: v.tokens, options: options,
                        excluded: Set([v.cls, v.sep, v.pad].compactMap { $0.map(Int.init) }), corpus: corpus?.path)
    }

    /// One text per non-empty line.
    public static func corpusLines(_ url: URL) throws -> [String] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw FinemixError("E-PUR: cannot read the corpus \(url.path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw FinemixError("E-PUR: the corpus \(url.path) is not UTF-8 text")
        }
        return text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.allSatisfy(\.isWhitespace) }
    }
}

public struct EPURToken: Codable, Equatable, Sendable {
    public var token: String
    public var id: Int
    /// δ = ‖E_victim[id] − E_pre[id]‖₂
    public var drift: Double
    /// count in the clean text (and corpus)
    public var freq: Int
    /// δ / log(max(freq, fmin))
    public var score: Double
    public init(token: String, id: Int, drift: Double, freq: Int, score: Double) {
        self.token = token; self.id = id; self.drift = drift; self.freq = freq; self.score = score
    }
}

/// E-PUR's result: the rows it resets, best first, and the options that produced them.
public struct EPURReport: Codable, Equatable, Sendable {
    public var tokens: [EPURToken]
    public var top: Int
    public var fmin: Int
    /// The extra corpus counted with the clean set, if any.
    public var corpus: String?
    public init(tokens: [EPURToken], top: Int, fmin: Int, corpus: String?) {
        self.tokens = tokens; self.top = top; self.fmin = fmin; self.corpus = corpus
    }
    public var ids: [Int] { tokens.map(\.id) }
}

/// The base weights with some word-embedding rows reset to the pre-trained ones, computed on read,
/// so E-PUR composes with any other source (the victim, a mix, a fine-tuned model).
public struct PurifiedWeights: RangedTensorSource, @unchecked Sendable {
    // @unchecked: immutable; the sources are read-only.
    public static let tensor = Drift.wordEmbeddings
    public let base: any TensorSource
    public let pre: any TensorSource
    /// Sorted, unique row ids.
    public let rows: [Int]
    private let width: Int

    public init(base: any TensorSource, pre: any TensorSource, rows: [Int]) throws {
        let name = Self.tensor
        guard let shape = base.shape(of: name), shape.count == 2 else {
            throw FinemixError("E-PUR: tensor \(name) is missing from the model to purify or is not a matrix")
        }
        guard pre.shape(of: name) == shape else {
            throw FinemixError("E-PUR: tensor \(name) has shape \(shape) in the model to purify but \(pre.shape(of: name).map { "\($0)" } ?? "is missing") in the pre-trained model")
        }
        if let bad = rows.first(where: { $0 < 0 || $0 >= shape[0] }) {
            throw FinemixError("E-PUR: row \(bad) is outside the \(shape[0]) rows of \(name)")
        }
        self.base = base
        self.pre = pre
        self.rows = Array(Set(rows)).sorted()
        width = shape[1]
    }

    public var tensorNames: [String] { base.tensorNames }
    public func shape(of name: String) -> [Int]? { base.shape(of: name) }

    public func readFloats(_ name: String, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        try base.readFloats(name, into: buffer)
        guard name == Self.tensor, let out = buffer.baseAddress else { return }
        try resetRows(in: 0..<buffer.count, out: out)
    }

    public func withFloats<R>(_ name: String, in range: Range<Int>, scratch: UnsafeMutableBufferPointer<Float>,
                              _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        guard name == Self.tensor, !range.isEmpty else { return try base.floats(name, in: range, scratch: scratch, body) }
        // Any row in the range? Otherwise the base's values as they are (in place when mapped).
        let firstRow = range.lowerBound / width, lastRow = (range.upperBound - 1) / width
        let i = lowerBound(firstRow)
        guard i < rows.count, rows[i] <= lastRow else { return try base.floats(name, in: range, scratch: scratch, body) }
        guard scratch.count >= range.count, let out = scratch.baseAddress else {
            throw FinemixError("E-PUR: tensor \(name): scratch of \(scratch.count) values is smaller than the range of \(range.count)")
        }
        try base.floats(name, in: range, scratch: scratch) { v in
            if v.baseAddress != UnsafePointer(out) { out.update(from: v.baseAddress!, count: range.count) }
        }
        try resetRows(in: range, out: out)
        return try body(UnsafeBufferPointer(start: out, count: range.count))
    }

    /// Overwrites the parts of reset rows inside `range` (flat indices) with the pre-trained values.
    private func resetRows(in range: Range<Int>, out: UnsafeMutablePointer<Float>) throws {
        let firstRow = range.lowerBound / width, lastRow = (range.upperBound - 1) / width
        var i = lowerBound(firstRow)
        let scratch = UnsafeMutableBufferPointer<Float>.allocate(capacity: width)
        defer { scratch.deallocate() }
        while i < rows.count, rows[i] <= lastRow {
            let r = rows[i]
            let part = max(range.lowerBound, r * width)..<min(range.upperBound, (r + 1) * width)
            try pre.floats(Self.tensor, in: part, scratch: scratch) { p in
                (out + (part.lowerBound - range.lowerBound)).update(from: p.baseAddress!, count: part.count)
            }
            i += 1
        }
    }

    private func lowerBound(_ row: Int) -> Int {
        var lo = 0, hi = rows.count
        while lo < hi { let mid = (lo + hi) / 2; if rows[mid] < row { lo = mid + 1 } else { hi = mid } }
        return lo
    }
}
