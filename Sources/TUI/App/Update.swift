import Defense

/// The pure heart of the front end: one message in, the next state and effects out.
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
        case .model(let m):
            merge(m, into: &s)
        case .focus(let p):
            focus(p, &s, &fx)
        case .mouse(let m):
            mouse(m, &s, &fx)
        case .key(let k):
            key(k, &s, &fx)
        }
        clampCursors(&s)
        return (s, fx)
    }

    // MARK: engine

    static func apply(_ e: WorkbenchEvent, to s: inout State) {
        switch e {
        case .progress(let job, let fraction, let detail):
            // The session folds its ETA into `detail`; a stale one is worse than none.
            s.model.header.job = JobStatus(name: job, fraction: min(max(fraction, 0), 1), detail: detail)
            if let total = totalSteps(detail) { s.model.monitor.totalSteps = total }
        case .metric(let series, let step, let value):
            let p = SeriesPoint(Double(step), value)
            switch series.lowercased() {
            case "loss": s.model.monitor.loss.append(p)
            case "acc": s.model.monitor.acc.append(p)
            case "asr": s.model.monitor.asr.append(p)
            default: appendLog(&s, LogLine(level: .warn, text: "metric for unknown series '\(series)' ignored"))
            }
        case .log(let level, let text):
            appendLog(&s, LogLine(level: LogLevel(level), text: text))
        case .finished(let job, let summary):
            s.model.header.job = nil
            appendLog(&s, LogLine(level: .info, text: "\(job): \(summary)"))
            s.status = "\(job) finished: \(summary)"
        case .failed(let job, let message):
            s.model.header.job = nil
            appendLog(&s, LogLine(level: .error, text: "\(job): \(message)"))
            s.status = "\(job) failed: \(message)"
        }
    }

    /// The run's length from a progress line's "step 40/120", so the Monitor's x axis is fixed.
    static func totalSteps(_ detail: String) -> Int? {
        guard let r = detail.range(of: "step ") else { return nil }
        let rest = detail[r.upperBound...]
        guard let slash = rest.firstIndex(of: "/"), Int(rest[..<slash]) != nil else { return nil }
        return Int(rest[rest.index(after: slash)...].prefix { $0.isNumber })
    }

    static func appendLog(_ s: inout State, _ line: LogLine) {
        s.log.append(line)
        if s.log.count > 5000 { s.log.removeFirst(s.log.count - 5000) }
        if s.logScroll > 0 { s.logScroll += 1 }   // keep the lines being read in place
    }

    /// A fresh snapshot replaces the session's view whole. The panes' own state is theirs; a pane
    /// only reacts to what changed under it (a new folder, a new ranking, a mix run elsewhere).
    static func merge(_ m: WorkbenchModel, into s: inout State) {
        LoadPane.adopt(m, &s)
        EpurPane.adopt(m, &s)
        MixerPane.adopt(m, &s)
        if s.drill.map({ $0 >= m.layers.count }) ?? false { s.drill = nil }
        s.model = m
        if !s.probeEditing { s.probeField.set(m.probe.sentence) }
    }

    /// Focuses a pane (a key, a click, the walkthrough's directive); the Load pane lists its
    /// folder again so folders made meanwhile appear.
    static func focus(_ p: PaneID, _ s: inout State, _ fx: inout [Effect]) {
        if p == .load && s.focus != .load { LoadPane.refresh(s, &fx) }
        s.focus = p
    }

    static func clampCursors(_ s: inout State) {
        func clamp(_ v: Int, _ n: Int) -> Int { min(max(0, v), max(0, n - 1)) }
        if let d = s.drill, d >= s.model.layers.count { s.drill = nil }
        s.layerCursor = clamp(s.layerCursor, Rows.layers(s).count)
        s.tensorCursor = clamp(s.tensorCursor, Rows.tensors(s).count)
        s.mixer.cursor = clamp(s.mixer.cursor, Rows.mixer(s).count)
        s.epur.cursor = clamp(s.epur.cursor, Rows.tokens(s).count)
        s.variantCursor = clamp(s.variantCursor, Rows.variants(s).count)
        s.load.cursor = clamp(s.load.cursor, Rows.load(s).count)
        s.logScroll = min(max(0, s.logScroll), max(0, Rows.log(s).count - 1))
        s.helpScroll = clamp(s.helpScroll, HelpContent.lines(s).count)
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
        if s.probeEditing { probeKey(k, &s, &fx); return }
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

    static func perform(_ action: Action, _ s: inout State, _ fx: inout [Effect]) {
        s.status = ""
        if let p = PaneID.focusAction(action) { focus(p, &s, &fx); return }
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
            if s.jobRunning {
                fx.append(.cancelJob)
                appendLog(&s, LogLine(level: .warn, text: "cancelling \(s.model.header.job!.name)…"))
            } else {
                s.status = "no job is running"
            }
        case .undo: issue("undo", &s, &fx)
        case .up: move(s.focus, -1, &s)
        case .down: move(s.focus, 1, &s)
        case .pageUp: move(s.focus, -pageSize(s), &s)
        case .pageDown: move(s.focus, pageSize(s), &s)
        case .top: move(s.focus, -1_000_000, &s)
        case .bottom: move(s.focus, 1_000_000, &s)
        case .left, .rhoDown:
            if s.focus == .mixer { MixerPane.stepRho(-0.05, &s) }
            else if s.focus == .layers && s.drill != nil { s.drill = nil }
            else if s.focus == .load { LoadPane.cycleTarget(-1, &s) }
        case .right, .rhoUp:
            if s.focus == .mixer { MixerPane.stepRho(0.05, &s) }
            else if s.focus == .layers && s.drill == nil { drillDown(&s) }
            else if s.focus == .load { LoadPane.cycleTarget(1, &s) }
        case .activate: activate(&s, &fx)
        case .toggle:
            switch s.focus {
            case .epur: EpurPane.toggle(&s)
            case .monitor:
                s.frozen = s.frozen == nil ? s.model.monitor : nil
                s.status = s.frozen == nil ? "monitor: live" : "monitor: frozen (space resumes)"
            default: break
            }
        case .filter:
            if [.layers, .epur, .variants, .load, .log].contains(s.focus) {
                s.filterField = TextField(text: s.filters[s.focus] ?? "")
            } else {
                s.status = "\(s.focus.title) has no list to filter"
            }
        case .sort:
            switch s.focus {
            case .layers: s.layerSort = s.layerSort == .order ? .drift : .order
            case .epur: s.epur.sort = TokenSort(rawValue: (s.epur.sort.rawValue + 1) % TokenSort.allCases.count)!
            case .variants: s.variantSort = VariantSort(rawValue: (s.variantSort.rawValue + 1) % VariantSort.allCases.count)!
            default: s.status = "\(s.focus.title) has nothing to sort"
            }
        case .fineTune:
            if s.focus == .mixer || s.focus == .variants { issue("finetune", &s, &fx) }
        case .rule:
            if s.focus == .mixer { MixerPane.cycleRule(&s) }
        case .scope:
            if s.focus == .mixer { s.mixer.knobs.scope = s.mixer.knobs.scope == .global ? .perLayer : .global }
        case .logScale:
            if s.focus == .monitor { s.logScale.toggle() }
        case .windowIn, .windowOut:
            let narrower = action == .windowIn
            if s.focus == .monitor {
                let total = max(10, Int(s.model.monitor.loss.last?.x ?? 10))
                let cur = s.window ?? total
                let next = narrower ? max(10, cur / 2) : cur * 2
                s.window = next >= total ? nil : next
            } else if s.focus == .epur {
                EpurPane.stepTop(narrower ? 10 : -10, &s)
            }
        case .insertTrigger: insertTrigger(&s)
        case .adoptTrigger:
            if s.focus == .epur { EpurPane.adoptTrigger(&s, &fx) } else { s.status = "T adopts a trigger in the E-PUR pane" }
        case .edit:
            if s.focus == .probe { s.probeEditing = true; s.probeField.end() }
            else if s.focus == .mixer { s.mixer.entry = "" }
        case .refresh:
            if s.focus == .load { LoadPane.refresh(s, &fx) } else { s.status = "\(s.focus.title) has nothing to refresh" }
        default: break
        }
    }

    static func pageSize(_ s: State) -> Int {
        max(1, (s.layout.rect(of: s.focus)?.height ?? 10) - 4)
    }

    /// Moves the focused list's cursor (Log: scrolls back).
    static func move(_ pane: PaneID, _ delta: Int, _ s: inout State) {
        switch pane {
        case .layers:
            if s.drill != nil { s.tensorCursor += delta } else { s.layerCursor += delta }
        case .mixer: s.mixer.cursor += delta
        case .epur: s.epur.cursor += delta
        case .variants: s.variantCursor += delta
        case .load: s.load.cursor += delta
        case .log: s.logScroll -= delta
        case .monitor, .probe: break
        }
        clampCursors(&s)
    }

    static func back(_ s: inout State) {
        if s.focus == .mixer && s.mixer.entry != nil { s.mixer.entry = nil }
        else if s.focus == .layers && s.drill != nil { s.drill = nil }
        else if s.zoomed { s.zoomed = false }
        else if s.filters[s.focus] != nil { s.filters[s.focus] = nil }
        else if s.frozen != nil && s.focus == .monitor { s.frozen = nil }
    }

    public static func parseRho(_ text: String) -> Double? {
        guard let v = Double(text.hasPrefix(".") ? "0" + text : text), v.isFinite, v >= 0 else { return nil }
        if v <= 1 { return v }
        if v <= 100 { return v / 100 }
        return nil
    }

    static func drillDown(_ s: inout State) {
        let rows = Rows.layers(s)
        guard s.layerCursor < rows.count else { return }
        s.drill = rows[s.layerCursor]
        s.tensorCursor = 0
    }

    static func activate(_ s: inout State, _ fx: inout [Effect]) {
        switch s.focus {
        case .layers:
            if s.drill == nil { drillDown(&s) }
        case .mixer:
            for c in MixerPane.commands(s) { issue(c, &s, &fx) }
        case .epur:
            issue(EpurPane.command(s), &s, &fx)
        case .variants:
            let rows = Rows.variants(s)
            if s.variantCursor < rows.count { issue("variant \(Command.quote(s.model.variants[rows[s.variantCursor]].name))", &s, &fx) }
        case .probe:
            s.probeEditing = true
            s.probeField.end()
        case .load:
            LoadPane.activate(&s, &fx)
        case .log, .monitor:
            break
        }
    }

    /// The token `t` inserts: the E-PUR cursor's row while E-PUR is focused, else the first
    /// candidate. The Probe pane's hint names the same one.
    static func triggerToInsert(_ s: State) -> String? {
        if s.focus == .epur {
            let rows = Rows.tokens(s)
            return s.epur.cursor < rows.count ? s.model.epur.tokens[rows[s.epur.cursor]].token : nil
        }
        return s.model.epur.tokens.first(where: \.candidate)?.token
    }

    static func insertTrigger(_ s: inout State) {
        guard let token = triggerToInsert(s) else { s.status = "no candidate trigger to insert"; return }
        var words = s.probeField.text.split(separator: " ").map(String.init)
        words.insert(token, at: words.count / 2)
        s.probeField.set(words.joined(separator: " "))
        s.focus = .probe
        s.status = "inserted '\(token)' into the probe sentence (Enter runs it)"
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

    static func probeKey(_ k: Key, _ s: inout State, _ fx: inout [Effect]) {
        switch k {
        case .enter:
            s.probeEditing = false
            let text = s.probeField.commit()
            s.probeField.set(text)
            if !text.isEmpty { issue("probe \(Command.quote(text))", &s, &fx) }
        case .escape:
            s.probeEditing = false
        case .up: s.probeField.historyUp()
        case .down: s.probeField.historyDown()
        default:
            _ = edit(k, &s.probeField)
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
            if let row = Panes.row(at: m.y, x: m.x, pane: pane, rect: r, state: s) {
                switch pane {
                case .layers: if s.drill != nil { s.tensorCursor = row } else { s.layerCursor = row }
                case .mixer: s.mixer.cursor = row
                case .epur: s.epur.cursor = row
                case .variants: s.variantCursor = row
                case .load: s.load.cursor = row
                default: break
                }
            }
        }
    }
}
