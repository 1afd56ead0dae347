/// One labelled input: a sentence, or a sentence pair (`text` then `pair`, encoded as
/// `[CLS] text [SEP] pair [SEP]`), with its class index.
public struct Example: Sendable, Hashable, Codable {
    public var text: String
    public var pair: String?
    public var label: Int

    public init(text: String, pair: String? = nil, label: Int) {
        self.text = text
        self.pair = pair
        self.label = label
    }
}

/// A loaded dataset: its examples, the class names (index = label), and what loading did.
public struct Dataset: Sendable {
    /// The built-in name (`rt`) or the absolute path of the file it came from.
    public let name: String
    public let examples: [Example]
    public let labelNames: [String]
    public let report: DatasetLoadReport

    public init(name: String, examples: [Example], labelNames: [String], report: DatasetLoadReport) {
        self.name = name
        self.examples = examples
        self.labelNames = labelNames
        self.report = report
    }

    public var numLabels: Int { labelNames.count }
    public var isPair: Bool { examples.contains { $0.pair != nil } }

    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: numLabels)
        for e in examples where e.label >= 0 && e.label < numLabels { counts[e.label] += 1 }
        return counts
    }

    /// A short stable digest of the content (FNV-1a over texts and labels), recorded with a split
    /// so that rebuilding it from a file that has changed since is caught instead of silently
    /// giving a different split.
    public var fingerprint: String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ s: String) { for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }; h = (h ^ 0xff) &* 0x0000_0100_0000_01b3 }
        for e in examples {
            mix(e.text)
            mix(e.pair ?? "\u{0}")
            mix(String(e.label))
        }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// What loading a dataset did: rows read, rows skipped and why, rows dropped on purpose.
public struct DatasetLoadReport: Sendable, Codable, Hashable {
    public var source: String
    /// Data rows seen (header and blank lines not counted).
    public var rowsRead = 0
    /// Bad rows skipped (non-strict mode); `skipped` keeps the first few messages.
    public var skippedCount = 0
    public var skipped: [String] = []
    /// Rows dropped by the rating rule's neutral band (not errors).
    public var droppedNeutral = 0
    /// Rows dropped because the same text (compared lowercased, whitespace collapsed) came earlier.
    public var duplicatesDropped = 0
    /// Of those, duplicates whose label disagreed with the first occurrence (the first one wins).
    public var conflictingDuplicates = 0
    /// How labels were turned into class indices, e.g. ["-1 → 0", "1 → 1"].
    public var labelMapping: [String] = []
    public var classCounts: [Int] = []

    public init(source: String) { self.source = source }

    static let keptMessages = 20
}
