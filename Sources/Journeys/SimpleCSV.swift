/// A plain RFC 4180 record reader for small inputs: the header line, and aggregated-path files.
/// The event hot path uses `BlockParser` instead.
struct SimpleCSV {
    struct Failure: Error {
        var message: String
        var offset: Int
    }

    let bytes: [UInt8]
    let separator: UInt8
    var position = 0
    /// Line feeds passed: the 0-based line of `position`.
    var line = 0
    /// Where each field of the last record began (at its opening quote, if quoted), for error columns.
    private(set) var fieldStarts: [Int] = []

    init(bytes: [UInt8], separator: UInt8, skippingBOM: Bool = true) {
        self.bytes = bytes
        self.separator = separator
        if skippingBOM && bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
    }

    var atEnd: Bool { position >= bytes.count }

    /// The next record's fields, decoded, or a failure (after which the reader has moved to the next line).
    mutating func record() -> Result<[[UInt8]], Failure> {
        var fields: [[UInt8]] = []
        var field: [UInt8] = []
        fieldStarts.removeAll(keepingCapacity: true)
        while true {
            fieldStarts.append(position)
            if position < bytes.count && bytes[position] == 0x22 {
                let open = position
                position += 1
                while true {
                    guard position < bytes.count else {
                        return .failure(Failure(message: "quote opened here is never closed", offset: open))
                    }
                    let c = bytes[position]
                    if c == 0x22 {
                        if position + 1 < bytes.count && bytes[position + 1] == 0x22 {
                            field.append(0x22)
                            position += 2
                            continue
                        }
                        position += 1
                        break
                    }
                    if c == 0x0A { line += 1 }
                    field.append(c)
                    position += 1
                }
            } else {
                while position < bytes.count {
                    let c = bytes[position]
                    if c == separator || c == 0x0A || c == 0x0D { break }
                    if c == 0x22 {
                        let at = position
                        skipLine()
                        return .failure(Failure(message: "quote inside an unquoted field", offset: at))
                    }
                    field.append(c)
                    position += 1
                }
            }
            fields.append(field)
            field = []
            guard position < bytes.count else { return .success(fields) }
            let c = bytes[position]
            if c == separator {
                position += 1
                continue
            }
            if c == 0x0D && position + 1 < bytes.count && bytes[position + 1] == 0x0A { position += 1 }
            if bytes[position] == 0x0A || c == 0x0D {
                position += 1
                line += 1
                return .success(fields)
            }
            let at = position
            skipLine()
            return .failure(Failure(message: "unexpected character after a closing quote", offset: at))
        }
    }

    mutating func skipLine() {
        while position < bytes.count {
            let c = bytes[position]
            position += 1
            if c == 0x0A {
                line += 1
                return
            }
        }
    }

    /// 1-based character column of `offset` on its line.
    func column(of offset: Int) -> Int {
        var start = min(offset, bytes.count)
        while start > 0 && bytes[start - 1] != 0x0A { start -= 1 }
        var column = 1
        for k in start..<min(offset, bytes.count) where bytes[k] & 0xC0 != 0x80 { column += 1 }
        return column
    }
}
