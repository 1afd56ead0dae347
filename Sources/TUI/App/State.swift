/// What is layered over the panes.
public enum Overlay: Equatable, Sendable {
    case help
    case palette
    case confirmQuit
}

public enum LayerSort: Equatable, Sendable { case order, drift }
public enum VariantSort: Int, Equatable, Sendable, CaseIterable { case order, acc, asr }
public enum TokenSort: Int, Equatable, Sendable, CaseIterable { case score, drift, freq }

/// The whole front-end state: immutable by convention, changed only by update().
/// `model` is the session's view, read-only here and replaced whole by each snapshot; what the
/// analyst sets in a pane (cursors, toggles, knobs, the Load target) is that pane's own state
/// below, which no snapshot touches.
public struct State: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var model: WorkbenchModel
    /// The job under way and the Monitor's series, from events.
    public var live: LiveRun
    /// Fed by events and commands; the snapshot's lines are only the launcher's first ones.
    public var log: [LogLine]
    public var focus: PaneID = .layers
    public var zoomed = false
    public var overlay: Overlay?
    public var keymap: Keymap
    public var ascii: Bool
    public var theme: String

    // help and palette
    public var helpQuery = TextField()
    public var helpScroll = 0
    public var palette = TextField()
    public var completions: [String] = []

    // each pane's own state, kept and changed in its file under Panes/ (cursors are indices into
    // the rows the pane shows, after sorting and filtering)
    public var layers = LayersPaneState()
    public var mixer = MixerPaneState()
    public var epur = EpurPaneState()
    public var monitor = MonitorPaneState()
    public var variants = VariantsPaneState()
    public var probe = ProbePaneState()
    public var load = LoadPaneState()
    public var logPane = LogPaneState()

    // filters per list pane, and the one being typed
    public var filters: [PaneID: String] = [:]
    public var filterField: TextField?

    public var status = ""
    public var quitting = false
    public var spinner = 0
    public var lastTick = 0.0

    public init(width: Int, height: Int, model: WorkbenchModel, live: LiveRun = LiveRun(), keymap: Keymap = .defaults,
                ascii: Bool = false, theme: String = "dark") {
        self.width = width
        self.height = height
        self.model = model
        self.live = live
        self.log = model.log
        self.keymap = keymap
        self.ascii = ascii
        self.theme = theme
        self.probe.field = TextField(text: model.probe.sentence)
    }

    public var layout: ScreenLayout {
        ScreenLayout.compute(width: width, height: height, focus: focus, zoomed: zoomed)
    }

    public var jobRunning: Bool { live.job != nil }
    public var glyphs: Glyphs { .forMode(ascii: ascii) }
}
