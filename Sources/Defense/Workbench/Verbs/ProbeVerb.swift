/// `probe "TEXT"`: one sentence through every variant.
struct ProbeVerb: Verb {
    static let verb = "probe"
    static let usage = "probe \"TEXT\""
    static let summary = "each variant's prediction and confidence for one sentence"
    static let options: [String] = []
    static let arguments = 1...1

    var text: String

    init(_ c: Command) { text = c.arguments[0] }

    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        let tokenizer = try s.tokenizer()
        let maxLength = s.data?.maxLength ?? 128
        let example = Example(text: text, pair: nil, label: 0)
        var rows: [ProbeResult.Row] = []
        for v in s.variants.suffix(12) {
            let model = try s.materialise(v)
            let p = try Evaluator(model: model, tokenizer: tokenizer, maxLength: maxLength).predict([example])
            let label = p.labels[0]
            rows.append(.init(variant: v.name, label: label, confidence: Double(p.probabilities[0][label])))
        }
        let tokens = tokenizer.tokenize(text)
        let flaggedSet = Set(s.epurReport?.tokens.map(\.token) ?? [])
        s.lastProbe = ProbeResult(text: text, tokens: tokens, flagged: tokens.filter { flaggedSet.contains($0) }, rows: rows)
        let shown = rows.map { "\($0.variant): \($0.label) (\(pct($0.confidence)))" }.joined(separator: "; ")
        return Session.Outcome(message: rows.isEmpty ? "no variants to probe" : shown)
    }
}
