import ArgumentParser
import Defense
import Foundation

/// E-PUR on its own: rank the vocabulary by embedding drift over log frequency in clean text,
/// print the candidates, optionally write the victim with the top rows reset.
struct EpurCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "epur",
        abstract: "Rank tokens whose word embeddings moved suspiciously far (E-PUR) and optionally reset them.",
        discussion: """
            score = δ / log(max(f, fmin)), δ = ‖E_victim[i] − E_pre[i]‖, f = the token's count in the \
            clean text. The top N rows by score are the ones E-PUR resets to the pre-trained values. \
            --clean is a built-in dataset name (rt, amazon, ...), a .tsv/.csv/.jsonl dataset, or a \
            .txt file of one sentence per line. [CLS], [SEP] and [PAD] are never candidates.
            """)

    @Option(name: .long, help: "The pre-trained checkpoint folder.")
    var pre: String

    @Option(name: .long, help: "The fine-tuned (victim) checkpoint folder.")
    var victim: String

    @Option(name: .long, help: "Clean text: a built-in dataset, a dataset file, or a .txt file (one sentence per line).")
    var clean: String

    @Option(name: .long, help: "Use this many clean sentences (a seeded random subset; default: all).")
    var cleanSize: Int?

    @Option(name: .long, help: "Seed of the clean subset.")
    var seed: UInt64 = 0

    @Option(name: .long, help: "An extra corpus (one text per line) counted with the clean text.")
    var corpus: String?

    @Option(name: .long, help: "N: how many rows to reset.")
    var top: Int = 200

    @Option(name: .long, help: "f_min (at least 2): frequencies below it count as f_min.")
    var fmin: Int = 20

    @Option(name: .long, help: "How many ranked tokens to print.")
    var show: Int = 20

    @Flag(name: .long, help: "Print one JSON object instead of a table.")
    var json = false

    @Option(name: .long, help: "Write the purified victim (top N rows reset) to this folder, with epur.json.")
    var out: String?

    @OptionGroup var replace: ReplaceOption

    @OptionGroup var read: DataReadOptions
    @OptionGroup var workspace: WorkspaceOptions

    func validate() throws {
        guard show >= 0 else { throw ValidationError("--show must be at least 0") }
        if let cleanSize, cleanSize < 1 { throw ValidationError("--clean-size must be at least 1") }
    }

    func cleanTexts() throws -> [String] {
        var texts: [String]
        if clean.lowercased().hasSuffix(".txt") {
            texts = try EPUR.corpusLines(URL(fileURLWithPath: clean))
        } else {
            texts = EPUR.texts(try read.load(clean, cache: workspace.cache).examples)
        }
        if let cleanSize, cleanSize < texts.count {
            var g = SeededRandom(seed: seed, stream: "epur-clean")
            texts = Array(g.shuffled(texts).prefix(cleanSize))
        }
        return texts
    }

    func run() throws {
        try failing {
            let clock = ContinuousClock()
            let preFolder = try CheckpointFolder(URL(fileURLWithPath: pre, isDirectory: true))
            let victimFolder = try CheckpointFolder(URL(fileURLWithPath: victim, isDirectory: true), adapterBase: preFolder.url)
            let output = try out.map {
                try OutputFolder(path: $0, command: "epur", force: replace.force,
                                 inputs: workspace.inputs + [(what: "the pre-trained model", url: preFolder.url), (what: "the victim", url: victimFolder.url)])
            }
            let texts = try cleanTexts()
            let start = clock.now
            let report = try EPUR.run(pre: preFolder, victim: victimFolder, clean: texts,
                                      corpus: corpus.map { URL(fileURLWithPath: $0) }, options: .init(top: top, fmin: fmin))
            var timings = ["epur": elapsedSeconds(clock.now - start)]
            if let output {
                let t = clock.now
                let dir = output.url
                let purified = try PurifiedWeights(base: victimFolder.weights, pre: preFolder.weights, rows: report.ids)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                let json = try encoder.encode(report)
                try output.write { tmp in
                    try CheckpointFolder.save(config: victimFolder.config, vocab: victimFolder.vocabURL, source: purified,
                                              names: purified.tensorNames, to: tmp,
                                              metadata: ["finemix_epur": "top=\(top) fmin=\(fmin)"])
                    try AtomicFile.write(json, to: tmp.appendingPathComponent("epur.json"))
                }
                timings["save"] = elapsedSeconds(clock.now - t)
                note("wrote \(dir.path)")
            }
            if json {
                struct Output: Encodable { let epur: EPURReport; let cleanTexts: Int; let seconds: [String: Double]
                    enum CodingKeys: String, CodingKey { case epur, seconds, cleanTexts = "clean_texts" } }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(Output(epur: report, cleanTexts: texts.count, seconds: timings)), as: UTF8.self))
            } else {
                print("E-PUR: top \(top), fmin \(fmin), \(texts.count) clean texts\(corpus.map { " + corpus \($0)" } ?? "")")
                print("  \("rank".rightAligned(4))  \("id".rightAligned(6))  \("token".padding(toLength: 16, withPad: " ", startingAt: 0))  \("drift".rightAligned(9))  \("freq".rightAligned(6))  \("score".rightAligned(9))")
                for (i, t) in report.tokens.prefix(show).enumerated() {
                    print("  \(String(i + 1).rightAligned(4))  \(String(t.id).rightAligned(6))  \(t.token.padding(toLength: 16, withPad: " ", startingAt: 0))  \(String(format: "%.5f", t.drift).rightAligned(9))  \(String(t.freq).rightAligned(6))  \(String(format: "%.5f", t.score).rightAligned(9))")
                }
                if report.tokens.count > show { print("  … \(report.tokens.count - show) more reset") }
                print(timings.keys.sorted().map { "\($0) \(String(format: "%.3f", timings[$0]!)) s" }.joined(separator: ", "))
            }
        }
    }
}
