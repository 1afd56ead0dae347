import Foundation

/// The `data.pkl` of a `torch.save` archive, read by a pickle machine that can build a state
/// dict and nothing else. A pickle is a program: GLOBAL names any importable function and REDUCE
/// calls it, so `pickle.load` of a hostile file runs its code. Here GLOBAL is checked against the
/// names torch's own `weights_only` loader allows for a state dict, and REDUCE only ever builds
/// the few objects below; no name is looked up, nothing is imported or called.
///
///     ('storage', torch.FloatStorage, '0', 'cpu', 1234)      BINPERSID → Storage(key "0", F32, 1234)
///     torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks) → Tensor
///     collections.OrderedDict() + SETITEMS → the state dict
enum TorchPickle {
    struct Storage: Equatable {
        var key: String
        /// The typed storage's name (FloatStorage, …) and its element type where finemix reads it.
        var type: String
        var dtype: SafetensorsFile.DType?
        var count: Int
    }

    /// A view into a storage: element `i` (multi-index) is storage[offset + Σ i_k stride_k].
    struct Tensor {
        var storage: Storage
        var offset: Int
        var size: [Int]
        var stride: [Int]
    }

    /// Lists and dicts are objects: pickle makes them empty, memoizes them, then fills them, so
    /// every reference must see one object. Once used inside another value they are frozen:
    /// torch never changes a container after using it, and a file that does could otherwise
    /// build a structure deeper than the depth limit checks (depth is fixed when a value is used).
    final class Container {
        var items: [Value] = []
        var keys: [Value] = []
        var frozen = false
        var depth = 0
        let isDict: Bool
        init(isDict: Bool) { self.isDict = isDict }
    }

    indirect enum Value {
        case none
        case bool(Bool)
        case int(Int)
        case float(Double)
        case string(String)
        case bytes(Int)
        case tuple([Value], depth: Int)
        case container(Container)
        /// An allowed global (module.name), not yet called.
        case global(String)
        case storage(Storage)
        case tensor(Tensor)

        var depth: Int {
            switch self {
            case .tuple(_, let d): return d
            case .container(let c): return c.depth
            default: return 0
            }
        }

        var kind: String {
            switch self {
            case .none: return "None"
            case .bool: return "a boolean"
            case .int: return "an integer"
            case .float: return "a float"
            case .string: return "a string"
            case .bytes: return "bytes"
            case .tuple: return "a tuple"
            case .container(let c): return c.isDict ? "a dict" : "a list"
            case .global(let g): return g
            case .storage: return "a storage"
            case .tensor: return "a tensor"
            }
        }
    }

    // Limits against hostile files; a BERT-large state dict's data.pkl is about 40 KB.
    static let maxPickleBytes = 64 << 20
    static let maxMemo = 1_000_000
    static let maxStack = 1_000_000
    static let maxDepth = 64
    static let maxRank = 8

    /// Storage types torch writes for each dtype (`torch.<Name>Storage`); those without an element
    /// type here are allowed (torch allows them) but a tensor on one is refused by dtype later.
    static let storageTypes: [String: SafetensorsFile.DType?] = [
        "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16, "LongStorage": .i64,
        "DoubleStorage": nil, "IntStorage": nil, "ShortStorage": nil, "CharStorage": nil, "ByteStorage": nil,
        "BoolStorage": nil, "ComplexFloatStorage": nil, "ComplexDoubleStorage": nil, "QInt8Storage": nil,
        "QUInt8Storage": nil, "QInt32Storage": nil, "UntypedStorage": nil,
    ]
    static let dtypes: Set<String> = [
        "float32", "float", "float16", "half", "bfloat16", "float64", "double", "int64", "long", "int32", "int",
        "int16", "short", "int8", "uint8", "bool", "complex64", "complex128",
    ]
    /// What REDUCE may call, by what it builds.
    static let callables: Set<String> = [
        "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state", "torch.Size",
    ]

    static func isAllowed(_ module: String, _ name: String) -> Bool {
        if callables.contains("\(module).\(name)") { return true }
        guard module == "torch" else { return false }
        return storageTypes.keys.contains(name) || dtypes.contains(name)
    }

    /// Runs the pickle and returns its result. `file` names the pickle in messages.
    static func load(_ bytes: [UInt8], file: String) throws -> Value {
        guard bytes.count <= maxPickleBytes else {
            throw FinemixError("\(file): \(bytes.count) bytes, more than the \(maxPickleBytes) bytes a state dict's pickle needs")
        }
        var m = Machine(bytes: bytes, file: file)
        return try m.run()
    }

