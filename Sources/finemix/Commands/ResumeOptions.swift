import ArgumentParser
import Defense
import Foundation

/// `--resume` on `tui` and `run`: reopen a session from its journal after a crash (or a quit).
/// The journal's successful commands run first, in a new session with its own journal.
struct ResumeOptions: ParsableArguments {
    @Flag(name: .long, help: "Reopen the workspace's last session from its journal: its commands run again (same seeds, same variants), then the new ones.")
    var resume = false

    @Option(name: .long, help: "With --resume: the journal.jsonl to reopen (default: the workspace's newest).")
    var journal: String?

    func validate() throws {
        if journal != nil && !resume { throw ValidationError("--journal names the journal to reopen: it needs --resume") }
    }

    /// The commands to replay, where they came from, and warnings about inputs whose time stamp
    /// alone changed; nil without --resume. Refuses when an input's content changed.
    func replay(workspace: URL) throws -> (journal: URL, lines: [String], torn: Bool, warnings: [String])? {
        guard resume else { return nil }
        let url = try journal.map { URL(fileURLWithPath: $0) } ?? Session.latestJournal(workspace: workspace)
        guard FileManager.default.fileExists(atPath: url.path) else { throw FinemixError("\(url.path): no such journal") }
        let j = try Journal(url: url)
        return (url, Session.replayLines(of: j), j.droppedTornLine, try Session.checkInputs(of: j))
    }
}
