/// What each verb of the command language takes. The TUI's help and palette completion read this
/// table, and every command is checked against it before it runs, so an unknown option is an
/// error rather than silently ignored.
public struct CommandSpec: Sendable {
    public let verb: String
    public let usage: String
    public let summary: String
    public let options: [String]
    public let arguments: ClosedRange<Int>

    public func validate(_ c: Command) throws {
        for key in c.options.keys.sorted() where !options.contains(key) {
            let known = options.isEmpty ? "it takes no options" : "known: \(options.joined(separator: ", "))"
            throw FinemixError("\(verb): unknown option '\(key)' (\(known))")
        }
        guard arguments.contains(c.arguments.count) else {
            throw FinemixError("\(verb): expected \(arguments.lowerBound == arguments.upperBound ? "\(arguments.lowerBound)" : "\(arguments.lowerBound) to \(arguments.upperBound)") argument(s), found \(c.arguments.count); usage: \(usage)")
        }
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
    guard steps.isFinite, steps <= 1000 else { throw FinemixError("\(name)=\(text): more than 1000 values") }
    let n = Int(steps)
    return (0...n).map { (a + Double($0) * s) * 1e9 }.map { ($0).rounded() / 1e9 }
}
