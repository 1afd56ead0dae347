/// Every verb of the command language. The TUI's help, the palette's completion, `finemix run`
/// and `Session.execute` all read this one table; each verb is one file under Verbs/.
public enum Verbs {
    /// One line a verb, in the order of the help, `finemix run --commands` and the README.
    public static let all: [CommandSpec] = [
        LoadVerb.spec,
        DataVerb.spec,
        AttackVerb.spec,
        TriggerVerb.spec,
        InspectVerb.spec,
        MixVerb.spec,
        RhoVerb.spec,
        EpurVerb.spec,
        HuntVerb.spec,
        ProbeVerb.spec,
        FineTuneVerb.spec,
        PruneVerb.spec,
        EvalVerb.spec,
        SweepVerb.spec,
        VariantVerb.spec,
        UndoVerb.spec,
        SaveVerb.spec,
        ReportVerb.spec,
        CaptionVerb.spec,
    ]

    public static func spec(_ verb: String) -> CommandSpec? { all.first { $0.verb == verb } }

    /// Parses and checks one line against the table: its options, arguments and every value.
    public static func parse(_ line: String) throws -> Command? {
        guard let c = try CommandParser.parse(line) else { return nil }
        guard let spec = spec(c.verb) else {
            throw FinemixError("unknown command '\(c.verb)'; commands: \(all.map(\.verb).joined(separator: ", "))")
        }
        try spec.validate(c)
        return c
    }
}
