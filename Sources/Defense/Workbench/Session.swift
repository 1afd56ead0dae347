import Foundation

/// The workbench session the TUI and `finemix run` share: the loaded models, the data, the
/// current variant, the recorded variants and the journal. Every action is a `Command`;
/// `execute` runs one on the caller's thread (the TUI calls it from its worker queue), reports
/// through `events` and checks `cancel` between steps.
public final class Session: @unchecked Sendable {
    public let workspace: URL
    public let journal: Journal?
    public let cache: ResourceCache

    public internal(set) var pre: CheckpointFolder?
    public internal(set) var preName = ""
    public internal(set) var victim: Variant?
    /// The folder the victim was loaded from: the defence pipeline (sweep, landscape) reads it.
    public internal(set) var victimFolder: CheckpointFolder?
    /// The ρ landscape's points (the Mixer's chart), shared with the background that computes them.
    public let landscape = Landscape()
    /// What the victim's weights were read from when not model.safetensors ("pytorch_model.bin",
    /// "LoRA r=8, alpha 16 over bert-base-uncased"), for the header; nil otherwise.
    public internal(set) var victimOrigin: String?
    public internal(set) var current: Variant?
    public internal(set) var variants: [Variant] = []
    var undoStack: [Variant] = []
    var names = TakenNames()

    public internal(set) var data: SessionData?
    /// The trigger ASR is measured with: planted by `attack`, read from attack.json, or named.
    public internal(set) var poison: PoisonConfig?
    public internal(set) var drift: DriftReport?
    public internal(set) var epurReport: EPURReport?
    /// The last trigger hunt, and the variant it ran on.
    public internal(set) var hunt: TriggerHunt.Report?
    public internal(set) var huntedVariant: String?
    public internal(set) var sweep: [SweepPoint] = []
    /// The sweep last sent out as a plan (`sweep … plan=DIR`), whose points arrive as its cells finish.
    public internal(set) var planWatch: SweepPlanWatch?
    /// The finemix binary a plan's cells run: this process (the workbench is finemix); tests set it.
    public var finemixExecutable = Plan.ownExecutable()
    /// The last `mix auto`'s choice: the rule, the candidates and why.
    public internal(set) var autoRho: AutoRho?
    public internal(set) var layerRho: [String: Double] = [:]
    public internal(set) var captions: [String] = []
    public internal(set) var lastProbe: ProbeResult?
    /// Where the loaded models and data came from, by role ("the victim"): `save` never
    /// replaces a folder holding one of them.
    var loadedInputs: [String: URL] = [:]
    /// The first journal write that failed (disk full, ...): said once, and nothing more is
    /// appended, so the journal stays a true prefix of the session.
    public private(set) var journalFailure: FinemixError?

    /// `journal`: where this session's journal goes (nil: none). Sessions keep theirs under
    /// `<workspace>/sessions/<time>/journal.jsonl` (`newJournalURL`).
    public init(workspace: URL, journal: URL?) throws {
        self.workspace = workspace
        cache = ResourceCache(workspace: workspace)
        if let journal { try Paths.requireWritable(journal.deletingLastPathComponent(), workspace: workspace) }
        self.journal = try journal.map { try Journal(url: $0) }
    }

    public static func newJournalURL(workspace: URL, now: Date = Date()) -> URL {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd-HHmmss"
        return workspace.appendingPathComponent("sessions/\(f.string(from: now))-\(getpid())/journal.jsonl")
    }

    /// The session as plain data: what `finemix run` prints and what the TUI draws.
    public var summary: SessionSummary {
        SessionSummary(pre: preName.isEmpty ? nil : preName, current: current?.name,
                       trigger: poison?.trigger.description, variants: variants.map(\.summary), sweep: sweep,
                       epur: epurReport?.tokens.prefix(50).map { $0 } ?? [],
                       mix: current?.mix, dataset: data?.dataset.name, cleanSize: data?.clean.count,
                       testSize: data?.split.test.count, drift: drift, probe: lastProbe,
                       captions: captions, hunt: hunt, asrBasis: asrBasis)
    }

    /// Parses, checks and runs one line, records it in the journal, and returns what it said.
    @discardableResult
    public func execute(_ line: String, events: EventSink = { _ in }, cancel: CancellationFlag = CancellationFlag()) throws -> Outcome {
        guard let command = try Verbs.parse(line) else { return Outcome(message: "") }
        return try execute(command, events: events, cancel: cancel)
    }

