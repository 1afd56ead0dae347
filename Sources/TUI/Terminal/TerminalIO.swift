/// What the runtime needs from a terminal: its size, input as messages, and a way to show a frame.
public protocol TerminalIO: AnyObject {
    var width: Int { get }
    var height: Int { get }
    /// Waits at most `timeoutMs` for input and returns what arrived (possibly nothing).
    func poll(timeoutMs: Int) -> [Msg]
    /// Shows a frame; implementations write only the cells that changed since the last one.
    func present(_ canvas: Canvas)
    /// A signal (SIGINT, SIGTERM, SIGHUP) that arrived since the last call, or 0.
    func pendingSignal() -> Int32
    /// Puts the terminal back as it was. Safe to call more than once.
    func restore()
}

/// A terminal with no screen: frames become text, input comes from a script. Every screen can
/// be tested through it, and the runtime loop too.
public final class HeadlessTerminal: TerminalIO {
    public private(set) var width: Int
    public private(set) var height: Int
    public private(set) var frames: [Canvas] = []
    public private(set) var cellsWritten = 0
    public private(set) var restored = false
    private var script: [[Msg]]
    private var signal: Int32 = 0

    /// `script`: what each poll returns in turn; when it runs out, polls return nothing.
    public init(width: Int, height: Int, script: [[Msg]] = []) {
        self.width = width
        self.height = height
        self.script = script
    }

    public var lastFrame: Canvas? { frames.last }
    public var lines: [String] { frames.last?.lines() ?? [] }

    public func feed(_ msgs: [Msg]) { script.append(msgs) }
    public func raise(_ sig: Int32) { signal = sig }

    public func poll(timeoutMs: Int) -> [Msg] {
        guard !script.isEmpty else { return [] }
        let next = script.removeFirst()
        for case .resize(let w, let h) in next {
            width = w
            height = h
        }
        return next
    }

    public func present(_ canvas: Canvas) {
        cellsWritten += FrameDiff.changedCells(old: frames.last, new: canvas)
        frames.append(canvas)
    }

    public func pendingSignal() -> Int32 {
        defer { signal = 0 }
        return signal
    }

    public func restore() { restored = true }
}
