extension TimestampFormat {
    /// Parses one timestamp written by a person (a command-line `--at 2024-06-01`, a config file's
    /// cutoff) exactly as the event reader parses the `timestamp` column.
    ///
    /// - Returns: microseconds since 1970-01-01T00:00:00Z.
    /// - Throws: `JourneyError` `.invalidTimestamp` or `.timestampOutOfRange` with the reason.
    public func parse(_ text: String) throws(JourneyError) -> Int64 {
        var bytes = Array(text.utf8)
        let result: Result<Int64, TimestampError> = bytes.withUnsafeMutableBufferPointer { buffer in
            do throws(TimestampError) {
                return .success(try TimestampParser.parse(UnsafeBufferPointer(buffer), format: self))
            } catch {
                return .failure(error)
            }
        }
        switch result {
        case .success(let micros): return micros
        case .failure(let error): throw JourneyError(error.code, "'\(text)': \(error.message)")
        }
    }
}

extension TimestampFormat {
    /// `2024-03-13T10:21:14Z` for a time in microseconds since the epoch, with `.ffffff` when it has a
    /// fraction of a second: how every message and output of Waypoint writes a time.
    public static func iso8601(_ micros: Int64) -> String {
        let seconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
        let fraction = micros - seconds * 1_000_000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // H. Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var text = "\(year)-\(two(month))-\(two(day))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))"
        if fraction != 0 {
            let digits = String(fraction)
            text += "." + String(repeating: "0", count: 6 - digits.count) + digits
        }
        return text + "Z"
    }
}
