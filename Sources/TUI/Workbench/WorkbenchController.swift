import Defense
import Foundation

/// The bridge between the front end and the engine: owns the `Session` on one serial worker
/// queue (the session is not thread-safe), runs the runtime's effects there, passes the session's
/// events on as `Msg.engine` (typed values: the series live in the front end's `LiveRun` only)
/// and posts a fresh `Msg.model` snapshot after every command.
/// The UI thread only posts work and drains the mailbox, so long jobs never block input.
public final class WorkbenchController: @unchecked Sendable {
    public let session: Session
    public let mailbox: Mailbox
    private let queue = DispatchQueue(label: "finemix.workbench.session")
    private let lock = NSLock()
    private var flags: [Int: CancellationFlag] = [:]
    private var nextTicket = 0
    private var pendingCount = 0
    private var load = LoadModel()
    private var caption: String?
    private var probe = ProbeModel()
    private var jobStart: (name: String, at: Date)?
    private var lastOK = true
    /// The engine's own account of a failure (e.g. "cancelled after step 40 of 120"), reported
    /// once with the command's failure instead of a second log line.
    private var engineFailure: String?
    /// ‖Δ‖² curves of the model the next mix is taken of, measured off the worker queue.
    private var energy: (key: String, value: EnergyKept)?
    private var measuring: String?
    /// Whether the Mixer's landscape is computed in the background (off for scripted playback,
    /// whose screens and timings must not depend on it).
    public var landscapeEnabled = true
    /// The knobs the landscape is asked for (nil until the Mixer asks).
    private var landscapeRequest: (select: SelectionRule, seed: Int, rho: Double)?
    private var background: LandscapeBackground!

    public init(session: Session, mailbox: Mailbox) {
        self.session = session
        self.mailbox = mailbox
        load.directory = FileManager.default.currentDirectoryPath
        background = LandscapeBackground { [weak self] in
            guard let self else { return }
            queue.async { self.mailbox.post(.model(self.snapshot())) }
        }
    }

    /// Commands queued or running.
    public var pending: Int {
        lock.lock(); defer { lock.unlock() }
        return pendingCount
    }

    /// Whether the last finished command succeeded.
    public var lastSucceeded: Bool {
        lock.lock(); defer { lock.unlock() }
        return lastOK
    }

    /// Runs one effect of the runtime. Called on the UI thread; returns at once.
    public func perform(_ effect: Effect) {
        switch effect {
        case .command(let line): submit(line)
        case .load(let line):
            submit(line) { [self] ok in
                // On the worker: the session is ours here.
                if ok, session.pre != nil, session.victim != nil {
                    mailbox.post(.engine(.log(.info, "both models loaded: inspect maps the drift")))
                    _ = execute("inspect", cancel: CancellationFlag())
                }
            }
        case .cancelJob:
            // The running command and any queued behind it: a cancel typed just after the
            // command line must not miss a job the worker has not started yet.
            lock.lock()
            let pending = Array(self.flags.values)
            lock.unlock()
            for f in pending { f.cancel() }
        case .browse(let path):
            queue.async { [self] in
                browse(path)
                mailbox.post(.model(snapshot()))
            }
        case .landscape(let select, let seed, let rho):
            guard landscapeEnabled else { return }
            lock.lock()
            landscapeRequest = (select, seed, rho)
            lock.unlock()
            queue.async { [self] in
                planLandscape()
                mailbox.post(.model(snapshot()))
            }
        case .quit: break
        }
    }

    /// Hands the background the landscape for the requested knobs on the session as it is now
    /// (on the worker queue: it reads the session).
    private func planLandscape() {
        lock.lock()
        let request = landscapeRequest
        lock.unlock()
        // A sweep sent out as a plan brings its points in whether or not the Mixer asked yet.
        background.watch(session.planWatch)
        guard landscapeEnabled, let request else { return }
        let work = try? session.landscapeWork(select: request.select, seed: UInt64(max(0, request.seed)))
        background.use(work, near: request.rho)
    }

