import Foundation
import Testing
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
}
