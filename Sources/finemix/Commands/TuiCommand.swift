import ArgumentParser
import Defense
import Foundation
import TUI

/// `finemix tui`: the workbench over the real engine.
struct TuiCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui",
        abstract: "Open the workbench: drift map, mixer, E-PUR, live fine-tuning, variants.")

    @OptionGroup var workspace: WorkspaceOptions

    @Option(name: .long, help: "Pre-trained checkpoint folder, or 'minilm' (fetched on first use).")
    var pre: String?

    @Option(name: .long, help: "The suspicious fine-tuned checkpoint folder.")
    var victim: String?

    @Option(name: .long, help: "Clean data: a built-in dataset name (rt, ...) or a file.")
    var clean: String?

    @Option(name: .long, parsing: .upToNextOption, help: "Command-language files to run at start.")
    var script: [String] = []

    @OptionGroup var resume: ResumeOptions

    @OptionGroup var display: DisplayOptions

    func run() throws {
        var sources: [ScriptCheck.Source] = []
        var notes: [String] = []
        if let r = try failing({ try resume.replay(workspace: workspace.url) }) {
            sources.append(ScriptCheck.Source(name: r.journal.path, lines: r.lines))
            notes.append("resuming \(r.journal.path): \(r.lines.count) commands replayed" + (r.torn ? " (its torn last line dropped)" : ""))
            notes += r.warnings.map { "warning: \($0)" }
        }
        var given: [Command] = []
        if let pre { given.append(Command(verb: "load", arguments: ["pre", pre])) }
        if let victim { given.append(Command(verb: "load", arguments: ["victim", victim])) }
        if let clean { given.append(Command(verb: "data", arguments: [clean])) }
        if pre != nil && victim != nil { given.append(Command(verb: "inspect")) }
        sources.append(ScriptCheck.Source(name: "options", lines: given.map(\.description)))
        for file in script { sources.append(ScriptCheck.Source(name: file, text: try failing { try readScript(file) })) }
        // Checked as `finemix run` checks its scripts: every problem listed, nothing started.
        let (steps, problems) = ScriptCheck.check(sources)
        if !problems.isEmpty {
            for p in problems { note("finemix: \(p)") }
            throw ExitCode(1)
        }
        let lines = steps.map(\.command.description)
        try WorkbenchLauncher.run(workspace: workspace.url, display: display, start: lines, autoplay: nil, notes: notes)
    }
}

/// Display options the workbench commands share.
struct DisplayOptions: ParsableArguments {
    @Flag(name: .long, help: "Draw charts, bars and boxes with ASCII only.")
    var ascii = false

    @Option(name: .long, help: "Theme: dark, light or 16.")
    var theme = "dark"

    @Option(name: .long, help: "Key bindings file (default: $XDG_CONFIG_HOME/finemix/keys.conf).")
    var keys: String?
}

func readScript(_ path: String) throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else { throw FinemixError("\(path): cannot read the script") }
    guard let text = String(data: data, encoding: .utf8) else { throw FinemixError("\(path): not UTF-8 text") }
    return text
}

/// Starts the ncurses workbench over a session; `start` lines run first (in order, on the
/// session's worker), then `autoplay` lines are played at a presenter's pace.
enum WorkbenchLauncher {
    static func run(workspace: URL, display: DisplayOptions, start: [String], autoplay: [String]?, notes: [String] = []) throws {
        // A workspace that cannot be written is said first, before any terminal check or command.
        try failing { try Paths.requireWritable(workspace.appendingPathComponent("sessions", isDirectory: true), workspace: workspace) }
        guard let chosen = Theme.named(display.theme) else {
            note("finemix: unknown theme '\(display.theme)'; known: \(Theme.names.joined(separator: ", "))")
            throw ExitCode(1)
        }
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            note("finemix: the workbench needs a terminal on stdin and stdout (use 'finemix run SCRIPT' headless)")
            throw ExitCode(1)
        }
        if let problem = NcursesTerminal.unusable() {
            note("finemix: \(problem)")
            throw ExitCode(1)
        }
        let session = try failing { try Session(workspace: workspace, journal: Session.newJournalURL(workspace: workspace)) }
        let keyURL = display.keys.map { URL(fileURLWithPath: $0) } ?? KeyConfig.defaultURL()
        let (keymap, problems) = KeyConfig.load(keyURL)
        var model = WorkbenchModel()
        for p in problems { model.log.append(LogLine(level: .error, text: "\(keyURL.path): \(p.description)")) }
        model.log.append(LogLine(level: .info, text: "workspace \(workspace.path); journal \(session.journal?.url.path ?? "none")"))
        for n in notes { model.log.append(LogLine(level: .info, text: n)) }

        let ncurses = NcursesTerminal(theme: chosen, asciiOnly: display.ascii)
        if !ncurses.utf8 {
            model.log.append(LogLine(level: .warning, text: "the locale's character set is not UTF-8: drawing with ASCII only (LANG=C.UTF-8 gives braille charts)"))
        }
        let tap = KeyTapTerminal(ncurses) { _ in false }
        let runtime = Runtime(terminal: tap,
                              state: State(width: ncurses.width, height: ncurses.height, model: model, keymap: keymap,
                                           ascii: display.ascii || !ncurses.utf8, theme: ncurses.theme.name))
        let controller = WorkbenchController(session: session, mailbox: runtime.mailbox)
        // A presented script's screens and pace must not depend on work in the background.
        controller.landscapeEnabled = autoplay == nil
        runtime.perform = { controller.perform($0) }
        controller.start()
        for line in start { controller.submit(line) }
        if let autoplay {
            let player = ScriptPlayer(controller: controller, lines: autoplay)
            if let p = ProcessInfo.processInfo.environment["FINEMIX_AUTOPLAY_PAUSE"], let v = Double(p) {
                player.pause = v
                player.captionPause = v * 3
            }
            tap.intercept = { player.intercept($0) }
            player.start()
        }
        let exit = runtime.run()
        // A job may still run on the worker: cancel it and give it a moment to stop at its next
        // step. Then leave with _exit: exit()'s handlers include OpenBLAS's shutdown, which waits
        // for its threads and hung the process when a signal arrived mid-fine-tune. Nothing is
        // lost by skipping them: every file goes through AtomicFile and is whole or absent, the
        // journal included, and the terminal is already restored.
        controller.perform(.cancelJob)
        let idle = DispatchSemaphore(value: 0)
        controller.submit("") { _ in idle.signal() }
        _ = idle.wait(timeout: .now() + 5)
        fflush(nil)
        if case .signal(let sig) = exit { _exit(128 + sig) }
        _exit(0)
    }
}
