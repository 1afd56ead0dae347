import ArgumentParser
import Defense
import Foundation
import TUI

/// `finemix demo` (and bare `finemix`): the built-in scenario inside the workbench — fetch
/// MiniLM, plant a backdoor (cached in the workspace by recipe), then let the user drive or,
/// with `--autoplay`, play the walkthrough with captions.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Open the workbench on the demo scenario (plants a backdoored MiniLM on first run).")

    @OptionGroup var workspace: WorkspaceOptions

    @Flag(name: .long, help: "Play the walkthrough with captions (space pauses, → steps).")
    var autoplay = false

    @Flag(name: .long, help: "Plant the victim again instead of using the cached one.")
    var fresh = false

    @Option(name: .long, help: ArgumentHelp("Open this scenario script instead of the built-in one (assets/demo-scenario.fm).", valueName: "FILE"))
    var scenario: String?

    @Option(name: .long, help: ArgumentHelp("The script --autoplay plays (default assets/walkthrough.fm).", valueName: "FILE"))
    var walkthrough: String?

    @OptionGroup var display: DisplayOptions

    func run() throws {
        let needsAssets = scenario == nil || (autoplay && walkthrough == nil)
        let builtin = needsAssets ? try failing { try DemoAssets.locate() } : nil
        let scenario = scenario.map { URL(fileURLWithPath: $0) } ?? builtin!.scenario
        let walkthrough = walkthrough.map { URL(fileURLWithPath: $0) } ?? builtin?.walkthrough
        var start = try failing { ScriptPlayer.lines(of: try readScript(scenario.path)) }
        if fresh {
            // The attack cache key includes `fresh=`: a new token plants a new victim.
            start = start.map { $0.hasPrefix("attack ") ? $0 + " fresh=\(Int(Date().timeIntervalSince1970))" : $0 }
        }
        let auto = autoplay ? try failing { ScriptPlayer.lines(of: try readScript(walkthrough!.path)) } : nil
        // Opened by hand, the first screen shows the victim's drift map, as `tui --victim` does;
        // the walkthrough inspects as one of its steps, after its caption.
        if auto == nil { start.append("inspect") }
        try WorkbenchLauncher.run(workspace: workspace.url, display: display, start: start, autoplay: auto)
    }
}

/// Finds `assets/` : $FINEMIX_ASSETS, then walking up from the executable (a `swift build`
/// product lives under the package's .build), then from the current directory.
enum DemoAssets {
    static func locate() throws -> (scenario: URL, walkthrough: URL) {
        var candidates: [URL] = []
        if let env = ProcessInfo.processInfo.environment["FINEMIX_ASSETS"] {
            candidates.append(URL(fileURLWithPath: env, isDirectory: true))
        }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let starts = [Bundle.main.executableURL?.resolvingSymlinksInPath() ?? exe,
                      URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)]
        for s in starts {
            var dir = s
            for _ in 0..<8 {
                candidates.append(dir.appendingPathComponent("assets", isDirectory: true))
                candidates.append(dir.appendingPathComponent("share/finemix/assets", isDirectory: true))
                dir = dir.deletingLastPathComponent()
            }
        }
        for c in candidates {
            let s = c.appendingPathComponent("demo-scenario.fm"), w = c.appendingPathComponent("walkthrough.fm")
            if FileManager.default.fileExists(atPath: s.path), FileManager.default.fileExists(atPath: w.path) { return (s, w) }
        }
        throw FinemixError("cannot find assets/demo-scenario.fm and assets/walkthrough.fm next to the program or in the current directory; set FINEMIX_ASSETS to the assets folder")
    }
}
