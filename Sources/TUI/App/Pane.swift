/// The focusable panes, in Tab order; the raw value is the digit that focuses them.
public enum PaneID: Int, CaseIterable, Sendable, Hashable, Comparable {
    case layers = 1, mixer, epur, monitor, variants, probe, log, load

    public var title: String {
        switch self {
        case .layers: "Layers"
        case .mixer: "Mixer"
        case .epur: "E-PUR"
        case .monitor: "Monitor"
        case .variants: "Variants"
        case .probe: "Probe"
        case .log: "Log"
        case .load: "Load"
        }
    }

    public var next: PaneID { PaneID(rawValue: rawValue % PaneID.allCases.count + 1)! }
    public var previous: PaneID { PaneID(rawValue: (rawValue + PaneID.allCases.count - 2) % PaneID.allCases.count + 1)! }

    public static func < (a: PaneID, b: PaneID) -> Bool { a.rawValue < b.rawValue }

    public static func focusAction(_ a: Action) -> PaneID? {
        switch a {
        case .focusLayers: .layers
        case .focusMixer: .mixer
        case .focusEpur: .epur
        case .focusMonitor: .monitor
        case .focusVariants: .variants
        case .focusProbe: .probe
        case .focusLog: .log
        case .focusLoad: .load
        default: nil
        }
    }
}

/// Where everything goes on a screen of a given size. Panes share slots on smaller screens: a
/// slot shows the focused pane if it holds it, else its first pane, and its title lists the rest.
public struct ScreenLayout: Equatable, Sendable {
    public static let minWidth = 40
    public static let minHeight = 12

    public struct Slot: Equatable, Sendable {
        public var rect: Rect
        public var panes: [PaneID]
    }

    public var width: Int
    public var height: Int
    public var tooSmall: Bool
    public var header: Rect
    public var status: Rect
    public var body: Rect
    public var slots: [Slot]
    /// The pane each slot shows now.
    public var shown: [PaneID: Rect]

    public func rect(of pane: PaneID) -> Rect? { shown[pane] }

    public func pane(at x: Int, _ y: Int) -> PaneID? {
        shown.first { $0.value.contains(x: x, y: y) }?.key
    }

    public static func compute(width: Int, height: Int, focus: PaneID, zoomed: Bool) -> ScreenLayout {
        let screen = Rect(x: 0, y: 0, width: width, height: height)
        if width < minWidth || height < minHeight {
            return ScreenLayout(width: width, height: height, tooSmall: true, header: .zero, status: .zero, body: .zero,
                                slots: [], shown: [:])
        }
        let headerHeight = height >= 30 ? 2 : 1
        let (header, rest) = screen.splitTop(headerHeight)
        let (status, body) = rest.splitBottom(1)
        var slots: [Slot]
        if zoomed {
            slots = [Slot(rect: body, panes: [focus])]
        } else if width >= 140 && body.height >= 34 {
            let (logRect, top) = body.splitBottom(max(6, body.height / 5))
            let cols = top.columns([.percent(30), .percent(34), .fill])
            let c1 = cols[0].rows([.fill, .percent(32)])
            let c2 = cols[1].rows([.percent(45), .fill])
            let c3 = cols[2].rows([.percent(42), .fill, .fixed(8)])
            slots = [
                Slot(rect: c1[0], panes: [.layers]), Slot(rect: c1[1], panes: [.load]),
                Slot(rect: c2[0], panes: [.mixer]), Slot(rect: c2[1], panes: [.epur]),
                Slot(rect: c3[0], panes: [.monitor]), Slot(rect: c3[1], panes: [.variants]), Slot(rect: c3[2], panes: [.probe]),
                Slot(rect: logRect, panes: [.log]),
            ]
        } else if width >= 80 && body.height >= 18 {
            let (logRect, top) = body.splitBottom(body.height >= 30 ? 7 : 5)
            let cols = top.columns([.percent(50), .fill])
            let left = cols[0].rows([.fill, .fixed(min(12, max(6, top.height / 2)))])
            let right = cols[1].rows([.percent(50), .fill])
            slots = [
                Slot(rect: left[0], panes: [.layers, .load]), Slot(rect: left[1], panes: [.mixer]),
                Slot(rect: right[0], panes: [.monitor]), Slot(rect: right[1], panes: [.epur, .variants, .probe]),
                Slot(rect: logRect, panes: [.log]),
            ]
        } else {
            slots = [Slot(rect: body, panes: PaneID.allCases)]
        }
        var shown: [PaneID: Rect] = [:]
        for s in slots {
            let p = s.panes.contains(focus) ? focus : s.panes[0]
            shown[p] = s.rect
        }
        return ScreenLayout(width: width, height: height, tooSmall: false, header: header, status: status, body: body,
                            slots: slots, shown: shown)
    }
}
