import ArgumentParser
import Defense
import Foundation
import TUI
import TUIPreview

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure this machine's sgemm rate and the engine's training and inference throughput.",
        discussion: """
            Random weights. Training = forward + backward + AdamW (dropout on), the batch cut into the
            recipes' default parts per step run side by side (--shards of attack and defend);
            inference = eval-mode forward as evaluation runs it, one batch per core side by side
            (tokens counted for every core's batch). FLOPs are those the engine performs: 6 × encoder parameters × tokens for training
            (2× for inference) plus attention's 12·B·S²·H per layer (4·B·S²·H), except that the last
            layer, whose output the classifier reads only at each sequence's first token, computes K and
            V for every token and the rest for B rows. fraction_of_sgemm compares the engine with the
            large square sgemm measured in the same run. peak_rss_mb is the resident high-water
            mark during that run (reset before each run where the kernel allows).
            """)

    @Flag(name: .long, help: "One JSON object on stdout.")
    var json = false

    @Flag(name: .long, help: "A short run: batch 16, sequence 64, one timed step.")
    var quick = false

    @Option(name: .long, parsing: .upToNextOption, help: "Configurations: minilm, bert-base.")
    var configs: [String] = ["minilm", "bert-base"]

    @Option(name: .long, parsing: .upToNextOption,
            help: "Families, each built at every configuration's size: bert (the default), roberta, xlm-roberta, distilbert, electra (embedding_size 128).")
    var families: [String] = ["bert"]

    @Option(name: .long, parsing: .upToNextOption, help: "Modes: infer, train.")
    var modes: [String] = ["infer", "train"]

    @Option(name: .long, help: "Timed steps per run (default: 4 for minilm, 2 for bert-base, 1 with --quick).")
    var steps: Int?

    @Option(name: .long, parsing: .upToNextOption, help: "Shapes as BATCHxSEQ (default: 16x64 16x128 32x64 32x128).")
    var shapes: [String] = []

    @Flag(name: .long, help: "Time the workbench's frames instead: view, diff and terminal output of a busy 200×60 screen.")
    var frames = false

    @Flag(name: .long, help: "Time the jobs instead: an attacker epoch and a Fine-mixing point on the pinned MiniLM and rt, per phase.")
    var jobs = false

    @Option(name: .customLong("sentences"), help: "--jobs: attacker sentences (rt's training part).")
    var jobSentences: Int = 3000

    @Option(name: .customLong("batches"), parsing: .upToNextOption, help: "--jobs: batch orders to time, each in turn: length-grouped, shuffled.")
    var jobBatches: [String] = ["length-grouped", "shuffled"]

    @Option(name: .customLong("shards"), help: "--jobs: parts per training step, run side by side (the recipes' default).")
    var jobShards: Int = FineTuneRecipe.defaultShards

    @Option(name: .long, help: "--jobs: also write the sentences and the epoch's model here, for scripts/bench_jobs_torch.py.")
    var jobData: String?

    @Option(name: .long, help: ArgumentHelp("The runs' products, in training and inference, and the jobs': " + PrecisionOption.help, valueName: "fp32|bf16"))
    var precision: String = Precision.fp32.rawValue

    @OptionGroup var workspace: WorkspaceOptions

    struct Run: Codable {
        var config: String, mode: String, batch: Int, seq: Int
        var tokens_per_s: Double, gflops: Double, fraction_of_sgemm: Double, peak_rss_mb: Double
        /// The same ratio per CPU-second (engine FLOPs per process CPU-second over sgemm's): far less
        /// sensitive to other processes on the machine than wall-clock rates.
        var cpu_fraction_of_sgemm: Double
        var cpu_gflops_per_cpu_s: Double
    }

    struct Report: Codable {
        var sgemm_gflops: Double; var sgemm_gflops_before_after: [Double]; var sgemm_gflops_per_cpu_s: Double; var threads: Int
        /// The OpenBLAS kernels behind every FP32 product (`BLASKernels.summary`).
        var blas: String
        /// What the workbench's `precision=auto` runs here, and why (`PrecisionSpeed`).
        var auto_precision: String
        var runs: [Run]
    }

    func run() throws {
        if frames { return benchFrames() }
        if jobs { return try benchJobs() }
        try failing {
            let known: [String: BertConfig] = ["minilm": .minilm, "bert-base": .bertBase]
            let precision = try PrecisionOption.parse(precision)
            try precision.requireSupported()
            for c in configs where known[c] == nil { throw FinemixError("unknown configuration '\(c)'; known: minilm, bert-base") }
            for m in modes where m != "infer" && m != "train" { throw FinemixError("unknown mode '\(m)'; known: infer, train") }
            let familyList = try families.map { f in
                guard let family = ModelFamily(rawValue: f) else {
                    throw FinemixError("unknown family '\(f)'; known: \(ModelFamily.supportedList)")
                }
                return family
            }
            let threads = Parallel.threads
            BLASThreads.set(threads)
            let cpu0 = Self.cpuSeconds()
            let sgemm = BLASThreads.sgemmRate(n: quick ? 1024 : 2048, repeats: quick ? 3 : 5)
            let n = Double(quick ? 1024 : 2048)
            let sgemmPerCPU = 2 * n * n * n * Double((quick ? 3 : 5) + 1) / (Self.cpuSeconds() - cpu0) / 1e9
            if !json { note(String(format: "sgemm %.1f GFLOP/s (%d threads, ", sgemm, threads) + BLASKernels.summary + ")")
                note("precision=auto: \(PrecisionSpeed.here)") }
            var runs: [Run] = []
            var shapes: [(Int, Int)] = quick ? [(16, 64)] : [(16, 64), (16, 128), (32, 64), (32, 128)]
            if !self.shapes.isEmpty {
                shapes = try self.shapes.map { text in
                    let parts = text.split(separator: "x").compactMap { Int($0) }
                    guard parts.count == 2, parts[0] > 0, parts[1] > 0, parts[1] <= 512 else {
                        throw FinemixError("shape '\(text)': expected BATCHxSEQ such as 32x128 (sequence at most 512)")
                    }
                    return (parts[0], parts[1])
                }
            }
            if let steps, steps < 1 { throw FinemixError("--steps must be at least 1, found \(steps)") }
            for (size, family) in configs.flatMap({ size in familyList.map { (size, $0) } }) {
                // BERT keeps the configuration's plain name, as earlier reports have it.
                let name = family == .bert ? size : "\(size)/\(family.rawValue)"
                var config = Self.sized(known[size]!, as: family)
                config.setLabels(2)
                let model = BertModel(config: config)
                model.params.initialiseRandomly(seed: 1)
                for mode in modes {
                    for (b, s) in shapes {
                        let r = try Self.measure(model: model, name: name, train: mode == "train", batch: b, seq: s,
                                                 steps: steps ?? (quick ? 1 : (size == "minilm" ? 4 : 2)), sgemm: sgemm,
                                                 precision: precision)
                        runs.append(r)
                        if !json {
                            note(name.padding(toLength: max(10, name.count + 1), withPad: " ", startingAt: 0) + mode.padding(toLength: 6, withPad: " ", startingAt: 0)
                                 + String(format: "batch %2d seq %3d  %8.0f tokens/s  %6.1f GFLOP/s  %.2f of sgemm  peak %5.0f MB",
                                          b, s, r.tokens_per_s, r.gflops, r.fraction_of_sgemm, r.peak_rss_mb))
                        }
                    }
                }
            }
            // Other work on the machine moves both numbers; the better of two sgemm measurements,
            // before and after, keeps the fractions conservative.
            let sgemmAfter = BLASThreads.sgemmRate(n: quick ? 1024 : 2048, repeats: quick ? 3 : 5)
            let best = max(sgemm, sgemmAfter)
            for i in runs.indices {
                runs[i].fraction_of_sgemm = runs[i].gflops / best
                runs[i].cpu_fraction_of_sgemm = runs[i].cpu_gflops_per_cpu_s / sgemmPerCPU
            }
            if !json {
                note(String(format: "sgemm again %.1f GFLOP/s; fractions use %.1f; per CPU-second %.1f", sgemmAfter, best, sgemmPerCPU))
                for r in runs { note("\(r.config) \(r.mode) \(r.batch)x\(r.seq): " + String(format: "%.3f of sgemm per CPU-second", r.cpu_fraction_of_sgemm)) }
            }
            let report = Report(sgemm_gflops: best, sgemm_gflops_before_after: [sgemm, sgemmAfter],
                                sgemm_gflops_per_cpu_s: sgemmPerCPU, threads: threads, blas: BLASKernels.summary,
                                auto_precision: PrecisionSpeed.here.description, runs: runs)
            if json {
                let enc = JSONEncoder()
                enc.outputFormatting = [.sortedKeys]
                print(String(decoding: try enc.encode(report), as: UTF8.self))
            } else {
                print(String(format: "sgemm_gflops\t%.1f", best))
                for r in runs {
                    print("\(r.config)\t\(r.mode)\t\(r.batch)\t\(r.seq)\t" +
                          String(format: "%.0f\t%.1f\t%.3f\t%.0f", r.tokens_per_s, r.gflops, r.fraction_of_sgemm, r.peak_rss_mb))
                }
            }
        }
    }

    /// A configuration's sizes (hidden, layers, heads, intermediate) in another family, with that
    /// family's own vocabulary and embeddings as its base model has them: RoBERTa's 50265 tokens,
    /// 514 positions and one token type; ELECTRA's 128-wide table projected up.
    static func sized(_ size: BertConfig, as family: ModelFamily) -> BertConfig {
        guard family != .bert else { return size }
        var c = BertConfig.defaults(family)
        c.hiddenSize = size.hiddenSize; c.numHiddenLayers = size.numHiddenLayers
        c.numAttentionHeads = size.numAttentionHeads; c.intermediateSize = size.intermediateSize
        switch family {
        case .roberta, .xlmRoberta:
            c.vocabSize = 50265; c.maxPositionEmbeddings = 514; c.typeVocabSize = 1; c.layerNormEps = 1e-5
        case .electra: c.embeddingSize = 128
        case .bert, .distilbert: break
        }
        return c
    }

    static func measure(model: BertModel, name: String, train: Bool, batch: Int, seq: Int, steps: Int, sgemm: Double,
                        precision: Precision = .fp32) throws -> Run {
        var r = SeededRandom(seed: UInt64(batch * 1000 + seq))
        let c = model.config
        let ids = (0..<(batch * seq)).map { i in i % seq == 0 ? Int32(101) : Int32(1000 + r.below(c.vocabSize - 1000)) }
        let labels = (0..<batch).map { _ in Int32(r.below(2)) }
        let b = Batch(batch: batch, seq: seq, ids: ids, typeIds: [Int32](repeating: 0, count: batch * seq),
                      lengths: [Int](repeating: seq, count: batch), labels: labels)
        resetPeak()
        var seconds = 0.0, cpu = 0.0, cpuStart = 0.0
        if train {
            // The weights drift a little (lr 1e-5) across runs; a copy to restore them would add the
            // model's size to the peak memory this run reports.
            let trainer = try Trainer(model: model, settings: TrainingSettings(schedule: .constant(1e-5), shards: FineTuneRecipe.defaultShards,
                                                                                       precision: precision),
                                      maxBatch: batch, maxSeq: seq)
            try trainer.step(b)  // warm-up: first touch of every buffer
            let t0 = DispatchTime.now().uptimeNanoseconds
            cpuStart = cpuSeconds()
            for _ in 0..<steps { try trainer.step(b) }
            cpu = cpuSeconds() - cpuStart
            seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        } else {
            // As Evaluator predicts: each core its own batch, with its own activations and one-thread sgemm.
            let cores = Parallel.threads
            let bf16 = precision.weights(of: model)
            let ps = try (0..<cores).map { _ in try Predictor(model: model, maxBatch: batch, maxSeq: seq, bf16: bf16) }
            func predictAll() throws {
                if let e = BLASThreads.sideBySide(workers: cores, { w in _ = try ps[w].logits(b) }).compactMap({ $0 }).first { throw e }
            }
            try predictAll()
            let t0 = DispatchTime.now().uptimeNanoseconds
            cpuStart = cpuSeconds()
            for _ in 0..<steps { try predictAll() }
            // per batch, as the FLOPs are counted
            cpu = (cpuSeconds() - cpuStart) / Double(cores)
            seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9 / Double(cores)
        }
        let perStep = seconds / Double(steps)
        let work = EncoderFLOPs.perStep(c, batch: batch, seq: seq, train: train,
                                        lastLayer: train ? Trainer.lastLayer : Predictor.lastLayer)
        let gflops = work / perStep / 1e9
        return Run(config: name, mode: (train ? "train" : "infer") + (precision == .bf16 ? "-bf16" : ""), batch: batch, seq: seq,
                   tokens_per_s: Double(batch * seq) / perStep, gflops: gflops, fraction_of_sgemm: gflops / sgemm,
                   peak_rss_mb: peakRSSMegabytes(), cpu_fraction_of_sgemm: 0,
                   cpu_gflops_per_cpu_s: work * Double(steps) / cpu / 1e9)
    }

    /// User + system CPU time of the whole process so far.
    static func cpuSeconds() -> Double {
        var u = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
        return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
    }

    /// Resets VmHWM to the current resident size (Linux ≥ 4.0; ignored elsewhere).
    static func resetPeak() {
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
    }

    static func peakRSSMegabytes() -> Double {
        guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return kb / 1024
        }
        return 0
    }

    /// A frame while a chart grows by one point (a fine-tune's steady state) and a full redraw.
    func benchFrames() {
        let r = FrameBenchmark.run(width: 200, height: 60, frames: 300)
        if json {
            print(String(format: "{\"frames\":%d,\"incremental_ms\":%.3f,\"full_ms\":%.3f,\"bytes_incremental\":%d,\"bytes_full\":%d}",
                         r.frames, r.incrementalMs, r.fullMs, r.bytesPerIncrementalFrame, r.bytesPerFullFrame))
        } else {
            print(String(format: "200x60 frame: %.3f ms incremental (%d bytes), %.3f ms full redraw (%d bytes), mean of %d",
                         r.incrementalMs, r.bytesPerIncrementalFrame, r.fullMs, r.bytesPerFullFrame, r.frames))
        }
    }
}
