/// What a piece of the screen means; the theme turns roles into colours at the terminal edge.
public enum ColorRole: UInt8, CaseIterable, Sendable {
    case normal, dim, accent, title, border, focus, selection, status, good, bad, warn, highlight
    case series1, series2, series3, reference
    case heat0, heat1, heat2, heat3, heat4, heat5, heat6, heat7

    public static let heatRamp: [ColorRole] = [.heat0, .heat1, .heat2, .heat3, .heat4, .heat5, .heat6, .heat7]

    /// The heat role for a value in 0...1 (clamped; NaN counts as 0).
    public static func heat(_ v: Double) -> ColorRole {
        let c = v.isNaN ? 0 : min(max(v, 0), 1)
        return heatRamp[min(heatRamp.count - 1, Int(c * Double(heatRamp.count)))]
    }
}

public struct Attributes: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bold = Attributes(rawValue: 1)
    public static let dim = Attributes(rawValue: 2)
    public static let underline = Attributes(rawValue: 4)
    public static let reverse = Attributes(rawValue: 8)
}

public struct Style: Equatable, Hashable, Sendable {
    public var role: ColorRole
    public var attributes: Attributes

    public init(_ role: ColorRole = .normal, _ attributes: Attributes = []) {
        self.role = role
        self.attributes = attributes
    }

    public static let normal = Style()
    public static let dim = Style(.dim)
    public static let accent = Style(.accent)
    public static let bold = Style(.normal, .bold)

    public func with(_ a: Attributes) -> Style { Style(role, attributes.union(a)) }
}
