import Foundation
import Testing
import TestSupport
@testable import Defense

@Suite struct CommandParserTests {
    @Test func parsesVerbArgumentsAndOptions() throws {
        let c = try #require(try CommandParser.parse("mix 0.3 select=random seed=7"))
        #expect(c.verb == "mix")
        #expect(c.arguments == ["0.3"])
        #expect(c.options == ["select": "random", "seed": "7"])
    }

    @Test func quotedWordsKeepBlanksAndEquals() throws {
        let c = try #require(try CommandParser.parse(#"attack trigger="sentence:I watched this 3D movie" "a=b c""#))
        #expect(c.options["trigger"] == "sentence:I watched this 3D movie")
        #expect(c.arguments == ["a=b c"])
    }

    @Test func commentsAndBlankLinesAreNothing() throws {
        #expect(try CommandParser.parse("   # just a note") == nil)
        #expect(try CommandParser.parse("") == nil)
        let c = try #require(try CommandParser.parse("eval # after mixing"))
        #expect(c == Command(verb: "eval"))
    }

    @Test func canonicalTextParsesBackToTheSameCommand() throws {
        let original = Command(verb: "load", arguments: ["/tmp/my model", "x\"y"], options: ["as": "victim", "note": "a b"])
        let again = try #require(try CommandParser.parse(original.description))
        #expect(again == original)
    }

    /// Issue 13: `#` inside a word is part of it (a path `run#2`, a word piece `##ing` in E-PUR's
    /// reset list); only a `#` that begins a word starts a comment.
    @Test func hashInsideAWordIsNotAComment() throws {
        #expect(try CommandParser.parse("load victim /data/run#2") == Command(verb: "load", arguments: ["victim", "/data/run#2"]))
        #expect(try CommandParser.parse("epur reset=cf,##ing,##s,mn") == Command(verb: "epur", options: ["reset": "cf,##ing,##s,mn"]))
        #expect(try CommandParser.parse("eval #2 is a comment") == Command(verb: "eval"))
        #expect(try CommandParser.parse("save \"a b\"#x y") == Command(verb: "save", arguments: ["a b#x", "y"]))
        #expect(try CommandParser.parse("#eval") == nil)
    }

    /// Any word a writer of commands can hand `Command.quote` (paths and tokens with blanks,
    /// quotes, backslashes, `#`, `##ing`, `=`, Unicode with combining marks, empty) comes back
    /// from the parser unchanged: parse(Command(...).description) == the command, for 5,000
    /// seeded random commands.
    @Test func anyWordRoundTripsThroughQuoteAndParse() throws {
        let pieces = ["a", "Z", "0", "1.5", "/", ".", "-", "_", " ", "  ", "\t", "\r", "\n", "\"", "'", "\\", "#", "##ing",
                      "=", "key=", "==", ":", ",", "é", "e\u{301}", "\u{301}", "日本", "😀", "👍🏽", "\u{00A0}", "\u{200B}",
                      "$HOME", "~", "*", ";", "|", "\u{0}", "run#2", "\"\\\"", "'x'", "\\n"]
        var r = SeededRandom(seed: 13, stream: "quote-round-trip")
        func word() -> String {
            (0..<r.below(6)).map { _ in pieces[r.below(pieces.count)] }.joined()
        }
        let verbs = Verbs.all.map(\.verb)
        let keys = ["reset", "corpus", "trigger", "seed", "rho", "select", "x-y", "a.b", "_k"]
        for i in 0..<5000 {
            var c = Command(verb: verbs[r.below(verbs.count)])
            c.arguments = (0..<r.below(4)).map { _ in word() }
            for _ in 0..<r.below(4) { c.options[keys[r.below(keys.count)]] = word() }
            let text = c.description
            let back = try CommandParser.parse(text)
            #expect(back == c, "command \(i): \(c.verb) \(c.arguments) \(c.options) wrote \(text.debugDescription)")
            if back != c { break }
        }
        // Each word alone, as a path handed to `load victim`.
        for p in pieces + ["", "a b", "/data/run#2", "##ing"] {
            let c = Command(verb: "load", arguments: ["victim", p])
            #expect(try CommandParser.parse(c.description) == c, "\(p.debugDescription)")
        }
    }

