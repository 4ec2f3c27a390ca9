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
