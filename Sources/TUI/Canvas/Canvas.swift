/// A grid of cells that widgets draw into. All drawing is clipped to `clip`, and `within(_:)`
/// narrows the clip for the duration of a widget, so a widget can never write outside the
/// rectangle it was given.
public struct Canvas: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public private(set) var cells: [Cell]
    public private(set) var clip: Rect

    public init(width: Int, height: Int, fill: Cell = .blank) {
        self.width = max(0, width)
        self.height = max(0, height)
        cells = [Cell](repeating: fill, count: self.width * self.height)
        clip = Rect(x: 0, y: 0, width: self.width, height: self.height)
    }

    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    public subscript(x: Int, y: Int) -> Cell {
        guard x >= 0, y >= 0, x < width, y < height else { return .blank }
        return cells[y * width + x]
    }

    /// Runs `body` with the clip narrowed to `rect` (intersected with the current clip).
    public mutating func within(_ rect: Rect, _ body: (inout Canvas) -> Void) {
        let saved = clip
        clip = clip.intersection(rect)
        body(&self)
        clip = saved
    }

    /// Puts one scalar at (x, y); returns the columns it advanced (0 for zero-width scalars).
    /// A wide scalar that would straddle the clip edge becomes a space, so nothing leaks out.
    @discardableResult
    public mutating func put(_ scalar: Unicode.Scalar, x: Int, y: Int, style: Style = .normal) -> Int {
        let w = scalar.terminalWidth
        if w == 0 { return 0 }
        guard clip.contains(x: x, y: y) else { return w }
        if w == 2 && !clip.contains(x: x + 1, y: y) {
            set(x, y, Cell(" ", style: style))
            return 2
        }
        set(x, y, Cell(scalar, style: style, width: UInt8(w)))
        if w == 2 { set(x + 1, y, Cell(" ", style: style, width: 0)) }
        return w
    }

    /// Writes a cell, repairing any wide character it cuts in half.
    private mutating func set(_ x: Int, _ y: Int, _ cell: Cell) {
        let i = y * width + x
        let old = cells[i]
        if old.width == 2 && cell.width != 2 && x + 1 < width && cells[i + 1].width == 0 {
            cells[i + 1] = Cell(" ", style: cells[i + 1].style)
        }
        if old.width == 0 && x > 0 && cells[i - 1].width == 2 {
            cells[i - 1] = Cell(" ", style: cells[i - 1].style)
        }
        cells[i] = cell
    }

    /// Writes text on one line starting at (x, y), at most `maxWidth` columns. Returns columns used.
    @discardableResult
    public mutating func text(_ string: String, x: Int, y: Int, style: Style = .normal, maxWidth: Int = .max) -> Int {
        var cx = x
        let limit = maxWidth == .max ? Int.max : x + max(0, maxWidth)
        if y < clip.y || y >= clip.maxY { return min(string.terminalWidth, max(0, maxWidth)) }
        for s in string.unicodeScalars {
            let w = s.terminalWidth
            if w == 0 { continue }
            if cx + w > limit { break }
            if cx >= clip.maxX { cx += w; continue }
            put(s, x: cx, y: y, style: style)
            cx += w
        }
        return cx - x
    }

    /// Fills a rectangle (clipped) with one scalar.
    public mutating func fill(_ rect: Rect, _ scalar: Unicode.Scalar = " ", style: Style = .normal) {
        let r = rect.intersection(clip)
        guard !r.isEmpty else { return }
        let w = scalar.terminalWidth
        if w != 1 {
            for yy in r.y..<r.maxY { for xx in stride(from: r.x, to: r.maxX, by: max(1, w)) { put(scalar, x: xx, y: yy, style: style) } }
            return
        }
        let cell = Cell(scalar, style: style)
        for yy in r.y..<r.maxY {
            for xx in r.x..<r.maxX { set(xx, yy, cell) }
        }
    }

    /// Changes the style of cells already drawn (for selection and focus highlights).
    public mutating func restyle(_ rect: Rect, _ transform: (Style) -> Style) {
        let r = rect.intersection(clip)
        guard !r.isEmpty else { return }
        for yy in r.y..<r.maxY {
            for xx in r.x..<r.maxX { cells[yy * width + xx].style = transform(cells[yy * width + xx].style) }
        }
    }

    /// The text of each row (continuation cells skipped), trailing spaces kept.
    public func lines() -> [String] {
        (0..<height).map { line($0) }
    }

    public func line(_ y: Int, from x0: Int = 0, width w: Int? = nil) -> String {
        guard y >= 0, y < height else { return "" }
        var out = String.UnicodeScalarView()
        let end = min(width, x0 + (w ?? width))
        var x = max(0, x0)
        while x < end {
            let c = cells[y * width + x]
            if c.width != 0 { out.append(c.scalar) }
            x += 1
        }
        return String(out)
    }

    /// The text inside a rectangle, one string per row.
    public func text(in rect: Rect) -> [String] {
        let r = rect.intersection(bounds)
        return (r.y..<r.maxY).map { line($0, from: r.x, width: r.width) }
    }

    /// Everything as one string with newlines (trailing spaces trimmed per row).
    public var plainText: String {
        lines().map { l in
            var s = Substring(l)
            while s.last == " " { s = s.dropLast() }
            return String(s)
        }.joined(separator: "\n")
    }
}
