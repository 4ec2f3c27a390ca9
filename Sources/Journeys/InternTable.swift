#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A set of byte strings, each numbered by first insertion: 0, 1, 2, …
///
/// Hand-written (open addressing over a byte arena) because interning runs for every customer id
/// on the ingestion hot path; a `[String: Int]` would allocate a `String` per row. Keys are hashed
/// with a per-process random seed, so crafted ids cannot force collisions on every run. Tables hold
/// fewer than 2³² keys (the slot keeps 32 bits of hash; `grow` reuses them, so mask < 2³²).
struct InternTable: Sendable {
    private(set) var arena: [UInt8] = []
    /// `starts[id] ..< starts[id + 1]` is key `id` in `arena`.
    private(set) var starts: [Int] = [0]
    /// `0` is empty; otherwise the low 32 bits of the key's hash above `id + 1`, so most probes
    /// settle on the slot alone without touching the keys.
    private var slots: [UInt64]
    private var mask: Int

    static let seed: UInt64 = UInt64.random(in: .min ... .max)

    init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: 0, count: size)
        mask = size - 1
    }

    var count: Int { starts.count - 1 }

    static func hash(_ key: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h = seed ^ (UInt64(key.count) &* 0x9E37_79B9_7F4A_7C15)
        guard let base = key.baseAddress else { return mix(h) }
        let raw = UnsafeRawPointer(base)
        var i = 0
        while i + 8 <= key.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i += 8
        }
        if i < key.count {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while i < key.count {
                tail |= UInt64(base[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ tail) &* 0x94D0_49BB_1331_11EB
        }
        return mix(h)
    }

    @inline(__always)
    private static func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The id of `key`, inserting it if new.
    @inline(__always)
    mutating func intern(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        let hash = UInt64(truncatingIfNeeded: UInt32(truncatingIfNeeded: Self.hash(key)))
        var slot = Int(hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            if entry >> 32 == hash {
                let id = Int(entry & 0xFFFF_FFFF) - 1
                if keyEquals(id, key) { return id }
            }
            slot = (slot + 1) & mask
        }
        let id = count
        arena.append(contentsOf: key)
        starts.append(arena.count)
        slots[slot] = hash << 32 | UInt64(id + 1)
        if count * 2 > slots.count { grow() }
        return id
    }

    /// The id of `key`, or nil.
    func find(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        let hash = UInt64(truncatingIfNeeded: UInt32(truncatingIfNeeded: Self.hash(key)))
        var slot = Int(hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            if entry >> 32 == hash {
                let id = Int(entry & 0xFFFF_FFFF) - 1
                if keyEquals(id, key) { return id }
            }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    private func keyEquals(_ id: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = starts[id]
        let count = key.count
        guard starts[id + 1] - start == count else { return false }
        return arena.withUnsafeBytes { a in
            guard count > 0 else { return true }
            let stored = a.baseAddress! + start
            let probe = UnsafeRawPointer(key.baseAddress!)
            // Ids are short: compare eight bytes at a time inline instead of calling memcmp.
            var i = 0
            while i + 8 <= count {
                if stored.loadUnaligned(fromByteOffset: i, as: UInt64.self) != probe.loadUnaligned(fromByteOffset: i, as: UInt64.self) {
                    return false
                }
                i += 8
            }
            while i < count {
                if stored.load(fromByteOffset: i, as: UInt8.self) != probe.load(fromByteOffset: i, as: UInt8.self) { return false }
                i += 1
            }
            return true
        }
    }

    private mutating func grow() {
        let old = slots
        let size = slots.count * 2
        mask = size - 1
        slots = Array(repeating: 0, count: size)
        for entry in old where entry != 0 {
            var slot = Int(entry >> 32) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = entry
        }
    }

    /// Calls `body` with the bytes of key `id`.
    func withKey<R>(_ id: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try arena.withUnsafeBufferPointer { a in
            try body(UnsafeBufferPointer(rebasing: a[starts[id]..<starts[id + 1]]))
        }
    }

    func string(_ id: Int) -> String {
        withKey(id) { String(decoding: $0, as: UTF8.self) }
    }

    /// Heap bytes held: the id strings themselves and the table around them.
    var memoryFootprint: Int {
        arena.capacity + starts.capacity * 8 + slots.capacity * 8
    }
}

/// Distinct strings of one column (customer ids, channels, event types, actions), numbered from 0 in
/// order of first appearance in the input.
public struct InternedStrings: Sendable, RandomAccessCollection {
    var table: InternTable

    init(_ table: InternTable) { self.table = table }

    /// Builds a table from `strings`, numbering them in order; duplicates keep their first number.
    public init(_ strings: some Sequence<String>) {
        var table = InternTable()
        for s in strings {
            var s = s
            _ = s.withUTF8 { table.intern($0) }
        }
        self.table = table
    }

    /// 0: the strings are numbered from 0.
    public var startIndex: Int { 0 }
    /// The number of distinct strings.
    public var endIndex: Int { table.count }
    /// The string numbered `id`.
    public subscript(id: Int) -> String { table.string(id) }

    /// The number of `string`, or nil when it never appeared.
    public func id(of string: String) -> Int? {
        var s = string
        return s.withUTF8 { table.find($0) }
    }

    /// Total UTF-8 bytes of the strings.
    public var byteCount: Int { table.arena.count }

    /// Heap bytes held: the strings plus the offsets and hash slots that index them.
    public var memoryFootprint: Int { table.memoryFootprint }
}
