import Foundation

/// `report PATH`: the session exported (Markdown, JSON and CSV) from the journal.
struct ReportVerb: Verb {
    static let verb = "report"
    static let usage = "report PATH"
    static let summary = "export the session (Markdown, JSON and CSV) from the journal"
    static let options: [String] = []
    static let arguments = 1...1

    var path: String

    init(_ c: Command) { path = c.arguments[0] }

    /// Writes PATH.md, PATH.json and PATH.csv: the variants with their recipes and numbers, the
    /// sweep, and the journal's commands. PATH names the files, not a folder: an extension it
    /// carries (`report out/run.md`) is replaced; an empty PATH, `.`, `..`, one ending in `/`, an
    /// existing folder and a device or FIFO are refused. The message names the files written.
    func run(_ c: Command, on s: Session, events: EventSink, cancel: CancellationFlag) throws -> Session.Outcome {
        let stem = try Self.stem(path)
        let rows = s.variants.map(\.summary)
        let files = [("md", Data(markdown(rows, s).utf8)), ("json", try json(rows, s)), ("csv", Data(csv(rows).utf8))]
            .map { (stem.appendingPathExtension($0.0), $0.1) }
        for (url, data) in files { try AtomicFile.write(data, to: url) }
        return Session.Outcome(message: "report written: " + files.map(\.0.path).joined(separator: ", "))
    }

    /// ΔACC and ΔASR of a row against the victim's.
    private func deltas(_ r: VariantSummary, _ rows: [VariantSummary]) -> (acc: Double?, asr: Double?) {
        let victimRow = rows.first { $0.name == "victim" }
        return (Metrics.change(r.acc, from: victimRow?.acc), Metrics.change(r.asr, from: victimRow?.asr))
    }

    private func markdown(_ rows: [VariantSummary], _ s: Session) -> String {
        var md = "# finemix session report\n\n"
        md += "Pre-trained: \(s.preName.isEmpty ? "-" : s.preName); data: \(s.data.map { "\($0.dataset.name), clean \($0.clean.count), test \($0.split.test.count)" } ?? "-"); trigger: \(s.triggerLine)\n\n"
        md += "| variant | ACC | ASR | ΔACC | ΔASR | recipe | seconds |\n|---|---|---|---|---|---|---|\n"
        for r in rows {
            let (dAcc, dAsr) = deltas(r, rows)
            md += "| \(r.name) | \(r.acc.map(pct) ?? "-") | \(r.asr.map { asrCell($0, r.asrBasis) } ?? "-") | \(dAcc.map(pct) ?? "-") | \(dAsr.map(pct) ?? "-") | `\(r.recipe)` | \(String(format: "%.1f", r.seconds)) |\n"
        }
        // A sweep sent out as a plan: the points its cells brought so far, and where they came from.
        var sweep = s.sweep, sweepSource = ""
        if sweep.isEmpty, let w = s.planWatch {
            w.poll()
            sweep = w.points
            sweepSource = " (from the plan \(w.folder.url.path): \(w.progress.done) of \(w.progress.total) cells done)"
        }
        if !sweep.isEmpty || !sweepSource.isEmpty {
            md += "\n## ρ sweep\(sweepSource)\n\n| ρ | fine-tuned | ACC | ASR | held-out ACC |\n|---|---|---|---|---|\n"
            for p in sweep {
                md += "| \(fmt(p.rho)) | \(p.finetuned ? "yes" : "no") | \(pct(p.acc)) | \(p.asr.map { asrCell($0, p.asrBasis) } ?? "-") | \(p.heldOutAcc.map(pct) ?? "-") |\n"
            }
        }
        if let autoRho = s.autoRho {
            md += "\n## Automatic ρ (mix auto)\n\n```\n" + autoRho.lines.joined(separator: "\n") + "\n```\n"
        }
        if let journal = s.journal {
            md += "\n## Commands\n\n```\n" + journal.entries.map { ($0.ok ? "" : "# failed: ") + $0.command }.joined(separator: "\n") + "\n```\n"
        }
        if let hunt = s.hunt {
            md += "\n## Trigger hunt\(s.huntedVariant.map { " (on \($0))" } ?? "")\n\n```\n" + TriggerHunt.table(hunt) + "```\n"
        }
        return md
    }

    private func csv(_ rows: [VariantSummary]) -> String {
        var csv = "variant,acc,asr,delta_acc,delta_asr,recipe,seconds\n"
        for r in rows {
            let (dAcc, dAsr) = deltas(r, rows)
            csv += [r.name, r.acc.map { "\($0)" } ?? "", r.asr.map { "\($0)" } ?? "", dAcc.map { "\($0)" } ?? "",
                    dAsr.map { "\($0)" } ?? "", r.recipe, "\(r.seconds)"].map(csvField).joined(separator: ",") + "\n"
        }
        return csv
    }

    private func json(_ rows: [VariantSummary], _ s: Session) throws -> Data {
        struct JSONReport: Encodable {
            var variants: [VariantSummary]; var sweep: [SweepPoint]; var trigger: String?; var commands: [JournalEntry]
            var hunt: TriggerHunt.Report?; var asrBasis: ASRBasis?; var autoRho: AutoRho?
            enum CodingKeys: String, CodingKey { case variants, sweep, trigger, commands, hunt, asrBasis = "asr_basis", autoRho = "auto_rho" }
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.dateEncodingStrategy = .iso8601
        return try enc.encode(JSONReport(variants: rows, sweep: s.sweep, trigger: s.poison?.trigger.description,
                                         commands: s.journal?.entries ?? [], hunt: s.hunt, asrBasis: s.asrBasis, autoRho: s.autoRho))
    }

    /// The path the report's files share (PATH without its extension), or a refusal.
    static func stem(_ path: String) throws -> URL {
        let expanded = (path as NSString).expandingTildeInPath
        let last = (expanded as NSString).lastPathComponent
        let example = "name the report's files, e.g. report out/session (writes out/session.md, .json and .csv)"
        guard !expanded.isEmpty else { throw FinemixError("report: no path given; \(example)") }
        guard !expanded.hasSuffix("/"), last != ".", last != ".." else {
            throw FinemixError("report: '\(path)' names a folder, not the report's files; \(example)")
        }
        var st = stat()
        if stat(expanded, &st) == 0, OutputFolder.type(st.st_mode) != mode_t(S_IFREG) {
            throw FinemixError("report: \(expanded) is \(OutputFolder.kind(st.st_mode)); \(example)")
        }
        let base = URL(fileURLWithPath: expanded).standardizedFileURL
        return base.pathExtension.isEmpty ? base : base.deletingPathExtension()
    }
}

extension Session {
    /// The known trigger, or the hunt's suspect that every estimated figure was measured with.
    var triggerLine: String {
        if let poison { return poison.trigger.description }
        if let b = asrBasis { return "none known; every ASR marked est. is \(b.note)" }
        return "-"
    }
}

/// "25.3%" or "est. 25.3%" for a figure measured with the hunt's suspect.
private func asrCell(_ asr: Double, _ basis: ASRBasis?) -> String {
    (basis?.estimated == true ? "est. " : "") + pct(asr)
}

private func csvField(_ s: String) -> String {
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}
