extension App {
    /// The whole screen for a state. Pure: same state, same canvas.
    public static func view(_ s: State) -> Canvas {
        var c = Canvas(width: s.width, height: s.height)
        let g = s.glyphs
        let layout = s.layout
        if layout.tooSmall {
            SizeGate.draw(&c, s)
            return c
        }
        HeaderView.draw(&c, layout.header, s, g)
        for slot in layout.slots {
            let pane = slot.panes.contains(s.focus) ? s.focus : slot.panes[0]
            Panes.draw(pane, &c, slot.rect, s, others: slot.panes.filter { $0 != pane }, g)
        }
        StatusBar.draw(&c, layout.status, s, g)
        CaptionBanner.draw(&c, layout.body, s, g)
        switch s.overlay {
        case .help: HelpOverlay.draw(&c, layout.body, s, g)
        case .palette: PaletteOverlay.draw(&c, layout.body, s, g)
        case .confirmQuit: ConfirmQuit.draw(&c, layout.body, s, g)
        case nil: break
        }
        return c
    }
}

/// Shown instead of the workbench when the terminal is below the minimum size.
enum SizeGate {
    static func draw(_ c: inout Canvas, _ s: State) {
        let lines = [
            "Terminal too small: \(s.width)×\(s.height)",
            "finemix needs \(ScreenLayout.minWidth)×\(ScreenLayout.minHeight).",
            "Enlarge it or press q to quit",
        ]
        let top = max(0, (s.height - lines.count) / 2)
        for (i, l) in lines.enumerated() {
            let t = l.truncated(to: s.width, ellipsis: s.glyphs.ellipsis)
            c.text(t, x: max(0, (s.width - t.terminalWidth) / 2), y: top + i, style: i == 0 ? Style(.warn, .bold) : .normal)
        }
    }
}

enum HeaderView {
    static func draw(_ c: inout Canvas, _ r: Rect, _ s: State, _ g: Glyphs) {
        guard !r.isEmpty else { return }
        let h = s.model.header
        c.within(r) { c in
            c.fill(r, " ", style: Style(.status))
            var x = r.x
            x += c.text(" finemix ", x: x, y: r.y, style: Style(.accent, [.bold, .reverse]))
            let parts: [(String, String)] = [("pre", h.pretrained), ("victim", h.victim), ("variant", h.variant),
                                             ("clean", "\(h.cleanSize)"), ("mem", "\(h.memoryMB) MB")]
            for (label, value) in parts where !value.isEmpty {
                if x >= r.maxX { break }
                x += c.text(" \(label) ", x: x, y: r.y, style: Style(.status, .dim))
                x += c.text(value, x: x, y: r.y, style: Style(.status, .bold))
            }
            let jobY = r.height >= 2 ? r.y + 1 : r.y
            if let job = s.live.job {
                let spin: [Unicode.Scalar] = g.ascii ? ["|", "/", "-", "\\"] : ["⠋", "⠙", "⠸", "⠴"]
                let detail = job.text
                let line = "\(job.job) \(Fmt.percent(job.fraction))" + (detail.isEmpty ? "" : " · " + detail)
                if r.height >= 2 {
                    var jx = r.x + 1
                    jx += c.put(spin[s.spinner % 4], x: jx, y: jobY, style: Style(.warn, .bold)) + 1
                    let barW = min(30, max(8, r.width / 5))
                    Bar(value: job.fraction, style: Style(.good)).draw(&c, in: Rect(x: jx, y: jobY, width: barW, height: 1), glyphs: g)
                    jx += barW + 1
                    c.text(line, x: jx, y: jobY, style: Style(.status), maxWidth: r.maxX - jx)
                } else {
                    // One row: the job goes at the right end, over the names if it must.
                    let t = " " + line.truncated(to: max(0, r.width / 2), ellipsis: g.ellipsis) + " "
                    c.text(t, x: r.maxX - t.terminalWidth, y: jobY, style: Style(.warn, [.bold, .reverse]))
                }
            } else if r.height >= 2 {
                c.text(" idle", x: r.x, y: jobY, style: Style(.status, .dim))
            }
        }
    }
}

enum StatusBar {
    static func draw(_ c: inout Canvas, _ r: Rect, _ s: State, _ g: Glyphs) {
        guard !r.isEmpty else { return }
        c.within(r) { c in
            c.fill(r, " ", style: Style(.status))
            if let f = s.filterField {
                f.draw(&c, in: r, prompt: "/ filter \(s.focus.title): ", focused: true)
                return
            }
            if s.probe.editing {
                c.text(" editing probe sentence: Enter runs it, Esc stops editing", x: r.x, y: r.y, style: Style(.status, .bold))
                return
            }
            let hints = footerHints(s)
            let msg = s.status.isEmpty ? hints : s.status
            c.text(" " + msg, x: r.x, y: r.y, style: Style(.status, s.status.isEmpty ? [] : .bold), maxWidth: r.width)
            let right = "\(s.theme)\(s.ascii ? " ascii" : "") \(s.width)×\(s.height) "
            if r.width > msg.terminalWidth + right.count + 4 {
                c.text(right, x: r.maxX - right.count, y: r.y, style: Style(.status, .dim))
            }
        }
    }
}