    struct Machine {
        let bytes: [UInt8]
        let file: String
        var pos = 0
        var stack: [Value] = []
        var marks: [Int] = []
        var memo: [Int: Value] = [:]

        init(bytes: [UInt8], file: String) { self.bytes = bytes; self.file = file }

        func fail(_ why: String) -> FinemixError {
            FinemixError("\(file): \(why) (byte \(pos)); finemix reads only the state dicts torch.save writes and ran nothing from this file")
        }

        mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
            guard n >= 0, n <= bytes.count - pos else { throw fail("the pickle ends inside an instruction") }
            defer { pos += n }
            return bytes[pos..<(pos + n)]
        }

        mutating func uint(_ n: Int) throws -> Int {
            var v = 0
            for (i, b) in try take(n).enumerated() { v |= Int(b) << (8 * i) }
            return v
        }

        mutating func line() throws -> String {
            guard let end = bytes[pos...].firstIndex(of: 0x0a) else { throw fail("the pickle ends inside a GLOBAL name") }
            let s = try text(bytes[pos..<end])
            pos = end + 1
            return s
        }

        func text(_ b: ArraySlice<UInt8>) throws -> String {
            guard let s = String(validating: b, as: UTF8.self) else { throw fail("a string is not valid UTF-8") }
            return s
        }

        mutating func push(_ v: Value) throws {
            guard stack.count < TorchPickle.maxStack else { throw fail("the pickle stack grows past \(TorchPickle.maxStack) values") }
            stack.append(v)
        }

        mutating func pop() throws -> Value {
            guard let v = stack.popLast() else { throw fail("an instruction needs a value on an empty stack") }
            if let m = marks.last, stack.count < m { throw fail("an instruction reaches below a MARK") }
            return v
        }

        /// The values above the last MARK, which is removed.
        mutating func popMark() throws -> [Value] {
            guard let m = marks.popLast() else { throw fail("an instruction needs a MARK and there is none") }
            defer { stack.removeSubrange(m...) }
            return Array(stack[m...])
        }

        /// A value about to be held inside another: its containers freeze, its depth counts.
        func use(_ items: [Value]) throws -> Int {
            var depth = 0
            for v in items {
                if case .container(let c) = v { c.frozen = true }
                depth = max(depth, v.depth)
            }
            guard depth + 1 <= TorchPickle.maxDepth else { throw fail("values nest deeper than \(TorchPickle.maxDepth) levels") }
            return depth + 1
        }

        func container(_ v: Value, dict: Bool) throws -> Container {
            guard case .container(let c) = v, c.isDict == dict else {
                throw fail("\(dict ? "SETITEM" : "APPEND") applies to \(v.kind), not a \(dict ? "dict" : "list")")
            }
            guard !c.frozen else { throw fail("a \(dict ? "dict" : "list") is changed after it was used") }
            return c
        }

        mutating func add(_ items: [Value], to target: Value, dict: Bool) throws {
            let c = try container(target, dict: dict)
            if items.contains(where: { if case .container(let x) = $0 { return x === c } else { return false } }) {
                throw fail("a \(dict ? "dict" : "list") is put inside itself")
            }
            if dict {
                guard items.count % 2 == 0 else { throw fail("SETITEMS with an odd number of values") }
                c.depth = max(c.depth, try use(items))
                for i in stride(from: 0, to: items.count, by: 2) {
                    c.keys.append(items[i]); c.items.append(items[i + 1])
                }
            } else {
                c.depth = max(c.depth, try use(items))
                c.items += items
            }
        }

        mutating func tuple(_ items: [Value]) throws -> Value { .tuple(items, depth: try use(items)) }

