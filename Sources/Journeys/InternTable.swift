#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A set of byte strings, each numbered by first insertion: 0, 1, 2, …
///
/// Hand-written (open addressing over a byte arena) because interning runs for every customer id
/// on the ingestion hot path; a `[String: Int]` would allocate a `String` per row. Keys are hashed
/// with a per-process random seed, so crafted ids cannot force collisions on every run.
struct InternTable: Sendable {
    private(set) var arena: [UInt8] = []
    /// `starts[id] ..< starts[id + 1]` is key `id` in `arena`.
    private(set) var starts: [Int] = [0]
    private(set) var hashes: [UInt64] = []
    /// `0` is empty; otherwise `id + 1`.
    private var slots: [UInt32]
    private var mask: Int

    static let seed: UInt64 = UInt64.random(in: .min ... .max)

    init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        slots = Array(repeating: 0, count: size)
        mask = size - 1
    }

    var count: Int { hashes.count }

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
        intern(key, hash: Self.hash(key))
    }

    mutating func intern(_ key: UnsafeBufferPointer<UInt8>, hash: UInt64) -> Int {
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { break }
            let id = Int(entry) - 1
            if hashes[id] == hash && keyEquals(id, key) { return id }
            slot = (slot + 1) & mask
        }
        let id = hashes.count
        arena.append(contentsOf: key)
        starts.append(arena.count)
        hashes.append(hash)
        slots[slot] = UInt32(id + 1)
        if hashes.count * 2 > slots.count { grow() }
        return id
    }

    /// The id of `key`, or nil.
    func find(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        let hash = Self.hash(key)
        var slot = Int(truncatingIfNeeded: hash) & mask
        while true {
            let entry = slots[slot]
            if entry == 0 { return nil }
            let id = Int(entry) - 1
            if hashes[id] == hash && keyEquals(id, key) { return id }
            slot = (slot + 1) & mask
        }
    }

    @inline(__always)
    private func keyEquals(_ id: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = starts[id]
        guard starts[id + 1] - start == key.count else { return false }
        return arena.withUnsafeBufferPointer { a in
            key.count == 0 || memcmp(a.baseAddress! + start, key.baseAddress!, key.count) == 0
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        mask = size - 1
        slots = Array(repeating: 0, count: size)
        for (id, hash) in hashes.enumerated() {
            var slot = Int(truncatingIfNeeded: hash) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(id + 1)
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
        arena.capacity + starts.capacity * 8 + hashes.capacity * 8 + slots.capacity * 4
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

    public var startIndex: Int { 0 }
    public var endIndex: Int { table.count }
    /// The string numbered `id`.
    public subscript(id: Int) -> String { table.string(id) }

    /// The number of `string`, or nil when it never appeared.
    public func id(of string: String) -> Int? {
        var s = string
        return s.withUTF8 { table.find($0) }
    }

    /// Total UTF-8 bytes of the strings (what "excluding the strings of distinct ids" refers to).
    public var byteCount: Int { table.arena.count }
}
