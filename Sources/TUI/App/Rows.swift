/// The rows each list pane shows, after its sort and filter, as indices into the model. update()
/// and view() both go through here so a cursor always means the same row in both.
public enum Rows {
    static func clamp(_ v: Int, _ n: Int) -> Int { min(max(0, v), max(0, n - 1)) }

    static func matches(_ text: String, _ filter: String?) -> Bool {
        guard let f = filter, !f.isEmpty else { return true }
        return text.lowercased().contains(f.lowercased())
    }

    public static func layers(_ s: State) -> [Int] {
        var idx = s.model.layers.indices.filter { matches(s.model.layers[$0].name, s.filters[.layers]) }
        if s.layers.sort == .drift {
            idx.sort { (s.model.layers[$0].relL2 ?? .infinity) > (s.model.layers[$1].relL2 ?? .infinity) }
        }
        return idx
    }

    public static func tensors(_ s: State) -> [Int] {
        guard let d = s.layers.drill, d < s.model.layers.count else { return [] }
        return Array(s.model.layers[d].tensors.indices)
    }

    public static func tokens(_ s: State) -> [Int] {
        let t = s.model.epur.tokens
        var idx = t.indices.filter { matches(t[$0].token, s.filters[.epur]) }
        switch s.epur.sort {
        case .score: idx.sort { t[$0].score > t[$1].score }
        case .drift: idx.sort { t[$0].drift > t[$1].drift }
        case .freq: idx.sort { t[$0].freq < t[$1].freq }
        }
        return idx
    }

    public static func variants(_ s: State) -> [Int] {
        let v = s.model.variants
        var idx = v.indices.filter { matches(v[$0].name + " " + v[$0].method, s.filters[.variants]) }
        switch s.variants.sort {
        case .order: break
        case .acc: idx.sort { (v[$0].acc ?? -1) > (v[$1].acc ?? -1) }
        case .asr: idx.sort { (v[$0].asr ?? 2) < (v[$1].asr ?? 2) }
        }
        return idx
    }

    public static func load(_ s: State) -> [Int] {
        s.model.load.entries.indices.filter { matches(s.model.load.entries[$0].name, s.filters[.load]) }
    }

    public static func log(_ s: State) -> [Int] {
        s.log.indices.filter { matches(s.log[$0].text, s.filters[.log]) }
    }

    public static func mixer(_ s: State) -> [Int] { Array(s.model.mixer.layers.indices) }

    /// Number of rows of a list pane (for cursor clamping).
    public static func count(_ pane: PaneID, _ s: State) -> Int {
        switch pane {
        case .layers: s.layers.drill != nil ? tensors(s).count : layers(s).count
        case .mixer: mixer(s).count
        case .epur: tokens(s).count
        case .variants: variants(s).count
        case .load: load(s).count
        case .log: log(s).count
        case .monitor, .probe: 0
        }
    }
}
