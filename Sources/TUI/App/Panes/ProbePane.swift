import Defense

/// The probe sentence being edited, and whether keys go to it.
public struct ProbePaneState: Equatable, Sendable {
    public var field = TextField()
    public var editing = false
}

/// The Probe pane: one sentence through every variant; `t` inserts the suspected trigger.
enum ProbePane {
    /// The session's sentence, unless the analyst is typing one.
    static func adopt(_ next: WorkbenchModel, _ s: inout State) {
        if !s.probe.editing { s.probe.field.set(next.probe.sentence) }
    }

    static func perform(_ action: Action, _ s: inout State, _ fx: inout [Effect]) -> Bool {
        switch action {
        case .activate, .edit:
            s.probe.editing = true
            s.probe.field.end()
        default: return false
        }
        return true
    }

    /// Keys while the sentence is edited: Enter probes it, Esc stops editing.
    static func key(_ k: Key, _ s: inout State, _ fx: inout [Effect]) {
        switch k {
        case .enter:
            s.probe.editing = false
            let text = s.probe.field.commit()
            s.probe.field.set(text)
            if !text.isEmpty { App.issue("probe \(Command.quote(text))", &s, &fx) }
        case .escape:
            s.probe.editing = false
        case .up: s.probe.field.historyUp()
        case .down: s.probe.field.historyDown()
        default:
            _ = App.edit(k, &s.probe.field)
        }
    }

    /// The token `t` inserts: the E-PUR cursor's row while E-PUR is focused, else the first
    /// candidate. The pane's hint names the same one.
    static func triggerToInsert(_ s: State) -> String? {
        if s.focus == .epur {
            let rows = Rows.tokens(s)
            return s.epur.cursor < rows.count ? s.model.epur.tokens[rows[s.epur.cursor]].token : nil
        }
        return s.model.epur.tokens.first(where: \.candidate)?.token
    }

    static func insertTrigger(_ s: inout State) {
        guard let token = triggerToInsert(s) else { s.status = "no candidate trigger to insert"; return }
        var words = s.probe.field.text.split(separator: " ").map(String.init)
        words.insert(token, at: words.count / 2)
        s.probe.field.set(words.joined(separator: " "))
        s.focus = .probe
        s.status = "inserted '\(token)' into the probe sentence (Enter runs it)"
    }

    static func draw(_ c: inout Canvas, _ r: Rect, _ s: State, _ g: Glyphs) {
        let p = s.model.probe
        s.probe.field.draw(&c, in: Rect(x: r.x, y: r.y, width: r.width, height: 1), prompt: g.pointer + " ",
                          focused: s.probe.editing, placeholder: "i: type a sentence")
        var y = r.y + 1
        let labelW = min(16, max(6, r.width / 4))
        for pr in p.predictions where y < r.maxY - (r.height >= 5 ? 1 : 0) {
            var x = r.x
            x += c.text(pr.variant.padded(to: labelW), x: x, y: y, style: .normal) + 1
            let role: ColorRole = pr.label == "positive" ? .good : .bad
            x += c.text(pr.label.padded(to: 9), x: x, y: y, style: Style(role, .bold)) + 1
            let barW = max(0, min(20, r.maxX - x - 7))
            Bar(value: pr.confidence, style: Style(role)).draw(&c, in: Rect(x: x, y: y, width: barW, height: 1), glyphs: g)
            c.text(Fmt.f(pr.confidence, 3), x: x + barW + 1, y: y, style: .dim)
            y += 1
        }
        if y < r.maxY {
            let cand = triggerToInsert(s)
            let reset = p.resetTokens.isEmpty ? "none" : p.resetTokens.joined(separator: " ")
            var line = "E-PUR would reset: \(reset)"
            if let cand, let t = s.keymap.hint(.insertTrigger) { line += " · \(t) inserts '\(cand)'" }
            c.text(line, x: r.x, y: r.maxY - 1, style: Style(.warn), maxWidth: r.width)
        }
    }
}