    /// Queues one line of the command language. `done` runs on the worker after it finished
    /// (true when it succeeded).
    public func submit(_ line: String, done: (@Sendable (Bool) -> Void)? = nil) {
        let flag = CancellationFlag()
        lock.lock()
        pendingCount += 1
        nextTicket += 1
        let ticket = nextTicket
        flags[ticket] = flag
        lock.unlock()
        background.foreground(1)
        queue.async { [self] in
            let ok = execute(line, cancel: flag)
            planLandscape()
            background.foreground(-1)
            lock.lock()
            flags[ticket] = nil
            pendingCount -= 1
            lastOK = ok
            lock.unlock()
            done?(ok)
        }
    }

    /// Posts the first snapshot (palette commands, the Load pane's listing).
    public func start() {
        queue.async { [self] in
            browse(load.directory)
            mailbox.post(.model(snapshot()))
        }
    }

    /// Blocks until every queued command has run (for tests and scripts).
    public func waitIdle() { queue.sync {} }

    // MARK: on the worker queue

    private func execute(_ line: String, cancel flag: CancellationFlag) -> Bool {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { return true }
        let verb = String(trimmed.split(separator: " ").first ?? "")
        if flag.isCancelled {
            mailbox.post(.engine(.failed(job: verb, message: "cancelled before it started")))
            return false
        }
        jobStart = (verb, Date())
        mailbox.post(.started(job: verb))
        var ok = true
        engineFailure = nil
        do {
            let outcome = try session.execute(line, events: sink(), cancel: flag)
            if verb == "caption" {
                lock.lock()
                caption = outcome.message
                lock.unlock()
            } else if verb == "probe" {
                lock.lock()
                probe.sentence = Self.probeSentence(trimmed) ?? probe.sentence
                lock.unlock()
            }
            mailbox.post(.model(snapshot()))
            mailbox.post(.engine(.finished(job: verb, summary: outcome.message.isEmpty ? "done" : Self.firstLine(outcome.message))))
            // `finished` logs the first line; a table or list below it follows, once.
            let rest = outcome.message.split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
            if !rest.isEmpty && verb != "caption" {
                mailbox.post(.engine(.log(.info, rest.joined(separator: "\n"))))
            }
        } catch let e as FinemixError {
            ok = false
            mailbox.post(.model(snapshot()))
            mailbox.post(.engine(.failed(job: verb.isEmpty ? "command" : verb, message: engineFailure ?? e.message)))
        } catch {
            ok = false
            mailbox.post(.model(snapshot()))
            mailbox.post(.engine(.failed(job: verb.isEmpty ? "command" : verb, message: FinemixError.describing(error).message)))
        }
        jobStart = nil
        return ok
    }

    static func firstLine(_ s: String) -> String { String(s.split(separator: "\n").first ?? "") }

    static func probeSentence(_ line: String) -> String? {
        guard let c = try? Verbs.parse(line), c.verb == "probe", let s = c.arguments.first else { return nil }
        return s
    }

    /// Turns session events into messages, estimating the ETA of a job that reports none.
    private func sink() -> EventSink {
        { [self] event in
            switch event {
            case .progress(var p):
                if p.eta == nil, let start = jobStart, p.fraction > 0.02, p.fraction < 1 {
                    p.eta = Date().timeIntervalSince(start.at) * (1 - p.fraction) / p.fraction
                }
                mailbox.post(.engine(.progress(p)))
            case .metric, .point:
                mailbox.post(.engine(event))
            case .log(let level, let text):
                mailbox.post(.engine(.log(level, text)))
            case .finished(let job, let summary):
                mailbox.post(.engine(.log(.info, "\(job): \(summary)")))
            case .failed(_, let message):
                // The command's failure is reported when it throws; keep the engine's words for it.
                engineFailure = message
            }
        }
    }

