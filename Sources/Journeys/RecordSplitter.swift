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
/// For CSV a line feed inside quotes is not a record end: the quote parity before each candidate
/// line feed decides (every block starts outside quotes, because it starts at a record start).
struct RecordSplitter {
    let input: ByteInput
    let quoteAware: Bool
    let blockBytes: Int
    let maxRecordBytes: Int
    private var carry: [UInt8] = []

    init(input: ByteInput, quoteAware: Bool, blockBytes: Int, maxRecordBytes: Int) {
        self.input = input
        self.quoteAware = quoteAware
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
            if let end = Self.lastRecordEnd(in: block, quoteAware: quoteAware) {
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
    static func lastRecordEnd(in bytes: [UInt8], quoteAware: Bool) -> Int? {
        bytes.withUnsafeBytes { raw -> Int? in
            guard let base = raw.baseAddress, raw.count > 0 else { return nil }
            func lastLineFeed(before end: Int) -> Int? {
                let bytes = base.assumingMemoryBound(to: UInt8.self)
                var k = end - 1
                while k >= 0 && bytes[k] != 0x0A { k -= 1 }
                return k >= 0 ? k : nil
            }
            guard quoteAware, memchr(base, 0x22, raw.count) != nil else {
                return lastLineFeed(before: raw.count).map { $0 + 1 }
            }
            var quotes: [Int] = []
            var from = 0
            while from < raw.count, let p = memchr(base + from, 0x22, raw.count - from) {
                let at = base.distance(to: UnsafeRawPointer(p))
                quotes.append(at)
                from = at + 1
            }
            var end = raw.count
            while let lf = lastLineFeed(before: end) {
                // Quotes before `lf`: binary search in the sorted positions.
                var low = 0
                var high = quotes.count
                while low < high {
                    let mid = (low + high) / 2
                    if quotes[mid] < lf { low = mid + 1 } else { high = mid }
                }
                if low % 2 == 0 { return lf + 1 }
                end = lf
            }
            return nil
        }
    }
}
