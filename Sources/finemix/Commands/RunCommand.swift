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

    /// One command and where it came from, for messages that name file and line.
    struct Step { let source: String; let line: Int; let command: Command }

    func run() throws {
        if commands {
            for spec in Verbs.all { print("\(spec.usage)\n    \(spec.summary)") }
            return
        }
        let replay = try failing { try resume.replay(workspace: workspace.url) }
        guard !scripts.isEmpty || replay != nil else { throw ValidationError("a script file is required (or --resume)") }
        // Every script is read and checked before anything runs: a typo on the last line of the
        // second file costs nothing.
        var steps = try failing { () throws -> [Step] in
            try scripts.flatMap { script -> [Step] in
                try CommandParser.parseScript(try readScript(script), source: script).map { (line, c) in
                    guard let spec = Verbs.spec(c.verb) else {
                        throw FinemixError("\(script):\(line): unknown command '\(c.verb)'")
                    }
                    do { try spec.validate(c) } catch let e as FinemixError { throw FinemixError("\(script):\(line): \(e.message)") }
                    return Step(source: script, line: line, command: c)
                }
            }
        }
        // Replayed commands come first, numbered in replay order.
        if let replay {
            note("resuming \(replay.journal.path): \(replay.lines.count) commands" + (replay.torn ? " (its torn last line dropped)" : ""))
            let parsed = try failing {
                try replay.lines.enumerated().compactMap { (i, l) in
                    try Verbs.parse(l).map { Step(source: replay.journal.path, line: i + 1, command: $0) }
                }
            }
            steps = parsed + steps
        }
        let ws = workspace.url
        let session = try failing { try Session(workspace: ws, journal: Session.newJournalURL(workspace: ws)) }
        var done: [[String: Any]] = []
        let progress = ProgressPrinter()
        for step in steps {
            note("> \(step.command)")
            do {
                let outcome = try session.execute(step.command, events: progress.sink)
                progress.finish()
                note("  \(outcome.message)")
                done.append(["source": step.source, "line": step.line, "command": step.command.description, "ok": true,
                             "message": outcome.message, "results": outcome.results])
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
            case .progress(let job, let fraction, let detail):
                FileHandle.standardError.write(Data("\r  \(job) \(Int(fraction * 100))% \(detail)\u{1B}[K".utf8))
                open = true
            case .log(let level, let text):
                if open { FileHandle.standardError.write(Data("\n".utf8)); open = false }
                FileHandle.standardError.write(Data("  \(level == .info ? "" : level.rawValue + ": ")\(text)\n".utf8))
            case .metric, .finished, .failed:
                break
            }
        }
    }

    func finish() {
        lock.lock(); defer { lock.unlock() }
        if open { FileHandle.standardError.write(Data("\n".utf8)); open = false }
    }
}
