/// The characters widgets draw with: Unicode box drawing, blocks and braille, or plain ASCII for
/// `--ascii` (terminals or fonts without them).
public struct Glyphs: Equatable, Sendable {
    public var ascii: Bool
    public var horizontal, vertical, topLeft, topRight, bottomLeft, bottomRight: Unicode.Scalar
    public var heavyHorizontal, heavyVertical, heavyTopLeft, heavyTopRight, heavyBottomLeft, heavyBottomRight: Unicode.Scalar
    public var full: Unicode.Scalar
    public var eighths: [Unicode.Scalar]     // partial horizontal blocks, 1/8 ... 7/8
    public var levels: [Unicode.Scalar]      // vertical levels for sparklines, lowest first
    public var track, trackFilled, tick, knob: Unicode.Scalar
    public var empty: Unicode.Scalar
    public var ellipsis: String
    public var check, uncheck: String
    public var pointer: String
    public var up, down: Unicode.Scalar
    public var heatRamp: [Unicode.Scalar]

    public static let unicode = Glyphs(
        ascii: false,
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
        heavyHorizontal: "━", heavyVertical: "┃", heavyTopLeft: "┏", heavyTopRight: "┓",
        heavyBottomLeft: "┗", heavyBottomRight: "┛",
        full: "█", eighths: ["▏", "▎", "▍", "▌", "▋", "▊", "▉"],
        levels: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"],
        track: "─", trackFilled: "━", tick: "┼", knob: "●", empty: "·", ellipsis: "…",
        check: "[x]", uncheck: "[ ]", pointer: "›", up: "▲", down: "▼",
        heatRamp: ["█", "█", "█", "█", "█", "█", "█", "█"])

    public static let plain = Glyphs(
        ascii: true,
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
        heavyHorizontal: "=", heavyVertical: "#", heavyTopLeft: "#", heavyTopRight: "#",
        heavyBottomLeft: "#", heavyBottomRight: "#",
        full: "#", eighths: [" ", " ", " ", "+", "+", "+", "+"],
        levels: ["_", ".", ".", "-", "-", "=", "=", "#"],
        track: "-", trackFilled: "=", tick: "+", knob: "O", empty: ".", ellipsis: "~",
        check: "[x]", uncheck: "[ ]", pointer: ">", up: "^", down: "v",
        heatRamp: [".", ":", "-", "=", "+", "*", "%", "@"])

    public static func forMode(ascii: Bool) -> Glyphs { ascii ? .plain : .unicode }
}
