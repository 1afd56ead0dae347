/// One row of vertical levels, one value per cell (the newest at the right when there are more
/// values than cells). Also draws histograms: pass bin counts.
public struct Sparkline: Sendable {
    public var values: [Double]
    public var style: Style
    /// Fixed range; nil scales to the data.
    public var range: ClosedRange<Double>?

    public init(values: [Double], style: Style = .accent, range: ClosedRange<Double>? = nil) {
        self.values = values
        self.style = style
        self.range = range
    }

    /// The level index (0 = lowest glyph) for each drawn value.
    public func levels(width: Int, count: Int = 8) -> [Int] {
        let shown = Array(values.suffix(max(0, width))).map { $0.isFinite ? $0 : 0 }
        guard !shown.isEmpty else { return [] }
        let lo = range?.lowerBound ?? min(0, shown.min()!)
        let hi = range?.upperBound ?? shown.max()!
        let span = hi - lo
        return shown.map { v in
            guard span > 0 else { return v > lo ? count - 1 : 0 }
            let f = min(max((v - lo) / span, 0), 1)
            return min(count - 1, Int(f * Double(count - 1) + 0.5))
        }
    }

    public func draw(_ canvas: inout Canvas, in rect: Rect, glyphs g: Glyphs) {
        guard !rect.isEmpty else { return }
        let lv = levels(width: rect.width, count: g.levels.count)
        canvas.within(rect) { c in
            for (i, l) in lv.enumerated() {
                c.put(g.levels[l], x: rect.x + i, y: rect.y, style: style)
            }
        }
    }
}