extension StatusBar {
    /// The footer's key hints from the live key map: keys.conf may unbind or move any of them.
    /// While the Mixer types a ρ, digits are ρ, and the footer says so.
    static func footerHints(_ s: State) -> String {
        if s.focus == .mixer, s.mixer.entry != nil {
            return "typing ρ: digits and . · Enter sets · Esc cancels · Backspace deletes"
        }
        let km = s.keymap
        var parts: [String] = []
        func add(_ a: Action, _ what: String) { if let k = km.hint(a) { parts.append("\(k) \(what)") } }
        add(.quit, "quit")
        add(.help, "help")
        add(.palette, "palette")
        let digits = PaneID.allCases.allSatisfy { p in
            km.action(for: .char(Character("\(p.rawValue)"))).flatMap(PaneID.focusAction) == p
        }
        let panes = [km.hint(.nextPane)].compactMap { $0 } + (digits ? ["1-8"] : [])
        if !panes.isEmpty { parts.append(panes.joined(separator: "/") + " panes") }
        add(.zoom, "zoom")
        add(.cancel, "cancel")
        add(.undo, "undo")
        return parts.joined(separator: "  ")
    }
}

enum HelpOverlay {
    static func draw(_ c: inout Canvas, _ body: Rect, _ s: State, _ g: Glyphs) {
        let r = body.centered(width: min(body.width - 2, 100), height: body.height - 1)
        c.fill(r, " ")
        let inner = Box(title: "Help", focused: true, rightTitle: "type to search · Esc closes").draw(&c, in: r, glyphs: g)
        guard inner.height >= 2 else { return }
        c.within(inner) { c in
            s.helpQuery.draw(&c, in: Rect(x: inner.x, y: inner.y, width: inner.width, height: 1), prompt: "search: ", focused: true)
            let lines = HelpContent.lines(s)
            let list = inner.inset(top: 1)
            let keyW = min(22, max(8, inner.width / 4))
            if lines.isEmpty {
                c.text("no key or command matches '\(s.helpQuery.text)'", x: list.x, y: list.y, style: .dim)
            }
            for (row, line) in lines.dropFirst(s.helpScroll).prefix(list.height).enumerated() {
                let y = list.y + row
                if line.heading {
                    c.text(line.text, x: list.x, y: y, style: Style(.title, .bold), maxWidth: list.width)
                } else {
                    c.text(line.keys.truncated(to: keyW, ellipsis: g.ellipsis), x: list.x + 1, y: y, style: Style(.accent, .bold))
                    c.text(line.text.truncated(to: list.width - keyW - 2, ellipsis: g.ellipsis), x: list.x + keyW + 2, y: y)
                }
            }
        }
    }
}

enum PaletteOverlay {
    static func draw(_ c: inout Canvas, _ body: Rect, _ s: State, _ g: Glyphs) {
        let shown = Array(s.completions.prefix(max(0, min(6, body.height - 4))))
        let verb = s.palette.text.split(separator: " ").first.map(String.init)
        let usage = verb.flatMap { v in s.model.commands.first { $0.verb == v }?.usage }
        let h = 3 + shown.count + (usage == nil ? 0 : 1)
        let r = Rect(x: body.x, y: body.maxY - h, width: body.width, height: h)
        c.fill(r, " ")
        let inner = Box(title: "Command", focused: true, rightTitle: "Tab completes · ↑↓ history · Enter runs").draw(&c, in: r, glyphs: g)
        guard !inner.isEmpty else { return }
        c.within(inner) { c in
            s.palette.draw(&c, in: Rect(x: inner.x, y: inner.y, width: inner.width, height: 1), prompt: ":", focused: true)
            var y = inner.y + 1
            if let usage {
                c.text(usage, x: inner.x + 1, y: y, style: .dim, maxWidth: inner.width - 1)
                y += 1
            }
            for cand in shown {
                c.text(cand, x: inner.x + 1, y: y, style: Style(.accent), maxWidth: inner.width - 1)
                y += 1
            }
        }
    }
}

enum ConfirmQuit {
    static func draw(_ c: inout Canvas, _ body: Rect, _ s: State, _ g: Glyphs) {
        let r = body.centered(width: min(body.width, 50), height: 5)
        c.fill(r, " ")
        let inner = Box(title: "Quit?", focused: true).draw(&c, in: r, glyphs: g)
        let job = s.live.job
        c.within(inner) { c in
            c.text("A job is running: \(job?.job ?? "") \(Fmt.percent(job?.fraction)).", x: inner.x + 1, y: inner.y, style: Style(.warn))
            c.text("Quit anyway? y = quit, any other key = stay", x: inner.x + 1, y: inner.y + 2, style: .bold)
        }
    }
}

/// The walkthrough's caption: a bold reversed band across the bottom of the body, so a
/// presenter's audience reads it first.
enum CaptionBanner {
    static func draw(_ c: inout Canvas, _ body: Rect, _ s: State, _ g: Glyphs) {
        guard let text = s.model.caption, !text.isEmpty, body.height >= 6 else { return }
        let y = body.maxY - 1
        let t = " " + text.truncated(to: max(0, body.width - 4), ellipsis: g.ellipsis) + " "
        let x = body.x + max(0, (body.width - t.terminalWidth) / 2)
        c.text(t, x: x, y: y, style: Style(.accent, [.bold, .reverse]))
    }
}
