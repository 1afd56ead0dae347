import ArgumentParser
import Defense
import Foundation

/// How to read a dataset file: shared by every command that takes `--data NAME|PATH`.
struct DataReadOptions: ParsableArguments {
    @Option(name: .long, help: "Text column of a file: a header name, or a 0-based index (default: text).")
    var textColumn: String = "text"

    @Option(name: .long, help: "Second text column, for sentence pairs (name or 0-based index).")
    var pairColumn: String?

    @Option(name: .long, help: "Label column (name or 0-based index; default: label).")
    var labelColumn: String = "label"

    @Option(name: .long, help: "Labels: discover (sorted values), numeric, VALUE=CLASS,... (e.g. neg=0,pos=1), or threshold:T[:BAND] for ratings (class 1 above T, |r − T| < BAND dropped).")
    var labels: String = "discover"

    @Option(name: .long, help: "File format: tsv, csv or jsonl (default: from the extension).")
    var format: String?

    @Flag(inversion: .prefixedNo, help: "Whether the first row of a TSV/CSV names the columns (default: yes when a column is chosen by name).")
    var header: Bool?

    @Flag(name: .long, help: "Stop at the first bad row instead of skipping it.")
    var strict = false

    func readOptions() throws -> ReadOptions {
        var fmt: DataFormat? = nil
        if let format {
            guard let f = DataFormat(rawValue: format.lowercased()) else {
                throw FinemixError("--format '\(format)': expected tsv, csv or jsonl")
            }
            fmt = f
        }
        return ReadOptions(format: fmt, text: .parse(textColumn), pair: pairColumn.map(ColumnRef.parse),
                           label: .parse(labelColumn), header: header, labels: try LabelRule.parse(labels), strict: strict)
    }

