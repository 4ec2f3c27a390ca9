#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An open input: a file or standard input, read with `read(2)` into blocks.
///
/// Streaming with a fixed block size (rather than mapping the file) keeps resident memory
/// independent of the input's size.
final class ByteInput {
    let name: String
    private let fd: Int32
    private let ownsDescriptor: Bool
    /// Size of a regular file, nil for pipes and terminals.
    let fileSize: Int?
    private(set) var atEnd = false
    private(set) var bytesRead = 0

    /// `path == "-"` reads standard input.
    init(path: String) throws(JourneyError) {
        if path == "-" {
            name = "<stdin>"
            fd = 0
            ownsDescriptor = false
        } else {
            name = path
            fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                throw JourneyError(.cannotRead, "\(path): cannot open: \(String(cString: strerror(errno)))")
            }
            ownsDescriptor = true
        }
        var info = stat()
        if fstat(fd, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG {
            fileSize = Int(info.st_size)
        } else if (info.st_mode & S_IFMT) == S_IFDIR {
            if ownsDescriptor { close(fd) }
            throw JourneyError(.cannotRead, "\(path): is a directory, not a file")
        } else {
            fileSize = nil
        }
    }

    deinit { if ownsDescriptor { close(fd) } }

    /// A new buffer holding `prefix` followed by up to `count` bytes read; fewer only at the end.
    func read(after prefix: ArraySlice<UInt8>, count: Int) throws(JourneyError) -> [UInt8] {
        var failure: Int32 = 0
        let buffer = [UInt8](unsafeUninitializedCapacity: prefix.count + count) { buffer, initialized in
            _ = buffer.initialize(from: prefix)
            initialized = prefix.count
            while initialized < buffer.count {
                let n = Glibc.read(fd, buffer.baseAddress! + initialized, buffer.count - initialized)
                if n > 0 {
                    initialized += n
                } else if n == 0 {
                    atEnd = true
                    break
                } else if errno != EINTR {
                    failure = errno
                    break
                }
            }
        }
        if failure != 0 {
            throw JourneyError(.cannotRead, "\(name): read failed: \(String(cString: strerror(failure)))")
        }
        bytesRead += buffer.count - prefix.count
        return buffer
    }
}

/// A piece of input handed to a parser.
enum InputPiece {
    /// Whole records, the last ending with a line feed unless it ends the input.
    case records([UInt8])
    /// One record longer than the limit, skipped up to the next line feed: its first bytes, its
    /// length, and the line feeds it held.
    case oversized(prefix: [UInt8], length: Int, lineFeeds: Int)
}

/// Cuts the input into blocks of whole records, so blocks can be parsed independently.
///
/// For CSV a line feed inside quotes is not a record end: the quotes are followed the way
/// `BlockParser` reads them (every block starts outside quotes, because it starts at a record start).
struct RecordSplitter {
    let input: ByteInput
    let quoteAware: Bool
    let separator: UInt8
    let blockBytes: Int
    let maxRecordBytes: Int
    private var carry: [UInt8] = []
    /// Nothing read yet: a UTF-8 byte order mark at the start is dropped (CSV and NDJSON alike).
    private var atStart = true

    init(input: ByteInput, quoteAware: Bool, separator: UInt8, blockBytes: Int, maxRecordBytes: Int) {
        self.input = input
        self.quoteAware = quoteAware
        self.separator = separator
        self.blockBytes = blockBytes
        self.maxRecordBytes = maxRecordBytes
    }

    /// Puts bytes back in front of the input (the reader takes the header this way).
    mutating func unread(_ bytes: ArraySlice<UInt8>) { carry = Array(bytes) + carry }

    mutating func next() throws(JourneyError) -> InputPiece? {
        while true {
            if input.atEnd {
                guard !carry.isEmpty else { return nil }
                defer { carry = [] }
                return .records(carry)
            }
            var block = try input.read(after: carry[...], count: blockBytes)
            if atStart {
                atStart = false
                if block.starts(with: [0xEF, 0xBB, 0xBF]) { block.removeFirst(3) }
            }
            if let end = Self.lastRecordEnd(in: block, quoteAware: quoteAware, separator: separator) {
                carry = Array(block[end...])
                block.removeSubrange(end...)
                return .records(block)
            }
            carry = block
            if carry.count > maxRecordBytes { return try skipOversized() }
        }
    }

