import Foundation
import Testing
@testable import Defense

/// Each seed's clean set (issue 19): per seed, a seeded draw from the pool, its own for every seed;
/// fixed, the pool's first N as reports before it used.
@Suite struct CleanDrawTests {
    static let pool = (0..<200).map { Example(text: "sentence \($0)", label: $0 % 2) }

    @Test func eachSeedDrawsItsOwnCleanSetAndKeepsTheRestHeldOut() {
        let a = CleanDraw.perSeed.draw(Self.pool, size: 64, seed: 1)
        #expect(a.clean.count == 64 && a.heldOut.count == 136)
        #expect(Set((a.clean + a.heldOut).map(\.text)) == Set(Self.pool.map(\.text)))
        #expect(a.clean.map(\.text) == CleanDraw.perSeed.draw(Self.pool, size: 64, seed: 1).clean.map(\.text))
        let b = CleanDraw.perSeed.draw(Self.pool, size: 64, seed: 2)
        let shared = Set(a.clean.map(\.text)).intersection(b.clean.map(\.text)).count
        // two independent draws of 64 of 200 share 64·64/200 ≈ 20 on average
        #expect(shared < 40, "seeds 1 and 2 share \(shared) of 64 sentences")
        #expect(a.clean.map(\.text) != Array(Self.pool.prefix(64)).map(\.text))
    }

    @Test func fixedIsThePoolsFirstSentencesForEverySeed() {
        for seed: UInt64 in [1, 2, 9] {
            let d = CleanDraw.fixed.draw(Self.pool, size: 64, seed: seed)
            #expect(d.clean.map(\.text) == Self.pool.prefix(64).map(\.text))
            #expect(d.heldOut.map(\.text) == Self.pool.dropFirst(64).map(\.text))
        }
    }

    @Test func reportsNameTheSourcesOfVariance() {
        #expect(CleanDraw.perSeed.varianceSources(splitSeeds: 1).contains("clean set"))
        #expect(!CleanDraw.fixed.varianceSources(splitSeeds: 1).contains("clean set"))
        #expect(CleanDraw.fixed.varianceSources(splitSeeds: 3).contains { $0.hasPrefix("victim") })
    }
}
