/// One verb of the command language, in one file under Verbs/: what it takes (the static
/// properties, which the TUI's help, the palette and `finemix run --commands` show), its values
/// read and checked with their defaults (`init`), and what it does to the session (`run`).
/// A value is `Self`: the verb's spec checks a command by reading it exactly as the run does
/// (the palette's line, every line of every script, before anything runs), so the check and the
/// run cannot disagree. Only what depends on the session (a layer or token that must exist in
/// the loaded model, a target below the dataset's label count) is left to `run`.
///
/// Adding a verb: a file `Verbs/NameVerb.swift` with a type conforming to `Verb`, and its line
/// `NameVerb.spec` in `Verbs.all`.
protocol Verb: SendableMetatype {
    static var verb: String { get }
    static var usage: String { get }
    static var summary: String { get }
    /// The `key=value` options it takes.
    static var options: [String] { get }
    /// How many positional words it takes.
    static var arguments: ClosedRange<Int> { get }

    /// Reads every value of `c` (its word count already checked against `arguments`).
    init(_ c: Command) throws

    /// Runs on the session; `c` is the command as written (variants record it in their recipe).
    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome

    /// What `run` will do to the variants' names, followed before a script runs (`ScriptCheck`);
    /// a message when the command names a variant no earlier line makes. Default: nothing.
    func plan(_ names: inout ScriptCheck.NameTracker) -> String?
}

extension Verb {
    /// The verb's row of `Verbs.all`.
    static var spec: CommandSpec {
        CommandSpec(verb: verb, usage: usage, summary: summary, options: options, arguments: arguments,
                    values: { _ = try Self($0) },
                    run: { s, c, events, cancel in try Self(c).run(c, on: s, events: events, cancel: cancel) },
                    plan: { c, names in (try? Self(c))?.plan(&names) ?? nil })
    }

    func plan(_ names: inout ScriptCheck.NameTracker) -> String? { nil }

    /// Runs `c` as a step of another verb (`attack` loads its victim, `finetune` evaluates):
    /// not journalled on its own.
    static func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        try Self(c).run(c, on: s, events: events, cancel: cancel)
    }
}
