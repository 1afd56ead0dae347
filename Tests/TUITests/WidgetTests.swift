import Testing
@testable import TUI

@Suite struct WidgetTests {
    let g = Glyphs.unicode

    @Test func boxDrawsTitleAndHeavyLinesWhenFocused() {
        var c = Canvas(width: 20, height: 5)
        let inner = Box(title: "Layers", focused: false).draw(&c, in: Rect(x: 0, y: 0, width: 20, height: 5), glyphs: g)
        #expect(inner == Rect(x: 1, y: 1, width: 18, height: 3))
        #expect(c.line(0).hasPrefix("┌ Layers ─"))
        #expect(c[0, 4].scalar == "└" && c[19, 4].scalar == "┘")
        var f = Canvas(width: 30, height: 5)
        Box(title: "Layers", focused: true, rightTitle: "8 Load").draw(&f, in: f.bounds, glyphs: g)
        #expect(f.line(0).hasPrefix("┏ Layers ━") && f.line(0).contains("8 Load"))
        #expect(f[0, 0].style.role == .focus)
        var a = Canvas(width: 12, height: 3)
        Box(title: "X", focused: true).draw(&a, in: a.bounds, glyphs: .plain)
        #expect(a.line(0).hasPrefix("# X =") && a.line(1).hasPrefix("#"))
    }

    @Test func tableAlignsSortsSelectsAndScrolls() {
        let rows = (0..<20).map { Table.Row(["row\($0)", "\($0 * 10)"]) }
        let t = Table(columns: [Table.Column("Name", .fill), Table.Column("N", .fixed(4), .right)], rows: rows,
                      selected: 15, sortColumn: 1, sortAscending: false)
        var c = Canvas(width: 20, height: 6)
        t.draw(&c, in: c.bounds, glyphs: g)
        #expect(c.line(0).hasPrefix("Name"))
        #expect(c.line(0).contains("N▼"))
        // Rows overflow, so the last column is a scrollbar; rows 11-15 of 20 put the thumb at 2 of 0...4.
        #expect((1...5).map { c[19, $0].scalar } == ["│", "│", "┃", "│", "│"])
        // 5 visible rows, selection 15 → rows 11...15 shown, 15 last and highlighted.
        #expect(c.line(1).hasPrefix("row11"))
        #expect(c.line(5).hasPrefix("row15") && c.line(5).hasSuffix(" 150│"))
        #expect(c[0, 5].style.role == .selection && c[0, 5].style.attributes.contains(.reverse))
        #expect(c[0, 4].style.role == .normal)
        #expect(Table.scrollOffset(selected: 0, offset: 7, visible: 5, count: 20) == 0)
        #expect(Table.scrollOffset(selected: 19, offset: 0, visible: 5, count: 20) == 15)
    }

    @Test func barFillsEighths() {
        #expect(Bar.cells(0.5, width: 10) == (5, 0))
        #expect(Bar.cells(0.55, width: 10) == (5, 4))
        #expect(Bar.cells(2, width: 4) == (4, 0))
        #expect(Bar.cells(.nan, width: 4) == (0, 0))
        var c = Canvas(width: 10, height: 1)
        Bar(value: 0.55).draw(&c, in: c.bounds, glyphs: g)
        #expect(c.line(0) == "█████▌····")
        var a = Canvas(width: 10, height: 1)
        Bar(value: 0.5).draw(&a, in: a.bounds, glyphs: .plain)
        #expect(a.line(0) == "#####.....")
    }

