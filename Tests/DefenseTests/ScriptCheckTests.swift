import Foundation
import Testing
@testable import Defense

/// Issue 16: scripts are checked whole before any line runs: every value by the code the verb
/// runs with, every `variant NAME` against the names earlier lines make, all problems listed.
@Suite struct ScriptCheckTests {
    static func problems(_ sources: [(String, String)]) -> [String] {
        ScriptCheck.check(sources.map { ScriptCheck.Source(name: $0.0, text: $0.1) }).problems.map(\.description)
    }

    @Test func everyBadValueOfEveryScriptIsListedWithItsColumn() {
        let first = """
            load pre minilm
            mix 1.5
            mix nan select=largest
            finetune epochs=0 lr=-1 batch=16
            """
        let second = """
            # the second file
            sweep rho=0:1:0.000001 finetune=maybe
            prune ratio=1
            data rt max-length=4 clean=0
            load victim2 /x
            """
        #expect(Self.problems([("a.fm", first), ("b.fm", second)]) == [
            "a.fm:2:5: mix: ρ must be a number in [0, 1], found '1.5'",
            "a.fm:3:5: mix: ρ must be a number in [0, 1], found 'nan'",
            "a.fm:4:10: finetune: epochs=0 is outside 1...10000",
            "a.fm:4:19: finetune: lr=-1 is outside [1e-08, 1.0]",
            "b.fm:2:7: rho=0:1:0.000001: more than 1001 values",
            "b.fm:2:24: sweep: finetune=maybe is not on/off",
            "b.fm:3:7: prune: ratio=1 is outside [0.0, 0.99]",
            "b.fm:4:9: data: max-length=4 is outside 8...512",
            "b.fm:4:22: data: clean=0 is outside 1...10000000",
            "b.fm:5:6: load: the role must be pre or victim, found 'victim2'",
        ])
    }

    @Test func syntaxAndUnknownCommandsAreListedToo() {
        #expect(Self.problems([("s.fm", "mixx 0.3\nmix \"0.3\neval extra\nmix 0.3 sed=1\n")]) == [
            "s.fm:1:1: unknown command 'mixx'; commands: \(Verbs.all.map(\.verb).joined(separator: ", "))",
            "s.fm:2:5: unterminated quote",
            "s.fm:3:1: eval: expected 0 argument(s), found 1; usage: eval",
            "s.fm:4:9: mix: unknown option 'sed' (known: select, seed, head)",
        ])
    }

    @Test func sweepRangesAreBoundedAndFinite() {
        #expect(Self.problems([("s.fm", "sweep rho=0:1:0.001\nsweep rho=0:inf:1\nsweep rho=1,0.5,2\n")]) == [
            "s.fm:2:7: rho=0:inf:1: expected start:stop:step with finite numbers, step > 0 and stop ≥ start",
            "s.fm:3:7: sweep: every ρ must lie in [0, 1]",
        ])
        let list = (0...1001).map { _ in "0.5" }.joined(separator: ",")
        #expect(Self.problems([("s.fm", "sweep rho=\(list)")]).first?.hasSuffix("more than 1001 values") == true)
    }

    /// The names are those the session gives (RunScriptTests sees "victim + E-PUR + mix 0.50").
    @Test func variantNamesMadeByEarlierLinesAreKnown() {
        let script = """
            load pre minilm
            variant pre
            load victim /models/v
            variant pre
            variant victim
            epur
            mix 0.5
            variant "victim + E-PUR + mix 0.50"
            mix 0.3
            variant "victim + E-PUR + mix 0.30"
            finetune
            variant "victim + E-PUR + mix 0.30 + FT"
            mix 0.3
            mix 0.3
            variant "victim + E-PUR + FT + mix 0.30"
            variant "victim + E-PUR + mix 0.30 + FT + mix 0.30"
            undo
            prune ratio=0.2
            variant "victim + E-PUR + mix 0.30 + FT + mix 0.30#2 + prune 0.20"
            variant nosuch
            """
        #expect(Self.problems([("v.fm", script)]) == [
            "v.fm:2:9: variant pre: no earlier line loads a victim (its head is needed)",
            "v.fm:15:9: variant: no earlier line makes a variant named 'victim + E-PUR + FT + mix 0.30'; variants at this line: "
                + "'victim', 'pre', 'victim + E-PUR', 'victim + E-PUR + mix 0.50', 'victim + E-PUR + mix 0.30', "
                + "'victim + E-PUR + mix 0.30 + FT', 'victim + E-PUR + mix 0.30 + FT + mix 0.30', "
                + "'victim + E-PUR + mix 0.30 + FT + mix 0.30#2'",
            "v.fm:20:9: variant: no earlier line makes a variant named 'nosuch'; variants at this line: "
                + "'victim', 'pre', 'victim + E-PUR', 'victim + E-PUR + mix 0.50', 'victim + E-PUR + mix 0.30', "
                + "'victim + E-PUR + mix 0.30 + FT', 'victim + E-PUR + mix 0.30 + FT + mix 0.30', "
                + "'victim + E-PUR + mix 0.30 + FT + mix 0.30#2', 'victim + E-PUR + mix 0.30 + FT + mix 0.30#2 + prune 0.20'",
        ])
        // A resumed journal's lines count: its variants are known to the script after it.
        let (steps, problems) = ScriptCheck.check([ScriptCheck.Source(name: "journal.jsonl", lines: ["attack epochs=1", "mix 0.3"]),
                                                   ScriptCheck.Source(name: "s.fm", text: "variant \"mix 0.30\"\n")])
        #expect(problems.isEmpty && steps.map(\.line) == [1, 2, 1])
        #expect(Self.problems([("s.fm", "variant \"mix 0.30\"")]) == ["s.fm:1:9: variant: no earlier line makes a variant named 'mix 0.30' (none is made before this line)"])
    }

    /// The palette's line (and every command the session runs) meets the same checks.
    @Test func theSessionRefusesABadValueBeforeRunning() throws {
        #expect(throws: FinemixError("finetune: epochs=0 is outside 1...10000")) { try Verbs.parse("finetune epochs=0") }
        #expect(throws: FinemixError("mix: ρ must be a number in [0, 1], found 'nan'")) { try Verbs.parse("mix nan") }
        #expect(throws: FinemixError("rho: the value must be a number in [0, 1], found 'inf'")) { try Verbs.parse("rho encoder.layer.0 inf") }
        let dir = TempDir()
        let s = try Session(workspace: dir.url, journal: nil)
        #expect(throws: FinemixError("sweep: lr=0 is outside [1e-08, 1.0]")) { try s.execute(Command(verb: "sweep", options: ["lr": "0"])) }
    }
}
