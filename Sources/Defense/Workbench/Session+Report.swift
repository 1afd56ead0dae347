import Foundation

/// Fine-pruning's pruning step, and reports that export the Variants table.
extension Session {
    /// Fine-pruning's pruning step on the current variant; the mask rides with the variant so a
    /// following `finetune` keeps the pruned neurons at zero.
    func prune(_ c: Command, events: EventSink) throws -> Outcome {
        let v = try requireCurrent()
        let d = try requireData()
        let ratio = try PruneArguments(c).ratio
        let model = try materialise(v)
        let result = try FinePruning.prune(model: model, tokenizer: tokenizer(), clean: d.clean, ratio: ratio, maxLength: d.maxLength)
        var out = Variant(name: uniqueName(VariantNames.prune(of: v.name, ratio: ratio)), recipe: v.recipe + [c.description],
                          weights: TensorDictionary(model.params.export()), config: model.config)
        out.pruneMask = result.mask
        adopt(out)
        return Outcome(message: "\(out.name): \(result.perLayer) of \(model.config.intermediateSize) feed-forward neurons pruned per layer",
                       results: ["ratio": ratio])
    }

    /// Writes PATH.md, PATH.json and PATH.csv: the variants with their recipes and numbers, the
    /// sweep, and the journal's commands. PATH names the files, not a folder: an extension it
    /// carries (`report out/run.md`) is replaced; an empty PATH, `.`, `..`, one ending in `/`, an
    /// existing folder and a device or FIFO are refused. The message names the files written.
    func report(_ c: Command) throws -> Outcome {
        let stem = try Self.reportStem(c.arguments[0])
        let rows = variants.map(\.summary)
        let victimRow = rows.first { $0.name == "victim" }
        var md = "# finemix session report\n\n"
        md += "Pre-trained: \(preName.isEmpty ? "-" : preName); data: \(data.map { "\($0.dataset.name), clean \($0.clean.count), test \($0.split.test.count)" } ?? "-"); trigger: \(triggerLine)\n\n"
        md += "| variant | ACC | ASR | ΔACC | ΔASR | recipe | seconds |\n|---|---|---|---|---|---|---|\n"
        var csv = "variant,acc,asr,delta_acc,delta_asr,recipe,seconds\n"
        for r in rows {
            let dAcc = zip2(r.acc, victimRow?.acc).map { $0 - $1 }
            let dAsr = zip2(r.asr, victimRow?.asr).map { $0 - $1 }
            md += "| \(r.name) | \(r.acc.map(pct) ?? "-") | \(r.asr.map { asrCell($0, r.asrBasis) } ?? "-") | \(dAcc.map(pct) ?? "-") | \(dAsr.map(pct) ?? "-") | `\(r.recipe)` | \(String(format: "%.1f", r.seconds)) |\n"
            csv += [r.name, r.acc.map { "\($0)" } ?? "", r.asr.map { "\($0)" } ?? "", dAcc.map { "\($0)" } ?? "",
                    dAsr.map { "\($0)" } ?? "", r.recipe, "\(r.seconds)"].map(csvField).joined(separator: ",") + "\n"
        }
        if !sweep.isEmpty {
            md += "\n## ρ sweep\n\n| ρ | fine-tuned | ACC | ASR | held-out ACC |\n|---|---|---|---|---|\n"
            for p in sweep {
                md += "| \(fmt(p.rho)) | \(p.finetuned ? "yes" : "no") | \(pct(p.acc)) | \(p.asr.map { asrCell($0, p.asrBasis) } ?? "-") | \(p.heldOutAcc.map(pct) ?? "-") |\n"
            }
        }
        if let autoRho {
            md += "\n## Automatic ρ (mix auto)\n\n```\n" + autoRho.lines.joined(separator: "\n") + "\n```\n"
        }
        if let journal {
            md += "\n## Commands\n\n```\n" + journal.entries.map { ($0.ok ? "" : "# failed: ") + $0.command }.joined(separator: "\n") + "\n```\n"
        }
        if let hunt {
            md += "\n## Trigger hunt\(huntedVariant.map { " (on \($0))" } ?? "")\n\n```\n" + TriggerHunt.table(hunt) + "```\n"
        }
        struct JSONReport: Encodable {
            var variants: [VariantSummary]; var sweep: [SweepPoint]; var trigger: String?; var commands: [JournalEntry]
            var hunt: TriggerHunt.Report?; var asrBasis: ASRBasis?; var autoRho: AutoRho?
            enum CodingKeys: String, CodingKey { case variants, sweep, trigger, commands, hunt, asrBasis = "asr_basis", autoRho = "auto_rho" }
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.dateEncodingStrategy = .iso8601
        let json = try enc.encode(JSONReport(variants: rows, sweep: sweep, trigger: poison?.trigger.description,
                                             commands: journal?.entries ?? [], hunt: hunt, asrBasis: asrBasis, autoRho: autoRho))
        let files = [("md", Data(md.utf8)), ("json", json), ("csv", Data(csv.utf8))].map { (stem.appendingPathExtension($0.0), $0.1) }
        for (url, data) in files { try AtomicFile.write(data, to: url) }
        return Outcome(message: "report written: " + files.map(\.0.path).joined(separator: ", "))
    }

    /// The known trigger, or the hunt's suspect that every estimated figure was measured with.
    var triggerLine: String {
        if let poison { return poison.trigger.description }
        if let b = asrBasis { return "none known; every ASR marked est. is \(b.note)" }
        return "-"
    }

    /// The path the report's files share (PATH without its extension), or a refusal.
    static func reportStem(_ path: String) throws -> URL {
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

/// "25.3%" or "est. 25.3%" for a figure measured with the hunt's suspect.
private func asrCell(_ asr: Double, _ basis: ASRBasis?) -> String {
    (basis?.estimated == true ? "est. " : "") + pct(asr)
}

private func zip2(_ a: Double?, _ b: Double?) -> (Double, Double)? {
    guard let a, let b else { return nil }
    return (a, b)
}

private func csvField(_ s: String) -> String {
    s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
}
