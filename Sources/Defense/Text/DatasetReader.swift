import Foundation

/// Reads a labelled dataset from a TSV, CSV or JSONL file.
///
/// Problems with one row (too few fields, empty text, a label that is not a number where one is
/// needed, a JSONL line that is not an object) are *bad rows*: skipped and counted in the report,
/// or fatal with `strict`. Problems with the file or the request are always fatal, with file and
/// line: no such column, a label outside a given label map, an empty file, invalid UTF-8, a single
/// class, or no usable rows at all.
public enum DatasetReader {
    public static func read(path: String, options: ReadOptions = ReadOptions(), name: String? = nil) throws -> Dataset {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let file = try TextFile(path: absolute)
        return try read(file, options: options, name: name ?? absolute)
    }

    /// The same from bytes already in memory; `path` names them in messages.
    public static func read(data: Data, path: String, options: ReadOptions = ReadOptions()) throws -> Dataset {
        try read(TextFile(path: path, data: data), options: options, name: path)
    }

    static func read(_ file: TextFile, options: ReadOptions, name: String) throws -> Dataset {
        let format = try options.format ?? DataFormat.from(path: file.path)
        var bad = BadRows(path: file.path, strict: options.strict)
        let rows: [LabelledRow]
        switch format {
        case .tsv: rows = try tabularRows(file, options: options, delimiter: 0x09, quoting: false, bad: &bad)
        case .csv: rows = try tabularRows(file, options: options, delimiter: 0x2C, quoting: true, bad: &bad)
        case .jsonl: rows = try jsonlRows(file, options: options, bad: &bad)
        }
        return try LabelBuilder.build(rows: rows, path: file.path, name: name, rule: options.labels, bad: &bad)
    }

    // MARK: TSV and CSV

    private static func tabularRows(_ file: TextFile, options: ReadOptions, delimiter: UInt8, quoting: Bool,
                                    bad: inout BadRows) throws -> [LabelledRow] {
        let records = try DelimitedText.records(file, delimiter: delimiter, quoting: quoting)
        guard let first = records.first else { throw FinemixError("\(file.path): line 1: the file is empty") }
        var data = records[...]
        var columnNames: [String]? = nil
        if options.hasHeader {
            columnNames = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
            data = records.dropFirst()
            guard let next = data.first else {
                throw FinemixError("\(file.path): line \(first.line + 1): no data rows after the header")
            }
            _ = next
        }
        func resolve(_ ref: ColumnRef, _ role: String) throws -> Int {
            switch ref {
            case .index(let i):
                if let names = columnNames, i >= names.count {
                    throw FinemixError("\(file.path): line \(first.line): no \(role) column #\(i): the header has \(names.count) columns (\(names.joined(separator: ", ")))")
                }
                return i
            case .name(let n):
                guard let names = columnNames else {
                    throw FinemixError("\(file.path): the \(role) column is chosen by name ('\(n)') but the file is read without a header row; choose it by 0-based index or read the header")
                }
                guard let i = names.firstIndex(of: n) else {
                    throw FinemixError("\(file.path): line \(first.line): no \(role) column named '\(n)' in the header (columns: \(names.joined(separator: ", ")))")
                }
                return i
            }
        }
        let textIndex = try resolve(options.text, "text")
        let pairIndex = try options.pair.map { try resolve($0, "pair") }
        let labelIndex = try resolve(options.label, "label")
        let needed = max(textIndex, labelIndex, pairIndex ?? 0) + 1

        var rows: [LabelledRow] = []
        rows.reserveCapacity(data.count)
        for r in data {
            bad.rowsRead += 1
            guard r.fields.count >= needed else {
                let missing = [("text", textIndex), ("label", labelIndex)] + (pairIndex.map { [("pair", $0)] } ?? [])
                let which = missing.filter { $0.1 >= r.fields.count }.map { "\($0.0) (#\($0.1))" }.joined(separator: ", ")
                try bad.report(line: r.line, "has \(r.fields.count) field\(r.fields.count == 1 ? "" : "s"), so no \(which) column")
                continue
            }
            rows.append(LabelledRow(line: r.line, text: r.fields[textIndex],
                                    pair: pairIndex.map { r.fields[$0] }, label: r.fields[labelIndex]))
        }
        return rows
    }

    // MARK: JSONL

    private static func jsonlRows(_ file: TextFile, options: ReadOptions, bad: inout BadRows) throws -> [LabelledRow] {
        func key(_ ref: ColumnRef, _ role: String) throws -> String {
            switch ref {
            case .name(let n): return n
            case .index(let i):
                throw FinemixError("\(file.path): JSONL fields are chosen by key, not by index: the \(role) column is #\(i)")
            }
        }
        let textKey = try key(options.text, "text")
        let pairKey = try options.pair.map { try key($0, "pair") }
        let labelKey = try key(options.label, "label")

        var rows: [LabelledRow] = []
        let b = file.bytes
        var start = 0
        var line = 0
        while start < b.count {
            line += 1
            var end = start
            while end < b.count && b[end] != 0x0A { end += 1 }
            let slice = b[start..<end]
            start = end + 1
            guard slice.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { continue }
            bad.rowsRead += 1
            let object: [String: Any]
            do {
                guard let o = try JSONSerialization.jsonObject(with: Data(slice), options: [.fragmentsAllowed]) as? [String: Any] else {
                    try bad.report(line: line, "is not a JSON object")
                    continue
                }
                object = o
            } catch let e as FinemixError {
                throw e
            } catch {
                try bad.report(line: line, "is not valid JSON")
                continue
            }
            func field(_ k: String, _ role: String) throws -> String? {
                guard let v = object[k], !(v is NSNull) else {
                    let keys = object.keys.sorted().joined(separator: ", ")
                    try bad.report(line: line, "has no \(role) key '\(k)' (keys: \(keys))")
                    return nil
                }
                if let s = v as? String { return s }
                if let n = v as? NSNumber {
                    let d = n.doubleValue
                    if d.isFinite && d == d.rounded() && abs(d) < 1e15 { return String(Int64(d)) }
                    return String(d)
                }
                try bad.report(line: line, "has a \(role) value under '\(k)' that is neither a string nor a number")
                return nil
            }
            guard let text = try field(textKey, "text") else { continue }
            var pair: String? = nil
            if let pairKey {
                guard let p = try field(pairKey, "pair") else { continue }
                pair = p
            }
            guard let label = try field(labelKey, "label") else { continue }
            rows.append(LabelledRow(line: line, text: text, pair: pair, label: label))
        }
        return rows
    }
}

/// A row with its columns picked out, before its label becomes a class.
struct LabelledRow {
    let line: Int
    let text: String
    let pair: String?
    let label: String
}

/// Skips or throws on bad rows, and remembers the first few messages.
struct BadRows {
    let path: String
    let strict: Bool
    var rowsRead = 0
    var count = 0
    var messages: [String] = []

    mutating func report(line: Int, _ what: String) throws {
        let message = "\(path): line \(line): \(what)"
        if strict { throw FinemixError(message + " (strict mode stops at the first bad row)") }
        count += 1
        if messages.count < DatasetLoadReport.keptMessages { messages.append(message) }
    }
}
