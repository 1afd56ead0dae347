import Defense
import Foundation
import Testing

/// `finemix tokenize` run as a user would, on the real MiniLM vocabulary.
@Suite struct TokenizeTests {
    let model: String

    init() throws { model = try ResourceCache().minilm().path }

    @Test func argumentsGiveWordPieces() throws {
        let out = try Binary.run(["tokenize", "--model", model, "Unaffable, Héllo!", "x"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout == "una ##ffa ##ble , hello !\nx\n")
    }

    @Test func stdinLinesGiveJSONIds() throws {
        let out = try Binary.run(["tokenize", "--model", model, "--json"], stdin: "hello world\n\nthe movie\n")
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout == """
            {"ids": [101, 7592, 2088, 102]}
            {"ids": [101, 102]}
            {"ids": [101, 1996, 3185, 102]}

            """)
    }

    @Test func maxLengthTruncatesAndPairsGetTypeIds() throws {
        let single = try Binary.run(["tokenize", "--model", model, "--json", "--max-length", "3", "hello world"])
        #expect(single.stdout == "{\"ids\": [101, 7592, 102]}\n")
        let pair = try Binary.run(["tokenize", "--model", model, "--json", "--pair", "--max-length", "6"],
                                  stdin: "a b\tc d e f g\n")
        #expect(pair.status == 0, "\(pair.stderr)")
        #expect(pair.stdout == "{\"ids\": [101, 1037, 102, 1039, 1040, 102], \"type_ids\": [0, 0, 0, 1, 1, 1]}\n")
        // no truncation without --max-length
        let long = String(repeating: "word ", count: 600)
        let whole = try Binary.run(["tokenize", "--model", model, "--json", long])
        #expect(whole.stdout.split(separator: ",").count == 602)
    }

    @Test func badVocabPathIsOneClearError() throws {
        let out = try Binary.run(["tokenize", "--model", "/nonexistent/model", "hello"])
        #expect(out.status != 0)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr == "finemix: cannot read vocabulary /nonexistent/model: file missing or unreadable\n")
    }

    @Test func pairWithoutTabNamesTheLine() throws {
        let out = try Binary.run(["tokenize", "--model", model, "--pair"], stdin: "a\tb\nno tab here\n")
        #expect(out.status != 0)
        #expect(out.stdout == "a [SEP] b\n")
        #expect(out.stderr == "finemix: stdin line 2: expected first<TAB>second for --pair, found no tab\n")
    }

    @Test func nonUTF8StdinNamesTheLine() throws {
        let process = Process()
        process.executableURL = Binary.url
        process.arguments = ["tokenize", "--model", model]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data("fine\n".utf8) + Data([0xFF, 0xFE, 0x0A]))
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus != 0)
        #expect(String(decoding: out, as: UTF8.self) == "fine\n")
        #expect(String(decoding: err, as: UTF8.self) == "finemix: stdin line 2 is not valid UTF-8\n")
    }
}
