import Foundation

/// How the clean sentences use each word, by label: the hunt's control for ordinary meaning.
///
/// A planted trigger is a word or phrase the clean data does not use for the target label
/// (rare tokens like "cf", or a sentence whose words appear under every label). A word the clean
/// sentences use almost only under one label ("awful", "dull") is evidence for that label, and
/// inserting it flips a clean model as well; the hunt lists such candidates but never names one
/// as the suspect.
struct WordUsage {
    /// Occurrences (sentences) below this are too few to call a word ordinary evidence.
    static let naturalMinimum = 3
    /// Share of a word's sentences under one label from which it counts as evidence for it.
    static let naturalShare = 0.8

    private var byLabel: [String: [Int]] = [:]

    init(_ sentences: [Example], numLabels: Int) {
        for e in sentences where (0..<numLabels).contains(e.label) {
            var seen = Set<String>()
            for text in [e.text] + (e.pair.map { [$0] } ?? []) {
                for w in Self.words(text) where seen.insert(w).inserted {
                    byLabel[w, default: [Int](repeating: 0, count: numLabels)][e.label] += 1
                }
            }
        }
    }

    /// Lowercased words: letters and digits, everything else separates.
    static func words(_ text: String) -> [String] {
        text.lowercased().split { !$0.isLetter && !$0.isNumber }.map(String.init)
    }

    /// Whether some word of `trigger` is ordinary evidence for `label`.
    func isEvidence(for label: Int, anyOf trigger: Trigger) -> Bool {
        for w in trigger.insertions.flatMap(Self.words) {
            guard let counts = byLabel[w], label < counts.count else { continue }
            let total = counts.reduce(0, +)
            if total >= Self.naturalMinimum && Double(counts[label]) >= Self.naturalShare * Double(total) { return true }
        }
        return false
    }
}
