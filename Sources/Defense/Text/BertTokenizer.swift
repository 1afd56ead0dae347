import Foundation

/// Token ids for the model: `[CLS] a [SEP]` or `[CLS] a [SEP] b [SEP]`, with token type ids
/// 0 for the first segment (and its [CLS]/[SEP]) and 1 for the second. Int32 because batches are.
public struct Encoding: Equatable, Sendable {
    public var ids: [Int32]
    public var typeIds: [Int32]
    public init(ids: [Int32], typeIds: [Int32]) { self.ids = ids; self.typeIds = typeIds }
}

/// HuggingFace's uncased BERT tokenizer (`BertTokenizerFast`, `do_lower_case=True`): special
/// tokens matched verbatim in the raw text, then BasicTokenizer, then WordPiece. The tuned engine
/// behind `Tokenizer` for vocab.txt and for a tokenizer.json that is exactly this.
/// A value type with immutable state: safe to share across threads.
public struct BertTokenizer: Sendable {
    public let vocab: Vocabulary
    /// The special tokens HF matches in raw text before normalizing (its "added tokens").
    private let specials: [(bytes: [UInt8], id: Int32)]

    public init(vocab: Vocabulary) {
        self.vocab = vocab
        specials = [("[PAD]", vocab.pad), ("[UNK]", vocab.unk), ("[CLS]", vocab.cls),
                    ("[SEP]", vocab.sep), ("[MASK]", vocab.mask)].map { (Array($0.0.utf8), $0.1) }
    }

    /// The WordPiece ids of `text`, without [CLS]/[SEP].
    public func ids(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        var scratch = Scratch()
        append(text, to: &ids, scratch: &scratch)
        return ids
    }

    /// The WordPiece tokens of `text` (e.g. "play", "##ing"), for display.
    public func tokenize(_ text: String) -> [String] {
        ids(text).map { vocab.tokens[Int($0)] }
    }

    /// `[CLS] text [SEP]`, cut to `maxLength` tokens (specials included) when given.
    public func encode(_ text: String, maxLength: Int? = nil) -> Encoding {
        var a = ids(text)
        if let maxLength { a = Array(a.prefix(max(0, maxLength - 2))) }
        let out = [vocab.cls] + a + [vocab.sep]
        return Encoding(ids: out, typeIds: [Int32](repeating: 0, count: out.count))
    }

    /// `[CLS] a [SEP] b [SEP]`, truncated longest-first to `maxLength` when given.
    public func encode(_ a: String, _ b: String, maxLength: Int? = nil) -> Encoding {
        var x = ids(a), y = ids(b)
        if let maxLength {
            let (nx, ny) = BertTokenizer.longestFirst(x.count, y.count, budget: max(0, maxLength - 3))
            x.removeSubrange(nx...)
            y.removeSubrange(ny...)
        }
        var ids = [vocab.cls]
        ids.reserveCapacity(x.count + y.count + 3)
        ids += x; ids.append(vocab.sep); ids += y; ids.append(vocab.sep)
        var types = [Int32](repeating: 0, count: x.count + 2)
        types += [Int32](repeating: 1, count: y.count + 1)
        return Encoding(ids: ids, typeIds: types)
    }

    /// The lengths the two sequences keep under `tokenizers`' LongestFirst strategy: the shorter
    /// keeps everything if the longer can take the rest; otherwise both get half the budget, the odd
    /// token going to the longer one (to the second on a tie).
    public static func longestFirst(_ n1: Int, _ n2: Int, budget: Int) -> (Int, Int) {
        if n1 + n2 <= budget { return (n1, n2) }
        let swap = n1 > n2
        var short = swap ? n2 : n1
        var long = swap ? n1 : n2
        long = short > budget ? short : max(short, budget - short)
        if short + long > budget {
            short = budget / 2
            long = short + budget % 2
        }
        let (k1, k2) = swap ? (long, short) : (short, long)
        return (min(k1, n1), min(k2, n2))
    }

    // MARK: internals

    struct Scratch {
        var scalars: [Unicode.Scalar] = []
        var utf8: [UInt8] = []
        var bounds: [Int] = []
    }

    /// Splits raw text at verbatim special tokens and tokenizes the pieces between them.
    func append(_ text: String, to ids: inout [Int32], scratch: inout Scratch) {
        var text = text
        text.withUTF8 { raw in
            var segmentStart = 0
            var i = 0
            while i < raw.count {
                if raw[i] == 0x5B, let (length, id) = special(at: i, in: raw) {   // "["
                    words(UnsafeBufferPointer(rebasing: raw[segmentStart..<i]), into: &ids, scratch: &scratch)
                    ids.append(id)
                    i += length
                    segmentStart = i
                } else {
                    i += 1
                }
            }
            words(UnsafeBufferPointer(rebasing: raw[segmentStart..<raw.count]), into: &ids, scratch: &scratch)
        }
    }

    private func special(at i: Int, in raw: UnsafeBufferPointer<UInt8>) -> (Int, Int32)? {
        for s in specials where i + s.bytes.count <= raw.count {
            var same = true
            for k in 0..<s.bytes.count where raw[i + k] != s.bytes[k] { same = false; break }
            if same { return (s.bytes.count, s.id) }
        }
        return nil
    }

    private func words(_ utf8: UnsafeBufferPointer<UInt8>, into ids: inout [Int32], scratch: inout Scratch) {
        if utf8.isEmpty { return }
        scratch.scalars.removeAll(keepingCapacity: true)
        // The caller's bytes come from a String, so they are valid UTF-8.
        var decoder = UTF8()
        var it = utf8.makeIterator()
        var scalars = scratch.scalars
        scratch.scalars = []
        var raw: [Unicode.Scalar] = []
        raw.reserveCapacity(utf8.count)
        loop: while true {
            switch decoder.decode(&it) {
            case .scalarValue(let c): raw.append(c)
            case .emptyInput: break loop
            case .error: raw.append("\u{FFFD}")
            }
        }
        BasicTokenizer.normalize(raw, into: &scalars)
        let vocab = self.vocab
        scalars.withUnsafeBufferPointer { buf in
            BasicTokenizer.forEachWord(buf) { r in
                WordPiece.encode(UnsafeBufferPointer(rebasing: buf[r]), vocab: vocab,
                                 into: &ids, utf8: &scratch.utf8, bounds: &scratch.bounds)
            }
        }
        scratch.scalars = scalars
    }
}
