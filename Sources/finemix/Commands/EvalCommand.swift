import ArgumentParser
import Defense
import Foundation

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure a model's clean accuracy (ACC) and attack success rate (ASR).",
        discussion: """
            When the model folder holds an attack.json (written by finemix attack), the dataset, its
            split, the trigger, the target and the max length default to the recorded ones, so the
            numbers are measured on exactly the sentences the attack was judged on. Any of them can
            be overridden. Without a record, --data is required and the whole dataset is the test
            set unless --test-size is given.
            ASR: the test sentences whose true label is not the target, with the trigger inserted
            by the attack's rule, predicted as the target.
            """)

    @OptionGroup var workspace: WorkspaceOptions
    @OptionGroup var read: DataReadOptions

    @Option(name: .long, help: "Model folder: config.json, a tokenizer (tokenizer.json, vocab.txt, vocab.json + merges.txt), weights (model.safetensors, shards, pytorch_model.bin); or a LoRA adapter folder.")
    var model: String

    @Option(name: .long, help: "A built-in dataset name or a .tsv, .csv or .jsonl file (default: the one in attack.json).")
    var data: String?

    @Option(name: .long, help: "Which part of the split: test, clean (the defender's pool) or train (unpoisoned).")
    var split: String = "test"

    @Option(name: .long, help: "Trigger for ASR (default: the recorded one): word:… | sentence:\"…\" | ep:WORD | none")
    var trigger: String?

    @Option(name: .long, help: "Target label (default: the recorded one, else 1).")
    var target: Int?

    @Option(name: .long, help: "Split seed when no split is recorded (also seeds trigger insertion).")
    var seed: UInt64?

    @Option(name: .long, help: "Test size when no split is recorded (default: the whole dataset).")
    var testSize: Int?

    @Option(name: .long, help: "Tokens per sequence (default: the recorded one, else 64).")
    var maxLength: Int?

    @Option(name: .long, help: ArgumentHelp(PrecisionOption.help, valueName: "fp32|bf16"))
    var precision: String = Precision.fp32.rawValue

    @Flag(name: .long, help: "Print the result as JSON on stdout.")
    var json = false

    func run() throws {
        try failing {
            let start = Date()
            let precision = try PrecisionOption.parse(precision)
            let dir = URL(fileURLWithPath: model, isDirectory: true)
            let folder = try CheckpointFolder(dir)
            let record: AttackRecord? = FileManager.default.fileExists(atPath: dir.appendingPathComponent(AttackRecord.fileName).path)
                ? try AttackRecord.read(folder: dir) : nil
            let dataset = try loadDataset(dir: dir, record: record)
            let bert = try VictimTraining.loadClassifier(folder)
            guard bert.config.numLabels == dataset.numLabels else {
                throw FinemixError("\(dir.path) has \(bert.config.numLabels) classes but \(dataset.name) has \(dataset.numLabels)")
            }
            let (spec, examples) = try measuredPart(of: dataset, record: record)
            let (trig, tgt) = try asrTrigger(record: record)
            var asrSet: [Example] = []
            if let trig {
                let poisonSeed = record?.recipe.seed ?? spec.seed
                asrSet = try Poisoner.asrTestSet(examples, config: PoisonConfig(trigger: trig, rate: 0, targetLabel: tgt, seed: poisonSeed),
                                                 numLabels: dataset.numLabels)
            }
            let tokenizer = try Tokenizer(vocabURL: folder.vocabURL)
            let maxLen = maxLength ?? record?.recipe.maxLength ?? 64
            guard maxLen >= 3 else { throw FinemixError("--max-length must be at least 3, found \(maxLen)") }
            let result = try Evaluator.evaluate(model: bert, tokenizer: tokenizer, test: examples, asrSet: asrSet,
                                                targetLabel: trig == nil ? nil : tgt, maxLength: maxLen, precision: precision)
            let seconds = Date().timeIntervalSince(start)
            if json {
                try printJSON(result, dir: dir, dataset: dataset, spec: spec, trigger: trig, target: tgt, seconds: seconds, precision: precision)
            } else {
                if precision == .bf16 { print("precision: the encoder's products in BF16 (FP32 sums)") }
                print(String(format: "ACC %.4f (%d/%d)", result.acc, result.nCorrect, result.nTest))
                if let trig, let asr = result.asr {
                    print(String(format: "ASR %.4f (%d/%d to label %d, trigger %@)", asr, result.nPoisonedToTarget, result.nPoisonedTest, tgt, trig.description))
                }
                note(String(format: "%@ %@ split, %.1fs", dataset.name, split, seconds))
            }
        }
    }

    /// --data, else the dataset attack.json names; a recorded file is read the way the attack
    /// read it, unless the user names the data.
    private func loadDataset(dir: URL, record: AttackRecord?) throws -> Dataset {
        guard let dataName = data ?? record?.dataset else {
            throw FinemixError("\(dir.path) has no attack.json: give the data with --data NAME|PATH")
        }
        if data == nil, let options = record?.readOptions {
            return try Datasets.load(dataName, options: options, cache: workspace.cache, progress: note)
        }
        return try read.load(dataName, cache: workspace.cache)
    }

    /// The recorded split (unless --test-size or --seed change it), else one over the whole
    /// dataset; and the --split part of it.
    private func measuredPart(of dataset: Dataset, record: AttackRecord?) throws -> (SplitSpec, [Example]) {
        let spec: SplitSpec
        if let recorded = record?.split, recorded.dataset == dataset.name, testSize == nil, seed == nil {
            spec = recorded.spec
        } else {
            let s = seed ?? record?.recipe.seed ?? 1
            spec = SplitSpec(dataset: dataset.name, seed: s, trainSize: 0, cleanPoolSize: 0,
                             testSize: testSize ?? dataset.examples.count, fingerprint: dataset.fingerprint)
        }
        let parts = try spec.apply(to: dataset)
        let examples: [Example]
        switch split.lowercased() {
        case "test": examples = parts.test
        case "clean", "clean-pool", "pool": examples = parts.cleanPool
        case "train": examples = parts.train
        default: throw FinemixError("--split '\(split)': expected test, clean or train")
        }
        guard !examples.isEmpty else { throw FinemixError("\(dataset.name): the \(split) part of the split is empty") }
        return (spec, examples)
    }

    /// The trigger ASR is measured with (--trigger none: no ASR) and its target label.
    private func asrTrigger(record: AttackRecord?) throws -> (Trigger?, Int) {
        let trig: Trigger?
        if let trigger {
            trig = trigger.lowercased() == "none" ? nil : try Trigger.parse(trigger)
        } else {
            trig = record?.recipe.trigger
        }
        return (trig, target ?? record?.recipe.target ?? 1)
    }

    private func printJSON(_ result: EvaluationResult, dir: URL, dataset: Dataset, spec: SplitSpec, trigger trig: Trigger?,
                           target tgt: Int, seconds: Double, precision: Precision) throws {
        var obj: [String: Any] = [
            "model": dir.standardizedFileURL.path, "dataset": dataset.name, "split": split, "acc": result.acc,
            "n_test": result.nTest, "n_correct": result.nCorrect, "seconds": seconds, "precision": precision.rawValue,
            "split_spec": ["seed": spec.seed, "train_size": spec.trainSize, "clean_pool_size": spec.cleanPoolSize, "test_size": spec.testSize],
        ]
        if let trig, let asr = result.asr {
            obj["asr"] = asr
            obj["n_asr"] = result.nPoisonedTest
            obj["n_asr_to_target"] = result.nPoisonedToTarget
            obj["target"] = tgt
            obj["trigger"] = trig.description
        }
        let out = try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        print(String(decoding: out, as: UTF8.self))
    }
}
