/// How much of a row or column split one part takes.
public enum Extent: Equatable, Sendable {
    /// Exactly this many cells (less if there is no room).
    case fixed(Int)
    /// This percentage of the whole (rounded down).
    case percent(Int)
    /// A share of what is left after fixed and percent parts, by weight.
    case fill(Int)

    public static let fill: Extent = .fill(1)
}

public enum Layout {
    /// Splits `total` cells into parts. The parts always sum to at most `total` and none is
    /// negative, so rectangles built from them never overlap or leave their parent.
    public static func split(_ total: Int, _ extents: [Extent], gap: Int = 0) -> [Int] {
        guard !extents.isEmpty else { return [] }
        let available = max(0, total - gap * (extents.count - 1))
        var sizes = [Int](repeating: 0, count: extents.count)
        var used = 0
        var weights = 0
        for (i, e) in extents.enumerated() {
            switch e {
            case .fixed(let n): sizes[i] = max(0, n)
            case .percent(let p): sizes[i] = max(0, available * min(max(p, 0), 100) / 100)
            case .fill(let w): weights += max(0, w)
            }
            used += sizes[i]
        }
        // Over budget: take back from the last parts first, so leading parts (usually the most
        // important) keep their size on small screens.
        var over = used - available
        var i = extents.count - 1
        while over > 0 && i >= 0 {
            let take = min(over, sizes[i])
            sizes[i] -= take
            over -= take
            i -= 1
        }
        let rest = max(0, available - sizes.reduce(0, +))
        if weights > 0 {
            var given = 0
            var lastFill = -1
            for (i, e) in extents.enumerated() {
                if case .fill(let w) = e, w > 0 {
                    sizes[i] = rest * w / weights
                    given += sizes[i]
                    lastFill = i
                }
            }
            if lastFill >= 0 { sizes[lastFill] += rest - given }
        }
        return sizes
    }
}

extension Rect {
    /// Stacks parts top to bottom.
    public func rows(_ extents: [Extent], gap: Int = 0) -> [Rect] {
        let sizes = Layout.split(height, extents, gap: gap)
        var y = self.y
        return sizes.map { h in
            defer { y += h + gap }
            return Rect(x: x, y: min(y, maxY), width: width, height: min(h, max(0, maxY - y)))
        }
    }

    /// Places parts left to right.
    public func columns(_ extents: [Extent], gap: Int = 0) -> [Rect] {
        let sizes = Layout.split(width, extents, gap: gap)
        var x = self.x
        return sizes.map { w in
            defer { x += w + gap }
            return Rect(x: min(x, maxX), y: y, width: min(w, max(0, maxX - x)), height: height)
        }
    }
}
