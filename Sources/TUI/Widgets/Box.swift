/// A bordered box with a title; the focused box is drawn with heavy lines and the focus colour
/// (so focus shows even without colour, e.g. in `tmux capture-pane`). Returns the inner rectangle.
public struct Box: Sendable {
    public var title: String
    public var focused: Bool
    public var rightTitle: String

    public init(title: String, focused: Bool = false, rightTitle: String = "") {
        self.title = title
        self.focused = focused
        self.rightTitle = rightTitle
    }

    @discardableResult
    public func draw(_ canvas: inout Canvas, in rect: Rect, glyphs g: Glyphs) -> Rect {
        guard rect.width >= 2, rect.height >= 2 else { return Rect(x: rect.x, y: rect.y, width: 0, height: 0) }
        let style = Style(focused ? .focus : .border, focused ? .bold : [])
        let h = focused ? g.heavyHorizontal : g.horizontal
        let v = focused ? g.heavyVertical : g.vertical
        canvas.within(rect) { c in
            c.fill(Rect(x: rect.x, y: rect.y, width: rect.width, height: 1), h, style: style)
            c.fill(Rect(x: rect.x, y: rect.maxY - 1, width: rect.width, height: 1), h, style: style)
            c.fill(Rect(x: rect.x, y: rect.y, width: 1, height: rect.height), v, style: style)
            c.fill(Rect(x: rect.maxX - 1, y: rect.y, width: 1, height: rect.height), v, style: style)
            c.put(focused ? g.heavyTopLeft : g.topLeft, x: rect.x, y: rect.y, style: style)
            c.put(focused ? g.heavyTopRight : g.topRight, x: rect.maxX - 1, y: rect.y, style: style)
            c.put(focused ? g.heavyBottomLeft : g.bottomLeft, x: rect.x, y: rect.maxY - 1, style: style)
            c.put(focused ? g.heavyBottomRight : g.bottomRight, x: rect.maxX - 1, y: rect.maxY - 1, style: style)
            let room = rect.width - 4
            if room > 0 && !title.isEmpty {
                let t = " \(title) ".truncated(to: room, ellipsis: g.ellipsis)
                c.text(t, x: rect.x + 1, y: rect.y, style: Style(focused ? .focus : .title, .bold))
                let used = t.terminalWidth
                if !rightTitle.isEmpty {
                    let rroom = room - used - 1
                    if rroom > 2 {
                        let r = " \(rightTitle) ".truncated(to: rroom, ellipsis: g.ellipsis)
                        c.text(r, x: rect.maxX - 1 - r.terminalWidth, y: rect.y, style: .dim)
                    }
                }
            }
        }
        return rect.inset(by: 1)
    }
}
