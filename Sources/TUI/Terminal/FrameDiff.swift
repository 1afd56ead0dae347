/// What changed between two frames, as runs of cells on a row. The ncurses blit writes only
/// these; a size change (or no previous frame) means everything.
public enum FrameDiff {
    public struct Run: Equatable, Sendable {
        public var y: Int
        public var x: Int
        public var count: Int
    }

    public static func runs(old: Canvas?, new: Canvas) -> [Run] {
        var out: [Run] = []
        let w = new.width
        guard let old, old.width == w, old.height == new.height else {
            return w == 0 ? [] : (0..<new.height).map { Run(y: $0, x: 0, count: w) }
        }
        new.cells.withUnsafeBufferPointer { nb in
            old.cells.withUnsafeBufferPointer { ob in
                for y in 0..<new.height {
                    let base = y * w
                    var x = 0
                    while x < w {
                        if nb[base + x] == ob[base + x] { x += 1; continue }
                        var start = x
                        // A changed continuation cell needs its wide lead cell redrawn too.
                        if nb[base + start].width == 0 && start > 0 { start -= 1 }
                        var end = x + 1
                        while end < w && nb[base + end] != ob[base + end] { end += 1 }
                        if end < w && nb[base + end].width == 0 { end += 1 }
                        out.append(Run(y: y, x: start, count: end - start))
                        x = end
                    }
                }
            }
        }
        return out
    }

    public static func changedCells(old: Canvas?, new: Canvas) -> Int {
        runs(old: old, new: new).reduce(0) { $0 + $1.count }
    }
}

/// Encodes changed runs as ANSI escape sequences (cursor moves, SGR, UTF-8). The ncurses terminal
/// does not use it: it is the output stage of the frame benchmark, and a record of what a frame
/// costs on the wire.
public enum AnsiEncoder {
    public static func encode(_ canvas: Canvas, runs: [FrameDiff.Run], into out: inout [UInt8]) {
        var lastStyle: Style?
        for run in runs {
            appendMove(&out, run.y + 1, run.x + 1)
            for x in run.x..<(run.x + run.count) {
                let cell = canvas[x, run.y]
                if cell.width == 0 { continue }
                if cell.style != lastStyle {
                    appendStyle(&out, cell.style)
                    lastStyle = cell.style
                }
                appendUTF8(&out, cell.scalar)
            }
        }
    }

    static func appendMove(_ out: inout [UInt8], _ row: Int, _ col: Int) {
        out.append(0x1B); out.append(UInt8(ascii: "["))
        appendInt(&out, row); out.append(UInt8(ascii: ";")); appendInt(&out, col); out.append(UInt8(ascii: "H"))
    }

    static func appendStyle(_ out: inout [UInt8], _ s: Style) {
        out.append(0x1B); out.append(UInt8(ascii: "[")); out.append(UInt8(ascii: "0"))
        if s.attributes.contains(.bold) { out.append(contentsOf: [59, 49]) }
        if s.attributes.contains(.reverse) { out.append(contentsOf: [59, 55]) }
        out.append(contentsOf: Array(";38;5;".utf8))
        appendInt(&out, Int(s.role.rawValue) + 16)
        out.append(UInt8(ascii: "m"))
    }

    static func appendInt(_ out: inout [UInt8], _ v: Int) {
        if v >= 10 { appendInt(&out, v / 10) }
        out.append(UInt8(48 + v % 10))
    }

    static func appendUTF8(_ out: inout [UInt8], _ s: Unicode.Scalar) {
        let v = s.value
        switch v {
        case 0..<0x80: out.append(UInt8(v))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | (v >> 6))); out.append(UInt8(0x80 | (v & 0x3F)))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | (v >> 12))); out.append(UInt8(0x80 | ((v >> 6) & 0x3F))); out.append(UInt8(0x80 | (v & 0x3F)))
        default:
            out.append(UInt8(0xF0 | (v >> 18))); out.append(UInt8(0x80 | ((v >> 12) & 0x3F)))
            out.append(UInt8(0x80 | ((v >> 6) & 0x3F))); out.append(UInt8(0x80 | (v & 0x3F)))
        }
    }
}
