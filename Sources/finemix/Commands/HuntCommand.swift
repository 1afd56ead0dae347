import ArgumentParser
import Defense
import Foundation

/// `finemix hunt`: look for a backdoor's trigger without knowing it (docs/method.md, "Trigger hunt").
struct HuntCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hunt",
        abstract: "Hunt for a backdoor's trigger: test E-PUR's top tokens and their phrases on clean sentences.",
        discussion: """
            E-PUR ranks the tokens whose embeddings moved far more than their clean frequency explains. \
            The first --top usable ones, every ordered pair and the longer phrases of the first --combine, \
            are each inserted (the attack's insertion rule, seeded) into clean sentences the victim \
            classifies correctly; the table gives, per candidate, the label it turns most sentences to, \
            the flip rate with its 95% Wilson interval and n, and its E-PUR rank. A backdoor is suspected \
            when a candidate's lower bound reaches --threshold and its meaning does not explain it: the \
            control is the pre-trained model fine-tuned briefly on the same clean sentences, and a \
            candidate that raises the control's probability of its target by at least 0.1 × its flip \
            rate is explained (never the suspect). The hunt never reads a recorded trigger; \
            without --clean it uses the defender pool recorded in attack.json (the data only).
            """)

    @OptionGroup var workspace: WorkspaceOptions
    @OptionGroup var read: DataReadOptions

    @Option(name: .long, help: "The suspicious fine-tuned checkpoint folder; repeat it to hunt several (one table row each).")
    var victim: [String] = []

    @Option(name: .long, help: "A folder of victim folders: every sub-folder holding a config.json is hunted, in name order.")
    var victims: String?

    @Option(name: .long, help: "The pre-trained checkpoint folder it was fine-tuned from, or 'minilm' (the default).")
    var pre: String = "minilm"

    @Option(name: .long, help: "Clean labelled data: a built-in name or file (default: the defender pool recorded in attack.json).")
    var clean: String?

    @Option(name: .long, help: "Single-word candidates: E-PUR's first K usable tokens.")
    var top: Int = TriggerHunt.Options().top

    @Option(name: .long, help: "Phrases are built from the first N candidates (0: none).")
    var combine: Int = TriggerHunt.Options().combine

    @Option(name: .long, help: "Clean sentences classified (the correct ones are the test set).")
    var sentences: Int = TriggerHunt.Options().sentences

    @Option(name: .long, help: "Verdict: suspected when the 95% lower bound on the flip rate of a candidate the control does not explain reaches this.")
    var threshold: Double = TriggerHunt.Options().threshold

    @Option(name: .long, help: "The control every candidate is also tried on: fine-tuned (the pre-trained model fine-tuned briefly on the same clean sentences, in folds; the verdict and the ranking read the flips it does not explain) or none (flips at face value).")
    var control: String = HuntControl.kinds[0]

    @Option(name: .long, help: "Epochs of the control model's fine-tuning.")
    var controlEpochs: Int = HuntControl.Options().epochs

    @Option(name: .long, help: "Learning rate of the control model's fine-tuning.")
    var controlLr: Double = HuntControl.Options().lr

    @Option(name: .long, help: "Seed of the insertion positions (and of the clean subset drawn from --clean).")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Tokens per sequence.")
    var maxLength: Int = 64

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    @Option(name: .customLong("json-file"), help: "Also write the JSON report to this file (replaced atomically).")
    var jsonFile: String?

    @OptionGroup var planOptions: PlanOptions

    func run() throws {
        try failing {
            let options = TriggerHunt.Options(top: top, combine: combine, sentences: sentences, threshold: threshold, seed: seed,
                                              control: try HuntControl.parse(control, epochs: controlEpochs, lr: controlLr))
            try options.validate()
            guard (8...512).contains(maxLength) else { throw FinemixError("--max-length must be in 8...512, found \(maxLength)") }
            try planOptions.check()
            let list = try victimList()
            if planOptions.plan != nil { return try writePlan(list) }
            let preURL = try pre == "minilm" ? workspace.cache.minilm(progress: note) : URL(fileURLWithPath: pre, isDirectory: true)
            var entries: [HuntSummary.Entry] = []
            for (i, v) in list.enumerated() {
                if list.count > 1 { note("hunt \(i + 1)/\(list.count): \(v)") }
                entries.append(HuntSummary.Entry(victim: v, report: try hunt(v, pre: preURL, options: options)))
            }
            try finish(entries)
        }
    }

    /// Several victims (repeated --victim, or --victims): the summary table instead of one report.
    var huntsSeveral: Bool { victims != nil || victim.count > 1 }

    /// The victims, as the command names them: every --victim, then --victims' sub-folders.
    func victimList() throws -> [String] {
        var list = victim
        if let victims {
            let names: [String]
            do { names = try FileManager.default.contentsOfDirectory(atPath: victims).sorted() } catch {
                throw FinemixError.fileSystem(error, path: victims, action: "list the victims folder")
            }
            let found = names.filter { !$0.hasPrefix(".") }.map { (victims as NSString).appendingPathComponent($0) }
                .filter { FileManager.default.fileExists(atPath: ($0 as NSString).appendingPathComponent("config.json")) }
            guard !found.isEmpty else { throw FinemixError("--victims \(victims): no sub-folder holds a config.json (a checkpoint folder)") }
            list += found
        }
        guard !list.isEmpty else { throw FinemixError("hunt needs a victim: --victim FOLDER (repeat it for several) or --victims FOLDER_OF_FOLDERS") }
        return list
    }

    /// One victim's hunt.
    func hunt(_ victim: String, pre preURL: URL, options: TriggerHunt.Options) throws -> TriggerHunt.Report {
        let dir = URL(fileURLWithPath: victim, isDirectory: true)
        let victimFolder = try CheckpointFolder(dir)
        let preFolder = try CheckpointFolder(preURL)
        let pool: [Example]
        if let clean {
            var rng = SeededRandom(seed: seed, stream: "hunt-clean")
            let d = try read.load(clean, cache: workspace.cache)
            guard d.numLabels == victimFolder.config.numLabels else {
                throw FinemixError("--clean \(clean) has \(d.numLabels) classes but the victim has \(victimFolder.config.numLabels)")
            }
            pool = Array(rng.shuffled(d.examples).prefix(sentences))
        } else {
            guard FileManager.default.fileExists(atPath: dir.appendingPathComponent(AttackRecord.fileName).path) else {
                throw FinemixError("--clean NAME|PATH is needed: \(dir.path) has no attack.json recording its data")
            }
            let record = try AttackRecord.read(folder: dir)
            pool = try VictimData(record: record, victim: dir, clean: nil, test: nil, read: read, workspace: workspace,
                                  numLabels: victimFolder.config.numLabels).pool
        }
        return try DefenseInputs.hunt(pre: preFolder, victim: victimFolder, pool: pool, maxLength: maxLength, options: options)
    }

    /// The end of a hunt, run here or collected from a plan: --json-file, then the report (one
    /// victim) or the table of all (several) on stdout.
    func finish(_ entries: [HuntSummary.Entry]) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let several = HuntSummary(entries)
        if let jsonFile {
            let data = try huntsSeveral ? enc.encode(several) : enc.encode(entries[0].report)
            try AtomicFile.write(data + Data("\n".utf8), to: URL(fileURLWithPath: jsonFile))
        }
        if huntsSeveral {
            print(json ? String(decoding: try enc.encode(several), as: UTF8.self) : several.markdown(), terminator: json ? "\n" : "")
        } else if json {
            print(String(decoding: try enc.encode(entries[0].report), as: UTF8.self))
        } else {
            let report = entries[0].report
            print("trigger hunt on \(URL(fileURLWithPath: entries[0].victim, isDirectory: true).path): \(report.candidates.count) candidates, \(String(format: "%.1f", report.seconds)) s")
            print(TriggerHunt.table(report), terminator: "")
        }
    }
}
