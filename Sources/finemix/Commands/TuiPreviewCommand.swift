import ArgumentParser
import Defense
import Foundation
import TUI
import TUIPreview

/// Scaffolding until the real `finemix tui` lands: the workbench screen over sample view models,
/// with a simulated fine-tune feeding the Monitor, so the terminal layer can be checked in a real
/// terminal (and under tmux by the end-to-end tests). No engine runs; commands are only logged.
struct TuiPreviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui-preview",
        abstract: "Scaffolding: show the workbench screen on sample data (no engine); `finemix tui` will replace it.",
        shouldDisplay: false)

    @Flag(name: .long, help: "Draw charts, bars and boxes with ASCII only.")
    var ascii = false

    @Option(name: .long, help: "Theme: dark, light or 16.")
    var theme = "dark"

    @Option(name: .long, help: "Key bindings file (default: $XDG_CONFIG_HOME/finemix/keys.conf).")
    var keys: String?

    @Flag(name: .long, help: "Keep the sample still: no simulated fine-tune.")
    var still = false

    func run() throws {
        guard let chosen = Theme.named(theme) else {
            note("finemix: unknown theme '\(theme)'; known: \(Theme.names.joined(separator: ", "))")
            throw ExitCode(1)
        }
        guard isatty(STDIN_FILENO) == 1, isatty(STDOUT_FILENO) == 1 else {
            note("finemix: tui-preview needs a terminal on stdin and stdout")
            throw ExitCode(1)
        }
        if let problem = NcursesTerminal.unusable() {
            note("finemix: \(problem)")
            throw ExitCode(1)
        }
        let keyURL = keys.map { URL(fileURLWithPath: $0) } ?? KeyConfig.defaultURL()
        let (keymap, problems) = KeyConfig.load(keyURL)
        var model = SampleData.workbench()
        let live = SampleData.live()
        model.log.append(LogLine(level: .warning, text: "tui-preview: sample data, no engine; commands are logged, not run"))
        for p in problems { model.log.append(LogLine(level: .error, text: "\(keyURL.path): \(p.description)")) }

        let terminal = NcursesTerminal(theme: chosen, asciiOnly: ascii)
        let runtime = Runtime(terminal: terminal,
                              state: State(width: terminal.width, height: terminal.height, model: model, live: live, keymap: keymap,
                                           ascii: ascii || !terminal.utf8, theme: terminal.theme.name))
        let simulation = Simulation(mailbox: runtime.mailbox)
        runtime.perform = { effect in
            switch effect {
            case .command(let line), .load(let line):
                runtime.mailbox.post(.engine(.log(.info, "preview: `\(line)` would run here")))
            case .cancelJob:
                simulation.cancel()
            case .browse(let path):
                runtime.mailbox.post(.engine(.log(.info, "preview: would list \(path)")))
            case .quit, .landscape:
                break
            }
        }
        if !still { simulation.start(from: live.loss.count - 1, total: live.totalSteps) }
        let exit = runtime.run()
        simulation.cancel()
        if case .signal(let sig) = exit { throw ExitCode(128 + sig) }
    }
}

/// A fake fine-tune: one step every 150 ms, loss points every step, ACC/ASR every 10 steps.
final class Simulation: @unchecked Sendable {
    private let mailbox: Mailbox
    private let lock = NSLock()
    private var stopped = false

    init(mailbox: Mailbox) { self.mailbox = mailbox }

    func cancel() {
        lock.lock()
        let was = stopped
        stopped = true
        lock.unlock()
        if !was { mailbox.post(.engine(.failed(job: "fine-tune", message: "cancelled; kept the weights of the last step"))) }
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    func start(from first: Int, total: Int) {
        let mailbox = self.mailbox
        Thread.detachNewThread { [self] in
            var step = first
            while step < total {
                Thread.sleep(forTimeInterval: 0.15)
                if isStopped { return }
                step += 1
                let t = Double(step)
                mailbox.post(.engine(.metric(series: .loss, step: step, value: 0.08 + 0.62 * exp(-t / 45) + 0.03 * sin(t * 0.7))))
                if step % 10 == 0 {
                    mailbox.post(.engine(.metric(series: .acc, step: step, value: 0.905 - 0.062 * exp(-t / 50))))
                    mailbox.post(.engine(.metric(series: .asr, step: step, value: 0.10 + 0.31 * exp(-t / 35))))
                }
                mailbox.post(.engine(.progress(JobProgress(job: "fine-tune", fraction: t / Double(total), step: step, total: total))))
            }
            lock.lock()
            stopped = true
            lock.unlock()
            mailbox.post(.engine(.finished(job: "fine-tune", summary: "ACC 0.903, ASR 0.104 on the probe subset")))
        }
    }
}