    /// Loads a built-in dataset or a file, and tells the user about skipped rows on stderr.
    func load(_ nameOrPath: String, cache: ResourceCache) throws -> Dataset {
        let d = try Datasets.load(nameOrPath, options: readOptions(), cache: cache, progress: note)
        if d.report.skippedCount > 0 {
            note("\(d.report.skippedCount) bad row\(d.report.skippedCount == 1 ? "" : "s") skipped (--strict stops at the first):")
            for m in d.report.skipped { note("  \(m)") }
            if d.report.skippedCount > d.report.skipped.count { note("  … and \(d.report.skippedCount - d.report.skipped.count) more") }
        }
        return d
    }
}

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Load a dataset (built-in name or file), report its classes, and optionally show a split and poisoned examples, or export them.",
        discussion: "Built-in datasets: " + Datasets.builtins.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ")
            + ". With --export DIR the parts are written as files (text, label as the class index) with split.json describing them; --victim DIR exports the split its attack.json records.")

    @OptionGroup var workspace: WorkspaceOptions
    @OptionGroup var read: DataReadOptions
    @OptionGroup var replace: ReplaceOption

    @Argument(help: "A built-in dataset name or a .tsv, .csv or .jsonl file (not with --victim).")
    var data: String?

    @Option(name: .long, help: "A victim folder: use the data, split and trigger its attack.json records.")
    var victim: String?

    @Option(name: .long, help: "Seed of the split (and of the poisoning).")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Attacker training examples (default: all that the test set and clean pool leave).")
    var trainSize: Int?

    @Option(name: .long, help: "Defender's clean pool size.")
    var cleanSize: Int = 0

    @Option(name: .long, help: "Test examples (stratified by label).")
    var testSize: Int = 0

    @Option(name: .long, help: "Show what this trigger does: word:cf,mn,bb,tq,mb | sentence:\"I watched this 3D movie\" | ep:cf")
    var trigger: String?

    @Option(name: .long, help: "Poison rate, a fraction of the training set.")
    var poisonRate: Double = 0.1

    @Option(name: .long, help: "Target label of the attack.")
    var target: Int = 1

    @Option(name: .long, help: "Examples to print.")
    var show: Int = 3

    @Option(name: .long, help: "Write the parts (train, clean pool, test; with a trigger also the poisoned train and the triggered test) into this folder.")
    var export: String?

    @Option(name: .long, help: "File format of --export: tsv or jsonl.")
    var exportFormat: String = "tsv"

    @Flag(name: .long, help: "Print a JSON summary on stdout.")
    var json = false

    func validate() throws {
        if victim != nil {
            guard data == nil else { throw ValidationError("give a dataset or --victim DIR, not both") }
            guard trigger == nil, trainSize == nil, cleanSize == 0, testSize == 0 else {
                throw ValidationError("--victim uses the split and trigger its attack.json records; drop --trigger and the sizes")
            }
        } else if data == nil {
            throw ValidationError("name a dataset (a built-in name or a file), or a victim with --victim DIR")
        }
        guard ["tsv", "jsonl"].contains(exportFormat) else {
            throw ValidationError("--export-format must be tsv or jsonl, found '\(exportFormat)'")
        }
    }

    func run() throws {
        try failing {
            let inputs = workspace.inputs + (victim.map { [(what: "the victim", url: URL(fileURLWithPath: $0, isDirectory: true))] } ?? [])
            let output = try export.map { try OutputFolder(path: $0, command: "data --export", force: replace.force, inputs: inputs) }
            let (d, split, prepared, record) = try loadData()
            var summary: [String: Any] = [
                "dataset": d.name, "examples": d.examples.count, "labelNames": d.labelNames,
                "classCounts": d.classCounts, "pairs": d.isPair, "fingerprint": d.fingerprint,
                "rowsRead": d.report.rowsRead, "skipped": d.report.skippedCount,
                "droppedNeutral": d.report.droppedNeutral, "duplicatesDropped": d.report.duplicatesDropped,
                "labelMapping": d.report.labelMapping,
            ]
            var lines = [
                "\(d.name): \(d.examples.count) \(d.isPair ? "pairs" : "examples"); "
                    + zip(d.labelNames, d.classCounts).enumerated().map { "\($0): \($1.0) \($1.1)" }.joined(separator: ", "),
                "rows read \(d.report.rowsRead), skipped \(d.report.skippedCount), neutral dropped \(d.report.droppedNeutral), duplicates dropped \(d.report.duplicatesDropped)",
                "labels: " + d.report.labelMapping.joined(separator: "; "),
            ]
            var shown = Array(d.examples.prefix(show))
            if let split {
                let spec = split.spec
                lines.append("split seed \(spec.seed): train \(split.train.count), clean pool \(split.cleanPool.count), test \(split.test.count)")
                summary["split"] = ["seed": spec.seed, "trainSize": spec.trainSize, "cleanPoolSize": spec.cleanPoolSize, "testSize": spec.testSize]
                shown = Array(split.train.prefix(show))
            }
            if let prepared {
                let config = prepared.poison
                lines.append("poisoned \(prepared.poisonedTrain.poisonedCount) of \(prepared.split.train.count) training examples with \(config.trigger) → label \(config.targetLabel); ASR test set \(prepared.asrTest.count) of \(prepared.split.test.count)")
                summary["poisoned"] = prepared.poisonedTrain.poisonedCount
                summary["asrTest"] = prepared.asrTest.count
                shown = prepared.poisonedTrain.poisonedIndices.prefix(show).map { prepared.poisonedTrain.examples[$0] }
            }
            if let output {
                lines.append(try write(output, d, split: split, prepared: prepared, record: record))
                summary["exported"] = output.url.path
            }
            if json {
                let data = try JSONSerialization.data(withJSONObject: summary, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
                return
            }
            for l in lines { print(l) }
            for e in shown {
                let text = e.pair.map { "\(e.text) ‖ \($0)" } ?? e.text
                print("  [\(e.label)] \(text.count > 160 ? String(text.prefix(160)) + "…" : text)")
            }
        }
    }

    /// The dataset, and the split and poisoning asked for: the ones a victim's attack.json
    /// records (--victim), else --data with the split and trigger options (none without them).
    private func loadData() throws -> (Dataset, DataSplit?, AttackData?, AttackRecord?) {
        if let victim {
            let r = try AttackRecord.read(folder: URL(fileURLWithPath: victim, isDirectory: true))
            let a = try r.recordedData(cache: workspace.cache, progress: note)
            return (a.dataset, a.split, a, r)
        }
        let d = try read.load(data!, cache: workspace.cache)
        guard testSize > 0 || cleanSize > 0 || trainSize != nil || trigger != nil else { return (d, nil, nil, nil) }
        var spec = SplitSpec.fillingTrain(d, seed: seed, cleanPoolSize: cleanSize, testSize: testSize)
        if let trainSize { spec.trainSize = trainSize }
        let split = try spec.apply(to: d)
        guard let trigger else { return (d, split, nil, nil) }
        let config = PoisonConfig(trigger: try Trigger.parse(trigger), rate: poisonRate, targetLabel: target, seed: seed)
        return (d, split, try AttackData.prepare(dataset: d, split: spec, poison: config), nil)
    }

    /// Writes the --export folder (its parts and split.json); the line that says what it wrote.
    private func write(_ output: OutputFolder, _ d: Dataset, split: DataSplit?, prepared: AttackData?,
                       record: AttackRecord?) throws -> String {
        let parts = exportParts(d, split: split, prepared: prepared)
        var about: [String: Any] = ["dataset": d.name, "fingerprint": d.fingerprint, "label_names": d.labelNames]
        if let split {
            about["split"] = ["seed": split.spec.seed, "train_size": split.spec.trainSize,
                              "clean_pool_size": split.spec.cleanPoolSize, "test_size": split.spec.testSize]
        }
        if let p = prepared?.poison {
            about["poison"] = ["trigger": p.trigger.description, "target": p.targetLabel, "rate": p.rate, "seed": p.seed]
        }
        if let victim { about["victim"] = URL(fileURLWithPath: victim).standardizedFileURL.path }
        if let record { about["read_options_recorded"] = record.readOptions != nil }
        let format = DataFormat(rawValue: exportFormat)!
        try output.write { tmp in try SplitExport.write(parts, format: format, description: about, to: tmp) }
        return "wrote \(output.url.path): " + parts.map { "\($0.name).\(exportFormat) (\($0.examples.count))" }.joined(separator: ", ") + ", split.json"
    }

    /// What `--export` writes: the whole dataset when no split is asked for.
    private func exportParts(_ d: Dataset, split: DataSplit?, prepared: AttackData?) -> [SplitExport.Part] {
        guard let split else { return [.init(name: "all", examples: d.examples, about: "every example, in the dataset's order")] }
        var parts: [SplitExport.Part] = [
            .init(name: "train", examples: split.train, about: "the attacker's training set before poisoning"),
            .init(name: "clean-pool", examples: split.cleanPool, about: "the defender's clean pool; a clean set of N is its first N"),
            .init(name: "test", examples: split.test, about: "the test set (ACC)"),
        ]
        if let prepared {
            parts.insert(.init(name: "poisoned-train", examples: prepared.poisonedTrain.examples,
                               about: "the training set as the victim was trained: triggered examples relabelled to the target, in place"), at: 1)
            parts.append(.init(name: "asr-test", examples: prepared.asrTest,
                               about: "the test sentences not of the target label, with the trigger inserted; label is the true label, ASR is the share predicted as the target"))
        }
        return parts
    }
}
