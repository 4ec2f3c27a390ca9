#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses decimal numbers from field bytes.
///
/// Hand-written because it runs for every `value` and `propensity` field. The fast path (at most 15
/// significant digits, no exponent) is exact: both the digits and the power of ten are exactly
/// representable, so one IEEE division rounds correctly (Clinger's fast path). Anything else goes to
/// `strtod`, which also rounds correctly. NaN, infinities and hexadecimal forms are refused.
enum NumberParser {
    private static let powersOfTen: [Double] = (0...22).map { p in (0..<p).reduce(1.0) { r, _ in r * 10 } }

    /// The number in `b`, or nil when `b` is not a finite decimal number.
    static func parseDouble(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
        guard !b.isEmpty else { return nil }
        var i = 0
        var negative = false
        if b[0] == UInt8(ascii: "-") || b[0] == UInt8(ascii: "+") {
            negative = b[0] == UInt8(ascii: "-")
            i = 1
        }
        var mantissa: UInt64 = 0
        var digitCount = 0
        var fractionDigits = 0
        var sawDigit = false
        while i < b.count, case let d = b[i] &- 48, d < 10 {
            mantissa = mantissa &* 10 &+ UInt64(d)
            if mantissa != 0 { digitCount += 1 }
            sawDigit = true
            i += 1
        }
        if i < b.count && b[i] == UInt8(ascii: ".") {
            i += 1
            while i < b.count, case let d = b[i] &- 48, d < 10 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                if mantissa != 0 { digitCount += 1 }
                fractionDigits += 1
                sawDigit = true
                i += 1
            }
        }
        guard sawDigit else { return nil }
        if i == b.count && digitCount <= 15 && fractionDigits <= 22 {
            let magnitude = Double(mantissa) / powersOfTen[fractionDigits]
            return negative ? -magnitude : magnitude
        }
        return parseSlow(b)
    }

    /// `strtod` on a NUL-terminated copy, after checking the text is a plain decimal or exponent form.
    private static func parseSlow(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
        guard b.count < 512 else { return nil }
        for byte in b {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "+"),
                UInt8(ascii: "e"), UInt8(ascii: "E"):
                continue
            default:
                return nil  // refuses nan, inf, hex floats, spaces
            }
        }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: b.count + 1) { buffer -> Double? in
            for (k, byte) in b.enumerated() { buffer[k] = CChar(bitPattern: byte) }
            buffer[b.count] = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(buffer.baseAddress!, &end)
            guard let end, end == buffer.baseAddress! + b.count, value.isFinite else { return nil }
            return value
        }
    }
}
