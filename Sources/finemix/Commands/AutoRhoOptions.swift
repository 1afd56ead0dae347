import ArgumentParser
import Defense
import Foundation

/// `--rho auto` of defend, sweep and compare: the grid the automatic rule chooses from and the
/// held-out sentences it judges with (docs/method.md, "Automatic ρ").
struct AutoRhoOptions: ParsableArguments {
    @Option(name: .long, help: "--rho auto: the values of rho the automatic rule chooses among (FROM:TO:STEP or a comma list; it must include 1).")
    var autoGrid: String = AutomaticRho.defaultGrid

    @Option(name: .long, help: "Held-out clean sentences for the automatic rule (default: all of the pool's rest, at most 500).")
    var heldOut: Int = 500

    /// The grid, refused without ρ = 1 (the rule's reference).
    func grid() throws -> [Double] {
        let g = try parseRhoList(autoGrid)
        guard g.contains(1) else { throw FinemixError("--auto-grid \(autoGrid): the automatic rule compares with ρ = 1, so the grid must include 1") }
        return g
    }
}

/// `--rho`: a number (the recipe checks it lies in [0, 1]), or `auto` (nil).
func parseRhoOrAuto(_ text: String) throws -> Double? {
    if text.lowercased() == "auto" { return nil }
    guard let v = Double(text) else { throw FinemixError("--rho '\(text)': expected a value in [0, 1] or auto") }
    return v
}

/// What `--rho auto` found: the rule's choice, the points it judged, and (when kept) the
/// Fine-mixing defence at the chosen ρ, so defend does not run it twice.
struct AutoRhoRun {
    var choice: AutoRho
    var points: [SweepPoint]
    var chosen: DefenseRun.Outcome?
}

extension DefenseInputs {
    /// Fine-mixing at every ρ of `grid` with `recipe` (its ρ set per cell) on `clean`, held-out
    /// ACC and estimated ASR on `heldOut`, then `AutomaticRho.choose`.
    mutating func autoRho(grid: [Double], recipe: DefenseRecipe, clean: [Example], heldOut: [Example], before: DefenseScore,
                          keepChosen: Bool) throws -> AutoRhoRun {
        guard !heldOut.isEmpty else {
            throw FinemixError("--rho auto: the clean pool has no sentences beyond the \(clean.count) the defence uses, so nothing is held out to judge ρ with")
        }
        let triggers = try ruleTriggers(heldOut)
        if triggers.isEmpty { note("--rho auto: no trigger suspected; the rule keeps held-out ACC only (docs/method.md)") }
        note("--rho auto: Fine-mixing at \(grid.count) values of ρ on \(clean.count) clean sentences, judged on \(heldOut.count) held-out ones")
        let data = RhoSweep.Data(clean: clean, heldOut: heldOut, test: test, asrSet: asrSet, basis: basis, heldOutTriggers: triggers)
        var outcomes: [Double: DefenseRun.Outcome] = [:]
        let (choice, points) = try AutomaticRho.run(pre: pre, victim: victim, data: data, grid: grid, recipe: recipe, before: before,
                                                    events: stderrEvents(quiet: true)) { cell in
            let p = cell.point
            note("ρ = \(p.rho): held-out ACC \(pctText(p.heldOutAcc)) est. ASR \(pctText(p.heldOutAsr))")
            if keepChosen { outcomes[p.rho] = cell.fineMixing }
        }
        note("automatic ρ: " + choice.reason)
        return AutoRhoRun(choice: choice, points: points, chosen: choice.rho.flatMap { outcomes[$0] })
    }
}
