import Foundation

/// A point of a chart series.
public struct SeriesPoint: Equatable, Hashable, Sendable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}

/// A line chart drawn with braille (2×4 dots per cell), or with ASCII marks (1×3 per cell) in
/// `--ascii` mode. Several series, horizontal reference lines with labels, y labels at the left
/// and x labels at the bottom, linear or log y.
public struct LineChart: Sendable {
    public struct Series: Sendable, Equatable {
        public var label: String
        public var points: [SeriesPoint]
        public var role: ColorRole
        public init(_ label: String, _ points: [SeriesPoint], role: ColorRole) {
            self.label = label
            self.points = points
            self.role = role
        }
    }

    public struct Reference: Sendable, Equatable {
        public var y: Double
        public var label: String
        public var role: ColorRole
        public init(_ y: Double, _ label: String, role: ColorRole = .reference) {
            self.y = y
            self.label = label
            self.role = role
        }
    }

    public var series: [Series]
    public var references: [Reference]
    public var xRange: ClosedRange<Double>?
    public var yRange: ClosedRange<Double>?
    public var logY: Bool
    public var showAxes: Bool
    public var yFormat: @Sendable (Double) -> String

    public init(series: [Series], references: [Reference] = [], xRange: ClosedRange<Double>? = nil,
                yRange: ClosedRange<Double>? = nil, logY: Bool = false, showAxes: Bool = true,
                yFormat: @escaping @Sendable (Double) -> String = LineChart.compact) {
        self.series = series
        self.references = references
        self.xRange = xRange
        self.yRange = yRange
        self.logY = logY
        self.showAxes = showAxes
        self.yFormat = yFormat
    }

    public static let compact: @Sendable (Double) -> String = { v in
        let a = abs(v)
        if a == 0 { return "0" }
        if a >= 1000 { return String(format: "%.0fk", v / 1000) }
        if a >= 100 { return String(format: "%.0f", v) }
        if a >= 10 { return String(format: "%.1f", v) }
        if a >= 0.01 { return String(format: "%.2f", v) }
        return String(format: "%.0e", v)
    }

    /// Where the plot goes inside `rect` once axis labels take their room, and the data ranges.
    public struct Geometry: Equatable, Sendable {
        public var plot: Rect
        public var x: ClosedRange<Double>
        public var y: ClosedRange<Double>   // in plotted units (log10 when logY)
        public var logY: Bool
        public var dotsX: Int
        public var dotsY: Int

        /// The dot (column, row from the top) a data point falls on, nil if outside.
        public func dot(_ p: SeriesPoint) -> (Int, Int)? {
            guard p.x.isFinite, p.y.isFinite else { return nil }
            let yv = logY ? (p.y > 0 ? log10(p.y) : -Double.infinity) : p.y
            guard yv.isFinite else { return nil }
            let fx = x.upperBound > x.lowerBound ? (p.x - x.lowerBound) / (x.upperBound - x.lowerBound) : 0.5
            let fy = y.upperBound > y.lowerBound ? (yv - y.lowerBound) / (y.upperBound - y.lowerBound) : 0.5
            guard fx >= -1e-9, fx <= 1 + 1e-9, fy >= -1e-9, fy <= 1 + 1e-9 else { return nil }
            let dx = Int((min(max(fx, 0), 1) * Double(dotsX - 1)).rounded())
            let dy = (dotsY - 1) - Int((min(max(fy, 0), 1) * Double(dotsY - 1)).rounded())
            return (dx, dy)
        }

        /// The cell a data point is drawn in.
        public func cell(_ p: SeriesPoint, ascii: Bool) -> (x: Int, y: Int)? {
            guard let (dx, dy) = dot(p) else { return nil }
            let (cw, ch) = ascii ? (1, 3) : (2, 4)
            return (plot.x + dx / cw, plot.y + dy / ch)
        }
    }

