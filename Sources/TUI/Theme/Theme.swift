/// Colours for each role, as terminal colour numbers (-1 = the terminal's default). The terminal
/// edge turns role N into colour pair N+1.
public struct Theme: Equatable, Sendable {
    public struct Spec: Equatable, Sendable {
        public var fg: Int16
        public var bg: Int16
        public var attributes: Attributes
        public init(_ fg: Int16, _ bg: Int16 = -1, _ attributes: Attributes = []) {
            self.fg = fg
            self.bg = bg
            self.attributes = attributes
        }
    }

    public var name: String
    /// Colours the terminal must offer for this theme (16 or 256).
    public var colorsNeeded: Int
    public var specs: [Spec]   // indexed by ColorRole.rawValue

    public func spec(_ role: ColorRole) -> Spec { specs[Int(role.rawValue)] }

    public static let names = ["dark", "light", "16"]

    public static func named(_ name: String) -> Theme? {
        switch name.lowercased() {
        case "dark": .dark
        case "light": .light
        case "16", "sixteen", "16-colour", "16-color": .sixteen
        default: nil
        }
    }

    private static func build(_ name: String, _ colors: Int, _ table: [ColorRole: Spec]) -> Theme {
        Theme(name: name, colorsNeeded: colors, specs: ColorRole.allCases.map { table[$0] ?? Spec(-1) })
    }

    // Heat ramps run cool to hot: blue, teal, green, yellow-green, yellow, orange, red, magenta-red.
    public static let dark = build("dark", 256, [
        .normal: Spec(252), .dim: Spec(244), .accent: Spec(75), .title: Spec(153),
        .border: Spec(240), .focus: Spec(214), .selection: Spec(236, 117),
        .status: Spec(252, 236), .good: Spec(114), .bad: Spec(203), .warn: Spec(221),
        .highlight: Spec(0, 214), .series1: Spec(75), .series2: Spec(114), .series3: Spec(203),
        .reference: Spec(242),
        .heat0: Spec(24), .heat1: Spec(30), .heat2: Spec(36), .heat3: Spec(106),
        .heat4: Spec(178), .heat5: Spec(208), .heat6: Spec(196), .heat7: Spec(199),
    ])

    public static let light = build("light", 256, [
        .normal: Spec(235), .dim: Spec(245), .accent: Spec(25), .title: Spec(24),
        .border: Spec(250), .focus: Spec(166), .selection: Spec(255, 25),
        .status: Spec(235, 253), .good: Spec(28), .bad: Spec(160), .warn: Spec(130),
        .highlight: Spec(231, 166), .series1: Spec(25), .series2: Spec(28), .series3: Spec(160),
        .reference: Spec(246),
        .heat0: Spec(153), .heat1: Spec(116), .heat2: Spec(79), .heat3: Spec(148),
        .heat4: Spec(178), .heat5: Spec(172), .heat6: Spec(160), .heat7: Spec(125),
    ])

    /// For 8/16-colour terminals: the basic ANSI colours only; brightness from attributes.
    public static let sixteen = build("16", 16, [
        .normal: Spec(-1), .dim: Spec(-1, -1, .dim), .accent: Spec(6), .title: Spec(6, -1, .bold),
        .border: Spec(-1, -1, .dim), .focus: Spec(3, -1, .bold), .selection: Spec(0, 6),
        .status: Spec(0, 7), .good: Spec(2), .bad: Spec(1), .warn: Spec(3),
        .highlight: Spec(0, 3), .series1: Spec(6), .series2: Spec(2), .series3: Spec(1),
        .reference: Spec(-1, -1, .dim),
        .heat0: Spec(4), .heat1: Spec(6), .heat2: Spec(2), .heat3: Spec(2, -1, .bold),
        .heat4: Spec(3), .heat5: Spec(3, -1, .bold), .heat6: Spec(1), .heat7: Spec(5, -1, .bold),
    ])

    /// The theme to use on a terminal with `colors` colours: a 256-colour theme falls back to 16.
    public func fitting(colors: Int) -> Theme {
        colors >= colorsNeeded ? self : .sixteen
    }
}
