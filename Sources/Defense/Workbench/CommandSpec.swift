/// What each verb of the command language takes, and how it runs (a verb's file under Verbs/
/// makes its spec). The TUI's help and palette completion read `Verbs.all`, and every command
/// is checked against it before it runs, so an unknown option or a bad value is an error rather
/// than silently ignored or found after earlier lines ran.
public struct CommandSpec: Sendable {
    public let verb: String
    public let usage: String
    public let summary: String
    public let options: [String]
    public let arguments: ClosedRange<Int>
    /// Reads every value of a command as the verb's run does (its `Verb.init`), throwing on the
    /// first bad one.
    let values: @Sendable (Command) throws -> Void
    /// Runs a checked command on the session (`Session.execute` journals it).
    let run: @Sendable (Session, Command, EventSink, CancellationFlag) throws -> Session.Outcome
    /// Follows a checked command's effect on the variants' names without running it (`ScriptCheck`);
    /// a message when it names a variant no earlier line makes.
    let plan: @Sendable (Command, inout ScriptCheck.NameTracker) -> String?

    /// A spec that checks only options and word count and runs nothing (tests of the checks).
    public init(verb: String, usage: String, summary: String, options: [String], arguments: ClosedRange<Int>) {
        self.init(verb: verb, usage: usage, summary: summary, options: options, arguments: arguments, values: { _ in },
                  run: { _, c, _, _ in throw FinemixError("unknown command '\(c.verb)'") }, plan: { _, _ in nil })
    }

    init(verb: String, usage: String, summary: String, options: [String], arguments: ClosedRange<Int>,
         values: @escaping @Sendable (Command) throws -> Void,
         run: @escaping @Sendable (Session, Command, EventSink, CancellationFlag) throws -> Session.Outcome,
         plan: @escaping @Sendable (Command, inout ScriptCheck.NameTracker) -> String?) {
        self.verb = verb; self.usage = usage; self.summary = summary; self.options = options
        self.arguments = arguments; self.values = values; self.run = run; self.plan = plan
    }

    /// The word of a command a problem is in.
    public enum Word: Hashable, Sendable {
        case verb
        case argument(Int)
        case option(String)
    }

    public struct Problem: Equatable, Sendable {
        public var word: Word
        public var message: String
    }

    /// Every problem of `c`, not only the first: unknown options, the argument count, then each
    /// value. Each option is read on its own (with the arguments), so every bad value of a line
    /// is listed with the word it is in; then the whole command, for rules between options.
    public func problems(_ c: Command) -> [Problem] {
        var out: [Problem] = []
        for key in c.options.keys.sorted() where !options.contains(key) {
            let known = options.isEmpty ? "it takes no options" : "known: \(options.joined(separator: ", "))"
            out.append(Problem(word: .option(key), message: "\(verb): unknown option '\(key)' (\(known))"))
        }
        guard arguments.contains(c.arguments.count) else {
            let count = arguments.lowerBound == arguments.upperBound ? "\(arguments.lowerBound)" : "\(arguments.lowerBound) to \(arguments.upperBound)"
            out.append(Problem(word: .verb, message: "\(verb): expected \(count) argument(s), found \(c.arguments.count); usage: \(usage)"))
            return out
        }
        func failure(_ command: Command) -> String? {
            do { try values(command); return nil } catch let e as FinemixError { return e.message } catch { return "\(verb): \(error)" }
        }
        if let m = failure(Command(verb: c.verb, arguments: c.arguments)) {
            // The argument the message quotes, else the first.
            let i = c.arguments.indices.last { m.contains("'\(c.arguments[$0])'") } ?? 0
            out.append(Problem(word: c.arguments.isEmpty ? .verb : .argument(i), message: m))
            return out
        }
        for key in c.options.keys.sorted() where options.contains(key) {
            if let m = failure(Command(verb: c.verb, arguments: c.arguments, options: [key: c.options[key]!])) {
                out.append(Problem(word: .option(key), message: m))
            }
        }
        if out.isEmpty, let m = failure(c) { out.append(Problem(word: .verb, message: m)) }
        return out
    }

    /// Throws the first problem of `c`.
    public func validate(_ c: Command) throws {
        if let first = problems(c).first { throw FinemixError(first.message) }
    }
}

extension Command {
    public func double(_ key: String, default value: Double, in range: ClosedRange<Double>? = nil) throws -> Double {
        guard let text = options[key] else { return value }
        guard let v = Double(text), v.isFinite else { throw FinemixError("\(verb): \(key)=\(text) is not a number") }
        if let range, !range.contains(v) {
            throw FinemixError("\(verb): \(key)=\(text) is outside [\(range.lowerBound), \(range.upperBound)]")
        }
        return v
    }

    public func int(_ key: String, default value: Int, in range: ClosedRange<Int>? = nil) throws -> Int {
        guard let text = options[key] else { return value }
        guard let v = Int(text) else { throw FinemixError("\(verb): \(key)=\(text) is not a whole number") }
        if let range, !range.contains(v) {
            throw FinemixError("\(verb): \(key)=\(text) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    public func choice(_ key: String, default value: String, from allowed: [String]) throws -> String {
        guard let text = options[key] else { return value }
        guard allowed.contains(text) else {
            throw FinemixError("\(verb): \(key)=\(text) is not one of \(allowed.joined(separator: ", "))")
        }
        return text
    }

    public func flag(_ key: String, default value: Bool) throws -> Bool {
        guard let text = options[key] else { return value }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw FinemixError("\(verb): \(key)=\(text) is not on/off")
        }
    }
}

/// Values for a sweep: a range `start:stop:step` (inclusive of stop when it lands on it, as in
/// `sweep rho=0:1:0.1`), a comma list (`1,0.1,0.3`, in that order) or one number. The workbench's
/// `sweep` and `finemix sweep --rho` read it the same way.
public func parseRange(_ text: String, name: String) throws -> [Double] {
    // Double() also reads "nan" and "inf"; every value and both ends must be finite.
    func number(_ s: Substring) -> Double? {
        Double(s.trimmingCharacters(in: .whitespaces)).flatMap { $0.isFinite ? $0 : nil }
    }
    guard text.contains(":") else {
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        guard items.count <= maxRangeValues else { throw FinemixError("\(name)=\(text): more than \(maxRangeValues) values") }
        return try items.map { item in
            guard let v = number(item) else {
                throw FinemixError("\(name)=\(text): '\(item)' is not a finite number (expected start:stop:step or a comma list)")
            }
            return v
        }
    }
    let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(number)
    guard parts.count == 3, let a = parts[0], let b = parts[1], let s = parts[2], s > 0, b >= a else {
        throw FinemixError("\(name)=\(text): expected start:stop:step with finite numbers, step > 0 and stop ≥ start")
    }
    // Count in Double first: 0:1e300:1e-300 has more steps than Int holds (the conversion traps).
    let steps = ((b - a) / s + 1e-9).rounded(.down)
    guard steps.isFinite, steps < Double(maxRangeValues) else { throw FinemixError("\(name)=\(text): more than \(maxRangeValues) values") }
    let n = Int(steps)
    return (0...n).map { (a + Double($0) * s) * 1e9 }.map { ($0).rounded() / 1e9 }
}

/// The most values a range or list gives (0:1:0.001 is the finest ρ grid): a sweep point is a
/// mix and an evaluation (and, with Fine-mixing, a fine-tune), so more is a typo in the step.
public let maxRangeValues = 1001