    @Test func sparklineScalesToTheData() {
        let s = Sparkline(values: [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(s.levels(width: 8) == [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(s.levels(width: 3) == [5, 6, 7])
        var c = Canvas(width: 8, height: 1)
        s.draw(&c, in: c.bounds, glyphs: g)
        #expect(c.line(0) == "▁▂▃▄▅▆▇█")
    }

    @Test func heatStripMapsValuesToTheRamp() {
        var c = Canvas(width: 4, height: 1)
        HeatStrip(values: [0, 0.3, 0.7, 1]).draw(&c, in: c.bounds, glyphs: g)
        #expect(c[0, 0].style.role == .heat0 && c[1, 0].style.role == .heat2 && c[2, 0].style.role == .heat5 && c[3, 0].style.role == .heat7)
        var a = Canvas(width: 4, height: 1)
        HeatStrip(values: [0, 0.3, 0.7, 1]).draw(&a, in: a.bounds, glyphs: .plain)
        #expect(a.line(0) == ".-*@")
        #expect(ColorRole.heat(.nan) == .heat0)
    }

    @Test func sliderPutsTheKnobWhereRhoIs() {
        for (v, col) in [(0.0, 0), (0.3, 6), (0.5, 10), (1.0, 20)] {
            var c = Canvas(width: 21, height: 2)
            Slider(value: v).draw(&c, in: c.bounds, glyphs: g)
            #expect(Slider.knobColumn(v, width: 21) == col)
            #expect(c[col, 0].scalar == "●")
            #expect(c.line(0).unicodeScalars.filter { $0 == "●" }.count == 1)
            #expect(c.line(1).hasPrefix("0") && c.line(1).hasSuffix("1"))
        }
        var a = Canvas(width: 21, height: 1)
        Slider(value: 0.3).draw(&a, in: a.bounds, glyphs: .plain)
        #expect(a.line(0).hasPrefix("======O"))
    }

    @Test func textFieldEditsAndWalksHistory() {
        var f = TextField(history: ["mix 0.3", "epur top=200"])
        f.insert("fin")
        f.left(); f.left()
        f.insert("X")
        #expect(f.text == "fXin" && f.cursor == 2)
        f.backspace()
        f.deleteForward()
        #expect(f.text == "fn")
        f.historyUp()
        #expect(f.text == "epur top=200")
        f.historyUp(); f.historyUp()
        #expect(f.text == "mix 0.3")
        f.historyDown(); f.historyDown()
        #expect(f.text == "fn")
        f.set("eval")
        #expect(f.commit() == "eval" && f.text.isEmpty && f.history.last == "eval")
        f.set("eval")
        _ = f.commit()
        #expect(f.history.filter { $0 == "eval" }.count == 1)
        f.set("mix 0.3 select=random")
        f.deleteWord()
        #expect(f.text == "mix 0.3 ")
        var c = Canvas(width: 12, height: 1)
        TextField(text: "a long line of text").draw(&c, in: c.bounds, prompt: ":")
        #expect(c.line(0).hasPrefix(":") && c[11, 0].scalar == " " && c[11, 0].style.attributes.contains(.reverse))
    }

    @Test func logViewFollowsTheTailAndScrollsBack() {
        let lines = (0..<10).map { LogLine(level: $0 == 9 ? .error : .info, text: "line \($0)") }
        var c = Canvas(width: 30, height: 3)
        LogView(lines: lines).draw(&c, in: c.bounds, glyphs: g)
        #expect(c.line(0).hasPrefix("line 7") && c.line(2).hasPrefix("error: line 9"))
        #expect(c[0, 2].style.role == .bad)
        #expect(LogView.window(count: 10, height: 3, scrollBack: 4) == 3..<6)
        #expect(LogView.window(count: 10, height: 3, scrollBack: 99) == 0..<3)
        #expect(LogView.window(count: 2, height: 5, scrollBack: 0) == 0..<2)
    }

    @Test func themesCoverEveryRole() {
        for name in Theme.names {
            let t = Theme.named(name)!
            #expect(t.specs.count == ColorRole.allCases.count)
        }
        #expect(Theme.dark.fitting(colors: 8) == .sixteen)
        #expect(Theme.dark.fitting(colors: 256) == .dark)
        #expect(Theme.sixteen.specs.allSatisfy { $0.fg < 16 && $0.bg < 16 })
        #expect(Theme.named("solarized") == nil)
    }
}
