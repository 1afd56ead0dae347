/// A key press, already decoded from the terminal.
public enum Key: Hashable, Sendable {
    case char(Character)
    case ctrl(Character)
    case enter, escape, tab, backTab, backspace, delete
    case up, down, left, right, home, end, pageUp, pageDown
    case function(Int)

    /// The name used in keys.conf and in help ("q", "tab", "shift-tab", "ctrl-c", "f1", "space").
    public var name: String {
        switch self {
        case .char(" "): "space"
        case .char("#"): "hash"
        case .char("="): "equals"
        case .char(let c): String(c)
        case .ctrl(let c): "ctrl-\(c)"
        case .enter: "enter"
        case .escape: "esc"
        case .tab: "tab"
        case .backTab: "shift-tab"
        case .backspace: "backspace"
        case .delete: "delete"
        case .up: "up"
        case .down: "down"
        case .left: "left"
        case .right: "right"
        case .home: "home"
        case .end: "end"
        case .pageUp: "pgup"
        case .pageDown: "pgdn"
        case .function(let n): "f\(n)"
        }
    }

    /// Parses a key name as written in keys.conf; nil if it names no key.
    public init?(name raw: String) {
        let s = raw.trimmingCharacters(in: .whitespaces)
        let lower = s.lowercased()
        switch lower {
        case "space": self = .char(" ")
        case "hash": self = .char("#")
        case "equals": self = .char("=")
        case "enter", "return": self = .enter
        case "esc", "escape": self = .escape
        case "tab": self = .tab
        case "shift-tab", "btab", "backtab": self = .backTab
        case "backspace", "bs": self = .backspace
        case "delete", "del": self = .delete
        case "up": self = .up
        case "down": self = .down
        case "left": self = .left
        case "right": self = .right
        case "home": self = .home
        case "end": self = .end
        case "pgup", "pageup": self = .pageUp
        case "pgdn", "pagedown": self = .pageDown
        default:
            if lower.hasPrefix("ctrl-"), lower.count == 6, let c = lower.last, c.isLetter {
                self = .ctrl(c)
            } else if lower.hasPrefix("f"), lower.count > 1, let n = Int(lower.dropFirst()), (1...12).contains(n) {
                self = .function(n)
            } else if s.count == 1, let c = s.first, !c.isWhitespace {
                self = .char(c)
            } else {
                return nil
            }
        }
    }
}

import Defense
import Foundation

public struct MouseEvent: Equatable, Sendable {
    public enum Kind: Equatable, Sendable { case click, wheelUp, wheelDown }
    public var x: Int
    public var y: Int
    public var kind: Kind
    public init(x: Int, y: Int, kind: Kind) {
        self.x = x
        self.y = y
        self.kind = kind
    }
}

/// Everything that can happen to the front end.
public enum Msg: Equatable, Sendable {
    case key(Key)
    case mouse(MouseEvent)
    case resize(width: Int, height: Int)
    /// Timer tick, seconds since the runtime started.
    case tick(Double)
    /// What the session reports while work runs (Defense's events, unchanged).
    case engine(WorkbenchEvent)
    /// A command of the session starts running (the charted ones start with empty charts).
    case started(job: String)
    /// A fresh snapshot of the view models from the session (after a command changed things).
    case model(WorkbenchModel)
    /// Focus a pane (the walkthrough's directive: not a key, so it survives any keys.conf).
    case focus(PaneID)
}

/// What update() asks the outside world to do. Commands are lines of the command language;
/// the session executes them (off the UI thread) and reports back with `Msg.engine`/`Msg.model`.
public enum Effect: Equatable, Sendable {
    case command(String)
    /// A `load` line from the Load pane; when it leaves both models loaded, `inspect` follows so
    /// the Layers and Mixer tables show the drift map, as `tui --pre --victim` does.
    case load(String)
    case cancelJob
    /// The Mixer's knobs the ρ landscape is computed for (its selection and seed; the slider's ρ
    /// is computed first).
    case landscape(select: SelectionRule, seed: Int, rho: Double)
    /// List a directory for the Load pane (the session answers with a `Msg.model`).
    case browse(String)
    case quit
}
