/// A row of cells coloured along the heat ramp, one per value (values in 0...1). In ASCII mode
/// the glyph itself also encodes the level, so the strip still reads without colour.
public struct HeatStrip: Sendable {
    public var values: [Double]

    public init(values: [Double]) { self.values = values }

    public static func level(_ v: Double, steps: Int) -> Int {
        let c = v.isNaN ? 0 : min(max(v, 0), 1)
        return min(steps - 1, Int(c * Double(steps)))
    }

    public func draw(_ canvas: inout Canvas, in rect: Rect, glyphs g: Glyphs) {
        guard !rect.isEmpty else { return }
        canvas.within(rect) { c in
            for (i, v) in values.prefix(rect.width).enumerated() {
                let l = HeatStrip.level(v, steps: g.heatRamp.count)
                c.put(g.heatRamp[l], x: rect.x + i, y: rect.y, style: Style(ColorRole.heatRamp[l]))
            }
        }
    }
}
