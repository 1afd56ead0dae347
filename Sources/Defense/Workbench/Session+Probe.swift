import Foundation

/// One sentence through every variant: what each predicts, and which of its tokens E-PUR resets.
public struct ProbeResult: Sendable, Equatable, Codable {
    public struct Row: Sendable, Equatable, Codable {
        public var variant: String
        public var label: Int
        public var confidence: Double
    }
    public var text: String
    public var tokens: [String]
    /// Tokens of the sentence among the rows the last E-PUR ranked for reset.
    public var flagged: [String]
    public var rows: [Row]
}

extension Session {
    func probe(_ c: Command, events: EventSink) throws -> Outcome {
        let text = c.arguments[0]
        let tokenizer = try self.tokenizer()
        let maxLength = data?.maxLength ?? 128
        let example = Example(text: text, pair: nil, label: 0)
        var rows: [ProbeResult.Row] = []
        for v in variants.suffix(12) {
            let model = try materialise(v)
            let p = try Evaluator(model: model, tokenizer: tokenizer, maxLength: maxLength).predict([example])
            let label = p.labels[0]
            rows.append(.init(variant: v.name, label: label, confidence: Double(p.probabilities[0][label])))
        }
        let tokens = tokenizer.tokenize(text)
        let flaggedSet = Set(epurReport?.tokens.map(\.token) ?? [])
        let result = ProbeResult(text: text, tokens: tokens, flagged: tokens.filter { flaggedSet.contains($0) }, rows: rows)
        lastProbe = result
        let shown = rows.map { "\($0.variant): \($0.label) (\(pct($0.confidence)))" }.joined(separator: "; ")
        return Outcome(message: rows.isEmpty ? "no variants to probe" : shown)
    }
}
