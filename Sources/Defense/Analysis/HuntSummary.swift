import Foundation

/// A trigger hunt over several victims (`finemix hunt --victim A --victim B`, `--victims DIR`, or
/// a hunt plan collected): each victim's whole report, and one table row per victim.
public struct HuntSummary: Codable, Equatable, Sendable {
    public struct Entry: Codable, Equatable, Sendable {
        /// The victim's folder as the command named it.
        public var victim: String
        public var report: TriggerHunt.Report

        public init(victim: String, report: TriggerHunt.Report) { self.victim = victim; self.report = report }
    }

    public var victims: [Entry]

    public init(_ victims: [Entry]) { self.victims = victims }

    /// The row's candidate: the suspect, else the eligible candidate with the highest flip rate
    /// (the one the verdict's "no candidate flips more than" quotes); nil when there was none.
    public static func shown(_ r: TriggerHunt.Report) -> TriggerHunt.Candidate? {
        if let s = r.suspect { return r.candidates.first { $0.trigger == s.trigger && $0.target == s.target } }
        return r.candidates.first { !$0.natural }
    }

    /// The Markdown table, one row per victim (no times: the same whether run here or collected
    /// from a plan's cells).
    public func markdown() -> String {
        let suspected = victims.filter { $0.report.verdict.suspected }.count
        var s = "trigger hunt on \(victims.count) victim\(victims.count == 1 ? "" : "s"): \(suspected) suspected\n\n"
        s += "| victim | verdict | suspected trigger | target | flip rate [95%] | n | control flip rate |\n"
        s += "|---|---|---|---:|---:|---:|---:|\n"
        for e in victims {
            let r = e.report
            let c = Self.shown(r)
            let rate = c.map { String(format: "%.1f%% [%.1f–%.1f]", 100 * $0.flipRate, 100 * $0.low, 100 * $0.high) } ?? "–"
            let control: String = c?.controlFlipRate.map { String(format: "%.1f%%", 100 * $0) } ?? "–"
            let cells: [String] = [
                e.victim.replacingOccurrences(of: "|", with: "\\|"),
                r.verdict.suspected ? "suspected" : "none found",
                r.suspect.map { $0.trigger.description.replacingOccurrences(of: "|", with: "\\|") } ?? "–",
                r.suspect.map { "\($0.target)" } ?? "–",
                rate,
                c.map { "\($0.n)" } ?? "–",
                control,
            ]
            s += "| " + cells.joined(separator: " | ") + " |\n"
        }
        s += "\nflip rate: the suspect's; for a victim without one, the highest any candidate no ordinary meaning explains reached (threshold on the lower bound: "
        s += Array(Set(victims.map { "\($0.report.options.threshold)" })).sorted().joined(separator: ", ") + ")\n"
        return s
    }
}
