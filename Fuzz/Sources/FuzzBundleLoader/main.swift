import Foundation
import FuzzSupport
import WaypointScoring

/// The demo bundle's files (`WAYPOINT_FUZZ_BUNDLE`, default `models/demo` from the repository root), in
/// static storage (top-level variables of main.swift are not leak-checker roots).
enum Demo {
    static let bundle: (files: [String: Data], manifest: Data) = {
    let directory = ProcessInfo.processInfo.environment["WAYPOINT_FUZZ_BUNDLE"] ?? "models/demo"
    guard let bundle = try? ModelBundle.read(from: directory) else {
        fatalError("FuzzBundleLoader needs a readable bundle at \(directory) (set WAYPOINT_FUZZ_BUNDLE)")
    }
    var files: [String: Data] = [:]
    for entry in bundle.manifest.files { files[entry.name] = try? bundle.file(entry.name) }
    return (files, FileManager.default.contents(atPath: directory + "/manifest.json") ?? Data())
    }()
    static let names = bundle.files.keys.sorted()
}

/// The first byte picks the file the rest replaces. Byte 0: the manifest itself, with the demo's model
/// files beside it (refusals: bad JSON, format, version, sizes, checksums). Otherwise one model file,
/// written as a proper bundle (checksums recomputed) so its decoder and the scorer's checks are reached;
/// a bundle that loads then scores a customer. A `BundleError` is the expected answer to a bad bundle.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBundleLoader(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    let contents = Data(bytes.dropFirst())
    let directory = fuzzScratch + "/bundle"
    let selector = Int(bytes[0]) % (Demo.names.count + 1)
    if selector == 0 {
        try? FileManager.default.removeItem(atPath: directory)
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for (name, data) in Demo.bundle.files { FileManager.default.createFile(atPath: directory + "/" + name, contents: data) }
        FileManager.default.createFile(atPath: directory + "/manifest.json", contents: contents)
    } else {
        var files = Demo.bundle.files
        files[Demo.names[selector - 1]] = contents
        let manifest = BundleManifest(waypointVersion: "fuzz")
        do { try ModelBundle.write(files, manifest: manifest, to: directory) } catch {
            preconditionFailure("cannot write the fuzz bundle: \(error)")
        }
    }
    do {
        let scorer = try Scorer(bundle: directory)
        var state = scorer.newCustomer("c1", attributes: ["segment": "loyalist", "tenure_days": "30"])
        try scorer.record(TouchEvent(time: 1_704_067_200_000_000, channel: "email", event: "view"), into: &state)
        try scorer.record(TouchEvent(time: 1_704_153_600_000_000, channel: "web", event: "purchase", value: 20), into: &state)
        _ = scorer.score(state, at: 1_704_240_000_000_000)
    } catch is BundleError {
    } catch is ScoringError {
    } catch {
        preconditionFailure("loading or scoring threw \(type(of: error)): \(error)")
    }
    return 0
}

runFuzzer(fuzzBundleLoader)