    private func browse(_ path: String) {
        let fm = FileManager.default
        let dir = (path as NSString).expandingTildeInPath
        guard let names = try? fm.contentsOfDirectory(atPath: dir) else {
            load.error = "cannot list \(dir)"
            return
        }
        var entries = [FileEntry(name: "..", kind: .directory)]
        for name in names.sorted() where !name.hasPrefix(".") {
            let full = (dir as NSString).appendingPathComponent(name)
            var isDir: ObjCBool = false
            _ = fm.fileExists(atPath: full, isDirectory: &isDir)
            if isDir.boolValue {
                let ckpt = fm.fileExists(atPath: (full as NSString).appendingPathComponent("config.json"))
                entries.append(FileEntry(name: name, kind: ckpt ? .checkpoint : .directory, detail: ckpt ? "checkpoint" : ""))
            } else {
                let ext = (name as NSString).pathExtension.lowercased()
                let size = (try? fm.attributesOfItem(atPath: full)[.size] as? Int) ?? 0
                entries.append(FileEntry(name: name, kind: ["tsv", "csv", "jsonl", "txt"].contains(ext) ? .dataset : .file,
                                         detail: "\(size / 1024) KB"))
            }
        }
        load.directory = dir
        load.entries = entries
        load.error = nil
    }

    /// The session as view models. Runs on the worker queue (reads the session).
    public func snapshot() -> WorkbenchModel {
        lock.lock()
        var mon = MonitorModel()
        let cap = caption
        let pr = probe
        lock.unlock()
        var m = SessionSnapshot.model(session, energy: energyCurves())
        let before = SessionSnapshot.victimMetrics(session)
        mon.accBefore = before?.acc
        mon.asrBefore = before?.asr
        mon.trigger = session.asrBasis?.trigger.description ?? ""
        mon.asrEstimated = session.asrBasis?.estimated ?? false
        mon.probeSize = Session.probeSize
        m.monitor = mon
        m.mixer.landscape = landscapeModel()
        m.load = load
        m.caption = cap
        if m.probe.sentence.isEmpty { m.probe.sentence = pr.sentence }
        return m
    }

    /// The landscape's points for the requested knobs (`finetune`'s budget), and the background's state.
    private func landscapeModel() -> LandscapeModel {
        lock.lock()
        let request = landscapeRequest
        lock.unlock()
        let select = request?.select ?? .random, seed = request?.seed ?? 1
        let clean = session.data?.clean.count ?? 0
        let status = background.status()
        return LandscapeModel(points: session.landscape.points(select: select, seed: UInt64(max(0, seed)), budget: .defaults, cleanSize: clean),
                              select: select, seed: seed, probeSize: LandscapeWork.probeSize,
                              trained: session.landscape.trained(select: select, seed: UInt64(max(0, seed)), budget: .defaults, cleanSize: clean),
                              computing: status.computing, paused: status.paused, problem: status.problem)
    }

    /// The measured curves for the model the next mix is taken of; starts measuring (once per
    /// model pair and seed) when they are not known yet, and posts a snapshot when done.
    private func energyCurves() -> EnergyKept? {
        guard let pre = session.pre, let v = session.current else { return nil }
        let base = v.mixBase.map { ($0.name, $0.recipe, $0.weights) } ?? (v.name, v.recipe, v.weights)
        let seed = v.mix?.seed ?? 1
        let key = "\(base.0)|\(base.1.joined(separator: " | "))|\(seed)"
        lock.lock()
        defer { lock.unlock() }
        if let e = energy, e.key == key { return e.value }
        guard measuring != key else { return nil }
        measuring = key
        let sources = UncheckedSources(pre: pre.weights, victim: base.2)
        DispatchQueue.global(qos: .utility).async { [self] in
            let value = try? EnergyKept.measure(pre: sources.pre, victim: sources.victim, seed: seed)
            lock.lock()
            if let value { energy = (key, value) }
            if measuring == key { measuring = nil }
            lock.unlock()
            if value != nil { queue.async { [self] in mailbox.post(.model(snapshot())) } }
        }
        return nil
    }

    public func setCaption(_ text: String?) {
        lock.lock()
        caption = text
        lock.unlock()
    }
}

/// Weights are read-only sources (mapped files, lazy compositions of them): safe to read from
/// the measuring thread while the session goes on.
private struct UncheckedSources: @unchecked Sendable {
    let pre: any TensorSource
    let victim: any TensorSource
}
