import Foundation

/// A column of a TSV/CSV file (by header name or 0-based index) or a key of a JSONL object.
public enum ColumnRef: Sendable, Hashable, Codable, CustomStringConvertible {
    case name(String)
    case index(Int)

    /// All digits means a 0-based index (`0` is the first column); anything else is a name.
    public static func parse(_ s: String) -> ColumnRef {
        if !s.isEmpty, s.allSatisfy(\.isASCII), s.allSatisfy(\.isNumber), let i = Int(s) { return .index(i) }
        return .name(s)
    }

    public var description: String {
        switch self {
        case .name(let n): return "'\(n)'"
        case .index(let i): return "#\(i)"
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let i = try? c.decode(Int.self) { self = .index(i) } else { self = .name(try c.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .name(let n): try c.encode(n)
        case .index(let i): try c.encode(i)
        }
    }
}

/// How the label column becomes a class index.
public enum LabelRule: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Distinct values sorted (numerically when all are numbers, else by text); class = rank.
    case discover
    /// Given map; a value not in it is an error.
    case map(labels: [String: Int])
    /// Values are class indices already (0, 1, ...).
    case numeric
    /// Ratings: class 1 when value > `at`, else 0; rows with |value − at| < `neutralBand` dropped.
    case threshold(at: Double, neutralBand: Double)

    /// CLI syntax: `discover` | `numeric` | `neg=0,pos=1` | `threshold:T` | `threshold:T:BAND`.
    public static func parse(_ s: String) throws -> LabelRule {
        let t = s.trimmingCharacters(in: .whitespaces)
        if t == "discover" { return .discover }
        if t == "numeric" { return .numeric }
        if t.hasPrefix("threshold:") {
            let parts = t.dropFirst("threshold:".count).split(separator: ":", omittingEmptySubsequences: false)
            guard (1...2).contains(parts.count), let at = Double(parts[0]),
                  let band = parts.count == 2 ? Double(parts[1]) : 0, band >= 0, at.isFinite, band.isFinite else {
                throw FinemixError("labels '\(s)': expected threshold:T or threshold:T:BAND with numbers, BAND ≥ 0 (for example threshold:0:0.5)")
            }
            return .threshold(at: at, neutralBand: band)
        }
        if t.contains("=") {
            var map: [String: Int] = [:]
            for entry in t.split(separator: ",") {
                let kv = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard kv.count == 2, !kv[0].isEmpty, let id = Int(kv[1]), id >= 0, id < LabelRule.maxClasses else {
                    throw FinemixError("labels '\(s)': entry '\(entry)' is not VALUE=CLASS with CLASS in 0..<\(LabelRule.maxClasses)")
                }
                map[kv[0]] = id
            }
            return .map(labels: map)
        }
        throw FinemixError("labels '\(s)': expected discover, numeric, VALUE=CLASS,... or threshold:T[:BAND]")
    }

    public var description: String {
        switch self {
        case .discover: return "discover"
        case .numeric: return "numeric"
        case .map(let m): return m.sorted { $0.value != $1.value ? $0.value < $1.value : $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        case .threshold(let at, let band): return "threshold:\(at):\(band)"
        }
    }

    /// A classifier head with more classes than this is a mistake in the data, not a task.
    public static let maxClasses = 1000
}

public enum DataFormat: String, Sendable, Hashable, Codable {
    case tsv, csv, jsonl

    /// From the file extension: `.tsv`/`.tab`/`.txt` are TSV, `.csv` CSV, `.jsonl`/`.ndjson` JSONL.
    public static func from(path: String) throws -> DataFormat {
        let ext = (path as NSString).pathExtension.lowercased()
        switch ext {
        case "tsv", "tab", "txt": return .tsv
        case "csv": return .csv
        case "jsonl", "ndjson": return .jsonl
        default:
            throw FinemixError("\(path): cannot tell the format from the extension '.\(ext)': use .tsv, .csv or .jsonl, or give the format")
        }
    }
}

/// Which columns hold what, and how strict to be. Recorded in reports so a load can be repeated.
public struct ReadOptions: Sendable, Hashable, Codable {
    public var format: DataFormat?
    public var text: ColumnRef
    public var pair: ColumnRef?
    public var label: ColumnRef
    /// Whether the first row names the columns (TSV/CSV). Nil: yes exactly when a column is chosen by name.
    public var header: Bool?
    public var labels: LabelRule
    /// A bad row stops the load instead of being skipped and counted.
    public var strict: Bool

    public init(format: DataFormat? = nil, text: ColumnRef = .name("text"), pair: ColumnRef? = nil,
                label: ColumnRef = .name("label"), header: Bool? = nil, labels: LabelRule = .discover,
                strict: Bool = false) {
        self.format = format
        self.text = text
        self.pair = pair
        self.label = label
        self.header = header
        self.labels = labels
        self.strict = strict
    }

    var hasHeader: Bool {
        if let header { return header }
        let refs = [text, label] + (pair.map { [$0] } ?? [])
        return refs.contains { if case .name = $0 { return true } else { return false } }
    }
}
