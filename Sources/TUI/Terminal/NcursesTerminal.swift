import CNcurses
import Foundation

/// The real terminal: the only code that talks to ncurses. It blits canvases by writing only the
/// cells that changed since the last frame, decodes wget_wch input into messages, follows
/// resizes, and restores the terminal on exit and on signals.
public final class NcursesTerminal: TerminalIO {
    public private(set) var width: Int
    public private(set) var height: Int
    public let theme: Theme
    private var last: Canvas?
    private var active = false
    /// Whether the locale's character set is UTF-8. When it is not (LANG=en_US.ISO-8859-1 and
    /// the like), every cell beyond ASCII is folded to an ASCII look-alike at the blit, so the
    /// screen never shows bytes the terminal would misread.
    public let utf8: Bool
    /// Set by `--ascii`: every cell is folded to ASCII even on a UTF-8 terminal, so the promise
    /// "ASCII only" covers text (·, ρ, Δ) and not just the box and chart glyphs.
    public let asciiOnly: Bool

    /// Why this terminal cannot host the full screen (nil: it can). Asked before `init`, which
    /// would otherwise let ncurses print its own message and exit, or draw garbage on TERM=dumb.
    public static func unusable() -> String? {
        let term = ProcessInfo.processInfo.environment["TERM"] ?? ""
        switch fm_terminal_check() {
        case 0: return nil
        case 1: return term.isEmpty
            ? "TERM is not set, so the terminal is unknown; set it (e.g. TERM=xterm-256color)"
            : "TERM=\(term) is not in this system's terminfo database; set TERM to your terminal (e.g. TERM=xterm-256color)"
        default: return "TERM=\(term) cannot move the cursor, which the full-screen workbench needs; use a terminal emulator, or 'finemix run SCRIPT' headless"
        }
    }

    /// Starts curses mode. `theme` falls back to 16 colours when the terminal has fewer than it needs.
    public init(theme: Theme, asciiOnly: Bool = false, mouse: Bool = true) {
        utf8 = TerminalLocale.adopt()
        self.asciiOnly = asciiOnly
        fm_save_termios()
        // ESC must come through quickly: Esc backs out of things, and no one uses Alt here.
        setenv("ESCDELAY", "25", 0)
        initscr()
        active = true
        fm_install_signal_handlers()
        cbreak()
        noecho()
        nonl()
        keypad(fm_stdscr(), true)
        curs_set(0)
        if mouse {
            mousemask(fm_mouse_all(), nil)
            mouseinterval(0)
        }
        var chosen = theme
        if has_colors() {
            start_color()
            use_default_colors()
            chosen = theme.fitting(colors: Int(fm_colors()))
            for role in ColorRole.allCases {
                let spec = chosen.spec(role)
                let clamp = { (c: Int16) -> Int16 in c < Int16(fm_colors()) ? c : -1 }
                init_pair(Int16(role.rawValue) + 1, clamp(spec.fg), clamp(spec.bg))
            }
        }
        self.theme = chosen
        width = Int(fm_cols())
        height = Int(fm_lines())
        wtimeout(fm_stdscr(), 20)
    }

    public func present(_ canvas: Canvas) {
        guard active else { return }
        let runs = FrameDiff.runs(old: last, new: canvas)
        if last == nil || last!.width != canvas.width || last!.height != canvas.height { werase(fm_stdscr()) }
        let colors = has_colors()
        for run in runs {
            for x in run.x..<(run.x + run.count) {
                let cell = canvas[x, run.y]
                if cell.width == 0 { continue }
                var flags = Int32(cell.style.attributes.rawValue)
                let spec = theme.spec(cell.style.role)
                flags |= Int32(spec.attributes.rawValue)
                if !colors && (cell.style.role == .selection || cell.style.role == .status || cell.style.role == .highlight) {
                    flags |= Int32(Attributes.reverse.rawValue)
                }
                // Writing the bottom-right cell makes curses try to scroll and return ERR; the
                // cell is still drawn, so the result is ignored on purpose.
                let scalar = utf8 && !asciiOnly ? cell.scalar : TerminalLocale.asciiFold(cell.scalar)
                _ = fm_put_cell(Int32(run.y), Int32(x), Int32(bitPattern: scalar.value), flags,
                                colors ? Int32(cell.style.role.rawValue) + 1 : 0)
            }
        }
        wnoutrefresh(fm_stdscr())
        doupdate()
        last = canvas
    }

    public func poll(timeoutMs: Int) -> [Msg] {
        guard active else { return [] }
        var out: [Msg] = []
        wtimeout(fm_stdscr(), Int32(timeoutMs))
        var ch: wint_t = 0
        var r = wget_wch(fm_stdscr(), &ch)
        // Take everything already waiting (fast typing, pastes) in one turn.
        while r != ERR {
            if let m = decode(r, ch) { out.append(m) }
            if out.count >= 64 { break }
            wtimeout(fm_stdscr(), 0)
            r = wget_wch(fm_stdscr(), &ch)
        }
        return out
    }

    private func decode(_ r: Int32, _ ch: wint_t) -> Msg? {
        if r == KEY_CODE_YES {
            switch Int32(ch) {
            case KEY_RESIZE:
                width = Int(fm_cols())
                height = Int(fm_lines())
                last = nil   // the next frame is written whole
                return .resize(width: width, height: height)
            case KEY_MOUSE:
                var ev = MEVENT()
                guard getmouse(&ev) == OK else { return nil }
                let kind: MouseEvent.Kind
                if fm_mouse_is_wheel_up(ev.bstate) != 0 { kind = .wheelUp }
                else if fm_mouse_is_wheel_down(ev.bstate) != 0 { kind = .wheelDown }
                else if fm_mouse_is_click(ev.bstate) != 0 { kind = .click }
                else { return nil }
                return .mouse(MouseEvent(x: Int(ev.x), y: Int(ev.y), kind: kind))
            case KEY_UP: return .key(.up)
            case KEY_DOWN: return .key(.down)
            case KEY_LEFT: return .key(.left)
            case KEY_RIGHT: return .key(.right)
            case KEY_HOME: return .key(.home)
            case KEY_END: return .key(.end)
            case KEY_PPAGE: return .key(.pageUp)
            case KEY_NPAGE: return .key(.pageDown)
            case KEY_BTAB: return .key(.backTab)
            case KEY_BACKSPACE: return .key(.backspace)
            case KEY_DC: return .key(.delete)
            case KEY_ENTER: return .key(.enter)
            default:
                for n in 1...12 where Int32(ch) == fm_key_f(Int32(n)) { return .key(.function(n)) }
                return nil
            }
        }
        switch ch {
        case 9: return .key(.tab)
        case 10, 13: return .key(.enter)
        case 27: return .key(.escape)
        case 8, 127: return .key(.backspace)
        case 1...26: return .key(.ctrl(Character(Unicode.Scalar(UInt8(ch) + 96))))
        default:
            guard let s = Unicode.Scalar(UInt32(ch)) else { return nil }
            return .key(.char(Character(s)))
        }
    }

    public func pendingSignal() -> Int32 { fm_take_signal() }

    public func restore() {
        guard active else { return }
        active = false
        curs_set(1)
        endwin()
        fm_reset_signal_handlers()
    }

    deinit { restore() }
}
