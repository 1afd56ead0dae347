import Testing
@testable import TUI

@Suite struct ChartTests {
    func isBraille(_ s: Unicode.Scalar) -> Bool { (0x2801...0x28FF).contains(s.value) }

    @Test func brailleDotsLandWhereThePointsAre() {
        let chart = LineChart(series: [LineChart.Series("a", [SeriesPoint(0, 0), SeriesPoint(10, 1)], role: .series1)],
                              xRange: 0...10, yRange: 0...1, showAxes: false)
        var c = Canvas(width: 10, height: 4)
        chart.draw(&c, in: c.bounds, glyphs: .unicode)
        let geo = chart.geometry(in: c.bounds, ascii: false)
        #expect(geo.dotsX == 20 && geo.dotsY == 16)
        // (0,0) is the bottom-left dot: braille dot 7 (0x40) of the bottom-left cell.
        #expect(c[0, 3].scalar.value & 0x40 != 0 && isBraille(c[0, 3].scalar))
        // (10,1) is the top-right dot: dot 4 (0x08) of the top-right cell.
        #expect(c[9, 0].scalar.value == 0x2800 + 0x08 || (c[9, 0].scalar.value - 0x2800) & 0x08 != 0)
        #expect(c[9, 0].style.role == .series1)
        // A diagonal line passes through every column.
        for x in 0..<10 { #expect((0..<4).contains { isBraille(c[x, $0].scalar) }, "column \(x)") }
        // Nothing above the line in the top-left corner.
        #expect(c[0, 0] == .blank)
    }

    @Test func referenceLinesAxesAndSeveralSeries() {
        let acc = (0...20).map { SeriesPoint(Double($0), 0.8 + Double($0) * 0.005) }
        let asr = (0...20).map { SeriesPoint(Double($0), 0.9 - Double($0) * 0.04) }
        let chart = LineChart(series: [LineChart.Series("ACC", acc, role: .series2), LineChart.Series("ASR", asr, role: .series3)],
                              references: [LineChart.Reference(0.5, "before")], xRange: 0...20, yRange: 0...1)
        var c = Canvas(width: 40, height: 10)
        chart.draw(&c, in: c.bounds, glyphs: .unicode)
        let geo = chart.geometry(in: c.bounds, ascii: false)
        #expect(geo.plot.x > 0 && geo.plot.maxY == 9)
        #expect(c.line(0).hasPrefix("1.00") || c.line(0).hasPrefix("   1"))
        #expect(c.line(9).contains("20"))
        let refCell = geo.cell(SeriesPoint(20, 0.5), ascii: false)!
        #expect(c.line(refCell.y).contains("before"))
        let lastAcc = geo.cell(acc.last!, ascii: false)!
        let lastAsr = geo.cell(asr.last!, ascii: false)!
        #expect(isBraille(c[lastAcc.x, lastAcc.y].scalar) && c[lastAcc.x, lastAcc.y].style.role == .series2)
        #expect(isBraille(c[lastAsr.x, lastAsr.y].scalar) && c[lastAsr.x, lastAsr.y].style.role == .series3)
        #expect(lastAsr.y > lastAcc.y)
    }

    @Test func asciiFallbackUsesNoBraille() {
        let pts = (0...30).map { SeriesPoint(Double($0), sin(Double($0) / 5)) }
        let chart = LineChart(series: [LineChart.Series("s", pts, role: .series1)], references: [LineChart.Reference(0, "zero")])
        var c = Canvas(width: 30, height: 8)
        chart.draw(&c, in: c.bounds, glyphs: .plain)
        let text = c.plainText
        #expect(text.unicodeScalars.allSatisfy { $0.isASCII || $0 == "\n" })
        #expect(text.contains("*") || text.contains("-") || text.contains("."))
        let geo = chart.geometry(in: c.bounds, ascii: true)
        let p = geo.cell(pts[10], ascii: true)!
        #expect(c[p.x, p.y].scalar != " ")
    }

    @Test func paddingNeverMakesANonNegativeAxisNegative() {
        // A loss falling to nearly 0: the 5% padding below would read -0.03.
        let loss = LineChart(series: [LineChart.Series("loss", [SeriesPoint(0, 0.7), SeriesPoint(1, 0.3), SeriesPoint(2, 0.002)], role: .series1)])
        var c = Canvas(width: 30, height: 8)
        loss.draw(&c, in: c.bounds, glyphs: .unicode)
        #expect(loss.geometry(in: c.bounds, ascii: false).y.lowerBound == 0)
        #expect(!c.plainText.contains("-"), "\(c.plainText)")
        // One point: the ±0.5 span is cut at 0 too, and the point is still drawn.
        let one = LineChart(series: [LineChart.Series("loss", [SeriesPoint(0, 0.3)], role: .series1)])
        let g = one.geometry(in: c.bounds, ascii: false)
        #expect(g.y.lowerBound == 0 && g.y.upperBound > 0.3 && g.dot(SeriesPoint(0, 0.3)) != nil)
        // Data that do go negative keep their padding below.
        let signed = LineChart(series: [LineChart.Series("d", [SeriesPoint(0, -0.2), SeriesPoint(1, 0.5)], role: .series1)])
        #expect(signed.geometry(in: c.bounds, ascii: false).y.lowerBound < -0.2)
    }

    @Test func logScaleAndEmptySeriesAreSafe() {
        let chart = LineChart(series: [LineChart.Series("loss", [SeriesPoint(0, 1), SeriesPoint(1, 0.01), SeriesPoint(2, 0)], role: .series1)],
                              logY: true)
        var c = Canvas(width: 20, height: 6)
        chart.draw(&c, in: c.bounds, glyphs: .unicode)
        let geo = chart.geometry(in: c.bounds, ascii: false)
        #expect(geo.dot(SeriesPoint(2, 0)) == nil)
        #expect(abs(geo.y.upperBound - 0.1) < 0.2 && geo.y.lowerBound < -1.9)
        var e = Canvas(width: 20, height: 6)
        LineChart(series: []).draw(&e, in: e.bounds, glyphs: .unicode)
        LineChart(series: [LineChart.Series("x", [SeriesPoint(.nan, 1)], role: .series1)]).draw(&e, in: Rect(x: 0, y: 0, width: 1, height: 1), glyphs: .unicode)
    }
}

import Foundation
