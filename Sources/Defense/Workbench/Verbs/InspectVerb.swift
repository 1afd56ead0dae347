import Foundation

/// `inspect [top=20]`: the victim's weight drift from the pre-trained model.
struct InspectVerb: Verb {
    static let verb = "inspect"
    static let usage = "inspect [top=20]"
    static let summary = "weight drift of the victim from the pre-trained model, per tensor, per layer, per token"
    static let options = ["top"]
    static let arguments = 0...0

    /// Odd, so Δ = 0 has a bin of its own in the middle of the drill-down's histogram.
    static let histogramBins = 41

    var top: Int

    init(_ c: Command) throws { top = try c.int("top", default: 20, in: 1...100_000) }

    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        let pre = try s.requirePre()
        let v = try s.requireCurrent()
        let vocabulary = try Drift.vocabularyLines(pre.vocabURL)
        let report = try Drift.report(pre: pre.weights, victim: v.weights, vocabulary: vocabulary,
                                      options: Drift.Options(topTokens: top, histogramBins: Self.histogramBins))
        s.drift = report
        let most = report.layers.compactMap { l in l.relL2.map { (l.name, $0) } }.max { $0.1 < $1.1 }
        return Session.Outcome(message: "drift of \(v.name): \(report.tensors.count) tensors; most moved: \(most.map { "\($0.0) \(String(format: "%.4f", $0.1))" } ?? "none")",
                               results: ["max_layer_rel_l2": most?.1 ?? 0])
    }
}
