/// How the reader turns a `timestamp` field into a point in time.
public enum TimestampFormat: String, Sendable, Codable, CaseIterable {
    /// ISO 8601 text, or a Unix epoch number whose magnitude picks the unit: below 10¹¹ it is seconds
    /// (10¹¹ s is the year 5138), from 10¹¹ on it is milliseconds (10¹¹ ms is 1973).
    case auto
    /// ISO 8601 text only: `2024-03-13`, `2024-03-13T10:21:14Z`, `2024-03-13 10:21:14.250+01:00`.
    case iso8601
    /// Unix epoch seconds, optionally with a fraction: `1710325274`, `1710325274.25`.
    case unixSeconds = "unix-seconds"
    /// Unix epoch milliseconds: `1710325274250`.
    case unixMilliseconds = "unix-milliseconds"
}

/// A failed timestamp parse: a code and a reason for the user.
struct TimestampError: Error {
    var code: JourneyError.Code
    var message: String
}

/// Timestamps are stored as microseconds since 1970-01-01T00:00:00Z, in an `Int64`.
///
/// Hand-written rather than `Date.ISO8601FormatStyle` because it runs once per event on the
/// ingestion hot path, where Foundation's parsers cost microseconds each.
enum TimestampParser {
    static let microsPerSecond: Int64 = 1_000_000
    /// 1000-01-01T00:00:00Z and 10000-01-01T00:00:00Z, in microseconds: the accepted range.
    static let lowerBound: Int64 = daysFromCivil(year: 1000, month: 1, day: 1) * 86_400 * microsPerSecond
    static let upperBound: Int64 = daysFromCivil(year: 10000, month: 1, day: 1) * 86_400 * microsPerSecond

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return (year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Parses `bytes` (the field, without quotes) as `format`.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, format: TimestampFormat) throws(TimestampError) -> Int64 {
        guard !bytes.isEmpty else { throw TimestampError(code: .emptyField, message: "timestamp is empty") }
        let looksNumeric = !(bytes.count > 4 && bytes[4] == UInt8(ascii: "-"))
        switch format {
        case .iso8601: return try parseISO(bytes)
        case .unixSeconds: return try parseEpoch(bytes, unitMicros: microsPerSecond)
        case .unixMilliseconds: return try parseEpoch(bytes, unitMicros: 1000)
        case .auto:
            if !looksNumeric { return try parseISO(bytes) }
            return try parseEpoch(bytes, unitMicros: nil)
        }
    }

    private static func describe(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let shown = bytes.count > 40 ? String(decoding: bytes.prefix(40), as: UTF8.self) + "…" : String(decoding: bytes, as: UTF8.self)
        return "'\(shown)'"
    }

    private static func formatError(_ bytes: UnsafeBufferPointer<UInt8>) -> TimestampError {
        TimestampError(
            code: .invalidTimestamp,
            message: "timestamp \(describe(bytes)) is in no accepted format; expected ISO 8601 "
                + "(2024-03-13, 2024-03-13T10:21:14Z, 2024-03-13 10:21:14.250+01:00) or Unix epoch seconds or milliseconds")
    }

    private static func rangeError(_ bytes: UnsafeBufferPointer<UInt8>, _ what: String) -> TimestampError {
        TimestampError(code: .timestampOutOfRange, message: "timestamp \(describe(bytes)) is out of range: \(what)")
    }

    /// Reads `count` ASCII digits at `index`, or nil.
    @inline(__always)
    private static func digits(_ b: UnsafeBufferPointer<UInt8>, _ index: Int, _ count: Int) -> Int64? {
        guard index + count <= b.count else { return nil }
        var value: Int64 = 0
        for i in index..<(index + count) {
            let d = b[i] &- 48
            guard d < 10 else { return nil }
            value = value * 10 + Int64(d)
        }
        return value
    }

