import ArgumentParser
import Defense
import Foundation

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify texts with a model folder: one output line per input.",
        discussion: """
            With no TEXT, reads one input per stdin line. With --pair, each input is FIRST<TAB>SECOND.
            Output: LABEL<TAB>P0 P1 ... (class probabilities), or with --json
            {"logits": [...], "probs": [...], "label": k}.
            A folder without a classifier head (a bare encoder such as all-MiniLM-L6-v2) is refused:
            its predictions would be noise. --allow-random-head gives it a seeded random head
            (HuggingFace's N(0, 0.02) initialisation), for testing the pipeline only.
            """)

    @Option(name: .long, help: "Model folder: config.json, a tokenizer (tokenizer.json, vocab.txt, vocab.json + merges.txt), weights (model.safetensors, shards, pytorch_model.bin); or a LoRA adapter folder.")
    var model: String

    @Flag(name: .long, help: "One JSON object per line.")
    var json = false

    @Flag(name: .long, help: "Inputs are sentence pairs separated by a tab.")
    var pair = false

    @Option(name: .long, help: "Truncate inputs to this many tokens, the special tokens ([CLS]/[SEP], <s>/</s>) included.")
    var maxLength = 128

    @Option(name: .long, help: "Inputs per batch.")
    var batchSize = 32

    @Flag(name: .long, help: "Use a seeded random classifier head when the folder has none (testing only).")
    var allowRandomHead = false

    @Option(name: .long, help: "Seed of the random head with --allow-random-head.")
    var seed: UInt64 = 0

    @Option(name: .long, help: ArgumentHelp(PrecisionOption.help, valueName: "fp32|bf16"))
    var precision: String = Precision.fp32.rawValue

    @Argument(help: "Texts to classify (default: stdin lines).")
    var texts: [String] = []

    func run() throws {
        try failing {
            guard maxLength >= 3 else { throw FinemixError("--max-length must be at least 3, found \(maxLength)") }
            guard batchSize >= 1 else { throw FinemixError("--batch-size must be at least 1, found \(batchSize)") }
            let precision = try PrecisionOption.parse(precision)
            let folder = try CheckpointFolder(URL(fileURLWithPath: model, isDirectory: true))
            let (bert, hasHead) = try BertModel.load(folder, headSeed: seed)
            if !hasHead && !allowRandomHead {
                throw FinemixError("\(model) has no classifier head (classifier.weight): it is a bare encoder, so its predictions would be noise. Fine-tune it first, or pass --allow-random-head to test with a seeded random head")
            }
            if !hasHead { note("finemix: \(model) has no classifier head; using a random head (seed \(seed))") }
            let tokenizer = try Tokenizer(vocabURL: folder.vocabURL)
            let maxLen = min(maxLength, folder.config.maxSequenceLength)
            let predictor = try Predictor(model: bert, maxBatch: batchSize, maxSeq: maxLen,
                                          bf16: precision.weights(of: bert))

            var pending: [(ids: [Int32], typeIds: [Int32])] = []
            var printed = 0
            func flush() throws {
                guard !pending.isEmpty else { return }
                for logits in try predictor.logits(pending, firstNumber: printed + 1) { print(format(logits)) }
                printed += pending.count
                pending.removeAll(keepingCapacity: true)
            }
            func add(_ line: String, _ number: Int) throws {
                let e: Encoding
                if pair {
                    guard let tab = line.firstIndex(of: "\t") else {
                        throw FinemixError("input \(number): --pair expects FIRST<TAB>SECOND, found no tab")
                    }
                    e = tokenizer.encode(String(line[..<tab]), String(line[line.index(after: tab)...]), maxLength: maxLen)
                } else {
                    e = tokenizer.encode(line, maxLength: maxLen)
                }
                pending.append((e.ids, e.typeIds))
                if pending.count == batchSize { try flush() }
            }
            if texts.isEmpty {
                var n = 0
                while let line = readLine(strippingNewline: true) {
                    n += 1
                    try add(line.hasSuffix("\r") ? String(line.dropLast()) : line, n)
                }
            } else {
                for (i, t) in texts.enumerated() { try add(t, i + 1) }
            }
            try flush()
        }
    }

    func format(_ logits: [Float]) -> String {
        let m = logits.max() ?? 0
        let e = logits.map { Foundation.exp(Double($0 - m)) }
        let s = e.reduce(0, +)
        let probs = e.map { $0 / s }
        let label = probs.indices.max { probs[$0] < probs[$1] } ?? 0
        if json {
            let l = logits.map { "\($0)" }.joined(separator: ", ")
            let p = probs.map { String(format: "%.6g", $0) }.joined(separator: ", ")
            return "{\"logits\": [\(l)], \"probs\": [\(p)], \"label\": \(label)}"
        }
        return "\(label)\t" + probs.map { String(format: "%.4f", $0) }.joined(separator: " ")
    }
}
