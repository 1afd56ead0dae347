import Foundation

/// Number formatting shared by the panes.
public enum Fmt {
    public static func f(_ v: Double?, _ digits: Int = 3) -> String {
        guard let v, v.isFinite else { return "—" }
        return String(format: "%.\(digits)f", v)
    }

    /// Signed, for deltas.
    public static func signed(_ v: Double?, _ digits: Int = 3) -> String {
        guard let v, v.isFinite else { return "—" }
        return String(format: "%+.\(digits)f", v)
    }

    public static func percent(_ v: Double?, _ digits: Int = 0) -> String {
        guard let v, v.isFinite else { return "—" }
        return String(format: "%.\(digits)f%%", v * 100)
    }

    /// 11.9M, 592k, 770.
    public static func count(_ n: Int) -> String {
        if n >= 1_000_000 { return String(format: "%.1fM", Double(n) / 1e6) }
        if n >= 10_000 { return String(format: "%.0fk", Double(n) / 1e3) }
        if n >= 1_000 { return String(format: "%.1fk", Double(n) / 1e3) }
        return "\(n)"
    }

    /// 0:42, 12:05, 1:02:03.
    public static func duration(_ seconds: Double?) -> String {
        guard let seconds, seconds.isFinite, seconds >= 0 else { return "—" }
        let t = Int(seconds.rounded())
        if t >= 3600 { return String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60) }
        return String(format: "%d:%02d", t / 60, t % 60)
    }

    public static func rho(_ v: Double) -> String { String(format: "%.2f", v) }
}
