/// A table with a header row, aligned columns, a selected row, scrolling that keeps the
/// selection in view, and an arrow on the sorted column.
public struct Table: Sendable {
    public struct Column: Sendable, Equatable {
        public var title: String
        public var width: Extent
        public var align: Alignment
        public init(_ title: String, _ width: Extent, _ align: Alignment = .left) {
            self.title = title
            self.width = width
            self.align = align
        }
    }

    public struct Row: Sendable, Equatable {
        public var cells: [String]
        public var style: Style
        /// Optional per-cell styles (same count as cells) overriding `style`.
        public var cellStyles: [Style]?
        public init(_ cells: [String], style: Style = .normal, cellStyles: [Style]? = nil) {
            self.cells = cells
            self.style = style
            self.cellStyles = cellStyles
        }
    }

    public var columns: [Column]
    public var rows: [Row]
    public var selected: Int?
    public var offset: Int
    public var sortColumn: Int?
    public var sortAscending: Bool
    public var focused: Bool

    public init(columns: [Column], rows: [Row], selected: Int? = nil, offset: Int = 0,
                sortColumn: Int? = nil, sortAscending: Bool = false, focused: Bool = true) {
        self.columns = columns
        self.rows = rows
        self.selected = selected
        self.offset = offset
        self.sortColumn = sortColumn
        self.sortAscending = sortAscending
        self.focused = focused
    }

    /// The first visible row so that `selected` is in view among `visible` rows.
    public static func scrollOffset(selected: Int?, offset: Int, visible: Int, count: Int) -> Int {
        guard visible > 0, count > 0 else { return 0 }
        var o = min(max(0, offset), max(0, count - visible))
        if let s = selected {
            if s < o { o = s }
            if s >= o + visible { o = s - visible + 1 }
        }
        return min(max(0, o), max(0, count - 1))
    }

    /// Column widths inside `width` (one space between columns).
    public func columnWidths(_ width: Int) -> [Int] {
        Layout.split(width, columns.map(\.width), gap: 1)
    }

    /// Whether rows overflow a rectangle of this height (then the last column is a scrollbar).
    public func scrolls(height: Int) -> Bool { rows.count > Table.visibleRows(height: height) }

    /// Column widths as drawn in `rect`, leaving room for the scrollbar when there is one.
    public func columnWidths(in rect: Rect) -> [Int] {
        columnWidths(rect.width - (scrolls(height: rect.height) ? 1 : 0))
    }

    /// Rows visible in a rectangle of this height (one row goes to the header).
    public static func visibleRows(height: Int) -> Int { max(0, height - 1) }

    public func draw(_ canvas: inout Canvas, in rect: Rect, glyphs g: Glyphs) {
        guard !rect.isEmpty else { return }
        let widths = columnWidths(in: rect)
        let bar = scrolls(height: rect.height)
        let contentWidth = rect.width - (bar ? 1 : 0)
        let visible = Table.visibleRows(height: rect.height)
        let first = Table.scrollOffset(selected: selected, offset: offset, visible: visible, count: rows.count)
        canvas.within(rect) { c in
            var x = rect.x
            for (i, col) in columns.enumerated() where widths[i] > 0 {
                var title = col.title
                if sortColumn == i { title += String(sortAscending ? g.up : g.down) }
                c.text(title.padded(to: widths[i], align: col.align), x: x, y: rect.y, style: Style(.title, .bold))
                x += widths[i] + 1
            }
            for line in 0..<visible {
                let r = first + line
                guard r < rows.count else { break }
                let row = rows[r]
                let y = rect.y + 1 + line
                let isSel = selected == r
                var x = rect.x
                for (i, col) in columns.enumerated() where widths[i] > 0 {
                    let text = i < row.cells.count ? row.cells[i] : ""
                    let style = row.cellStyles.flatMap { i < $0.count ? $0[i] : nil } ?? row.style
                    c.text(text.truncated(to: widths[i], ellipsis: g.ellipsis).padded(to: widths[i], align: col.align),
                           x: x, y: y, style: style)
                    x += widths[i] + 1
                }
                if isSel {
                    let line = Rect(x: rect.x, y: y, width: contentWidth, height: 1)
                    c.restyle(line) { s in Style(focused ? .selection : s.role, s.attributes.union(focused ? [.reverse, .bold] : [.underline])) }
                }
            }
            // A scrollbar in the last column: the thumb shows which part of the rows is in view.
            if bar && visible > 0 {
                let x = rect.maxX - 1
                let thumb = max(1, visible * visible / rows.count)
                let top = (visible - thumb) * first / max(1, rows.count - visible)
                for i in 0..<visible {
                    let on = i >= top && i < top + thumb
                    c.put(on ? g.heavyVertical : g.vertical, x: x, y: rect.y + 1 + i, style: on ? Style(.accent) : .dim)
                }
            }
        }
    }
}