    @discardableResult
    public func execute(_ command: Command, events: EventSink = { _ in }, cancel: CancellationFlag = CancellationFlag()) throws -> Outcome {
        if let spec = Verbs.spec(command.verb) { try spec.validate(command) }
        let started = Date()
        var outcome: Outcome
        do {
            outcome = try run(command, events: events, cancel: cancel)
        } catch {
            let e = FinemixError.describing(error)
            record(JournalEntry(command: command.description, ok: false, message: e.message), events: events)
            throw e
        }
        outcome.results["seconds"] = Date().timeIntervalSince(started)
        record(JournalEntry(command: command.description, ok: true, message: outcome.message,
                            results: outcome.results, inputs: outcome.inputs.isEmpty ? nil : outcome.inputs), events: events)
        return outcome
    }

    /// Appends to the journal. A failed write does not fail the command (its work is done): it
    /// is said once, as an error in the log, and the journal is left as the prefix it was.
    func record(_ entry: JournalEntry, events: EventSink) {
        guard let journal, journalFailure == nil else { return }
        do { try journal.append(entry) } catch {
            let reason = FinemixError.describing(error).message
            let failure = FinemixError("the journal \(journal.url.path) cannot be written (\(reason)); the commands still run, but the journal stops here, so --resume rebuilds the session only up to this point")
            journalFailure = failure
            events(.log(.error, failure.message))
        }
    }

    public struct Outcome: Sendable, Equatable {
        public var message: String
        public var results: [String: Double] = [:]
        /// The files the command read, fingerprinted for the journal.
        public var inputs: [InputFingerprint] = []
        public init(message: String, results: [String: Double] = [:], inputs: [InputFingerprint] = []) {
            self.message = message; self.results = results; self.inputs = inputs
        }
    }

    /// Runs a checked command through its verb's file (Verbs/).
    func run(_ c: Command, events: EventSink, cancel: CancellationFlag) throws -> Outcome {
        guard let spec = Verbs.spec(c.verb) else { throw FinemixError("unknown command '\(c.verb)'") }
        return try spec.run(self, c, events, cancel)
    }

    // MARK: shared checks

    func requirePre() throws -> CheckpointFolder {
        guard let pre else { throw FinemixError("no pre-trained model: load one first (load pre minilm)") }
        return pre
    }

    func requireCurrent() throws -> Variant {
        guard let current else { throw FinemixError("no model to work on: load a victim (load victim PATH) or plant one (attack)") }
        return current
    }

    func requireData() throws -> SessionData {
        guard let data else { throw FinemixError("no data: choose a dataset first (data rt)") }
        return data
    }

    /// How many models `undo` can go back.
    static let undoDepth = 20

    /// Makes `v` current, remembering the model it replaces for `undo`, and records it.
    func adopt(_ v: Variant, record: Bool = true) {
        if let current { undoStack.append(current) }
        if undoStack.count > Session.undoDepth { undoStack.removeFirst() }
        current = v
        if record {
            variants.removeAll { $0.name == v.name }
            variants.append(v)
            names.insert(v.name)
        }
    }

    func uniqueName(_ base: String) -> String { names.unique(base) }

    /// What `save` must never replace: the workspace, the cache and every loaded input.
    var protectedInputs: [(what: String, url: URL)] {
        [(what: "the workspace", url: workspace), (what: "the resource cache", url: cache.root)]
            + loadedInputs.sorted { $0.key < $1.key }.map { (what: $0.key, url: $0.value) }
    }

    func resolveModelPath(_ word: String, events: EventSink) throws -> URL {
        if word == "minilm" {
            return try cache.minilm { events(.log(.info, $0)) }
        }
        return URL(fileURLWithPath: (word as NSString).expandingTildeInPath, isDirectory: true)
    }
}

/// The data a session works on: one seeded split, the defender's clean set and the test set.
public struct SessionData: Sendable {
    public var dataset: Dataset
    public var split: DataSplit
    /// The first `cleanSize` examples of the defender pool.
    public var clean: [Example]
    /// The rest of the defender pool: held out for choosing ρ on clean data only.
    public var heldOut: [Example]
    public var maxLength: Int
}

public struct SessionSummary: Sendable, Equatable, Codable {
    public var pre: String?
    public var current: String?
    public var trigger: String?
    public var variants: [VariantSummary]
    public var sweep: [SweepPoint]
    public var epur: [EPURToken]
    public var mix: MixSpec?
    public var dataset: String?
    public var cleanSize: Int?
    public var testSize: Int?
    public var drift: DriftReport?
    public var probe: ProbeResult?
    public var captions: [String]
    /// The last trigger hunt.
    public var hunt: TriggerHunt.Report?
    /// The trigger behind the ASR figures; `estimated` when it is the hunt's suspect.
    public var asrBasis: ASRBasis?
}