    private static func parseISO(_ b: UnsafeBufferPointer<UInt8>) throws(TimestampError) -> Int64 {
        let dash = UInt8(ascii: "-"), colon = UInt8(ascii: ":")
        guard b.count >= 10, let year = digits(b, 0, 4), b[4] == dash, let month = digits(b, 5, 2), b[7] == dash,
            let day = digits(b, 8, 2)
        else { throw formatError(b) }
        guard year >= 1000 else { throw rangeError(b, "year \(year) is before 1000") }
        guard (1...12).contains(month) else { throw rangeError(b, "month \(month)") }
        guard day >= 1 && day <= daysInMonth(year: year, month: month) else {
            throw rangeError(b, "day \(day) of month \(month) in \(year)")
        }
        var micros = daysFromCivil(year: year, month: month, day: day) * 86_400 * microsPerSecond
        if b.count == 10 { return micros }

        let separator = b[10]
        guard separator == UInt8(ascii: "T") || separator == UInt8(ascii: " ") || separator == UInt8(ascii: "t"),
            let hour = digits(b, 11, 2), b.count > 13, b[13] == colon, let minute = digits(b, 14, 2)
        else { throw formatError(b) }
        var i = 16
        var second: Int64 = 0
        if i < b.count && b[i] == colon {
            guard let s = digits(b, 17, 2) else { throw formatError(b) }
            second = s
            i = 19
        }
        guard hour < 24 else { throw rangeError(b, "hour \(hour)") }
        guard minute < 60 else { throw rangeError(b, "minute \(minute)") }
        guard second < 60 else { throw rangeError(b, "second \(second)") }
        micros += ((hour * 60 + minute) * 60 + second) * microsPerSecond

        if i < b.count && (b[i] == UInt8(ascii: ".") || b[i] == UInt8(ascii: ",")) {
            i += 1
            var fraction: Int64 = 0
            var scale: Int64 = 100_000
            let start = i
            while i < b.count, case let d = b[i] &- 48, d < 10 {
                fraction += Int64(d) * scale  // digits past microseconds are dropped (scale reaches 0)
                scale /= 10
                i += 1
            }
            guard i > start else { throw formatError(b) }
            micros += fraction
        }
        if i == b.count { return micros }  // no zone: UTC

        let zone = b[i]
        if zone == UInt8(ascii: "Z") || zone == UInt8(ascii: "z") {
            guard i + 1 == b.count else { throw formatError(b) }
            return micros
        }
        guard zone == UInt8(ascii: "+") || zone == dash, let offsetHours = digits(b, i + 1, 2) else { throw formatError(b) }
        var offsetMinutes: Int64 = 0
        switch b.count - (i + 3) {
        case 0: break
        case 2: guard let m = digits(b, i + 3, 2) else { throw formatError(b) }; offsetMinutes = m
        case 3: guard b[i + 3] == colon, let m = digits(b, i + 4, 2) else { throw formatError(b) }; offsetMinutes = m
        default: throw formatError(b)
        }
        guard offsetHours <= 14, offsetMinutes < 60 else { throw rangeError(b, "zone offset") }
        let offset = (offsetHours * 60 + offsetMinutes) * 60 * microsPerSecond
        micros += zone == dash ? offset : -offset
        guard micros >= lowerBound && micros < upperBound else { throw rangeError(b, "outside the years 1000...9999") }
        return micros
    }

    /// `unitMicros == nil`: seconds below 10¹¹ in magnitude, milliseconds from there on.
    private static func parseEpoch(_ b: UnsafeBufferPointer<UInt8>, unitMicros: Int64?) throws(TimestampError) -> Int64 {
        var i = 0
        let negative = b[0] == UInt8(ascii: "-")
        if negative || b[0] == UInt8(ascii: "+") { i = 1 }
        var whole: Int64 = 0
        let start = i
        while i < b.count, case let d = b[i] &- 48, d < 10 {
            guard i - start < 18 else { throw rangeError(b, "too many digits for an epoch time") }
            whole = whole * 10 + Int64(d)
            i += 1
        }
        guard i > start else { throw formatError(b) }
        var fractionMicros: Int64 = 0
        var hasFraction = false
        if i < b.count && b[i] == UInt8(ascii: ".") {
            hasFraction = true
            i += 1
            var scale: Int64 = 100_000
            let fractionStart = i
            while i < b.count, case let d = b[i] &- 48, d < 10 {
                fractionMicros += Int64(d) * scale
                scale /= 10
                i += 1
            }
            guard i > fractionStart else { throw formatError(b) }
        }
        guard i == b.count else { throw formatError(b) }
        let unit = unitMicros ?? (whole >= 100_000_000_000 ? 1000 : microsPerSecond)
        if hasFraction && unit != microsPerSecond {
            throw TimestampError(code: .invalidTimestamp, message: "epoch milliseconds \(describe(b)) must be a whole number")
        }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: unit)
        guard !overflow else { throw rangeError(b, "too large for an epoch time") }
        var micros = scaled + fractionMicros
        if negative { micros = -micros }
        guard micros >= lowerBound && micros < upperBound else { throw rangeError(b, "outside the years 1000...9999") }
        return micros
    }
}