    /// Skips the record at the start of `carry` to the first line feed after the limit.
    private mutating func skipOversized() throws(JourneyError) -> InputPiece {
        let prefix = Array(carry.prefix(64 << 10))
        var length = 0
        var lineFeeds = 0
        var searchFrom = maxRecordBytes
        while true {
            if let lf = Self.firstByte(0x0A, in: carry, from: min(searchFrom, carry.count)) {
                lineFeeds += Self.countLineFeeds(carry[..<(lf + 1)])
                length += lf + 1
                carry = Array(carry[(lf + 1)...])
                return .oversized(prefix: prefix, length: length, lineFeeds: lineFeeds)
            }
            lineFeeds += Self.countLineFeeds(carry[...])
            length += carry.count
            searchFrom = 0
            if input.atEnd {
                carry = []
                return .oversized(prefix: prefix, length: length, lineFeeds: lineFeeds)
            }
            carry = try input.read(after: [], count: blockBytes)
        }
    }

    static func firstByte(_ byte: UInt8, in bytes: [UInt8], from start: Int) -> Int? {
        bytes.withUnsafeBytes { raw -> Int? in
            guard start < raw.count, let p = memchr(raw.baseAddress! + start, Int32(byte), raw.count - start) else {
                return nil
            }
            return raw.baseAddress!.distance(to: UnsafeRawPointer(p))
        }
    }

    static func countLineFeeds(_ bytes: ArraySlice<UInt8>) -> Int {
        bytes.withUnsafeBytes { raw -> Int in
            var count = 0
            var p = raw.baseAddress
            var remaining = raw.count
            while let start = p, remaining > 0, let hit = memchr(start, 0x0A, remaining) {
                count += 1
                let consumed = start.distance(to: UnsafeRawPointer(hit)) + 1
                p = start + consumed
                remaining -= consumed
            }
            return count
        }
    }

    /// Index just past the last line feed that ends a record, or nil.
    ///
    /// For CSV, quotes count as `BlockParser` counts them: a quote opens a quoted field only at the
    /// start of a field (at the block's start or after a separator or line feed); inside, a doubled
    /// quote is text. A quote anywhere else, or text after a closing quote, is an error after which the
    /// parser skips to the next line feed, so the quotes up to it do not count. (Counting quote parity
    /// instead lets one stray quote, `27" monitor`, flip every later line feed: blocks are then cut
    /// inside quoted fields, or not at all until the record-length limit.)
    static func lastRecordEnd(in bytes: [UInt8], quoteAware: Bool, separator: UInt8) -> Int? {
        bytes.withUnsafeBytes { raw -> Int? in
            guard let base = raw.baseAddress, raw.count > 0 else { return nil }
            let b = base.assumingMemoryBound(to: UInt8.self)
            let n = raw.count
            func find(_ byte: UInt8, in range: Range<Int>) -> Int? {
                guard !range.isEmpty, let p = memchr(base + range.lowerBound, Int32(byte), range.count) else { return nil }
                return base.distance(to: UnsafeRawPointer(p))
            }
            func lastLineFeed(in range: Range<Int>) -> Int? {
                var k = range.upperBound - 1
                while k >= range.lowerBound && b[k] != 0x0A { k -= 1 }
                return k >= range.lowerBound ? k + 1 : nil
            }
            guard quoteAware, find(0x22, in: 0..<n) != nil else { return lastLineFeed(in: 0..<n) }
            // Line feeds outside quoted fields end records; keep the last stretch outside quotes that has one.
            var lastWithLineFeed: Range<Int>? = nil
            var start = 0  // where the current stretch outside quotes began
            var from = 0  // where the next quote that counts may be
            scan: while let q = find(0x22, in: from..<n) {
                if q > 0 && b[q - 1] != separator && b[q - 1] != 0x0A {
                    // A stray quote: the parser skips to the next line feed.
                    guard let lf = find(0x0A, in: q..<n) else { break scan }
                    from = lf + 1
                    continue
                }
                if find(0x0A, in: start..<q) != nil { lastWithLineFeed = start..<q }
                var k = q + 1
                while true {
                    // No closing quote in the block: every later line feed is inside the field.
                    guard let close = find(0x22, in: k..<n) else { return lastWithLineFeed.flatMap(lastLineFeed) }
                    if close + 1 < n && b[close + 1] == 0x22 {
                        k = close + 2
                        continue
                    }
                    start = close + 1
                    from = start
                    if start < n {
                        let next = b[start]
                        let fieldEnds = next == separator || next == 0x0A || (next == 0x0D && (start + 1 == n || b[start + 1] == 0x0A))
                        if !fieldEnds {
                            // Text after the closing quote: the parser skips to the next line feed.
                            guard let lf = find(0x0A, in: start..<n) else { break scan }
                            from = lf + 1
                        }
                    }
                    continue scan
                }
            }
            if find(0x0A, in: start..<n) != nil { lastWithLineFeed = start..<n }
            return lastWithLineFeed.flatMap(lastLineFeed)
        }
    }
}
