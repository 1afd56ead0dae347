import Foundation

/// The automatic choice of ρ from what a defender has: held-out clean sentences and the trigger
/// hunt's suspects (or a trigger the analyst named), never the recorded trigger (docs/method.md,
/// "Automatic ρ"). Stable snake_case keys: every report records it whole.
public struct AutoRho: Sendable, Equatable, Codable {
    /// One ρ the rule looked at: its held-out ACC and estimated ASR after Fine-mixing.
    public struct Candidate: Sendable, Equatable, Codable {
        public var rho: Double
        public var heldOutAcc: Double
        /// nil when no trigger is suspected.
        public var estimatedAsr: Double?
        /// Held-out ACC at or above `floor`.
        public var eligible: Bool

        enum CodingKeys: String, CodingKey { case rho, eligible, heldOutAcc = "held_out_acc", estimatedAsr = "estimated_asr" }
    }

    /// The chosen ρ; nil when the sweep lacks ρ = 1 or held-out sentences.
    public var rho: Double?
    public var candidates: [Candidate]
    /// Held-out ACC after Fine-mixing at ρ = 1 (fine-tuning the whole victim).
    public var referenceAcc: Double?
    /// The lowest held-out ACC a candidate may have: the 95% Wilson lower bound of the reference.
    public var floor: Double?
    public var nHeldOut: Int
    /// The triggers the estimated ASR was measured with ("word:cf → 1 on 218 sentences").
    public var triggers: [String]
    /// What the old rule (held-out ACC within a flat 2 points of ρ = 1's, ASR ignored) picks on
    /// the same points, for comparison.
    public var flatRuleRho: Double?
    /// One sentence: the rule and why this ρ.
    public var reason: String

    public static let rule = "the smallest estimated ASR (suspected trigger inserted into held-out clean sentences) among the ρ whose held-out clean ACC is at or above the 95% Wilson lower bound of ρ = 1's; ties go to the larger ρ"

    /// What every report prints: the rule, each candidate, the choice, and the old rule's pick.
    public var lines: [String] {
        func pc(_ x: Double?) -> String { x.map { String(format: "%.1f", 100 * $0) } ?? "–" }
        var out = ["automatic ρ: " + Self.rule + "."]
        out.append(triggers.isEmpty ? "estimated ASR: no trigger suspected (the hunt found no backdoor)"
                   : "estimated ASR with: " + triggers.joined(separator: "; "))
        for c in candidates {
            out.append("  ρ = \(AutomaticRho.fmtRho(c.rho)): held-out ACC \(pc(c.heldOutAcc)) est. ASR \(pc(c.estimatedAsr))"
                       + (c.eligible ? "" : " (ACC below the band)") + (c.rho == rho ? "  ← chosen" : ""))
        }
        out.append("chosen: " + reason)
        out.append("the old rule (held-out ACC within a flat 2 points of ρ = 1's, ASR ignored) picks "
                   + (flatRuleRho.map { "ρ = \(AutomaticRho.fmtRho($0))" } ?? "nothing"))
        return out
    }

    enum CodingKeys: String, CodingKey {
        case rho, candidates, floor, triggers, reason
        case referenceAcc = "reference_acc", nHeldOut = "n_held_out", flatRuleRho = "flat_rule_rho"
    }
}

/// A trigger the automatic rule estimates ASR with: the held-out clean sentences not of its
/// target label, with it inserted.
public struct HeldOutTrigger: Sendable {
    public var basis: ASRBasis
    public var set: [Example]

    public init(basis: ASRBasis, heldOut: [Example], numLabels: Int, seed: UInt64) throws {
        self.basis = basis
        set = try Poisoner.asrTestSet(heldOut, config: PoisonConfig(trigger: basis.trigger, rate: 0, targetLabel: basis.target, seed: seed),
                                      numLabels: numLabels)
    }

    /// The hunt's suspects, each an estimated trigger on `heldOut` (what the automatic rule uses
    /// when no trigger was named).
    public static func suspects(of hunt: TriggerHunt.Report, heldOut: [Example], numLabels: Int) throws -> [HeldOutTrigger] {
        try hunt.suspects().map {
            try HeldOutTrigger(basis: ASRBasis(trigger: $0.trigger, target: $0.target, estimated: true), heldOut: heldOut,
                               numLabels: numLabels, seed: 1)
        }
    }
}

