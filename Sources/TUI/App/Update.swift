import Defense

/// The pure heart of the front end: one message in, the next state and effects out. What is
/// global (overlays, focus, zoom, cancel, filters) is here; each pane's keys are in its file
/// under Panes/, reached through `Panes.perform`.
public enum App {
    public static func update(_ state: State, _ msg: Msg) -> (State, [Effect]) {
        var s = state
        var fx: [Effect] = []
        switch msg {
        case .resize(let w, let h):
            s.width = max(0, w)
            s.height = max(0, h)
        case .tick:
            if s.jobRunning { s.spinner = (s.spinner + 1) % 4 }
        case .engine(let e):
            apply(e, to: &s)
        case .started(let job):
            s.live.begin(job)
        case .model(let m):
            merge(m, into: &s)
        case .focus(let p):
            focus(p, &s, &fx)
        case .mouse(let m):
            mouse(m, &s, &fx)
        case .key(let k):
            key(k, &s, &fx)
        }
        Panes.clamp(&s)
        MixerPane.requestLandscape(&s, &fx)
        return (s, fx)
    }

    // MARK: engine

    static func apply(_ e: WorkbenchEvent, to s: inout State) {
        switch e {
        case .progress(let p):
            s.live.record(p)
        case .metric(let series, let step, let value):
            s.live.record(series, step: step, value: value)
        case .point(let p):
            s.live.sweep.append(p)
        case .log(let level, let text):
            appendLog(&s, LogLine(level: level, text: text))
        case .finished(let job, let summary):
            s.live.job = nil
            appendLog(&s, LogLine(level: .info, text: "\(job): \(summary)"))
            s.status = "\(job) finished: \(summary)"
        case .failed(let job, let message):
            s.live.job = nil
            appendLog(&s, LogLine(level: .error, text: "\(job): \(message)"))
            s.status = "\(job) failed: \(message)"
        }
    }

    static func appendLog(_ s: inout State, _ line: LogLine) {
        s.log.append(line)
        if s.log.count > 5000 { s.log.removeFirst(s.log.count - 5000) }
        LogPane.appended(&s)
    }

    /// A fresh snapshot replaces the session's view whole. The panes' own state is theirs; a pane
    /// only reacts to what changed under it (a new folder, a new ranking, a mix run elsewhere).
    static func merge(_ m: WorkbenchModel, into s: inout State) {
        Panes.adopt(m, &s)
        s.model = m
    }

    /// Focuses a pane (a key, a click, the walkthrough's directive); the Load pane lists its
    /// folder again so folders made meanwhile appear.
    static func focus(_ p: PaneID, _ s: inout State, _ fx: inout [Effect]) {
        if p == .load && s.focus != .load { LoadPane.refresh(s, &fx) }
        s.focus = p
    }

    // MARK: commands

    static func issue(_ command: String, _ s: inout State, _ fx: inout [Effect]) {
        appendLog(&s, LogLine(level: .command, text: command))
        fx.append(.command(command))
    }

    // MARK: keys

    static func key(_ k: Key, _ s: inout State, _ fx: inout [Effect]) {
        let action = s.keymap.action(for: k)
        if s.layout.tooSmall {
            if k == .char("q") || action == .quit { quitNow(&s, &fx) }
            return
        }
        switch s.overlay {
        case .confirmQuit:
            switch k {
            case .char("y"), .char("Y"), .enter: quitNow(&s, &fx)
            default: s.overlay = nil; s.status = "quit cancelled"
            }
            return
        case .help:
            helpKey(k, action, &s)
            return
        case .palette:
            paletteKey(k, &s, &fx)
            return
        case nil:
            break
        }
        if s.filterField != nil { filterKey(k, &s); return }
        if s.probe.editing { ProbePane.key(k, &s, &fx); return }
        if s.focus == .mixer, MixerPane.entryKey(k, &s) { return }
        guard let action else {
            s.status = "\(k.name): not bound (? lists the keys)"
            return
        }
        perform(action, &s, &fx)
    }

    static func quitNow(_ s: inout State, _ fx: inout [Effect]) {
        s.quitting = true
        s.overlay = nil
        fx.append(.quit)
    }

    /// An action of the key map: the global ones here, the rest to the focused pane.
    static func perform(_ action: Action, _ s: inout State, _ fx: inout [Effect]) {
        s.status = ""
        if let p = PaneID.focusAction(action) { focus(p, &s, &fx); return }
        if let delta = cursorStep(action, s) { move(s.focus, delta, &s); return }
        if global(action, &s, &fx) { return }
        if Panes.perform(action, &s, &fx) { return }
        switch action {
        case .sort: s.status = "\(s.focus.title) has nothing to sort"
        case .refresh: s.status = "\(s.focus.title) has nothing to refresh"
        case .adoptTrigger: s.status = "T adopts a trigger in the E-PUR pane"
        default: break
        }
    }

