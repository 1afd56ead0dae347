import Testing
@testable import TUI

@Suite struct CanvasTests {
    @Test func textIsClippedToTheWidgetRectangle() {
        var c = Canvas(width: 20, height: 5)
        c.within(Rect(x: 5, y: 1, width: 6, height: 2)) { c in
            c.text("hello world, far too long", x: 3, y: 0)     // row outside the rect
            c.text("hello world, far too long", x: 3, y: 1)     // starts left of the rect
            c.fill(Rect(x: 0, y: 0, width: 20, height: 5), "#")
        }
        for y in 0..<5 {
            for x in 0..<20 {
                let inside = Rect(x: 5, y: 1, width: 6, height: 2).contains(x: x, y: y)
                #expect((c[x, y].scalar == "#") == inside, "cell \(x),\(y)")
            }
        }
    }

    @Test func wideCharactersTakeTwoCellsAndNeverStraddleTheClip() {
        var c = Canvas(width: 6, height: 1)
        let used = c.text("漢字x", x: 0, y: 0)
        #expect(used == 5)
        #expect(c[0, 0].width == 2 && c[1, 0].isContinuation && c[4, 0].scalar == "x")
        #expect(c.line(0) == "漢字x ")
        // Overwriting half of a wide char blanks the other half.
        c.put("a", x: 1, y: 0)
        #expect(c[0, 0].scalar == " " && c[1, 0].scalar == "a")
        // A wide char at the clip's last column becomes a space.
        var d = Canvas(width: 4, height: 1)
        d.within(Rect(x: 0, y: 0, width: 3, height: 1)) { d in d.text("ab漢", x: 0, y: 0) }
        #expect(d.line(0) == "ab  ")
        #expect(d[3, 0] == .blank)
    }

    @Test func combiningMarksAreDroppedAndWidthsAreKnown() {
        #expect("e\u{301}".terminalWidth == 1)
        #expect("⠋".terminalWidth == 1)
        #expect("日本".terminalWidth == 4)
        #expect("abcdef".truncated(to: 4) == "abc…")
        #expect("ab".padded(to: 4, align: .right) == "  ab")
    }

    @Test func layoutSplitsNeverOverflowAndFillTheRest() {
        for total in [0, 1, 5, 17, 80, 301] {
            let sizes = Layout.split(total, [.fixed(10), .percent(30), .fill(1), .fill(2)], gap: 1)
            #expect(sizes.allSatisfy { $0 >= 0 })
            #expect(sizes.reduce(0, +) + 3 <= max(total, 3))
            if total >= 40 { #expect(sizes.reduce(0, +) + 3 == total) }
        }
        let r = Rect(x: 2, y: 3, width: 50, height: 20)
        let cols = r.columns([.percent(50), .fill])
        #expect(cols[0].width == 25 && cols[1].x == 27 && cols[1].maxX == 52)
        let rows = r.rows([.fixed(4), .fill, .fixed(3)])
        #expect(rows.map(\.height) == [4, 13, 3] && rows[2].maxY == r.maxY)
    }

    @Test func rectGeometry() {
        let a = Rect(x: 0, y: 0, width: 10, height: 10)
        #expect(a.intersection(Rect(x: 5, y: 5, width: 10, height: 10)) == Rect(x: 5, y: 5, width: 5, height: 5))
        #expect(!a.intersects(Rect(x: 10, y: 0, width: 3, height: 3)))
        #expect(a.inset(by: 6).isEmpty)
        #expect(a.centered(width: 4, height: 2) == Rect(x: 3, y: 4, width: 4, height: 2))
    }

    @Test func frameDiffFindsOnlyChangedRuns() {
        var a = Canvas(width: 10, height: 3)
        a.text("abc", x: 0, y: 0)
        var b = a
        b.text("X", x: 5, y: 1)
        b.text("漢", x: 7, y: 2)
        #expect(FrameDiff.runs(old: a, new: a).isEmpty)
        let runs = FrameDiff.runs(old: a, new: b)
        #expect(runs == [FrameDiff.Run(y: 1, x: 5, count: 1), FrameDiff.Run(y: 2, x: 7, count: 2)])
        #expect(FrameDiff.changedCells(old: nil, new: b) == 30)
        var out: [UInt8] = []
        AnsiEncoder.encode(b, runs: runs, into: &out)
        let s = String(decoding: out, as: UTF8.self)
        #expect(s.contains("\u{1B}[2;6H") && s.contains("X") && s.contains("漢"))
    }
}
