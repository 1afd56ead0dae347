import ArgumentParser
import Defense
import Foundation

/// What defend, sweep and compare share: the two checkpoints and the victim's recorded data.
struct DefenseOptions: ParsableArguments {
    @Option(name: .long, help: "Pre-trained checkpoint folder, or 'minilm' (default: the one recorded in the victim's attack.json).")
    var pre: String?

    @Option(name: .long, help: "The victim's folder (written by finemix attack: weights and attack.json).")
    var victim: String

    @Option(name: .long, help: "Clean data: a built-in name or file (default: the defender pool recorded in attack.json).")
    var clean: String?

    @Option(name: .long, help: "Clean sentences used by the defence: the first N of the clean data.")
    var cleanSize: Int = 64

    @Option(name: .long, help: "Measure on the first N sentences of the recorded test split only (default: all of it).")
    var testLimit: Int?

    @Option(name: .long, help: "Tokens per sequence (default: the victim's).")
    var maxLength: Int?
}

/// The mixing choice and fine-tuning budget that defend, sweep and compare share, so one budget
/// means the same thing in every table.
struct BudgetOptions: ParsableArguments {
    @Option(name: .long, help: "Mixing selection: random, largest or smallest.")
    var select: String = "random"

    @Option(name: .long, help: "Fine-tuning epochs over the clean set.")
    var epochs: Int = 10

    @Option(name: .long, help: "Learning rate (AdamW, linear decay).")
    var lr: Double = 5e-5

    @Option(name: .long, help: "Batch size.")
    var batch: Int = 16

    @Option(name: .long, help: "Seed of the mixing mask, the shuffles and dropout (compare: the first of its seeds).")
    var seed: UInt64 = 1

    func selection() throws -> MixSpec.Select {
        guard let s = MixSpec.Select(rawValue: select.lowercased()) else {
            throw FinemixError("--select '\(select)': expected random, largest or smallest")
        }
        return s
    }
}

/// E-PUR's two knobs where a defence may run it first (defend, compare).
struct EpurOptions: ParsableArguments {
    @Option(name: .long, help: "E-PUR: rows reset.")
    var epurTop: Int = 200

    @Option(name: .long, help: "E-PUR: frequency floor f_min of the score.")
    var epurFmin: Int = 20
}

/// The loaded inputs of a defence.
struct DefenseInputs {
    var pre: CheckpointFolder
    var victim: CheckpointFolder
    var record: AttackRecord
    var clean: [Example]
    /// Clean sentences beyond `clean` (the pool's rest): held out for the automatic ρ rule.
    var heldOut: [Example]
    var test: [Example]
    var asrSet: [Example]
    var target: Int
    var maxLength: Int

    init(_ o: DefenseOptions, read: DataReadOptions, workspace: WorkspaceOptions) throws {
        let dir = URL(fileURLWithPath: o.victim, isDirectory: true)
        // A LoRA adapter as the victim merges over --pre when its own base is not a local folder.
        victim = try CheckpointFolder(dir, adapterBase: o.pre.flatMap { $0 == "minilm" ? nil : URL(fileURLWithPath: $0, isDirectory: true) })
        record = try AttackRecord.read(folder: dir)
        let preURL: URL
        switch o.pre {
        case "minilm"?: preURL = try workspace.cache.minilm(progress: note)
        case let p?: preURL = URL(fileURLWithPath: p, isDirectory: true)
        case nil: preURL = URL(fileURLWithPath: record.pretrained, isDirectory: true)
        }
        pre = try CheckpointFolder(preURL)
        guard o.cleanSize >= 1 else {
            throw FinemixError("--clean-size \(o.cleanSize): the clean set is empty; the defence needs at least 1 clean sentence")
        }
        if let t = o.testLimit, t < 1 { throw FinemixError("--test-limit must be at least 1, found \(t)") }
        let dataset: Dataset
        if let options = record.readOptions {
            dataset = try Datasets.load(record.dataset, options: options, cache: workspace.cache, progress: note)
        } else {
            dataset = try Datasets.load(record.dataset, options: ReadOptions(), cache: workspace.cache, progress: note)
        }
        let parts = try record.split.spec.apply(to: dataset)
        let pool: [Example]
        if let name = o.clean {
            let d = try read.load(name, cache: workspace.cache)
            guard d.numLabels == dataset.numLabels else {
                throw FinemixError("--clean \(name) has \(d.numLabels) classes but the victim's data has \(dataset.numLabels)")
            }
            pool = d.examples
        } else {
            pool = parts.cleanPool
        }
        guard !pool.isEmpty else { throw FinemixError("the clean set is empty: \(o.clean ?? "the recorded defender pool") has no sentences") }
        guard o.cleanSize <= pool.count else {
            throw FinemixError("--clean-size \(o.cleanSize): \(o.clean ?? "the recorded defender pool") has only \(pool.count) sentences")
        }
        clean = Array(pool.prefix(o.cleanSize))
        heldOut = Array(pool.dropFirst(o.cleanSize))
        test = o.testLimit.map { Array(parts.test.prefix($0)) } ?? parts.test
        guard !test.isEmpty else { throw FinemixError("\(record.dataset): the recorded test split is empty") }
        target = record.recipe.target
        asrSet = try Poisoner.asrTestSet(test, config: record.recipe.poison, numLabels: dataset.numLabels)
        maxLength = o.maxLength ?? record.recipe.maxLength
    }
}

/// `--rho`: a range, a comma list or one value (Defense's parseRange), each in [0, 1].
func parseRhoList(_ text: String) throws -> [Double] {
    let values = try parseRange(text, name: "--rho")
    for v in values where !(0...1).contains(v) { throw FinemixError("--rho \(v): every ρ must lie in [0, 1]") }
    return values
}

/// Progress on stderr, at most one line every few seconds per job (the CLI's event sink).
func stderrEvents(quiet: Bool = false) -> EventSink {
    let last = LastLine()
    return { e in
        guard !quiet else { return }
        switch e {
        case .progress(let job, _, let detail):
            if last.due() { note("\(job): \(detail)") }
        case .log(_, let line): note(line)
        case .failed(let job, let message): note("\(job): \(message)")
        default: break
        }
    }
}

final class LastLine: @unchecked Sendable {
    private var at = Date.distantPast
    private let lock = NSLock()
    func due() -> Bool {
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(at) >= 5 else { return false }
        at = now
        return true
    }
}

func pctText(_ x: Double?) -> String { x.map { String(format: "%.1f", 100 * $0) } ?? "–" }