    public func geometry(in rect: Rect, ascii: Bool) -> Geometry {
        let pts = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite && (!logY || $0.y > 0) }
        var xr = xRange ?? {
            guard let lo = pts.map(\.x).min(), let hi = pts.map(\.x).max() else { return 0...1 }
            return lo...max(hi, lo + 1e-9)
        }()
        if xr.upperBound <= xr.lowerBound { xr = xr.lowerBound...(xr.lowerBound + 1) }
        func tr(_ v: Double) -> Double { logY ? log10(max(v, 1e-12)) : v }
        var yr: ClosedRange<Double>
        if let r = yRange {
            yr = tr(r.lowerBound)...tr(r.upperBound)
        } else {
            let ys = pts.map { tr($0.y) } + references.map { tr($0.y) }
            if let lo = ys.min(), let hi = ys.max() {
                let pad = (hi - lo) * 0.05
                yr = (lo - pad)...(hi + pad)
            } else {
                yr = 0...1
            }
        }
        if yr.upperBound <= yr.lowerBound { yr = (yr.lowerBound - 0.5)...(yr.lowerBound + 0.5) }
        // Padding must not invent negative values for data that cannot be negative (loss, ACC):
        // an axis reading -0.03 under a loss curve looks like a bug.
        if yRange == nil, !logY, yr.lowerBound < 0, pts.allSatisfy({ $0.y >= 0 }), references.allSatisfy({ $0.y >= 0 }) {
            yr = 0...yr.upperBound
        }
        var plot = rect
        if showAxes && rect.width > 12 && rect.height > 3 {
            let labels = [yFormat(logY ? pow(10, yr.upperBound) : yr.upperBound), yFormat(logY ? pow(10, yr.lowerBound) : yr.lowerBound)]
            let lw = (labels.map(\.terminalWidth).max() ?? 0) + 1
            plot = rect.inset(left: lw, bottom: 1)
        }
        let (cw, ch) = ascii ? (1, 3) : (2, 4)
        return Geometry(plot: plot, x: xr, y: yr, logY: logY, dotsX: max(1, plot.width * cw), dotsY: max(1, plot.height * ch))
    }

    public func draw(_ canvas: inout Canvas, in rect: Rect, glyphs g: Glyphs) {
        guard rect.width >= 2, rect.height >= 1 else { return }
        let ascii = g.ascii
        let geo = geometry(in: rect, ascii: ascii)
        let plot = geo.plot
        guard !plot.isEmpty else { return }
        let (cw, ch) = ascii ? (1, 3) : (2, 4)
        var dots = [UInt8](repeating: 0, count: plot.width * plot.height)
        var roles = [ColorRole?](repeating: nil, count: plot.width * plot.height)

        func setDot(_ dx: Int, _ dy: Int, _ role: ColorRole) {
            guard dx >= 0, dy >= 0, dx < geo.dotsX, dy < geo.dotsY else { return }
            let cx = dx / cw, cy = dy / ch
            let i = cy * plot.width + cx
            let bit: UInt8
            if ascii {
                bit = UInt8(1 << (dy % 3))
            } else {
                let col = dx % 2, row = dy % 4
                let table: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]
                bit = table[col][row]
            }
            dots[i] |= bit
            roles[i] = role
        }

        // Reference lines first (dashed), so series draw over them.
        for ref in references {
            guard let (_, dy) = geo.dot(SeriesPoint(geo.x.lowerBound, ref.y)) else { continue }
            for dx in stride(from: 0, to: geo.dotsX, by: ascii ? 2 : 3) { setDot(dx, dy, ref.role) }
        }
        for s in series {
            var last: (Int, Int)?
            for p in s.points {
                guard let d = geo.dot(p) else { last = nil; continue }
                if let l = last { line(l, d, setDot: { setDot($0, $1, s.role) }) } else { setDot(d.0, d.1, s.role) }
                last = d
            }
        }
        canvas.within(rect) { c in
            for cy in 0..<plot.height {
                for cx in 0..<plot.width {
                    let i = cy * plot.width + cx
                    let m = dots[i]
                    guard m != 0, let role = roles[i] else { continue }
                    let scalar: Unicode.Scalar
                    if ascii {
                        switch m { case 1: scalar = "'"; case 2: scalar = "-"; case 4: scalar = "."; default: scalar = "*" }
                    } else {
                        scalar = Unicode.Scalar(0x2800 + UInt32(m))!
                    }
                    c.put(scalar, x: plot.x + cx, y: plot.y + cy, style: Style(role))
                }
            }
            // Reference labels at the right end of their line.
            for ref in references {
                guard let cell = geo.cell(SeriesPoint(geo.x.upperBound, ref.y), ascii: ascii) else { continue }
                let label = ref.label.truncated(to: max(0, plot.width / 2), ellipsis: g.ellipsis)
                c.text(label, x: plot.maxX - label.terminalWidth, y: cell.y, style: Style(ref.role))
            }
            if plot != rect {
                let top = yFormat(geo.logY ? pow(10, geo.y.upperBound) : geo.y.upperBound)
                let bottom = yFormat(geo.logY ? pow(10, geo.y.lowerBound) : geo.y.lowerBound)
                let lw = plot.x - rect.x - 1
                c.text(top.padded(to: lw, align: .right), x: rect.x, y: plot.y, style: .dim)
                c.text(bottom.padded(to: lw, align: .right), x: rect.x, y: plot.maxY - 1, style: .dim)
                for y in plot.y..<plot.maxY { c.put(g.vertical, x: plot.x - 1, y: y, style: .dim) }
                let xl = LineChart.compact(geo.x.lowerBound), xh = LineChart.compact(geo.x.upperBound)
                c.text(xl, x: plot.x, y: plot.maxY, style: .dim)
                c.text(xh, x: plot.maxX - xh.terminalWidth, y: plot.maxY, style: .dim)
            }
        }
    }

    /// Bresenham between two dots.
    private func line(_ a: (Int, Int), _ b: (Int, Int), setDot: (Int, Int) -> Void) {
        var (x0, y0) = a
        let (x1, y1) = b
        let dx = abs(x1 - x0), sx = x0 < x1 ? 1 : -1
        let dy = -abs(y1 - y0), sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        while true {
            setDot(x0, y0)
            if x0 == x1 && y0 == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x0 += sx }
            if e2 <= dx { err += dx; y0 += sy }
        }
    }
}