    @Test func errorsNameTheColumnAndScriptLine() throws {
        #expect(throws: FinemixError("column 5: unterminated quote")) { try CommandParser.parse("mix \"0.3") }
        #expect(throws: FinemixError("demo.fm:2: column 1: a command starts with a verb, found '0.3'")) {
            try CommandParser.parseScript("eval\n0.3 mix\n", source: "demo.fm")
        }
        #expect(throws: FinemixError("column 16: option 'seed' is given twice")) { try CommandParser.parse("mix 0.3 seed=1 seed=2") }
    }

    @Test func typedOptionsCheckRanges() throws {
        let c = try #require(try CommandParser.parse("mix rho=1.5 seed=x"))
        #expect(throws: FinemixError("mix: rho=1.5 is outside [0.0, 1.0]")) { try c.double("rho", default: 0.3, in: 0...1) }
        #expect(throws: FinemixError("mix: seed=x is not a whole number")) { try c.int("seed", default: 1) }
        #expect(try c.int("epochs", default: 10) == 10)
    }

    @Test func specRejectsUnknownOptions() throws {
        let spec = CommandSpec(verb: "mix", usage: "mix RHO", summary: "", options: ["select", "seed"], arguments: 0...1)
        let c = try #require(try CommandParser.parse("mix 0.3 sed=7"))
        #expect(throws: FinemixError("mix: unknown option 'sed' (known: select, seed)")) { try spec.validate(c) }
    }

    @Test func rangesIncludeTheirEnd() throws {
        #expect(try parseRange("0:1:0.25", name: "rho") == [0, 0.25, 0.5, 0.75, 1])
        #expect(try parseRange("0:1:0.1", name: "rho").count == 11)
        #expect(try parseRange("0.3", name: "rho") == [0.3])
        #expect(throws: FinemixError.self) { try parseRange("1:0:0.1", name: "rho") }
    }

    /// The README's command reference is hand-written; this keeps it from drifting from the table
    /// the parser, the palette and `finemix run --commands` read.
    @Test func readmeListsEveryVerbWithItsUsage() throws {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../README.md").standardizedFileURL
        let text = try String(contentsOf: readme, encoding: .utf8)
        for spec in Verbs.all {
            let row = "| `\(spec.usage.replacingOccurrences(of: "|", with: "\\|"))` | \(spec.summary) |"
            #expect(text.contains(row), "README.md lacks the row: \(row)")
        }
    }

    /// Every verb of the table runs through its own file: on an empty session each line reaches
    /// its verb (a refusal of that verb, or success), never "unknown command"; the table has
    /// each verb once.
    @Test func everyVerbOfTheTableDispatchesToItsOwnRun() throws {
        let folder = TempFolder("verbs")
        defer { folder.remove() }
        let session = try Session(workspace: folder.url, journal: nil)
        let lines = ["load pre \(folder.path)/none", "data \(folder.path)/none.csv", "attack", "trigger word:cf", "inspect",
                     "mix 0.3", "rho pooler 0.5", "epur", "hunt", "probe \"good film\"", "finetune", "prune", "eval", "sweep",
                     "variant x", "undo", "save \(folder.path)/out", "report \(folder.path)/r", "caption hello"]
        let verbs = Verbs.all.map(\.verb)
        #expect(Set(verbs).count == verbs.count)
        #expect(lines.map { String($0.prefix { $0 != " " }) } == verbs)
        for line in lines {
            do { _ = try session.execute(line) } catch let e as FinemixError {
                #expect(!e.message.contains("unknown command"), "\(line): \(e.message)")
            }
        }
        #expect(session.captions == ["hello"])
        #expect(session.poison?.trigger == .words(["cf"]))
    }

    /// `finetune` and `sweep` read their budget with one set of defaults, which their usage
    /// shows and the landscape and `finemix defend/sweep/compare` start from.
    @Test func theFineTuneDefaultsAreOneValue() throws {
        let d = FineTuneBudget.defaults
        #expect(try FineTuneVerb(Command(verb: "finetune")).budget == d)
        #expect(try SweepVerb(Command(verb: "sweep")).budget == d)
        for verb in ["finetune", "sweep"] {
            let usage = try #require(Verbs.spec(verb)).usage
            for word in ["[epochs=\(d.epochs)]", "[lr=5e-5]", "[batch=\(d.batch)]", "[seed=\(d.seed)]"] {
                #expect(usage.contains(word), "\(verb): \(usage) lacks \(word)")
            }
        }
        #expect(d.lr == 5e-5)
        #expect(LandscapeBudget.defaults == LandscapeBudget(epochs: d.epochs, lr: d.lr, batch: d.batch))
    }
}
