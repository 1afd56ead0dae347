import Foundation
import Testing
@testable import Defense

/// The automatic ρ rule (docs/method.md, "Automatic ρ") on hand-made sweep points: the band is
/// the Wilson interval of ρ = 1's held-out ACC, inside it the smallest estimated ASR wins, equal
/// ASR goes to the larger ρ, and without a suspect the smallest ρ in the band.
@Suite struct AutomaticRhoTests {
    static let suspect = ASRBasis(trigger: .words(["cf"]), target: 1, estimated: true)

    /// A trigger the rule estimated with (its sentences only count for the report).
    static func trigger(_ n: Int = 50) throws -> HeldOutTrigger {
        let held = (0..<n).map { Example(text: "sentence \($0)", label: 0) }
        return try HeldOutTrigger(basis: suspect, heldOut: held, numLabels: 2, seed: 1)
    }

    static func points(_ rows: [(Double, Double, Double)]) -> [SweepPoint] {
        rows.map { SweepPoint(rho: $0.0, fmixAcc: $0.1, fmixAsr: nil, heldOutAcc: $0.1, heldOutAsr: $0.2) }
    }

    @Test func smallestEstimatedASRInsideTheBand() throws {
        // ρ = 0.1 has the lowest ASR but lost 20 points of ACC; 0.3 is the lowest ASR inside the band.
        let p = Self.points([(0.1, 0.60, 0.01), (0.3, 0.80, 0.05), (0.5, 0.82, 0.20), (1, 0.83, 0.95)])
        let a = AutomaticRho.choose(p, nHeldOut: 436, triggers: [try Self.trigger()])
        #expect(a.rho == 0.3, "\(a.reason)")
        #expect(a.candidates.map(\.eligible) == [false, true, true, true])
        let floor = try #require(a.floor)
        #expect(abs(floor - Proportion(362, of: 436).wilson().low) < 1e-12)   // 0.83 · 436 = 361.9
        #expect(a.reason.contains("ρ = 0.3") && a.reason.contains("5.0%") && a.reason.contains("cf"), "\(a.reason)")
        // The old rule on the same points: ACC within 2 points of ρ = 1's, ASR ignored.
        #expect(a.flatRuleRho == 0.5)
        #expect(a.lines.contains { $0.contains("← chosen") && $0.contains("ρ = 0.3") })
    }

    @Test func theBandNarrowsAsTheHeldOutSetGrows() throws {
        // 6 points below ρ = 1: inside the interval of 136 sentences, outside that of 2,000.
        let p = Self.points([(0.2, 0.77, 0.02), (1, 0.83, 0.90)])
        #expect(AutomaticRho.choose(p, nHeldOut: 136, triggers: [try Self.trigger()]).rho == 0.2)
        #expect(AutomaticRho.choose(p, nHeldOut: 2000, triggers: [try Self.trigger()]).rho == 1)
    }

    @Test func equalEstimatedASRGoesToTheLargerRho() throws {
        let p = Self.points([(0.2, 0.82, 0.04), (0.4, 0.83, 0.04), (0.6, 0.83, 0.10), (1, 0.83, 0.90)])
        #expect(AutomaticRho.choose(p, nHeldOut: 400, triggers: [try Self.trigger()]).rho == 0.4)
    }

    @Test func withoutASuspectTheSmallestRhoInTheBand() {
        let p = [SweepPoint(rho: 0, heldOutAcc: 0.5), SweepPoint(rho: 0.3, heldOutAcc: 0.8), SweepPoint(rho: 1, heldOutAcc: 0.83)]
        let a = AutomaticRho.choose(p, nHeldOut: 400, triggers: [])
        #expect(a.rho == 0.3)
        #expect(a.reason.contains("no trigger is suspected"), "\(a.reason)")
        #expect(a.lines.contains { $0.contains("no trigger suspected") })
    }

    @Test func noChoiceWithoutRhoOneOrHeldOutSentences() throws {
        let p = Self.points([(0.3, 0.8, 0.1)])
        let a = AutomaticRho.choose(p, nHeldOut: 100, triggers: [try Self.trigger()])
        #expect(a.rho == nil && a.reason.contains("ρ = 1"), "\(a.reason)")
        #expect(AutomaticRho.choose(Self.points([(1, 0.8, 0.1)]), nHeldOut: 0, triggers: []).rho == nil)
    }

    /// The JSON every report embeds reads back whole, with its snake_case keys.
    @Test func roundTripsThroughJSON() throws {
        let a = AutomaticRho.choose(Self.points([(0.3, 0.80, 0.05), (1, 0.83, 0.95)]), nHeldOut: 436, triggers: [try Self.trigger()])
        let data = try JSONEncoder().encode(a)
        #expect(try JSONDecoder().decode(AutoRho.self, from: data) == a)
        let keys = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any]).keys
        #expect(Set(keys).isSuperset(of: ["rho", "candidates", "reference_acc", "floor", "n_held_out", "triggers", "flat_rule_rho", "reason"]))
    }
}
