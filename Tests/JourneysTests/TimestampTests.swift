import Testing

@testable import Journeys

/// Parses `text` as the reader does. Expected values were computed with Python's `datetime`.
private func parse(_ text: String, _ format: TimestampFormat = .auto) throws(TimestampError) -> Int64 {
    let bytes = Array(text.utf8)
    return try bytes.withUnsafeBufferPointer { (b) throws(TimestampError) -> Int64 in try TimestampParser.parse(b, format: format) }
}

private func parseError(_ text: String, _ format: TimestampFormat = .auto) -> TimestampError? {
    do {
        let value = try parse(text, format)
        Issue.record("'\(text)' parsed as \(value); expected an error")
        return nil
    } catch {
        return error
    }
}

@Suite struct TimestampTests {
    @Test(arguments: [
        ("2024-03-13T10:21:14Z", 1_710_325_274_000_000 as Int64),
        ("2024-03-13t10:21:14z", 1_710_325_274_000_000),
        ("2024-03-13T10:21:14+00:00", 1_710_325_274_000_000),
        ("2024-03-13T10:21:14+01:00", 1_710_321_674_000_000),
        ("2024-03-13T10:21:14-0530", 1_710_345_074_000_000),
        ("2024-03-13T10:21:14-05:30", 1_710_345_074_000_000),
        ("2024-03-13T10:21:14+05", 1_710_307_274_000_000),
        ("2024-03-13T00:30:00+14:00", 1_710_239_400_000_000),
        ("2024-03-13T10:21:14", 1_710_325_274_000_000),
        ("2024-03-13T10:21", 1_710_325_260_000_000),
        ("2024-03-13T10:21Z", 1_710_325_260_000_000),
        ("2024-03-13T10:21:14.250Z", 1_710_325_274_250_000),
        ("2024-03-13T10:21:14,250Z", 1_710_325_274_250_000),
        ("2024-03-13T10:21:14.250+01:00", 1_710_321_674_250_000),
        ("2024-03-13T10:21:14.123456789Z", 1_710_325_274_123_456),  // past microseconds: truncated
        ("2024-03-13T10:21:14.5", 1_710_325_274_500_000),
        ("2024-03-13 10:21:14", 1_710_325_274_000_000),
        ("2024-03-13 10:21:14.250+01:00", 1_710_321_674_250_000),
        ("2024-03-13", 1_710_288_000_000_000),
        ("2024-02-29", 1_709_164_800_000_000),
        ("1000-01-01", -30_610_224_000_000_000),
        ("9999-12-31T23:59:59.999999", 253_402_300_799_999_999),
        ("1970-01-01T00:00:00Z", 0),
    ])
    func iso8601(text: String, expected: Int64) throws {
        #expect(try parse(text) == expected)
        #expect(try parse(text, .iso8601) == expected)
    }

    @Test(arguments: [
        ("1710325274", 1_710_325_274_000_000 as Int64),
        ("1710325274.25", 1_710_325_274_250_000),
        ("1710325274.1234567", 1_710_325_274_123_456),
        ("0", 0),
        ("-1.5", -1_500_000),
        ("+86400", 86_400_000_000),
        ("1710325274250", 1_710_325_274_250_000),
        // The auto rule: below 10¹¹ seconds, from 10¹¹ on milliseconds.
        ("99999999999", 99_999_999_999_000_000),
        ("100000000000", 100_000_000_000_000),
        ("-100000000000", -100_000_000_000_000),
    ])
    func unixAuto(text: String, expected: Int64) throws {
        #expect(try parse(text) == expected)
    }

    @Test(arguments: [
        ("1710325274", TimestampFormat.unixSeconds, 1_710_325_274_000_000 as Int64),
        ("100000000000", .unixSeconds, 100_000_000_000_000_000),
        ("1710325274.5", .unixSeconds, 1_710_325_274_500_000),
        ("1710325274250", .unixMilliseconds, 1_710_325_274_250_000),
        ("1710325274", .unixMilliseconds, 1_710_325_274_000),
        ("99999999999", .unixMilliseconds, 99_999_999_999_000),
        ("2024-03-13", .iso8601, 1_710_288_000_000_000),
    ])
    func explicitFormat(text: String, format: TimestampFormat, expected: Int64) throws {
        #expect(try parse(text, format) == expected)
    }

    @Test(arguments: [
        ("1710325274", TimestampFormat.iso8601),
        ("2024-03-13", .unixSeconds),
        ("2024-03-13", .unixMilliseconds),
        ("1710325274250.5", .unixMilliseconds),
        ("1710325274250.5", .auto),
        ("13/03/2024", .auto),
        ("yesterday", .auto),
        ("2024-3-13", .auto),
        ("2024-03-13T10", .auto),
        ("2024-03-13T", .auto),
        ("2024-03-13X10:21:14", .auto),
        ("2024-03-13T10:21:14 UTC", .auto),
        ("2024-03-13T10:21:14Zjunk", .auto),
        ("2024-03-13T10:21:14.Z", .auto),
        ("2024-03-13T10:21:14+1", .auto),
        ("2024-03-13T10:21:14+01:0", .auto),
        ("2024-03-13T10:21:", .auto),
        ("1710325274.", .auto),
        ("1e9", .auto),
        ("0x10", .auto),
        (" 1710325274", .auto),
    ])
    func unknownFormat(text: String, format: TimestampFormat) {
        #expect(parseError(text, format)?.code == .invalidTimestamp)
    }

