enum ProbePane {
    static func draw(_ c: inout Canvas, _ r: Rect, _ s: State, _ g: Glyphs) {
        let p = s.model.probe
        s.probeField.draw(&c, in: Rect(x: r.x, y: r.y, width: r.width, height: 1), prompt: g.pointer + " ",
                          focused: s.probeEditing, placeholder: "i: type a sentence")
        var y = r.y + 1
        let labelW = min(16, max(6, r.width / 4))
        for pr in p.predictions where y < r.maxY - (r.height >= 5 ? 1 : 0) {
            var x = r.x
            x += c.text(pr.variant.padded(to: labelW), x: x, y: y, style: .normal) + 1
            let role: ColorRole = pr.label == "positive" ? .good : .bad
            x += c.text(pr.label.padded(to: 9), x: x, y: y, style: Style(role, .bold)) + 1
            let barW = max(0, min(20, r.maxX - x - 7))
            Bar(value: pr.confidence, style: Style(role)).draw(&c, in: Rect(x: x, y: y, width: barW, height: 1), glyphs: g)
            c.text(Fmt.f(pr.confidence, 3), x: x + barW + 1, y: y, style: .dim)
            y += 1
        }
        if y < r.maxY {
            let cand = App.triggerToInsert(s)
            let reset = p.resetTokens.isEmpty ? "none" : p.resetTokens.joined(separator: " ")
            var line = "E-PUR would reset: \(reset)"
            if let cand, let t = s.keymap.hint(.insertTrigger) { line += " · \(t) inserts '\(cand)'" }
            c.text(line, x: r.x, y: r.maxY - 1, style: Style(.warn), maxWidth: r.width)
        }
    }
}