    /// Actions that mean the same in every pane.
    static func global(_ action: Action, _ s: inout State, _ fx: inout [Effect]) -> Bool {
        switch action {
        case .quit:
            if s.jobRunning { s.overlay = .confirmQuit } else { quitNow(&s, &fx) }
        case .help:
            s.overlay = .help
            s.helpQuery = TextField()
            s.helpScroll = 0
        case .palette:
            s.overlay = .palette
            s.palette.set("")
            s.palette.historyIndex = nil
            s.completions = []
        case .nextPane: focus(s.focus.next, &s, &fx)
        case .prevPane: focus(s.focus.previous, &s, &fx)
        case .zoom: s.zoomed.toggle()
        case .back: back(&s)
        case .cancel:
            if let job = s.live.job {
                fx.append(.cancelJob)
                appendLog(&s, LogLine(level: .warning, text: "cancelling \(job.job)…"))
            } else {
                s.status = "no job is running"
            }
        case .undo: issue("undo", &s, &fx)
        case .insertTrigger: ProbePane.insertTrigger(&s)
        case .filter:
            if Panes.filterable.contains(s.focus) {
                s.filterField = TextField(text: s.filters[s.focus] ?? "")
            } else {
                s.status = "\(s.focus.title) has no list to filter"
            }
        default: return false
        }
        return true
    }

    /// How far a cursor key moves the focused list; nil for other actions.
    static func cursorStep(_ action: Action, _ s: State) -> Int? {
        switch action {
        case .up: -1
        case .down: 1
        case .pageUp: -pageSize(s)
        case .pageDown: pageSize(s)
        case .top: -1_000_000
        case .bottom: 1_000_000
        default: nil
        }
    }

    static func pageSize(_ s: State) -> Int {
        max(1, (s.layout.rect(of: s.focus)?.height ?? 10) - 4)
    }

    /// Moves a pane's list cursor (Log: scrolls back).
    static func move(_ pane: PaneID, _ delta: Int, _ s: inout State) {
        Panes.move(pane, delta, &s)
        Panes.clamp(&s)
    }

    /// Esc: out of the focused pane's editing or drill-down first, then out of zoom, then its
    /// filter, then (Monitor) back to live.
    static func back(_ s: inout State) {
        if Panes.back(&s) { return }
        if s.zoomed { s.zoomed = false }
        else if s.filters[s.focus] != nil { s.filters[s.focus] = nil }
        else if s.focus == .monitor { s.monitor.frozen = nil }
    }

    public static func parseRho(_ text: String) -> Double? {
        guard let v = Double(text.hasPrefix(".") ? "0" + text : text), v.isFinite, v >= 0 else { return nil }
        if v <= 1 { return v }
        if v <= 100 { return v / 100 }
        return nil
    }

    // MARK: text inputs

    /// Shared editing keys for a TextField; returns false for keys it does not handle.
    static func edit(_ k: Key, _ f: inout TextField) -> Bool {
        switch k {
        case .char(let c): f.insert(String(c))
        case .backspace: f.backspace()
        case .delete: f.deleteForward()
        case .left: f.left()
        case .right: f.right()
        case .home, .ctrl("a"): f.home()
        case .end, .ctrl("e"): f.end()
        case .ctrl("w"): f.deleteWord()
        case .ctrl("u"): f.set("")
        default: return false
        }
        return true
    }

    static func filterKey(_ k: Key, _ s: inout State) {
        guard var f = s.filterField else { return }
        switch k {
        case .enter:
            s.filterField = nil
        case .escape:
            s.filterField = nil
            s.filters[s.focus] = nil
        default:
            _ = edit(k, &f)
            s.filterField = f
            s.filters[s.focus] = f.text.isEmpty ? nil : f.text
        }
    }

    static func helpKey(_ k: Key, _ action: Action?, _ s: inout State) {
        switch k {
        case .escape:
            if s.helpQuery.text.isEmpty { s.overlay = nil } else { s.helpQuery = TextField(); s.helpScroll = 0 }
        case .char("?") where s.helpQuery.text.isEmpty:
            s.overlay = nil
        case .function(1):
            s.overlay = nil
        case .up: s.helpScroll -= 1
        case .down: s.helpScroll += 1
        case .pageUp: s.helpScroll -= 10
        case .pageDown: s.helpScroll += 10
        case .enter: s.overlay = nil
        default:
            if edit(k, &s.helpQuery) { s.helpScroll = 0 }
        }
    }

    static func paletteKey(_ k: Key, _ s: inout State, _ fx: inout [Effect]) {
        switch k {
        case .escape:
            s.overlay = nil
            s.completions = []
        case .enter:
            let line = s.palette.commit()
            s.overlay = nil
            s.completions = []
            if !line.isEmpty { issue(line, &s, &fx) }
        case .up: s.palette.historyUp()
        case .down: s.palette.historyDown()
        case .tab:
            let (text, candidates) = Completion.complete(s.palette.text, commands: s.model.commands, model: s.model)
            s.palette.set(text)
            s.completions = candidates
        default:
            if edit(k, &s.palette) { s.completions = [] }
        }
    }

    // MARK: mouse

    static func mouse(_ m: MouseEvent, _ s: inout State, _ fx: inout [Effect]) {
        let layout = s.layout
        guard !layout.tooSmall, s.overlay == nil || s.overlay == .help else { return }
        if s.overlay == .help {
            if m.kind == .wheelUp { s.helpScroll -= 3 } else if m.kind == .wheelDown { s.helpScroll += 3 }
            return
        }
        guard let pane = layout.pane(at: m.x, m.y), let rect = layout.rect(of: pane) else { return }
        switch m.kind {
        case .wheelUp: move(pane, -3, &s)
        case .wheelDown: move(pane, 3, &s)
        case .click:
            focus(pane, &s, &fx)
            // The layout can change with focus (shared slots); rows are hit-tested in the new one.
            let r = s.layout.rect(of: pane) ?? rect
            if let row = Panes.row(at: m.y, x: m.x, pane: pane, rect: r, state: s) { Panes.select(pane, row, &s) }
        }
    }
}
