import Foundation

/// How special tokens wrap one or two sequences, as a template: BertProcessing, RobertaProcessing
/// and TemplateProcessing all become one (ByteLevel's offset trimming changes no id).
struct PostTemplate: Sendable, Equatable {
    enum Item: Sendable, Equatable {
        case special([Int32], type: Int32)
        case a(type: Int32)
        case b(type: Int32)
    }
    let single: [Item]
    let pair: [Item]

    /// Without a post-processor: the sequences as they are, the second with type id 1.
    static let plain = PostTemplate(single: [.a(type: 0)], pair: [.a(type: 0), .b(type: 1)])

    /// How many ids the template adds (what truncation leaves room for).
    func added(pair isPair: Bool) -> Int {
        (isPair ? pair : single).reduce(0) { n, item in
            if case .special(let ids, _) = item { return n + ids.count }
            return n
        }
    }

    func apply(_ a: [Int32], _ b: [Int32]?) -> Encoding {
        var ids: [Int32] = [], types: [Int32] = []
        ids.reserveCapacity(a.count + (b?.count ?? 0) + 4)
        types.reserveCapacity(ids.capacity)
        for item in b == nil ? single : pair {
            switch item {
            case let .special(s, t): ids += s; types += [Int32](repeating: t, count: s.count)
            case .a(let t): ids += a; types += [Int32](repeating: t, count: a.count)
            case .b(let t): ids += b ?? []; types += [Int32](repeating: t, count: b?.count ?? 0)
            }
        }
        return Encoding(ids: ids, typeIds: types)
    }

    /// How many ids the template puts before the first sequence and after the last.
    func outerSpecials(pair isPair: Bool) -> (Int, Int) {
        let items = isPair ? pair : single
        func count(_ s: ArraySlice<Item>) -> Int {
            var n = 0
            for item in s { if case .special(let ids, _) = item { n += ids.count } else { break } }
            return n
        }
        return (count(items[...]), count(ArraySlice(items.reversed())))
    }

    /// The first special id of the single template (the [CLS] or <s> role) and the last (the
    /// [SEP] or </s> role), when there are.
    var firstSpecial: Int32? {
        for item in single { if case .special(let ids, _) = item { return ids.first } }
        return nil
    }
    var lastSpecial: Int32? {
        for item in single.reversed() { if case .special(let ids, _) = item { return ids.last } }
        return nil
    }

    // MARK: tokenizer.json

    static func parse(_ json: Any?, source: String) throws -> PostTemplate {
        guard let o = json as? [String: Any] else { return .plain }
        let type = o["type"] as? String ?? "?"
        func token(_ key: String) throws -> Int32 {
            guard let pair = o[key] as? [Any], pair.count == 2, let id = TokenizerJSON.int32(pair[1]) else {
                throw FinemixError("\(source): \(type) needs \(key) as [token, id]")
            }
            return id
        }
        switch type {
        case "BertProcessing":
            let cls = try token("cls"), sep = try token("sep")
            return PostTemplate(single: [.special([cls], type: 0), .a(type: 0), .special([sep], type: 0)],
                                pair: [.special([cls], type: 0), .a(type: 0), .special([sep], type: 0),
                                       .b(type: 1), .special([sep], type: 1)])
        case "RobertaProcessing":
            let cls = try token("cls"), sep = try token("sep")
            return PostTemplate(single: [.special([cls], type: 0), .a(type: 0), .special([sep], type: 0)],
                                pair: [.special([cls], type: 0), .a(type: 0), .special([sep, sep], type: 0),
                                       .b(type: 0), .special([sep], type: 0)])
        case "TemplateProcessing":
            let specials = o["special_tokens"] as? [String: Any] ?? [:]
            func items(_ key: String) throws -> [Item] {
                guard let list = o[key] as? [Any] else { throw FinemixError("\(source): TemplateProcessing has no \(key) template") }
                return try list.map { entry -> Item in
                    guard let e = entry as? [String: Any] else { throw FinemixError("\(source): TemplateProcessing \(key) template has a malformed piece") }
                    if let s = e["SpecialToken"] as? [String: Any], let name = s["id"] as? String {
                        let typeId = TokenizerJSON.int32(s["type_id"]) ?? 0
                        guard let spec = specials[name] as? [String: Any], let ids = spec["ids"] as? [Any] else {
                            throw FinemixError("\(source): TemplateProcessing uses the special token '\(name)' but special_tokens does not define it")
                        }
                        return .special(ids.compactMap { TokenizerJSON.int32($0) }, type: typeId)
                    }
                    if let s = e["Sequence"] as? [String: Any] {
                        let typeId = TokenizerJSON.int32(s["type_id"]) ?? 0
                        return (s["id"] as? String) == "B" ? .b(type: typeId) : .a(type: typeId)
                    }
                    throw FinemixError("\(source): TemplateProcessing \(key) template has a piece that is neither SpecialToken nor Sequence")
                }
            }
            return PostTemplate(single: try items("single"), pair: try items("pair"))
        case "ByteLevel":
            return .plain
        case "Sequence":
            // ByteLevel steps change no id; one step may add special tokens.
            let steps = o["processors"] as? [Any] ?? []
            let adding = steps.filter { ($0 as? [String: Any])?["type"] as? String != "ByteLevel" }
            if adding.count > 1 {
                throw FinemixError("\(source): post_processor is a Sequence of \(adding.count) processors that add special tokens; finemix supports one (with ByteLevel steps around it)")
            }
            return try parse(adding.first, source: source)
        default:
            throw TokenizerJSON.unsupported("post-processor", type, source: source,
                                            supported: "BertProcessing, RobertaProcessing, TemplateProcessing, ByteLevel, Sequence")
        }
    }
}
