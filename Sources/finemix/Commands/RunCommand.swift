import ArgumentParser
import Defense
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a script of workbench commands headless: progress on stderr, a JSON summary on stdout.",
        discussion: "The script is the command language of the workbench's ':' palette, one command per line, '#' comments. Run 'finemix run --commands' for the list.")

    @OptionGroup var workspace: WorkspaceOptions

    @Argument(help: "Script files, played in order in one session (e.g. a scenario, then a walkthrough).")
    var scripts: [String] = []

    @Flag(help: "List the commands of the language and exit.")
    var commands = false

    @OptionGroup var resume: ResumeOptions

    func run() throws {
        if commands {
            for spec in Verbs.all { print("\(spec.usage)\n    \(spec.summary)") }
            return
        }
        let replay = try failing { try resume.replay(workspace: workspace.url) }
        guard !scripts.isEmpty || replay != nil else { throw ValidationError("a script file is required (or --resume)") }
        // Every script is read and checked before anything runs, every value and every variant
        // name included: a typo on the last line of the second file costs nothing. Replayed
        // commands come first, numbered in replay order.
        var sources: [ScriptCheck.Source] = []
        if let replay {
            note("resuming \(replay.journal.path): \(replay.lines.count) commands" + (replay.torn ? " (its torn last line dropped)" : ""))
            for w in replay.warnings { note("finemix: warning: \(w)") }
            sources.append(ScriptCheck.Source(name: replay.journal.path, lines: replay.lines))
        }
        for script in scripts { sources.append(ScriptCheck.Source(name: script, text: try failing { try readScript(script) })) }
        let (steps, problems) = ScriptCheck.check(sources)
        if !problems.isEmpty {
            for p in problems { note("finemix: \(p)") }
            note("finemix: \(problems.count) problem\(problems.count == 1 ? "" : "s") found before running; nothing ran")
            throw ExitCode(1)
        }
        let ws = workspace.url
        let session = try failing { try Session(workspace: ws, journal: Session.newJournalURL(workspace: ws)) }
        var done: [[String: Any]] = []
        let progress = ProgressPrinter()
        // The replayed commands come first; their lines get one fsync at the end of the replay.
        var replaying = replay.map { r in steps.prefix { $0.source == r.journal.path }.count } ?? 0
        if replaying > 0 { try failing { try session.journal?.syncEachAppend(false) } }
        for step in steps {
            note("> \(step.command)")
            do {
                let outcome = try session.execute(step.command, events: progress.sink)
                progress.finish()
                note("  \(outcome.message)")
                done.append(["source": step.source, "line": step.line, "command": step.command.description, "ok": true,
                             "message": outcome.message, "results": outcome.results])
                if replaying > 0 {
                    replaying -= 1
                    if replaying == 0 { try failing { try session.journal?.syncEachAppend(true) } }
                }
            } catch let e as FinemixError {
                progress.finish()
                note("finemix: \(step.source):\(step.line): \(e.message)")
                throw ExitCode(1)
            }
        }
        let summary = try JSONSerialization.jsonObject(with: JSONEncoder().encode(session.summary))
        let out: [String: Any] = ["scripts": scripts, "commands": done, "session": summary,
                                  "journal": session.journal?.url.path ?? NSNull()]
        let data = try JSONSerialization.data(withJSONObject: out, options: [.prettyPrinted, .sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}

/// Turns engine events into one rewritten progress line on stderr plus log lines.
final class ProgressPrinter: @unchecked Sendable {
    private let lock = NSLock()
    private var open = false

    var sink: EventSink {
        { [self] event in
            lock.lock(); defer { lock.unlock() }
            switch event {
            case .progress(let p):
                FileHandle.standardError.write(Data("\r  \(p.job) \(Int(p.fraction * 100))% \(p.text)\u{1B}[K".utf8))
                open = true
            case .log(let level, let text):
                if open { FileHandle.standardError.write(Data("\n".utf8)); open = false }
                FileHandle.standardError.write(Data("  \(level == .info ? "" : level.rawValue + ": ")\(text)\n".utf8))
            case .metric, .point, .finished, .failed:
                break
            }
        }
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if open { FileHandle.standardError.write(Data("\n".utf8)); open = false }
    }
}
