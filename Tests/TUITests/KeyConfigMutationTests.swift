import Foundation
import Testing
@testable import TUI
import Defense

/// keys.conf under seeded random mutations of the fuzz seeds (Tests/Fixtures/fuzz/keys): every
/// line a binding, an unbinding, a comment or a problem naming its line; never a crash. (In
/// TUITests rather than DefenseTests' MutationTests because the parser lives in TUI.)
@Suite struct KeyConfigMutationTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/fuzz/keys")

    @Test func keysConfMutantsGiveBindingsOrProblemsWithTheirLine() throws {
        let bases = try ["every-action.conf", "vim.conf", "problems.conf"]
            .map { [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent($0))) }
        let interesting = Array("=#- \t\r\nqfctrl".utf8) + [0x00, 0xC3, 0xA9, 0xFF]
        var r = SeededRandom(seed: 2026, stream: "mutate-keys")
        var withProblems = 0
        for i in 0..<2000 {
            var b = bases[i % bases.count]
            for _ in 0..<(1 + r.below(4)) {
                let at = b.isEmpty ? 0 : r.below(b.count)
                switch r.below(4) {
                case 0 where !b.isEmpty: b[at] = interesting[r.below(interesting.count)]
                case 1 where !b.isEmpty: b.removeSubrange(at..<min(b.count, at + 1 + r.below(8)))
                case 2: b.insert(interesting[r.below(interesting.count)], at: at)
                default: if !b.isEmpty { b[at] ^= UInt8(1 << r.below(8)) }
                }
            }
            let text = String(decoding: b, as: UTF8.self)
            let (_, problems) = KeyConfig.parse(text)
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).count
            #expect(problems.allSatisfy { (1...lines).contains($0.line) }, "mutant \(i)")
            if !problems.isEmpty { withProblems += 1 }
        }
        #expect(withProblems > 100 && withProblems < 1990, "with problems \(withProblems)")
    }
}
