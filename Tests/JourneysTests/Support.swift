import Foundation
import Testing

@testable import Journeys

// MARK: - Temporary input files

/// A directory of its own for this test process; inputs are written here, each under a fresh name.
/// It is removed when the process exits.
let scratchDirectory: String = {
    let path = FileManager.default.temporaryDirectory.path + "/JourneysTests-\(getpid())-\(UUID().uuidString.prefix(8))"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    atexit { try? FileManager.default.removeItem(atPath: scratchDirectory) }
    return path
}()

/// Writes `bytes` to a new file (name ending in `.ext`) and returns its path.
func writeInput(_ bytes: [UInt8], ext: String = "csv") throws -> String {
    let path = scratchDirectory + "/\(UUID().uuidString).\(ext)"
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

func writeInput(_ text: String, ext: String = "csv") throws -> String {
    try writeInput(Array(text.utf8), ext: ext)
}

/// Runs `body` with a file holding `bytes`, removing the file afterwards (for the large inputs).
func withInput<R>(_ bytes: [UInt8], ext: String = "csv", _ body: (String) throws -> R) throws -> R {
    let path = try writeInput(bytes, ext: ext)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

// MARK: - Reading

/// Reader options for tests: one thread unless a test says otherwise, so failures are easy to follow.
func options(_ configure: (inout EventReaderOptions) -> Void = { _ in }) -> EventReaderOptions {
    var o = EventReaderOptions()
    o.threads = 1
    configure(&o)
    return o
}

/// Reads `text` written to a new file.
func read(
    _ text: String, ext: String = "csv", options o: EventReaderOptions = options()
) throws -> (store: EventStore, report: EventReadReport) {
    try EventReader.read(path: try writeInput(text, ext: ext), options: o)
}

/// Reads `bytes` expecting a `JourneyError` with `code` at `line`:`column` (`column: nil`: no column),
/// whose message holds each of `fragments`. Returns the error for further checks.
@discardableResult
func expectReadError(
    _ bytes: [UInt8], ext: String = "csv", options o: EventReaderOptions = options(),
    _ code: JourneyError.Code, line: Int, column: Int?, messageContains fragments: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> JourneyError? {
    let path = try writeInput(bytes, ext: ext)
    let error = #expect(throws: JourneyError.self, sourceLocation: sourceLocation) {
        _ = try EventReader.read(path: path, options: o)
    }
    guard let error else { return nil }
    expectError(error, code, file: path, line: line, column: column, messageContains: fragments, sourceLocation: sourceLocation)
    return error
}

@discardableResult
func expectReadError(
    _ text: String, ext: String = "csv", options o: EventReaderOptions = options(),
    _ code: JourneyError.Code, line: Int, column: Int?, messageContains fragments: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation
) throws -> JourneyError? {
    try expectReadError(
        Array(text.utf8), ext: ext, options: o, code, line: line, column: column, messageContains: fragments,
        sourceLocation: sourceLocation)
}

/// Checks an error's code, position and message, and that `description` reads `file:line:column: message`.
func expectError(
    _ error: JourneyError, _ code: JourneyError.Code, file: String, line: Int, column: Int?,
    messageContains fragments: [String] = [], sourceLocation: SourceLocation = #_sourceLocation
) {
    #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    #expect(error.position == InputPosition(file: file, line: line, column: column), "\(error)", sourceLocation: sourceLocation)
    let prefix = column.map { "\(file):\(line):\($0): " } ?? "\(file):\(line): "
    #expect(error.description.hasPrefix(prefix), "\(error)", sourceLocation: sourceLocation)
    #expect(!error.message.isEmpty, sourceLocation: sourceLocation)
    for fragment in fragments {
        #expect(error.message.contains(fragment), "message lacks '\(fragment)': \(error.message)", sourceLocation: sourceLocation)
    }
}

// MARK: - Looking at a store

extension EventStore {
    /// Each event as `customer channel event`, in store order: easy to compare with what a test expects.
    var lines: [String] {
        (0..<customerCount).flatMap { c in
            events(of: c).map { "\(customerIDs[c]) \(channelNames[Int(channels[$0])]) \(eventTypeNames[Int(eventTypes[$0])])" }
        }
    }

    /// The customer id of each event, in store order.
    var customerOfEvent: [String] {
        (0..<customerCount).flatMap { c in events(of: c).map { _ in customerIDs[c] } }
    }

    func channelName(_ event: Int) -> String { channelNames[Int(channels[event])] }
    func eventTypeName(_ event: Int) -> String { eventTypeNames[Int(eventTypes[event])] }
    func actionName(_ event: Int) -> String? {
        guard let code = actions?[event], code > 0 else { return nil }
        return actionNames[Int(code) - 1]
    }
}

/// Every column of two stores equal (propensities compared bit for bit, so NaN equals NaN).
func expectSameStore(_ a: EventStore, _ b: EventStore, sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(Array(a.customerIDs) == Array(b.customerIDs), sourceLocation: sourceLocation)
    #expect(Array(a.channelNames) == Array(b.channelNames), sourceLocation: sourceLocation)
    #expect(Array(a.eventTypeNames) == Array(b.eventTypeNames), sourceLocation: sourceLocation)
    #expect(Array(a.actionNames) == Array(b.actionNames), sourceLocation: sourceLocation)
    #expect(a.customerOffsets == b.customerOffsets, sourceLocation: sourceLocation)
    #expect(a.timestamps == b.timestamps, sourceLocation: sourceLocation)
    #expect(a.channels == b.channels, sourceLocation: sourceLocation)
    #expect(a.eventTypes == b.eventTypes, sourceLocation: sourceLocation)
    #expect(a.actions == b.actions, sourceLocation: sourceLocation)
    #expect(a.values?.map(\.bitPattern) == b.values?.map(\.bitPattern), sourceLocation: sourceLocation)
    #expect(a.propensities?.map(\.bitPattern) == b.propensities?.map(\.bitPattern), sourceLocation: sourceLocation)
}

// MARK: - Randomness

// SplitMix64 comes from Journeys (package access).

/// Microseconds of whole seconds since the epoch.
func micros(_ seconds: Int64) -> Int64 { seconds * 1_000_000 }

/// Well-known instants, in microseconds (checked against Python's `datetime`).
enum Instant {
    static let jan1: Int64 = 1_704_067_200_000_000  // 2024-01-01T00:00:00Z
    static let jan2: Int64 = 1_704_153_600_000_000
    static let jan3: Int64 = 1_704_240_000_000_000
    static let day: Int64 = 86_400_000_000
}
