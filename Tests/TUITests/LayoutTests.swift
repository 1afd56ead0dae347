import Testing
@testable import TUI

@Suite struct LayoutTests {
    static let widths = Array(stride(from: 40, through: 300, by: 13)) + [300]
    static let heights = Array(stride(from: 12, through: 100, by: 8)) + [100]

    @Test func noPaneOverlapsOrOverflowsAtAnySize() {
        for w in Self.widths {
            for h in Self.heights {
                for focus in PaneID.allCases {
                    for zoomed in [false, true] {
                        let l = ScreenLayout.compute(width: w, height: h, focus: focus, zoomed: zoomed)
                        let screen = Rect(x: 0, y: 0, width: w, height: h)
                        #expect(!l.tooSmall)
                        #expect(screen.contains(l.header) && screen.contains(l.status) && screen.contains(l.body))
                        #expect(!l.header.intersects(l.body) && !l.status.intersects(l.body) && !l.header.intersects(l.status))
                        #expect(l.header.height + l.body.height + l.status.height == h)
                        let rects = Array(l.shown.values)
                        for (i, a) in rects.enumerated() {
                            #expect(l.body.contains(a), "\(w)×\(h) \(a) outside body")
                            #expect(a.width >= 10 && a.height >= 3, "\(w)×\(h) pane too small: \(a)")
                            for b in rects[(i + 1)...] { #expect(!a.intersects(b), "\(w)×\(h): \(a) overlaps \(b)") }
                        }
                        #expect(l.shown[focus] != nil, "focused pane hidden at \(w)×\(h)")
                        // Every pane is reachable: each one is in some slot.
                        #expect(Set(l.slots.flatMap(\.panes)) == Set(zoomed ? [focus] : PaneID.allCases))
                    }
                }
            }
        }
    }

    @Test func everyScreenRendersWithPanesInsideTheirBoxes() {
        for w in Self.widths {
            for h in Self.heights {
                let s = sampleState(w, h, focus: PaneID.allCases[(w + h) % 8])
                let c = App.view(s)
                #expect(c.width == w && c.height == h)
                // Each box's corners are where the layout put it: nothing drew over a border.
                for (_, r) in s.layout.shown {
                    #expect(["┌", "┏"].contains(c[r.x, r.y].scalar), "\(w)×\(h) \(r)")
                    #expect(["┘", "┛"].contains(c[r.maxX - 1, r.maxY - 1].scalar), "\(w)×\(h) \(r)")
                    #expect(["│", "┃"].contains(c[r.x, r.maxY - 2].scalar), "\(w)×\(h) \(r)")
                }
            }
        }
    }

    @Test func eachPaneDrawsOnlyInsideItsRectangle() {
        for (w, h) in [(40, 12), (57, 19), (80, 24), (120, 40), (200, 60), (300, 100)] {
            for p in PaneID.allCases {
                var s = sampleState(w, h, focus: p)
                s.layers.drill = p == .layers ? 3 : nil
                let r = s.layout.rect(of: p)!
                var c = Canvas(width: w, height: h, fill: Cell("~"))
                Panes.draw(p, &c, r, s, others: [], s.glyphs)
                for y in 0..<h {
                    for x in 0..<w where !r.contains(x: x, y: y) {
                        #expect(c[x, y].scalar == "~", "\(p) at \(w)×\(h) wrote \(x),\(y)")
                    }
                }
            }
        }
    }

    @Test func smallScreensShareOneSlotAndLargeOnesShowAll() {
        #expect(ScreenLayout.compute(width: 40, height: 12, focus: .epur, zoomed: false).shown.keys.sorted() == [.epur])
        #expect(ScreenLayout.compute(width: 200, height: 60, focus: .epur, zoomed: false).shown.count == 8)
        let mid = ScreenLayout.compute(width: 120, height: 40, focus: .variants, zoomed: false)
        #expect(mid.shown[.variants] != nil && mid.shown[.epur] == nil && mid.shown[.monitor] != nil)
        #expect(ScreenLayout.compute(width: 39, height: 40, focus: .epur, zoomed: false).tooSmall)
        #expect(ScreenLayout.compute(width: 100, height: 11, focus: .epur, zoomed: false).tooSmall)
    }
}
