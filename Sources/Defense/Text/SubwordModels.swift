import Foundation

/// Token strings are keyed by their UTF-8 bytes: Swift's String equality is canonical
/// equivalence ("é" equals "e" + U+0301), the Rust library's is byte equality.
typealias TokenKey = [UInt8]

/// The subword models of `tokenizers`: each turns one pre-tokenized piece into ids.
enum SubwordModel: Sendable {
    case wordPiece(WordPieceModel)
    case bpe(BPEModel)
    case unigram(UnigramModel)

    func encode(_ piece: String, into ids: inout [Int32]) {
        switch self {
        case .wordPiece(let m): m.encode(piece, into: &ids)
        case .bpe(let m): m.encode(piece, into: &ids)
        case .unigram(let m): m.encode(piece, into: &ids)
        }
    }
}

/// Greedy longest-match-first WordPiece with any continuing prefix and unknown token.
struct WordPieceModel: Sendable {
    let vocab: [TokenKey: Int32]
    let unk: Int32
    let prefix: TokenKey
    let maxChars: Int

    func encode(_ piece: String, into ids: inout [Int32]) {
        let scalars = Array(piece.unicodeScalars)
        if scalars.count > maxChars { ids.append(unk); return }
        var out: [Int32] = []
        var start = 0
        while start < scalars.count {
            var end = scalars.count
            var found: Int32? = nil
            while start < end {
                var key = start > 0 ? prefix : []
                for c in scalars[start..<end] { key += Array(String(c).utf8) }
                if let id = vocab[key] { found = id; break }
                end -= 1
            }
            guard let id = found else { ids.append(unk); return }
            out.append(id)
            start = end
        }
        ids += out
    }
}

/// BPE: the piece's characters (with the continuing prefix on all but the first and the word
/// suffix on the last) merged pair by pair, the lowest-ranked pair first and the leftmost on a tie.
struct BPEModel: Sendable {
    struct Pair: Hashable, Sendable { let a: Int32, b: Int32 }
    let vocab: [TokenKey: Int32]
    let merges: [Pair: (rank: Int32, id: Int32)]
    let unk: Int32?
    let prefix: TokenKey
    let suffix: TokenKey
    let fuseUnk: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool

    func encode(_ piece: String, into ids: inout [Int32]) {
        if ignoreMerges, let id = vocab[Array(piece.utf8)] { ids.append(id); return }
        let scalars = Array(piece.unicodeScalars)
        var word: [Int32] = []
        var lastWasUnk = false
        for (i, c) in scalars.enumerated() {
            var key = Array(String(c).utf8)
            if i > 0 { key = prefix + key }
            if i == scalars.count - 1 { key += suffix }
            if let id = vocab[key] { word.append(id); lastWasUnk = false; continue }
            if byteFallback {
                // Rust falls back on the bytes of the piece as looked up, prefix and suffix included.
                let bytes = key.compactMap { vocab[Self.byteToken($0)] }
                if bytes.count == key.count { word += bytes; continue }
            }
            if let unk {
                if !(fuseUnk && lastWasUnk) { word.append(unk) }
                lastWasUnk = true
            }
        }
        while word.count > 1 {
            var best: (rank: Int32, at: Int, id: Int32)? = nil
            for k in 0..<(word.count - 1) {
                if let m = merges[Pair(a: word[k], b: word[k + 1])], best == nil || m.rank < best!.rank {
                    best = (m.rank, k, m.id)
                }
            }
            guard let merge = best else { break }
            word[merge.at] = merge.id
            word.remove(at: merge.at + 1)
        }
        ids += word
    }

    /// The byte-fallback token of a byte: "<0x0A>".
    static func byteToken(_ b: UInt8) -> TokenKey {
        let hex = Array("0123456789ABCDEF".utf8)
        return Array("<0x".utf8) + [hex[Int(b >> 4)], hex[Int(b & 15)], UInt8(ascii: ">")]
    }
}

/// Unigram: the segmentation of highest total score (Viterbi over the pieces' log probabilities),
/// an unknown character scoring the lowest piece score minus 10, consecutive unknowns fused.
struct UnigramModel: Sendable {
    let vocab: [TokenKey: Int32]
    let scores: [Double]
    let unk: Int32?
    let byteFallback: Bool
    let maxPieceScalars: Int
    let unkScore: Double

    func encode(_ piece: String, into ids: inout [Int32]) {
        let s = Array(piece.unicodeScalars)
        let n = s.count
        if n == 0 { return }
        let bytes = s.map { Array(String($0).utf8) }
        // best[i]: the best path over s[0..<i]: its score, where its last token starts, the token id
        var score = [Double](repeating: 0, count: n + 1)
        var from = [Int](repeating: -1, count: n + 1)
        var tokenId = [Int32](repeating: -1, count: n + 1)
        from[0] = 0
        for i in 0..<n where from[i] >= 0 || i == 0 {
            var key: TokenKey = []
            var hasSingle = false
            for j in (i + 1)...min(n, i + maxPieceScalars) {
                key += bytes[j - 1]
                guard let id = vocab[key] else { continue }
                let candidate = score[i] + scores[Int(id)]
                if from[j] < 0 || candidate > score[j] {
                    score[j] = candidate; from[j] = i; tokenId[j] = id
                }
                if j == i + 1 { hasSingle = true }
            }
            if !hasSingle {
                let candidate = score[i] + unkScore
                if from[i + 1] < 0 || candidate > score[i + 1] {
                    score[i + 1] = candidate; from[i + 1] = i; tokenId[i + 1] = unk ?? -1
                }
            }
        }
        // back from the end; unknown stretches fuse into one string
        var pieces: [(TokenKey, Bool)] = []
        var end = n
        var unkRun: [TokenKey] = []
        while end > 0 {
            let start = from[end]
            let text = Array(bytes[start..<end].joined())
            if let unk, tokenId[end] == unk {
                unkRun.append(text)
            } else {
                if !unkRun.isEmpty { pieces.append((Array(unkRun.reversed().joined()), true)); unkRun = [] }
                pieces.append((text, false))
            }
            end = start
        }
        if !unkRun.isEmpty { pieces.append((Array(unkRun.reversed().joined()), true)) }
        for (text, _) in pieces.reversed() {
            if let id = vocab[text] { ids.append(id); continue }
            if byteFallback {
                let b = text.compactMap { vocab[BPEModel.byteToken($0)] }
                if b.count == text.count { ids += b; continue }
            }
            if let unk { ids.append(unk) }
        }
    }
}
