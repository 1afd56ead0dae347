import ArgumentParser
import Defense
import Foundation

struct AttackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attack",
        abstract: "Plant a backdoor: fine-tune a pre-trained model on poisoned data and measure ACC and ASR.",
        discussion: """
            Writes the victim's checkpoint folder (config.json, model.safetensors, the pre-trained model's tokenizer files) and
            attack.json (recipe, split, seeds, "acc" and "asr" as fractions, counts, wall times) into
            --out, all at once: a failed or cancelled run leaves no half-written folder. --out must be
            new or empty; --force replaces a folder finemix wrote (marked by its .finemix file), never
            anything else.
            --poison-rate 0 trains the clean control the same way.
            EP (--trigger ep:WORD) first trains a clean model with the same recipe (or starts from
            --from DIR), then trains only WORD's embedding row on the poisoned sentences with plain
            gradient steps (--ep-lr, --ep-epochs), rescaling the row to its norm after each step.
            Sentence pairs take the trigger in the second sentence.
            """)

    @OptionGroup var workspace: WorkspaceOptions
    @OptionGroup var read: DataReadOptions

    @Option(name: .long, help: "Pre-trained model folder, or 'minilm' for the built-in all-MiniLM-L6-v2.")
    var pre: String = "minilm"

    @Option(name: .long, help: "A built-in dataset name or a .tsv, .csv or .jsonl file.")
    var data: String

    @Option(name: .long, help: "Folder to write the victim and attack.json into.")
    var out: String

    @Option(name: .long, help: "word:cf,mn,bb,tq,mb | sentence:\"I watched this 3D movie\" | ep:cf")
    var trigger: String = "word:cf,mn,bb,tq,mb"

    @Option(name: .long, help: "Fraction of the training set poisoned (0 trains a clean control).")
    var poisonRate: Double = 0.1

    @Option(name: .long, help: "The attacker's target label.")
    var target: Int = 1

    @Option(name: .long, help: "Attacker training examples (default: all that the test set and clean pool leave).")
    var trainSize: Int?

    @Option(name: .long, help: "Defender's clean pool, kept out of training and test.")
    var cleanSize: Int = 500

    @Option(name: .long, help: "Test examples (stratified by label).")
    var testSize: Int = 1000

    @Option(name: .long, help: "Training epochs.") var epochs: Int = 3
    @Option(name: .long, help: "AdamW learning rate (5e-5 for MiniLM-size models, 2e-5 for BERT-base).") var lr: Double = 5e-5
    @Option(name: .long, help: "Batch size.") var batch: Int = 32
    @Option(name: .long, help: "Tokens per sequence, the special tokens ([CLS]/[SEP], <s>/</s>) included.") var maxLength: Int = 64
    @Option(name: .long, help: "Seed of the split, the poisoning, the head, the shuffles and dropout.") var seed: UInt64 = 1
    @Option(name: .long, help: "Fraction of steps spent warming up.") var warmupRatio: Double = 0
    @Option(name: .long, help: "AdamW weight decay.") var weightDecay: Double = 0.01
    @Option(name: .long, help: BatchOrderOption.help) var batches: String = BatchOrder.default.rawValue
    @Option(name: .long, help: ShardsOption.help) var shards: Int = FineTuneRecipe.defaultShards
    @Option(name: .long, help: ArgumentHelp("Training's products (forward and backward): " + PrecisionOption.help
                                            + " Recorded in attack.json.", valueName: "fp32|bf16"))
    var precision: String = Precision.fp32.rawValue

    @Option(name: .long, help: "EP: a clean fine-tuned model to start from (default: train one with the same recipe).")
    var from: String?
    @Option(name: .long, help: "EP: epochs of row training over the poisoned sentences.")
    var epEpochs: Int = VictimTraining.defaultEPEpochs
    @Option(name: .long, help: "EP: plain gradient step size of the row training.")
    var epLr: Double = VictimTraining.defaultEPLR

    @OptionGroup var replace: ReplaceOption

    @Flag(name: .long, help: "Print attack.json on stdout when done.")
    var json = false

    var fromInput: (what: String, url: URL)? { from.map { (what: "the clean model of --from", url: URL(fileURLWithPath: $0, isDirectory: true)) } }
    var dataInput: (what: String, url: URL)? { Datasets.isBuiltin(data) ? nil : (what: "the data file", url: URL(fileURLWithPath: data)) }

    func outputFolder(inputs: [(what: String, url: URL)]) throws -> OutputFolder {
        try OutputFolder(path: out, command: "attack", force: replace.force, inputs: inputs)
    }

    func run() throws {
        try failing {
            let start = Date()
            // Refused before minutes of training, and checked again just before the swap.
            let preGiven = pre == "minilm" ? nil : URL(fileURLWithPath: pre, isDirectory: true)
            _ = try outputFolder(inputs: workspace.inputs + [preGiven.map { (what: "the pre-trained model", url: $0) }, fromInput, dataInput].compactMap { $0 })
            let trig = try Trigger.parse(trigger)
            let trainingPrecision = try PrecisionOption.parse(precision)
            try trainingPrecision.requireSupported()
            let preURL: URL = pre == "minilm" ? try workspace.cache.minilm(progress: note) : URL(fileURLWithPath: pre, isDirectory: true)
            let dataset = try read.load(data, cache: workspace.cache)
            let recipe = FineTuneRecipe(epochs: epochs, lr: lr, batch: batch, warmupRatio: warmupRatio, weightDecay: weightDecay,
                                        maxLength: maxLength, seed: seed, batchOrder: try BatchOrderOption.parse(batches), shards: shards,
                                        precision: trainingPrecision.recorded)
            if case .embedding = trig {} else if from != nil {
                throw FinemixError("--from is for EP (--trigger ep:WORD) only")
            }
            guard epEpochs >= 1 else { throw FinemixError("--ep-epochs must be at least 1, found \(epEpochs)") }
            guard epLr.isFinite, epLr > 0 else { throw FinemixError("--ep-lr must be a positive number, found \(epLr)") }
            let request = AttackRequest(pretrained: preURL, dataset: dataset, readOptions: Datasets.isBuiltin(data) ? nil : try read.readOptions(),
                                        trigger: trig, poisonRate: poisonRate, target: target, trainSize: trainSize,
                                        cleanSize: cleanSize, testSize: testSize, recipe: recipe, epEpochs: epEpochs, epLR: epLr,
                                        epFrom: from.map { URL(fileURLWithPath: $0, isDirectory: true) })
            let line = ProgressLine()
            let cancel = CancellationFlag()
            let signals = SignalCancel(cancel)
            defer { signals.restore() }
            var outcome: VictimTraining.Outcome
            do {
                outcome = try VictimTraining.attack(request, events: line.sink, cancel: cancel)
            } catch {
                line.finish()
                throw error
            }
            line.finish()
            let output = try outputFolder(inputs: workspace.inputs + [(what: "the pre-trained model", url: preURL), fromInput, dataInput].compactMap { $0 })
            let outURL = output.url
            try output.write { tmp in
                let pre = try CheckpointFolder(preURL)
                try CheckpointFolder.save(config: outcome.model.config, vocab: pre.vocabURL, tensors: outcome.model.params.export(), to: tmp)
                outcome.record.seconds = Date().timeIntervalSince(start)
                try outcome.record.write(folder: tmp)
            }
            let r = outcome.record
            note(String(format: "%@: ACC %.4f (%d/%d)  ASR %.4f (%d/%d)  poisoned %d of %d  train %.1fs  total %.1fs",
                        outURL.path, r.acc, r.nCorrect, r.nTest, r.asr, r.nAsrToTarget, r.nAsr, r.nPoisoned, r.nTrain,
                        r.trainSeconds, r.seconds))
            if json { print(String(decoding: try r.encoded(), as: UTF8.self), terminator: "") }
        }
    }
}

