import Foundation
import Journeys

/// A scratch folder for one fuzzing process, on tmpfs when there is one (a file per input is cheap there).
public let fuzzScratch: String = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let path = base + "/waypoint-fuzz-\(getpid())"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}()

/// Writes `bytes` to `name` in the scratch folder and returns the path.
public func writeScratch(_ bytes: UnsafeRawBufferPointer, name: String) -> String {
    let path = fuzzScratch + "/" + name
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
}

/// Reads `path` every way the event reader can: whole file and sorted by customer, stopping at the first
/// bad row and with a reject budget, one thread and two, small blocks so records cross block boundaries,
/// with attribute columns. A `JourneyError` is the expected answer to bad input; anything else (a crash,
/// a trap, a sanitizer report, an error of another type) is a finding.
public func readEveryWay(_ path: String, format: EventFormat) {
    for (threads, maxErrors) in [(1, 0), (2, 1_000)] {
        var options = EventReaderOptions()
        options.format = format
        options.threads = threads
        options.maxErrors = maxErrors
        options.blockBytes = 4096
        options.maxRecordBytes = 2048
        options.attributeColumns = [AttributeColumn(name: "segment", isNumeric: false), AttributeColumn(name: "tenure", isNumeric: true)]
        var rejected = 0
        do {
            let (store, report) = try EventReader.read(path: path, options: options, onReject: { _ in rejected += 1 })
            precondition(report.rowsRead == report.rowsKept + report.rowsRejected, "rows read \(report.rowsRead) != kept + rejected")
            precondition(report.rowsKept == store.count, "kept \(report.rowsKept) rows but the store holds \(store.count)")
            precondition(rejected == report.rowsRejected, "\(rejected) rejects reported, \(report.rowsRejected) counted")
            precondition(store.customerOffsets.last == store.count, "customer offsets do not cover the events")
        } catch {
            // A JourneyError (the only error `read` can throw): the expected answer to bad input.
        }
        do {
            var events = 0
            let report = try EventReader.readByCustomer(path: path, options: options, batchEvents: 3) { batch in events += batch.count }
            precondition(events == report.rowsKept, "batches hold \(events) events, \(report.rowsKept) kept")
        } catch is JourneyError {
        } catch {
            preconditionFailure("EventReader.readByCustomer threw \(type(of: error)): \(error)")
        }
    }
}

@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ test: @convention(c) (UnsafeRawPointer, Int) -> CInt
) -> CInt

/// Runs libFuzzer on `test` with the process's arguments and exits with its status.
///
/// SwiftPM links an executable's entry point as `main`, so libFuzzer's own `main` is not used; this hands
/// control to its driver instead (the targets are built with `-sanitize=fuzzer`, which links libFuzzer).
public func runFuzzer(_ test: @convention(c) (UnsafeRawPointer, Int) -> CInt) -> Never {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, test))
}
