/// The check `finemix run` makes before the first line of any script runs: every line parsed,
/// checked against its verb's spec (options, argument count, every value, by the same code the
/// verb runs with), and every `variant NAME` matched against the names earlier lines will
/// give their variants. All problems of all sources are listed, each at source:line:column.
public enum ScriptCheck {
    /// A command and where it came from.
    public struct Step: Sendable {
        public var source: String
        public var line: Int
        public var command: Command
    }

    public struct Problem: Equatable, Sendable, CustomStringConvertible {
        public var source: String
        public var line: Int
        public var column: Int
        public var message: String
        public var description: String { "\(source):\(line):\(column): \(message)" }
    }

    /// One source: a script's text lines, or a resumed journal's replayed commands (numbered
    /// in replay order).
    public struct Source: Sendable {
        public var name: String
        public var lines: [String]
        public init(name: String, lines: [String]) { self.name = name; self.lines = lines }
        public init(name: String, text: String) {
            self.init(name: name, lines: text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
        }
    }

    /// The steps to run, in order, and every problem (empty: all may run).
    public static func check(_ sources: [Source]) -> (steps: [Step], problems: [Problem]) {
        var steps: [Step] = []
        var problems: [Problem] = []
        var names = NameTracker()
        for source in sources {
            for (i, text) in source.lines.enumerated() {
                func problem(_ column: Int, _ message: String) {
                    problems.append(Problem(source: source.name, line: i + 1, column: column, message: message))
                }
                let located: CommandParser.Located
                do {
                    guard let l = try CommandParser.locate(text) else { continue }
                    located = l
                } catch {
                    problem(error.column, error.message)
                    continue
                }
                let c = located.command
                guard let spec = Verbs.spec(c.verb) else {
                    problem(located.verbColumn, "unknown command '\(c.verb)'; commands: \(Verbs.all.map(\.verb).joined(separator: ", "))")
                    continue
                }
                let found = spec.problems(c)
                let placed = found.map { p -> (Int, String) in
                    switch p.word {
                    case .verb: return (located.verbColumn, p.message)
                    case .argument(let k): return (located.argumentColumns[k], p.message)
                    case .option(let key): return (located.optionColumns[key] ?? located.verbColumn, p.message)
                    }
                }
                for (column, message) in placed.sorted(by: { $0.0 < $1.0 }) { problem(column, message) }
                if found.isEmpty, let message = names.apply(c) {
                    problem(located.argumentColumns.first ?? located.verbColumn, message)
                }
                steps.append(Step(source: source.name, line: i + 1, command: c))
            }
        }
        return (steps, problems)
    }

    /// The names of the recorded variants, the current one and the undo stack, as the session
    /// will have them if every line before succeeds (a line that fails stops the run).
    struct NameTracker {
        struct Entry { var name: String; var mixBase: String? }
        var variants: [Entry] = []
        var names = TakenNames()
        var current: Entry?
        var undo: [Entry] = []
        var victimLoaded = false
        /// `rho LAYER VALUE` lines so far: the session's per-layer ρ, part of a mix's name.
        var layerRho: [String: Double] = [:]

        mutating func adopt(_ e: Entry, record: Bool = true) {
            if let current { undo.append(current) }
            if undo.count > Session.undoDepth { undo.removeFirst() }
            current = e
            if record { variants.removeAll { $0.name == e.name }; variants.append(e); names.insert(e.name) }
        }

        mutating func unique(_ base: String) -> String { names.unique(base) }

        /// Follows one checked command; a message when it names a variant no earlier line makes.
        mutating func apply(_ c: Command) -> String? {
            switch c.verb {
            case "load" where c.arguments.first == "victim", "attack":
                variants.removeAll(); names.removeAll(); undo.removeAll()
                adopt(Entry(name: "victim"))
                victimLoaded = true
            case "mix":
                // `mix auto`'s ρ (and so its variant's name) is known only when it runs.
                guard let cur = current, let a = try? MixArguments(c), let rho = a.rho else { break }
                let base = cur.mixBase ?? cur.name
                adopt(Entry(name: unique(VariantNames.mix(of: base, rho: rho, layers: layerRho)), mixBase: base))
            case "rho":
                if let a = try? RhoArguments(c) { layerRho[a.layer] = a.value }
            case "epur":
                if let cur = current { adopt(Entry(name: unique(VariantNames.epur(of: cur.name)))) }
            case "finetune":
                if let cur = current { adopt(Entry(name: unique(VariantNames.finetune(of: cur.name)))) }
            case "prune":
                if let cur = current, let a = try? PruneArguments(c) {
                    adopt(Entry(name: unique(VariantNames.prune(of: cur.name, ratio: a.ratio))))
                }
            case "undo":
                if let previous = undo.popLast() { current = previous }
            case "variant":
                let name = c.arguments[0]
                if name == "pre" {
                    guard victimLoaded else { return "variant pre: no earlier line loads a victim (its head is needed)" }
                    adopt(Entry(name: "pre"))
                } else if let e = variants.first(where: { $0.name == name }) {
                    adopt(e, record: false)
                } else {
                    var names = variants.map(\.name)
                    if victimLoaded && !names.contains("pre") { names.append("pre") }
                    let known = names.map { "'\($0)'" }
                    return "variant: no earlier line makes a variant named '\(name)'"
                        + (known.isEmpty ? " (none is made before this line)" : "; variants at this line: \(known.joined(separator: ", "))")
                }
            default:
                break
            }
            return nil
        }
    }
}
