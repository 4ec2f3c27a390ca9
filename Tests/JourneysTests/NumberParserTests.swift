import Foundation
import Testing

@testable import Journeys

private func parse(_ text: String) -> Double? {
    Array(text.utf8).withUnsafeBufferPointer { NumberParser.parseDouble($0) }
}

/// A random decimal: optional sign, 1 to 17 digits (sometimes up to 25) with the point anywhere or
/// nowhere, sometimes an exponent.
private func randomDecimal(_ rng: inout SplitMix64) -> String {
    var s = ["", "-", "+"][Int(rng.next() % 3)]
    let digitCount = rng.next() % 8 == 0 ? Int(1 + rng.next() % 25) : Int(1 + rng.next() % 17)
    var digits = (0..<digitCount).map { _ in Character(String(rng.next() % 10)) }
    if rng.next() % 4 == 0 { digits[0] = "0" }  // leading zeros are common ("0.25")
    let point = Int(rng.next() % UInt64(digitCount + 2))  // digitCount + 1: no point
    for (i, d) in digits.enumerated() {
        if i == point { s.append(".") }
        s.append(d)
    }
    if point == digitCount { s.append(".") }  // "5."
    if rng.next() % 3 == 0 {
        s += ["e", "E"][Int(rng.next() % 2)] + ["", "-", "+"][Int(rng.next() % 3)] + String(rng.next() % 330)
    }
    return s
}

@Suite struct NumberParserTests {
    /// Correctly rounded, like `Double(String)` (strtod), for random decimals; overflow is refused.
    @Test(arguments: [1 as UInt64, 42, 0x5EED, 0xDEAD_BEEF_CAFE])
    func matchesDoubleFromString(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var mismatches: [String] = []
        for _ in 0..<20_000 {
            let text = randomDecimal(&rng)
            let reference = Double(text)
            let expected = reference.flatMap { $0.isFinite ? $0 : nil }
            let parsed = parse(text)
            if parsed?.bitPattern != expected?.bitPattern {
                mismatches.append("\(text): \(String(describing: parsed)) vs \(String(describing: reference))")
            }
        }
        #expect(mismatches.isEmpty, "seed \(seed): \(mismatches.prefix(10))")
    }

    @Test(arguments: [
        ("0", 0.0), ("-0", -0.0), ("00012", 12), ("12.50", 12.5), (".5", 0.5), ("5.", 5), ("+7", 7), ("-3.25", -3.25),
        ("0.1", 0.1), ("0.3", 0.3), ("123456789012345", 123_456_789_012_345), ("1234567890123456", 1_234_567_890_123_456),
        ("9007199254740993", 9_007_199_254_740_992), ("9007199254740995", 9_007_199_254_740_996),
        ("1e23", 1e23), ("8.589973e9", 8.589973e9), ("1.5e+3", 1500), ("2E-2", 0.02),
        ("0.000000000000000000001", 1e-21), ("0.0000000000000000000001234", 1.234e-22),
        ("1.000000000000000000000000000001", 1), ("2.2250738585072011e-308", Double.leastNormalMagnitude.nextDown),
        ("1.7976931348623157e308", 1.7976931348623157e308), ("4.9e-324", Double.leastNonzeroMagnitude), ("1e-400", 0),
        ("123456789012345678901234567890", 1.2345678901234568e29),
    ])
    func trickyNumbers(text: String, expected: Double) {
        let parsed = parse(text)
        #expect(parsed?.bitPattern == expected.bitPattern, "\(text) → \(String(describing: parsed))")
    }

    @Test(arguments: [
        "", "-", "+", ".", "-.", "e5", "1e", "1e+", "1.2.3", "1e5e5", "--1", "1-", "1e400", "-1e400", "1.7976931348623159e308",
        "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "0x1p3", "0x10", " 1", "1 ", "1,5", "1_000", "١٢",
    ])
    func refused(text: String) {
        #expect(parse(text) == nil, "\(text)")
    }
}

@Suite struct InternTableTests {
    /// Keys of many lengths (empty, short, longer than eight bytes, non-ASCII), all distinct.
    private func keys(_ count: Int) -> [[UInt8]] {
        (0..<count).map { i in
            switch i % 4 {
            case 0: Array("k\(i)".utf8)
            case 1: Array("customer-\(i)-with-a-longer-id".utf8)
            case 2: Array("é\(i)😀".utf8)
            default: Array("#\(i)#".utf8) + [UInt8](repeating: UInt8(i % 251), count: i % 19)
            }
        } + [[]]
    }

    @Test func manyKeysKeepTheirIDs() {
        let all = keys(100_000)
        var table = InternTable()
        var ids: [Int] = []
        for key in all { ids.append(key.withUnsafeBufferPointer { table.intern($0) }) }
        #expect(ids == Array(0..<all.count), "ids are 0, 1, 2, … in insertion order")
        #expect(table.count == all.count)

        // Interning again changes nothing; find agrees; the bytes come back.
        var again: [Int] = []
        var found: [Int?] = []
        var roundTrip = true
        for (id, key) in all.enumerated() {
            again.append(key.withUnsafeBufferPointer { table.intern($0) })
            found.append(key.withUnsafeBufferPointer { table.find($0) })
            roundTrip = roundTrip && table.withKey(id) { Array($0) } == key
        }
        #expect(again == ids)
        #expect(found == ids.map(Optional.some))
        #expect(roundTrip)
        #expect(table.count == all.count)
        #expect(table.string(2) == "é2😀")
        #expect(table.memoryFootprint > 0)

        // Keys never added are not found.
        let missing = ["k1x", "k-1", "customer-1-with-a-longer-i", "", "é2"].map { Array($0.utf8) }
        #expect(missing.map { key in key.withUnsafeBufferPointer { table.find($0) } } == [nil, nil, nil, all.count - 1, nil])
    }

    @Test func initialCapacityDoesNotChangeTheIDs() {
        var small = InternTable(capacity: 1)
        var large = InternTable(capacity: 1 << 16)
        var mismatches = 0
        for key in keys(20_000) + keys(20_000).reversed() {
            let x = key.withUnsafeBufferPointer { small.intern($0) }
            let y = key.withUnsafeBufferPointer { large.intern($0) }
            if x != y { mismatches += 1 }
        }
        #expect(mismatches == 0)
        #expect(small.count == 20_001 && large.count == 20_001)
        #expect(small.arena == large.arena && small.starts == large.starts)
    }
}
