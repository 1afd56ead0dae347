/// Greedy longest-match-first WordPiece, as HuggingFace's `WordpieceTokenizer`: the first piece is
/// the longest vocabulary prefix of the word, every later piece the longest "##"-prefixed match of
/// the rest. A word with no full cover, or longer than `maxInputChars` scalars, becomes one [UNK].
public enum WordPiece {
    public static let maxInputChars = 100

    /// Appends the ids of `word` (normalized scalars) to `ids`. `utf8` and `bounds` are scratch
    /// buffers reused across calls so the hot loop allocates nothing.
    @inline(__always)
    static func encode(_ word: UnsafeBufferPointer<Unicode.Scalar>, vocab: Vocabulary,
                       into ids: inout [Int32], utf8: inout [UInt8], bounds: inout [Int]) {
        let n = word.count
        if n > maxInputChars { ids.append(vocab.unk); return }
        utf8.removeAll(keepingCapacity: true)
        bounds.removeAll(keepingCapacity: true)
        bounds.append(0)
        for c in word {
            if c.value < 0x80 { utf8.append(UInt8(c.value)) } else { utf8.append(contentsOf: UTF8.encode(c)!) }
            bounds.append(utf8.count)
        }
        let mark = ids.count
        let found = utf8.withUnsafeBufferPointer { bytes -> Bool in
            var start = 0
            while start < n {
                var end = n
                var match: Int32? = nil
                while start < end {
                    let piece = UnsafeBufferPointer(rebasing: bytes[bounds[start]..<bounds[end]])
                    if let id = vocab.id(utf8: piece, continuation: start > 0) { match = id; break }
                    end -= 1
                }
                guard let id = match else { return false }
                ids.append(id)
                start = end
            }
            return true
        }
        if !found {
            ids.removeSubrange(mark...)
            ids.append(vocab.unk)
        }
    }
}
