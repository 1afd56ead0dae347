/// Everything a key can be bound to. Raw values are the names used in keys.conf.
public enum Action: String, CaseIterable, Sendable, Equatable {
    case quit, help, palette
    case nextPane = "next-pane", prevPane = "prev-pane"
    case focusLayers = "focus-layers", focusMixer = "focus-mixer", focusEpur = "focus-epur"
    case focusMonitor = "focus-monitor", focusVariants = "focus-variants", focusProbe = "focus-probe"
    case focusLog = "focus-log", focusLoad = "focus-load"
    case zoom, back, cancel, undo
    case up, down, left, right
    case pageUp = "page-up", pageDown = "page-down", top, bottom
    case activate, toggle
    case rhoUp = "rho-up", rhoDown = "rho-down"
    case filter, sort
    case fineTune = "fine-tune", rule, scope
    case logScale = "log-scale", windowIn = "window-in", windowOut = "window-out"
    case insertTrigger = "insert-trigger", edit, refresh
    case adoptTrigger = "adopt-trigger"

    public var summary: String {
        switch self {
        case .quit: "quit (asks first while a job runs)"
        case .help: "this help; type to search"
        case .palette: "command palette (history: up/down, completion: tab)"
        case .nextPane: "focus the next pane"
        case .prevPane: "focus the previous pane"
        case .focusLayers: "focus Layers"
        case .focusMixer: "focus Mixer"
        case .focusEpur: "focus E-PUR"
        case .focusMonitor: "focus Monitor"
        case .focusVariants: "focus Variants"
        case .focusProbe: "focus Probe"
        case .focusLog: "focus Log"
        case .focusLoad: "focus Load"
        case .zoom: "zoom the focused pane to full screen (again: back)"
        case .back: "back out: close overlay, leave drill-down or zoom, clear filter"
        case .cancel: "cancel the running job"
        case .undo: "undo the last model change"
        case .up: "move up"
        case .down: "move down"
        case .left: "move left; Mixer: rho -0.05"
        case .right: "move right; Mixer: rho +0.05"
        case .pageUp: "page up"
        case .pageDown: "page down"
        case .top: "first row"
        case .bottom: "last row (Log: follow)"
        case .activate: "Layers: drill down; Mixer: mix; E-PUR: purify; Variants: make current; Load: open"
        case .toggle: "E-PUR: toggle token; Monitor: freeze"
        case .rhoUp: "Mixer: rho +0.05 (digits type an exact value, Enter sets it)"
        case .rhoDown: "Mixer: rho -0.05"
        case .filter: "filter the focused list"
        case .sort: "cycle the sort column"
        case .fineTune: "Mixer: fine-tune the mixed model"
        case .rule: "Mixer: cycle the selection rule (random, largest, smallest)"
        case .scope: "Mixer: global rho or per layer"
        case .logScale: "Monitor: linear / log loss axis"
        case .windowIn: "Monitor: narrow the step window; E-PUR: N +10"
        case .windowOut: "Monitor: widen the step window; E-PUR: N -10"
        case .insertTrigger: "E-PUR/Probe: insert the selected candidate trigger into the probe sentence"
        case .edit: "Probe: edit the sentence; Mixer: type an exact rho (digits, Enter sets it)"
        case .refresh: "Load: list the folder again"
        case .adoptTrigger: "E-PUR: measure ASR with the selected token as the trigger (its target from the hunt)"
        }
    }
}

extension Key {
    /// Short form for hints: "Enter", "^R", "←".
    public var hintName: String {
        switch self {
        case .char(let c): String(c)
        case .ctrl(let c): "^" + String(c).uppercased()
        case .enter: "Enter"
        case .escape: "Esc"
        case .tab: "Tab"
        case .left: "←"
        case .right: "→"
        case .up: "↑"
        case .down: "↓"
        default: name
        }
    }
}

/// Key → action bindings.
public struct Keymap: Equatable, Sendable {
    public var bindings: [Key: Action]

    public init(bindings: [Key: Action]) { self.bindings = bindings }

    public func action(for key: Key) -> Action? { bindings[key] }

    /// The first key bound to an action as hints show it, nil when keys.conf unbound it.
    public func hint(_ action: Action) -> String? { keys(for: action).first?.hintName }

    /// The keys bound to an action, in a stable order for help.
    public func keys(for action: Action) -> [Key] {
        bindings.filter { $0.value == action }.map(\.key).sorted { $0.name < $1.name }
    }

    public static let defaults: Keymap = {
        var b: [Key: Action] = [
            .char("q"): .quit, .char("?"): .help, .function(1): .help, .char(":"): .palette,
            .tab: .nextPane, .backTab: .prevPane,
            .char("1"): .focusLayers, .char("2"): .focusMixer, .char("3"): .focusEpur, .char("4"): .focusMonitor,
            .char("5"): .focusVariants, .char("6"): .focusProbe, .char("7"): .focusLog, .char("8"): .focusLoad,
            .char("e"): .zoom, .escape: .back, .char("c"): .cancel, .char("z"): .undo,
            .up: .up, .char("k"): .up, .down: .down, .char("j"): .down,
            .left: .left, .char("h"): .left, .right: .right, .char("l"): .right,
            .pageUp: .pageUp, .pageDown: .pageDown, .home: .top, .char("g"): .top, .end: .bottom, .char("G"): .bottom,
            .enter: .activate, .char(" "): .toggle,
            .char("]"): .rhoUp, .char("["): .rhoDown,
            .char("/"): .filter, .char("s"): .sort,
            .char("f"): .fineTune, .char("r"): .rule, .char("p"): .scope,
            .char("L"): .logScale, .char("+"): .windowIn, .char("-"): .windowOut,
            .char("t"): .insertTrigger, .char("i"): .edit, .char("="): .edit, .ctrl("r"): .refresh,
            .char("T"): .adoptTrigger,
        ]
        b[.ctrl("l")] = nil
        return Keymap(bindings: b)
    }()
}