        mutating func run() throws -> Value {
            while true {
                let op = try uint(1)
                switch op {
                case 0x80: // PROTO
                    let v = try uint(1)
                    guard (2...5).contains(v) else { throw fail("pickle protocol \(v) is not one torch.save writes") }
                case 0x95: _ = try take(8) // FRAME: a length hint only
                case 0x2e: // STOP
                    return try pop()
                case 0x28: marks.append(stack.count) // MARK
                    guard marks.count <= TorchPickle.maxDepth else { throw fail("MARKs nest deeper than \(TorchPickle.maxDepth)") }
                case 0x30: _ = try pop() // POP
                case 0x31: _ = try popMark() // POP_MARK
                case 0x32: // DUP
                    guard let top = stack.last else { throw fail("DUP on an empty stack") }
                    try push(top)
                case 0x4e: try push(.none) // NONE
                case 0x88: try push(.bool(true))
                case 0x89: try push(.bool(false))
                case 0x4a: // BININT: signed 32-bit
                    try push(.int(Int(Int32(truncatingIfNeeded: UInt32(try uint(4))))))
                case 0x4b: try push(.int(try uint(1))) // BININT1
                case 0x4d: try push(.int(try uint(2))) // BININT2
                case 0x8a: // LONG1: n bytes little-endian two's complement
                    let n = try uint(1)
                    guard n <= 8 else { throw fail("an integer of \(n) bytes is larger than any size or offset") }
                    let b = try take(n)
                    var v: UInt64 = 0
                    for (i, x) in b.enumerated() { v |= UInt64(x) << (8 * UInt64(i)) }
                    if n > 0, n < 8, b.last! & 0x80 != 0 { v |= ~0 << (8 * UInt64(n)) }
                    try push(.int(Int(Int64(bitPattern: v))))
                case 0x47: // BINFLOAT: big-endian double
                    var v: UInt64 = 0
                    for x in try take(8) { v = v << 8 | UInt64(x) }
                    try push(.float(Double(bitPattern: v)))
                case 0x58: try push(.string(try text(try take(try uint(4))))) // BINUNICODE
                case 0x8c: try push(.string(try text(try take(try uint(1))))) // SHORT_BINUNICODE
                case 0x8d: // BINUNICODE8
                    try push(.string(try text(try take(try uint(8)))))
                case 0x54, 0x55: // BINSTRING, SHORT_BINSTRING (protocol 2 writes str this way for ascii)
                    let n = op == 0x54 ? try uint(4) : try uint(1)
                    try push(.string(try text(try take(n))))
                case 0x42, 0x43, 0x8e: // BINBYTES, SHORT_BINBYTES, BINBYTES8
                    let n = op == 0x42 ? try uint(4) : op == 0x43 ? try uint(1) : try uint(8)
                    _ = try take(n)
                    try push(.bytes(n))
                case 0x29: try push(.tuple([], depth: 1)) // EMPTY_TUPLE
                case 0x7d: try push(.container(Container(isDict: true))) // EMPTY_DICT
                case 0x5d: try push(.container(Container(isDict: false))) // EMPTY_LIST
                case 0x74: try push(try tuple(try popMark())) // TUPLE
                case 0x85: try push(try tuple([try pop()])) // TUPLE1
                case 0x86: // TUPLE2
                    let b = try pop(), a = try pop()
                    try push(try tuple([a, b]))
                case 0x87: // TUPLE3
                    let c = try pop(), b = try pop(), a = try pop()
                    try push(try tuple([a, b, c]))
                case 0x64, 0x6c: // DICT, LIST: MARK items
                    let items = try popMark()
                    let c = Container(isDict: op == 0x64)
                    try add(items, to: .container(c), dict: c.isDict)
                    try push(.container(c))
                case 0x61: // APPEND
                    let v = try pop()
                    guard let target = stack.last else { throw fail("APPEND without a list") }
                    try add([v], to: target, dict: false)
                case 0x65: // APPENDS
                    let items = try popMark()
                    guard let target = stack.last else { throw fail("APPENDS without a list") }
                    try add(items, to: target, dict: false)
                case 0x73: // SETITEM
                    let v = try pop(), k = try pop()
                    guard let target = stack.last else { throw fail("SETITEM without a dict") }
                    try add([k, v], to: target, dict: true)
                case 0x75: // SETITEMS
                    let items = try popMark()
                    guard let target = stack.last else { throw fail("SETITEMS without a dict") }
                    try add(items, to: target, dict: true)
                case 0x71: try put(try uint(1)) // BINPUT
                case 0x72: try put(try uint(4)) // LONG_BINPUT
                case 0x94: try put(memo.count) // MEMOIZE
                case 0x68, 0x6a: // BINGET, LONG_BINGET
                    let i = op == 0x68 ? try uint(1) : try uint(4)
                    guard let v = memo[i] else { throw fail("BINGET \(i) of a memo entry never stored") }
                    try push(v)
                case 0x63: // GLOBAL "module\nname\n"
                    let module = try line(), name = try line()
                    try push(try global(module, name))
                case 0x93: // STACK_GLOBAL
                    let n = try pop(), m = try pop()
                    guard case .string(let name) = n, case .string(let module) = m else {
                        throw fail("STACK_GLOBAL needs two strings")
                    }
                    try push(try global(module, name))
                case 0x51: // BINPERSID
                    try push(try persistent(try pop()))
                case 0x52: // REDUCE
                    let args = try pop(), f = try pop()
                    try push(try reduce(f, args))
                case 0x62: // BUILD: the state of an OrderedDict (its _metadata) or a parameter; not needed
                    let state = try pop()
                    _ = try use([state])
                    guard stack.last != nil else { throw fail("BUILD without an object") }
                default:
                    throw fail("pickle instruction 0x\(String(op, radix: 16)) is not one torch.save writes for a state dict")
                }
            }
        }