    @Test(arguments: [
        ("2024-13-01", "month 13"),
        ("2024-00-10", "month 0"),
        ("2023-02-30", "day 30 of month 2 in 2023"),
        ("2023-02-29", "day 29"),
        ("2100-02-29", "day 29"),
        ("2024-04-31", "day 31"),
        ("2024-01-00", "day 0"),
        ("2024-01-01T24:00:00", "hour 24"),
        ("2024-01-01T23:60", "minute 60"),
        ("2024-01-01T23:59:60", "second 60"),
        ("0999-12-31", "year 999"),
        ("0999-12-31T23:00:00-02:00", "year 999"),
        ("1000-01-01T00:30:00+01:00", "outside the years 1000...9999"),
        ("9999-12-31T23:30:00-01:00", "outside the years 1000...9999"),
        ("2024-03-13T10:21:14+15:00", "zone offset"),
        ("2024-03-13T10:21:14+01:60", "zone offset"),
        ("253402300800", "outside the years"),  // 10¹¹ and more: milliseconds, so this is 1978; see below
        ("-30610224001", "outside the years"),
        ("999999999999999", "outside the years"),  // milliseconds: the year 33658
        ("999999999999999999", "too large"),
        ("9999999999999999999", "too many digits"),
    ])
    func outOfRange(text: String, reason: String) {
        if text == "253402300800" {
            // 253402300800 ≥ 10¹¹ reads as milliseconds: 1978, in range. As seconds it is the year 10000.
            #expect((try? parse(text)) == 253_402_300_800_000)
            #expect(parseError(text, .unixSeconds)?.code == .timestampOutOfRange)
            return
        }
        let error = parseError(text)
        #expect(error?.code == .timestampOutOfRange)
        #expect(error?.message.contains(reason) == true, "\(String(describing: error?.message))")
        #expect(error?.message.contains("'\(text)'") == true)
    }

    @Test func emptyIsAnEmptyField() {
        #expect(parseError("")?.code == .emptyField)
    }

    @Test func leapYears() throws {
        #expect(try parse("2000-02-29") == 951_782_400_000_000)
        #expect(try parse("2024-12-31") - parse("2024-01-01") == 365 * Instant.day)
        #expect(try parse("2023-12-31") - parse("2023-01-01") == 364 * Instant.day)
    }

    @Test func daysFromCivilMatchesACountOfDays() {
        // Walk day by day from 1000-01-01 to 9999-12-31 through every month's length.
        var days = TimestampParser.daysFromCivil(year: 1000, month: 1, day: 1)
        var mismatches: [String] = []
        for year in Int64(1000)...9999 {
            for month in Int64(1)...12 {
                if TimestampParser.daysFromCivil(year: year, month: month, day: 1) != days { mismatches.append("\(year)-\(month)") }
                days += TimestampParser.daysInMonth(year: year, month: month)
            }
        }
        #expect(mismatches.isEmpty)
        #expect(days == TimestampParser.daysFromCivil(year: 10000, month: 1, day: 1))
        #expect(TimestampParser.daysFromCivil(year: 1970, month: 1, day: 1) == 0)
    }

    @Test func readerErrorsNameTheTimestampsPlace() throws {
        try expectReadError(
            "customer_id,channel,timestamp\na,web,2024-01-01\nb,web,2023-02-30\n", .timestampOutOfRange, line: 3, column: 7,
            messageContains: ["'timestamp'", "'2023-02-30'", "day 30"])
        try expectReadError(
            "customer_id,channel,timestamp\na,web,13/03/2024\n", .invalidTimestamp, line: 2, column: 7,
            messageContains: ["'13/03/2024'", "ISO 8601"])
        try expectReadError(
            "customer_id,channel,timestamp\na,web,\n", .emptyField, line: 2, column: 7, messageContains: ["'timestamp' is empty"])
    }

    @Test func readerUsesTheTimestampFormatOption() throws {
        let text = "customer_id,timestamp,channel\na,1710325274,web\n"
        #expect(try read(text).store.timestamps == [1_710_325_274_000_000])
        #expect(try read(text, options: options { $0.timestampFormat = .unixMilliseconds }).store.timestamps == [1_710_325_274_000])
        try expectReadError(text, options: options { $0.timestampFormat = .iso8601 }, .invalidTimestamp, line: 2, column: 3)
    }
}
