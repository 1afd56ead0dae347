/// Every verb of the command language. The TUI's help, the palette's completion and
/// `finemix run` all read this one table.
public enum Verbs {
    public static let all: [CommandSpec] = [
        CommandSpec(verb: "load", usage: "load pre|victim PATH|minilm",
                    summary: "load a pre-trained or suspicious checkpoint folder (minilm = the built-in pre-trained model)",
                    options: [], arguments: 2...2, values: { _ = try LoadArguments($0) }),
        CommandSpec(verb: "data", usage: "data NAME|PATH [seed=1] [train=3000] [clean=64] [test=1000] [max-length=64]",
                    summary: "choose the dataset and its seeded split into attacker-train, defender-clean pool and test",
                    options: ["seed", "train", "clean", "test", "max-length"], arguments: 1...1, values: { _ = try DataArguments($0) }),
        CommandSpec(verb: "attack", usage: "attack [trigger=word:cf,mn,bb,tq,mb] [rate=0.1] [target=1] [epochs=3] [lr=5e-5] [batch=32] [fresh=TAG]",
                    summary: "plant a backdoor on the data's split (its seed): fine-tune the pre-trained model on poisoned data; cached by recipe (fresh=TAG retrains); the result becomes the victim",
                    options: ["trigger", "rate", "target", "epochs", "lr", "batch", "fresh"], arguments: 0...0, values: { _ = try AttackArguments($0) }),
        CommandSpec(verb: "trigger", usage: "trigger word:cf,mn | sentence:\"...\" [target=1]",
                    summary: "name the trigger ASR is measured with (when finemix did not plant the backdoor); target= its label (default: the hunt's, else 1)",
                    options: ["target"], arguments: 1...1, values: { _ = try TriggerArguments($0) }),
        CommandSpec(verb: "inspect", usage: "inspect [top=20]",
                    summary: "weight drift of the victim from the pre-trained model, per tensor, per layer, per token",
                    options: ["top"], arguments: 0...0, values: { _ = try InspectArguments($0) }),
        CommandSpec(verb: "mix", usage: "mix RHO [select=random|largest|smallest] [seed=1] [head=keep|reinit]",
                    summary: "keep the RHO fraction of the victim's weights, take the rest from the pre-trained model (RHO auto: the automatic rule chooses it)",
                    options: ["select", "seed", "head"], arguments: 1...1, values: { _ = try MixArguments($0) }),
        CommandSpec(verb: "rho", usage: "rho LAYER VALUE",
                    summary: "set a per-layer mixing ratio (scope becomes per layer)",
                    options: [], arguments: 2...2, values: { _ = try RhoArguments($0) }),
        CommandSpec(verb: "epur", usage: "epur [top=200] [fmin=20] [corpus=PATH] [reset=TOKEN,TOKEN...]",
                    summary: "reset the word embeddings that drifted far more than their clean frequency explains (reset= picks the rows by hand)",
                    options: ["top", "fmin", "corpus", "reset"], arguments: 0...0, values: { _ = try EpurArguments($0) }),
        CommandSpec(verb: "hunt", usage: "hunt [top=20] [combine=4] [sentences=400] [threshold=0.9]",
                    summary: "hunt for the trigger: insert E-PUR's top tokens and their phrases into clean sentences the model gets right and count the flips to each label; the suspect estimates ASR until a trigger is named",
                    options: ["top", "combine", "sentences", "threshold"], arguments: 0...0, values: { _ = try HuntArguments($0) }),
        CommandSpec(verb: "probe", usage: "probe \"TEXT\"",
                    summary: "each variant's prediction and confidence for one sentence",
                    options: [], arguments: 1...1),
        CommandSpec(verb: "finetune", usage: "finetune [epochs=10] [lr=5e-5] [batch=16] [seed=1]",
                    summary: "fine-tune the current variant on the defender's clean set",
                    options: ["epochs", "lr", "batch", "seed"], arguments: 0...0, values: { _ = try FineTuneArguments($0) }),
        CommandSpec(verb: "prune", usage: "prune [ratio=0.3]",
                    summary: "Fine-pruning's pruning step: zero the least active feed-forward neurons on the clean set",
                    options: ["ratio"], arguments: 0...0, values: { _ = try PruneArguments($0) }),
        CommandSpec(verb: "eval", usage: "eval",
                    summary: "measure ACC and ASR of the current variant on the test split",
                    options: [], arguments: 0...0),
        CommandSpec(verb: "sweep", usage: "sweep [rho=0:1:0.1] [finetune=on|off] [select=random] [epochs=10] [lr=5e-5] [batch=16] [seed=1]",
                    summary: "ACC and ASR against rho, mixing only and Fine-mixing (finetune=off: mixing only), as `finemix sweep` runs them; the points go into the Mixer's landscape",
                    options: ["rho", "finetune", "select", "epochs", "lr", "batch", "seed"], arguments: 0...0, values: { _ = try SweepArguments($0) }),
        CommandSpec(verb: "variant", usage: "variant NAME",
                    summary: "make a recorded variant current again (victim, pre, or a name from the Variants table)",
                    options: [], arguments: 1...1),
        CommandSpec(verb: "undo", usage: "undo",
                    summary: "return to the model before the last change",
                    options: [], arguments: 0...0),
        CommandSpec(verb: "save", usage: "save PATH",
                    summary: "save the current variant as a HuggingFace checkpoint folder",
                    options: [], arguments: 1...1),
        CommandSpec(verb: "report", usage: "report PATH",
                    summary: "export the session (Markdown, JSON and CSV) from the journal",
                    options: [], arguments: 1...1),
        CommandSpec(verb: "caption", usage: "caption \"TEXT\"",
                    summary: "show a caption (walkthrough scripts)",
                    options: [], arguments: 1...1),
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