        mutating func put(_ i: Int) throws {
            guard let top = stack.last else { throw fail("BINPUT on an empty stack") }
            guard memo.count < TorchPickle.maxMemo || memo[i] != nil else {
                throw fail("the pickle memo grows past \(TorchPickle.maxMemo) entries")
            }
            memo[i] = top
        }

        func global(_ module: String, _ name: String) throws -> Value {
            guard TorchPickle.isAllowed(module, name) else {
                throw FinemixError("\(file): refused the global \(module).\(name), which no state dict needs (finemix allows only tensors, their storages, dtypes and OrderedDict, as torch.load(weights_only=True) does) and ran nothing from this file")
            }
            return .global("\(module).\(name)")
        }

        /// ('storage', torch.FloatStorage, key, location, numel)
        func persistent(_ pid: Value) throws -> Value {
            guard case .tuple(let t, _) = pid, t.count == 5, case .string("storage") = t[0],
                  case .global(let type) = t[1], case .string(let key) = t[2], case .int(let count) = t[4] else {
                throw fail("a persistent id is not ('storage', type, key, location, numel)")
            }
            let short = String(type.dropFirst("torch.".count))
            guard type.hasPrefix("torch."), let dtype = TorchPickle.storageTypes[short] else {
                throw fail("a persistent id names \(type), not a storage type")
            }
            guard count >= 0, !key.isEmpty, !key.contains("/"), !key.contains("..") else {
                throw fail("storage '\(key)' has an invalid key or a negative size \(count)")
            }
            return .storage(Storage(key: key, type: short, dtype: dtype, count: count))
        }

        func ints(_ v: Value, _ what: String) throws -> [Int] {
            guard case .tuple(let items, _) = v else { throw fail("\(what) must be a tuple of integers, found \(v.kind)") }
            return try items.map {
                guard case .int(let i) = $0, i >= 0 else { throw fail("\(what) must hold non-negative integers") }
                return i
            }
        }

        func reduce(_ f: Value, _ args: Value) throws -> Value {
            guard case .global(let name) = f else { throw fail("REDUCE calls \(f.kind), not an allowed function") }
            guard case .tuple(let a, _) = args else { throw fail("REDUCE of \(name) with \(args.kind) as arguments") }
            switch name {
            case "collections.OrderedDict":
                guard a.isEmpty else { throw fail("OrderedDict is built with items, not empty") }
                return .container(Container(isDict: true))
            case "torch.Size":
                guard a.count == 1 else { throw fail("torch.Size takes one tuple") }
                return .tuple(try ints(a[0], "torch.Size").map(Value.int), depth: 1)
            case "torch._utils._rebuild_tensor_v2":
                // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                guard (6...7).contains(a.count), case .storage(let s) = a[0], case .int(let offset) = a[1], offset >= 0 else {
                    throw fail("_rebuild_tensor_v2 needs (storage, offset, size, stride, requires_grad, hooks)")
                }
                let size = try ints(a[2], "a tensor's size"), stride = try ints(a[3], "a tensor's stride")
                guard size.count == stride.count, size.count <= TorchPickle.maxRank else {
                    throw fail("a tensor has size \(size) and stride \(stride) of different or too large ranks")
                }
                return .tensor(Tensor(storage: s, offset: offset, size: size, stride: stride))
            case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
                guard a.count >= 3, case .tensor = a[0] else { throw fail("\(name) needs a tensor") }
                return a[0]
            default:
                throw fail("REDUCE calls \(name), which builds no part of a state dict")
            }
        }
    }
}
