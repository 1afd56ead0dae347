import Foundation

/// Turns picked-out rows into examples: trims texts, applies the label rule, drops duplicate
/// texts, and checks that at least two classes remain.
enum LabelBuilder {
    /// A row whose text (and pair) survived trimming.
    typealias Kept = (row: LabelledRow, text: String, pair: String?)
    /// An example and the file line it came from.
    typealias Labelled = (line: Int, example: Example)

    static func build(rows: [LabelledRow], path: String, name: String, rule: LabelRule, bad: inout BadRows) throws -> Dataset {
        var report = DatasetLoadReport(source: path)
        let kept = try trimmed(rows, bad: &bad)
        let (labelled, labelNames) = try label(kept, rule: rule, path: path, report: &report, bad: &bad)
        let examples = deduplicated(labelled, report: &report)
        report.rowsRead = bad.rowsRead
        report.skippedCount = bad.count
        report.skipped = bad.messages
        try checkUsable(examples, labelled: labelled, labelNames: labelNames, path: path, report: &report, bad: bad)
        return Dataset(name: name, examples: examples, labelNames: labelNames, report: report)
    }

    /// Texts trimmed; a row with an empty text or pair is a bad row.
    private static func trimmed(_ rows: [LabelledRow], bad: inout BadRows) throws -> [Kept] {
        var kept: [Kept] = []
        kept.reserveCapacity(rows.count)
        for r in rows {
            let text = r.text.trimmingCharacters(in: .whitespacesAndNewlines)
            let pair = r.pair?.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { try bad.report(line: r.line, "the text is empty"); continue }
            if let pair, pair.isEmpty { try bad.report(line: r.line, "the second text (pair) is empty"); continue }
            kept.append((r, text, pair))
        }
        return kept
    }

    /// Labels to class indices by the rule; the class names and the mapping for the report.
    private static func label(_ kept: [Kept], rule: LabelRule, path: String, report: inout DatasetLoadReport,
                              bad: inout BadRows) throws -> ([Labelled], [String]) {
        func value(_ k: Kept) -> String { k.row.label.trimmingCharacters(in: .whitespaces) }
        func example(_ k: Kept, _ label: Int) -> Labelled { (k.row.line, Example(text: k.text, pair: k.pair, label: label)) }
        var labelled: [Labelled] = []
        var labelNames: [String] = []
        switch rule {
        case .discover:
            let values = Set(kept.map(value))
            let numbers = values.compactMap { Double($0) }
            let sorted = numbers.count == values.count
                ? values.sorted { Double($0)! != Double($1)! ? Double($0)! < Double($1)! : $0 < $1 }
                : values.sorted()
            if sorted.count > LabelRule.maxClasses {
                throw FinemixError("\(path): \(sorted.count) distinct labels (more than \(LabelRule.maxClasses)): is the label column right?")
            }
            let ids = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($1, $0) })
            labelNames = sorted
            report.labelMapping = sorted.enumerated().map { "\($1) → \($0)" }
            labelled = kept.map { example($0, ids[value($0)]!) }
        case .map(let map):
            guard !map.isEmpty else { throw FinemixError("\(path): the label map is empty") }
            let count = (map.values.max() ?? 0) + 1
            labelNames = (0..<count).map { id in map.filter { $0.value == id }.keys.sorted().joined(separator: "|") }
                .enumerated().map { $1.isEmpty ? String($0) : $1 }
            report.labelMapping = map.sorted { $0.value != $1.value ? $0.value < $1.value : $0.key < $1.key }.map { "\($0.key) → \($0.value)" }
            for k in kept {
                guard let id = map[value(k)] else {
                    throw FinemixError("\(path): line \(k.row.line): unknown label '\(value(k))': the label map knows \(map.keys.sorted().map { "'\($0)'" }.joined(separator: ", "))")
                }
                labelled.append(example(k, id))
            }
        case .numeric:
            var maxId = 0
            for k in kept {
                guard let d = Double(value(k)), d == d.rounded(), d >= 0, d < Double(LabelRule.maxClasses) else {
                    try bad.report(line: k.row.line, "label '\(value(k))' is not a class index 0..<\(LabelRule.maxClasses)")
                    continue
                }
                maxId = max(maxId, Int(d))
                labelled.append(example(k, Int(d)))
            }
            labelNames = (0...maxId).map(String.init)
            report.labelMapping = labelNames.map { "\($0) → \($0)" }
        case .threshold(let at, let band):
            for k in kept {
                guard let d = Double(value(k)), d.isFinite else {
                    try bad.report(line: k.row.line, "rating '\(value(k))' is not a number")
                    continue
                }
                if abs(d - at) < band { report.droppedNeutral += 1; continue }
                labelled.append(example(k, d > at ? 1 : 0))
            }
            labelNames = ["negative", "positive"]
            report.labelMapping = ["rating ≤ \(at) → 0", "rating > \(at) → 1", "|rating − \(at)| < \(band) dropped"]
        }
        return (labelled, labelNames)
    }

    /// The same sentence must not land in two splits. Compared lowercased with whitespace
    /// collapsed, because the uncased tokenizer cannot tell such copies apart.
    private static func deduplicated(_ labelled: [Labelled], report: inout DatasetLoadReport) -> [Example] {
        var firstLabel: [String: Int] = [:]
        var examples: [Example] = []
        examples.reserveCapacity(labelled.count)
        for (_, e) in labelled {
            let key = dedupKey(e)
            if let l = firstLabel[key] {
                report.duplicatesDropped += 1
                if l != e.label { report.conflictingDuplicates += 1 }
                continue
            }
            firstLabel[key] = e.label
            examples.append(e)
        }
        return examples
    }

    /// Refuses a dataset with no rows left or a single class; counts the classes.
    private static func checkUsable(_ examples: [Example], labelled: [Labelled], labelNames: [String], path: String,
                                    report: inout DatasetLoadReport, bad: BadRows) throws {
        guard !examples.isEmpty else {
            if let firstBad = bad.messages.first {
                throw FinemixError("\(path): no usable rows: all \(bad.count) bad rows were skipped; the first: \(firstBad)")
            }
            if report.droppedNeutral > 0 {
                throw FinemixError("\(path): no usable rows: all \(report.droppedNeutral) ratings fell in the neutral band")
            }
            throw FinemixError("\(path): no usable rows")
        }
        var counts = [Int](repeating: 0, count: labelNames.count)
        for e in examples { counts[e.label] += 1 }
        report.classCounts = counts
        let present = counts.enumerated().filter { $0.element > 0 }
        if present.count < 2 {
            let only = labelNames[present[0].offset]
            let lines = labelled.map(\.line)
            throw FinemixError("\(path): lines \(lines.min()!)–\(lines.max()!): all \(examples.count) examples have the label '\(only)' (class \(present[0].offset)); a classifier needs at least two classes")
        }
    }

    static func dedupKey(_ e: Example) -> String {
        func norm(_ s: String) -> String { s.lowercased().split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        return e.pair.map { norm(e.text) + "\u{1}" + norm($0) } ?? norm(e.text)
    }
}