public enum AutomaticRho {
    /// THE rule (docs/method.md, "Automatic ρ"). `points`: Fine-mixing points with held-out ACC
    /// and, when a trigger is suspected, estimated ASR (`heldOutAsr`); `nHeldOut`: the held-out
    /// sentences behind `heldOutAcc`. A drop in held-out ACC smaller than ρ = 1's own 95%
    /// uncertainty on n sentences is not evidence of lost knowledge, so the admissible band
    /// narrows as the held-out set grows. Without a suspect no ASR can be estimated, and the rule
    /// takes the smallest admissible ρ: a backdoor the hunt missed is removed more by keeping less.
    public static func choose(_ points: [SweepPoint], nHeldOut: Int, triggers: [HeldOutTrigger]) -> AutoRho {
        let named = triggers.map { "\($0.basis.trigger) → \($0.basis.target) on \($0.set.count) sentences" }
        let flat = RhoSweep.automaticRho(points, tolerance: 0.02)
        var out = AutoRho(rho: nil, candidates: [], referenceAcc: nil, floor: nil, nHeldOut: nHeldOut, triggers: named,
                          flatRuleRho: flat, reason: "")
        guard nHeldOut > 0, let reference = points.first(where: { $0.rho == 1 })?.heldOutAcc else {
            out.reason = "no automatic ρ: the rule needs Fine-mixing at ρ = 1 and held-out clean sentences"
            return out
        }
        let ref = Proportion(Int((reference * Double(nHeldOut)).rounded()), of: nHeldOut)
        let floor = ref.wilson().low
        out.referenceAcc = reference
        out.floor = floor
        out.candidates = points.compactMap { p in
            p.heldOutAcc.map { AutoRho.Candidate(rho: p.rho, heldOutAcc: $0, estimatedAsr: p.heldOutAsr, eligible: $0 >= floor) }
        }
        let eligible = out.candidates.filter(\.eligible)
        let band = String(format: "held-out ACC ≥ %.1f%% (the 95%% Wilson lower bound of ρ = 1's %.1f%% on %d sentences)",
                          100 * floor, 100 * reference, nHeldOut)
        let withAsr = eligible.filter { $0.estimatedAsr != nil }
        if !triggers.isEmpty, !withAsr.isEmpty {
            // Smallest estimated ASR; equal ASR: the larger ρ keeps more of the victim's knowledge.
            let best = withAsr.min { a, b in a.estimatedAsr! != b.estimatedAsr! ? a.estimatedAsr! < b.estimatedAsr! : a.rho > b.rho }!
            out.rho = best.rho
            out.reason = String(format: "ρ = %@: the lowest estimated ASR, %.1f%% (%@), among the %d of %d ρ with %@; its held-out ACC %.1f%%",
                                fmtRho(best.rho), 100 * best.estimatedAsr!, named.joined(separator: "; "), eligible.count,
                                out.candidates.count, band, 100 * best.heldOutAcc)
        } else {
            // eligible is never empty: ρ = 1 itself is at or above its own lower bound.
            let best = eligible.map(\.rho).min()!
            out.rho = best
            out.reason = "ρ = \(fmtRho(best)): no trigger is suspected, so no ASR can be estimated; the smallest ρ of the \(eligible.count) of "
                + "\(out.candidates.count) with \(band) (an undetected backdoor is removed more by keeping less of the victim)"
        }
        return out
    }

    /// The grid `--rho auto` and `mix auto` choose from unless told otherwise.
    public static let defaultGrid = "0:1:0.1"

    /// The automatic ρ on a victim: Fine-mixing at every ρ of `grid` (`recipe`'s selection,
    /// budget and seed; its ρ set per cell) on `data.clean`, held-out ACC and the estimated ASR of
    /// `data.heldOutTriggers` on `data.heldOut`, then `choose`. The CLI's `--rho auto` (defend,
    /// sweep, compare) and the workbench's `mix auto` both run this; `onCell` sees each ρ done.
    public static func run(pre: CheckpointFolder, victim: CheckpointFolder, data: RhoSweep.Data, grid: [Double], recipe: DefenseRecipe,
                           before: DefenseScore? = nil, events: EventSink = { _ in }, cancel: CancellationFlag? = nil,
                           onCell: (RhoSweep.Cell) throws -> Void = { _ in }) throws -> (choice: AutoRho, points: [SweepPoint]) {
        guard !data.heldOut.isEmpty else { throw FinemixError("automatic ρ: no held-out clean sentences to judge ρ with") }
        let result = try RhoSweep.run(pre: pre, victim: victim, data: data,
                                      options: RhoSweep.Options(rhos: grid, mixing: false, fineMixing: true, recipe: recipe),
                                      before: before, events: events, cancel: cancel, onCell: onCell)
        return (choose(result.points, nHeldOut: data.heldOut.count, triggers: data.heldOutTriggers), result.points)
    }

    /// ρ as every report and table prints it (0.3, 1).
    public static func fmtRho(_ r: Double) -> String { String(format: "%g", r) }
}
