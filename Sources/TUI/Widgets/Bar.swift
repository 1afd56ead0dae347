/// A horizontal bar for a value in 0...1, with eighth-cell resolution.
public struct Bar: Sendable {
    public var value: Double
    public var style: Style
    public var showTrack: Bool

    public init(value: Double, style: Style = .accent, showTrack: Bool = true) {
        self.value = value
        self.style = style
        self.showTrack = showTrack
    }

    /// Whole cells and the eighths of the partial cell a value fills in `width` cells.
    public static func cells(_ value: Double, width: Int) -> (full: Int, eighths: Int) {
        let v = value.isNaN ? 0 : min(max(value, 0), 1)
        let units = Int((v * Double(width) * 8).rounded())
        return (units / 8, units % 8)
    }

    public func draw(_ canvas: inout Canvas, in rect: Rect, glyphs g: Glyphs) {
        guard !rect.isEmpty else { return }
        canvas.within(rect) { c in
            let (full, part) = Bar.cells(value, width: rect.width)
            for i in 0..<rect.width {
                let x = rect.x + i
                if i < full {
                    c.put(g.full, x: x, y: rect.y, style: style)
                } else if i == full && part > 0 {
                    c.put(g.eighths[part - 1], x: x, y: rect.y, style: style)
                } else if showTrack {
                    c.put(g.empty, x: x, y: rect.y, style: .dim)
                }
            }
        }
    }
}