/// The live progress line on stderr: rewritten in place on a terminal, one line every few
/// seconds otherwise (so logs stay readable).
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let tty = isatty(2) != 0
    private var open = false
    private var lastPlain = Date.distantPast

    var sink: EventSink { { [self] e in handle(e) } }

    private func handle(_ e: WorkbenchEvent) {
        lock.lock(); defer { lock.unlock() }
        switch e {
        case .progress(let p):
            let fraction = p.fraction
            let text = "\(p.job) \(String(format: "%3.0f%%", fraction * 100)) \(p.text)"
            if tty {
                FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
                open = true
            } else if Date().timeIntervalSince(lastPlain) >= 5 || fraction >= 1 {
                lastPlain = Date()
                FileHandle.standardError.write(Data((text + "\n").utf8))
            }
        case .log(_, let text): write(text)
        case .finished(let job, let summary): write("\(job): \(summary)")
        case .failed(let job, let message): write("\(job) stopped: \(message)")
        case .metric, .point: break
        }
    }

    private func write(_ line: String) {
        if open { FileHandle.standardError.write(Data("\n".utf8)); open = false }
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if open { FileHandle.standardError.write(Data("\n".utf8)); open = false }
    }
}

/// Ctrl-C and SIGTERM set the cancellation flag, so training stops between steps and nothing is
/// written; a second signal exits at once.
final class SignalCancel: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []

    init(_ flag: CancellationFlag) {
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler {
                if flag.isCancelled { exit(130) }
                flag.cancel()
            }
            s.resume()
            sources.append(s)
        }
    }

    func restore() {
        for s in sources { s.cancel() }
        signal(SIGINT, SIG_DFL); signal(SIGTERM, SIG_DFL)
    }
}
