import Foundation

/// `epur ...`: resets the word embeddings that drifted far more than their clean frequency explains.
struct EpurVerb: Verb {
    static let verb = "epur"
    static let usage = "epur [top=200] [fmin=20] [corpus=PATH] [reset=TOKEN,TOKEN...]"
    static let summary = "reset the word embeddings that drifted far more than their clean frequency explains (reset= picks the rows by hand)"
    static let options = ["top", "fmin", "corpus", "reset"]
    static let arguments = 0...0

    var options: EPUR.Options
    var corpus: URL?
    /// The rows picked by hand; each must be a token of the vocabulary (checked when it runs).
    var reset: [String]?

    init(_ c: Command) throws {
        options = EPUR.Options(top: try c.int("top", default: 200, in: 0...10_000_000),
                               fmin: try c.int("fmin", default: 20, in: 2...Int(Int32.max)))
        corpus = c.options["corpus"].map { URL(fileURLWithPath: ($0 as NSString).expandingTildeInPath) }
        reset = c.options["reset"].map { $0.split(separator: ",").map(String.init) }
    }

    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        let pre = try s.requirePre()
        let v = try s.requireCurrent()
        let d = try s.requireData()
        let tokenizer = try Tokenizer(vocabURL: pre.vocabURL)
        let report = try EPUR.run(pre: pre.weights, victim: v.weights, tokenizer: tokenizer,
                                  clean: EPUR.texts(d.clean), corpus: corpus, options: options)
        var rows = report.ids
        if let picked = reset {
            // The analyst's own choice of rows (the E-PUR pane's toggles); the ranking stays for display.
            rows = try picked.map { word in
                guard let id = tokenizer.id(word) else {
                    throw FinemixError("epur: reset=\(c.options["reset"] ?? ""): '\(word)' is not a token of the vocabulary")
                }
                return Int(id)
            }
        }
        let purified = try PurifiedWeights(base: v.weights, pre: pre.weights, rows: rows)
        var out = Variant(name: s.uniqueName(VariantNames.epur(of: v.name)), recipe: v.recipe + [c.description],
                          weights: purified, config: v.config)
        out.epur = report
        s.epurReport = report
        s.adopt(out)
        let shown = report.tokens.prefix(5).map(\.token).joined(separator: " ")
        return Session.Outcome(message: "E-PUR reset \(rows.count) rows; top: \(shown)",
                               results: ["rows": Double(rows.count)], inputs: try corpus.map { [try .of($0)] } ?? [])
    }

    func plan(_ names: inout ScriptCheck.NameTracker) -> String? {
        names.derive(VariantNames.epur(of:))
        return nil
    }
}
