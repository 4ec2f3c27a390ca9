import ArgumentParser
import Foundation
import Journeys

/// A failure the user caused or can fix: printed as `waypoint: error: …` with exit status 1.
struct CLIFailure: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

extension CLIFailure: LocalizedError {
    var errorDescription: String? { description }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

func formatBytes(_ bytes: Int) -> String {
    if bytes < 1 << 20 { return String(format: "%.1f KB", Double(bytes) / 1e3) }
    if bytes < 1 << 30 { return String(format: "%.1f MB", Double(bytes) / 1e6) }
    return String(format: "%.2f GB", Double(bytes) / 1e9)
}

/// Peak resident memory of this process so far, in bytes.
func peakResidentBytes() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Int(usage.ru_maxrss) * 1024
}

/// Resident memory of this process now, in bytes (from /proc/self/statm; 0 where that is missing).
func currentResidentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

extension String {
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

/// A one-line progress report on standard error, redrawn at most twice a second, only on a terminal.
final class ProgressLine {
    private let enabled = isatty(2) == 1
    private var last = 0.0
    private var shown = false

    func update(_ text: @autoclosure () -> String) {
        guard enabled else { return }
        let now = Date().timeIntervalSince1970
        guard now - last >= 0.5 else { return }
        last = now
        shown = true
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text())".utf8))
    }

    func clear() {
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

/// Writes rejected rows as CSV: line, column, code, reason, record.
final class RejectWriter {
    private let handle: FileHandle
    private var buffer = Data()
    let path: String

    init(path: String) throws {
        self.path = path
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw CLIFailure("cannot create the rejects file \(path)")
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        buffer.append(Data("line,column,code,reason,record\n".utf8))
    }

    func write(_ row: RejectedRow) {
        let fields = [String(row.position.line), row.position.column.map(String.init) ?? "", row.code.description, row.reason]
        var line = fields.map(Self.quote).joined(separator: ",") + ","
        line += Self.quote(String(decoding: row.record, as: UTF8.self))
        buffer.append(Data((line + "\n").utf8))
        if buffer.count > 1 << 20 { flush() }
    }

    private func flush() {
        handle.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        flush()
        try handle.close()
    }

    static func quote(_ field: String) -> String {
        // Bytes, not Characters: grapheme breaking is most of the cost of a per-field check.
        guard field.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
