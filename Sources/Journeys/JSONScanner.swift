/// A minimal scanner for one NDJSON line: enough JSON to find a flat object's keys and values.
///
/// Nested objects and arrays are skipped (their strings respected); only the values of the keys the
/// reader wants are kept, as byte ranges into the line.
struct JSONScanner {
    struct Failure: Error {
        var message: String
        var offset: Int
    }

    struct StringToken {
        var start: Int
        var end: Int
        var escaped: Bool
    }

    enum Value {
        case string(StringToken)
        case number(Range<Int>)
        case null
        case other
    }

    let bytes: UnsafeBufferPointer<UInt8>
    var position: Int
    let end: Int

    func peek() -> UInt8? { position < end ? bytes[position] : nil }

    mutating func skipSpace() {
        while position < end, case let c = bytes[position], c == 0x20 || c == 0x09 || c == 0x0D && position + 1 < end {
            position += 1
        }
    }

    mutating func expect(_ byte: UInt8) throws(Failure) {
        guard position < end && bytes[position] == byte else {
            let what = position < end ? "'\(Character(Unicode.Scalar(bytes[position])))'" : "the end of the line"
            throw Failure(message: "expected '\(Character(Unicode.Scalar(byte)))' in the JSON object, found \(what)", offset: position)
        }
        position += 1
    }

    mutating func string() throws(Failure) -> StringToken {
        try expect(0x22)
        let start = position
        var escaped = false
        while position < end {
            let c = bytes[position]
            if c == 0x22 {
                position += 1
                return StringToken(start: start, end: position - 1, escaped: escaped)
            }
            if c == 0x5C {
                escaped = true
                position += 2
            } else {
                position += 1
            }
        }
        throw Failure(message: "string never closed", offset: start - 1)
    }

    mutating func value() throws(Failure) -> Value {
        guard let c = peek() else { throw Failure(message: "missing value", offset: position) }
        switch c {
        case 0x22:
            return .string(try string())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = position
            while position < end, case let d = bytes[position],
                (d >= 0x30 && d <= 0x39) || d == UInt8(ascii: ".") || d == UInt8(ascii: "-") || d == UInt8(ascii: "+")
                    || d == UInt8(ascii: "e") || d == UInt8(ascii: "E")
            {
                position += 1
            }
            return .number(start..<position)
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        case UInt8(ascii: "t"):
            try literal("true")
            return .other
        case UInt8(ascii: "f"):
            try literal("false")
            return .other
        case 0x7B, 0x5B:
            try skipNested()
            return .other
        default:
            throw Failure(message: "unexpected '\(Character(Unicode.Scalar(c)))' where a JSON value belongs", offset: position)
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard position + count <= end,
            (0..<count).allSatisfy({ bytes[position + $0] == word.utf8Start[$0] })
        else { throw Failure(message: "unknown word; expected \(word)", offset: position) }
        position += count
    }

    private mutating func skipNested() throws(Failure) {
        let start = position
        var depth = 0
        while position < end {
            let c = bytes[position]
            switch c {
            case 0x22:
                _ = try string()
                continue
            case 0x7B, 0x5B: depth += 1
            case 0x7D, 0x5D:
                depth -= 1
                if depth == 0 {
                    position += 1
                    return
                }
            default: break
            }
            position += 1
        }
        throw Failure(message: "nested value never closed", offset: start)
    }
}
