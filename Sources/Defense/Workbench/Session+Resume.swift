import Foundation

/// Reopening a session after a crash (or on purpose): its journal's commands run again in a new
/// session. Every model-changing command is seeded (data split, mix selection, fine-tune order
/// and dropout, attack cached by recipe), so the variants come back with the same weights and
/// the same ACC/ASR. The new session keeps its own journal, which starts with the replayed
/// commands: it is complete by itself.
extension Session {
    /// Commands whose only lasting effect is a file they already wrote: not run again.
    static let notReplayed: Set<String> = ["save", "report"]

    /// The lines that rebuild the session recorded in `journal`: each command that succeeded, in
    /// order (a failed or cancelled one changed nothing), except `save` and `report`.
    public static func replayLines(of journal: Journal) -> [String] {
        journal.entries.filter(isReplayed).map(\.command)
    }

    static func isReplayed(_ e: JournalEntry) -> Bool {
        guard e.ok, let c = try? CommandParser.parse(e.command), Verbs.spec(c.verb) != nil else { return false }
        return !notReplayed.contains(c.verb)
    }

    /// The files the replayed commands read, against the files now. Other content (or a file
    /// gone) is an error naming each such file: replaying would not rebuild the same session. A
    /// file whose time stamp alone changed gives a warning. Journals without fingerprints (older
    /// ones) pass.
    public static func checkInputs(of journal: Journal) throws -> [String] {
        var seen = Set<InputFingerprint>()
        var refusals: [String] = [], warnings: [String] = []
        for e in journal.entries where isReplayed(e) {
            for f in e.inputs ?? [] where seen.insert(f).inserted {
                guard let (refuse, message) = f.change() else { continue }
                if refuse { refusals.append(message) } else if !warnings.contains(message) { warnings.append(message) }
            }
        }
        if !refusals.isEmpty {
            throw FinemixError("\(journal.url.path): cannot resume: " + refusals.joined(separator: "; ")
                               + "; replaying would not rebuild the same session (put the files back, or start a new session)")
        }
        return warnings
    }

    /// The most recently written journal under `<workspace>/sessions/`.
    public static func latestJournal(workspace: URL) throws -> URL {
        let sessions = workspace.appendingPathComponent("sessions", isDirectory: true)
        let fm = FileManager.default
        let names = (try? fm.contentsOfDirectory(atPath: sessions.path)) ?? []
        var best: (url: URL, date: Date)?
        for name in names {
            let url = sessions.appendingPathComponent(name).appendingPathComponent("journal.jsonl")
            guard let date = (try? fm.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date else { continue }
            if best == nil || date > best!.date || (date == best!.date && url.path > best!.url.path) { best = (url, date) }
        }
        guard let best else { throw FinemixError("\(sessions.path): no session journal to resume in this workspace") }
        return best.url
    }
}
