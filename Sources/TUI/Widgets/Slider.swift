/// A slider for ρ in 0...1: a track with ticks every 0.1, the filled part up to the knob, and a
/// row of labels under it when there are two rows.
public struct Slider: Sendable {
    public var value: Double
    public var focused: Bool

    public init(value: Double, focused: Bool = false) {
        self.value = value
        self.focused = focused
    }

    /// Column of the knob within a track of `width` cells.
    public static func knobColumn(_ value: Double, width: Int) -> Int {
        guard width > 1 else { return 0 }
        let v = value.isNaN ? 0 : min(max(value, 0), 1)
        return Int((v * Double(width - 1)).rounded())
    }

    public static func tickColumns(width: Int) -> [Int] {
        guard width > 1 else { return [] }
        return (0...10).map { Int((Double($0) / 10 * Double(width - 1)).rounded()) }
    }

    public func draw(_ canvas: inout Canvas, in rect: Rect, glyphs g: Glyphs) {
        guard !rect.isEmpty else { return }
        let knob = Slider.knobColumn(value, width: rect.width)
        let ticks = Set(Slider.tickColumns(width: rect.width))
        canvas.within(rect) { c in
            for i in 0..<rect.width {
                let filled = i < knob
                let glyph = ticks.contains(i) && !filled ? g.tick : (filled ? g.trackFilled : g.track)
                c.put(glyph, x: rect.x + i, y: rect.y, style: filled ? .accent : .dim)
            }
            c.put(g.knob, x: rect.x + knob, y: rect.y, style: Style(focused ? .focus : .accent, .bold))
            if rect.height >= 2 && rect.width >= 11 {
                // Labels at 0, .25, .5, .75, 1 when they fit; otherwise just the ends.
                let marks: [(Double, String)] = rect.width >= 30
                    ? [(0, "0"), (0.25, ".25"), (0.5, ".5"), (0.75, ".75"), (1, "1")]
                    : [(0, "0"), (0.5, ".5"), (1, "1")]
                for (v, label) in marks {
                    let col = Slider.knobColumn(v, width: rect.width)
                    let x = min(max(rect.x, rect.x + col - label.count / 2), rect.maxX - label.count)
                    c.text(label, x: x, y: rect.y + 1, style: .dim)
                }
            }
        }
    }
}
