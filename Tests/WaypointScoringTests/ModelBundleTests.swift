import Foundation
import Testing

@testable import WaypointScoring

@Suite struct ModelBundleTests {
    static func temporaryFolder() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bundle-\(UUID().uuidString)").path
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static let files: [String: Data] = ["markov.json": Data("{\"a\":1}".utf8), "churn.json": Data("abc".utf8)]

    static func written(_ files: [String: Data] = files) throws -> String {
        let dir = temporaryFolder() + "/demo"
        try ModelBundle.write(files, manifest: BundleManifest(waypointVersion: "9.9.9", parameters: ["markov.order": "2"]), to: dir)
        return dir
    }

    func expectRefusal(_ dir: String, file: String, containing text: String) {
        do {
            _ = try ModelBundle.read(from: dir)
            Issue.record("expected a refusal mentioning '\(text)'")
        } catch {
            #expect(error.file == file)
            #expect(error.reason.contains(text), "\(error)")
        }
    }

    @Test func roundTripKeepsBytesAndListsChecksums() throws {
        let dir = try Self.written()
        let bundle = try ModelBundle.read(from: dir)
        #expect(bundle.files == Self.files)
        #expect(bundle.manifest.files.map(\.name) == ["churn.json", "markov.json"])
        // SHA-256("abc"), FIPS 180-2 appendix B.1: what `sha256sum` prints for the file.
        #expect(bundle.manifest.files[0].sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(bundle.manifest.files[0].bytes == 3)
        #expect(bundle.manifest.format == "waypoint-bundle")
        #expect(bundle.manifest.formatVersion == "1.0")
        #expect(bundle.manifest.parameters == ["markov.order": "2"])
        #expect(bundle.manifest.createdAt.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/) != nil)
        #expect(try bundle.file("churn.json") == Data("abc".utf8))
        #expect(throws: BundleError.self) { try bundle.file("nba.json") }
    }

    @Test func replacingABundleLeavesNoTemporaryFolders() throws {
        let dir = try Self.written()
        try ModelBundle.write(["markov.json": Data("new".utf8)], manifest: BundleManifest(waypointVersion: "1"), to: dir)
        let bundle = try ModelBundle.read(from: dir)
        #expect(bundle.files == ["markov.json": Data("new".utf8)])
        let parent = URL(fileURLWithPath: dir).deletingLastPathComponent().path
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["demo"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["manifest.json", "markov.json"])
    }

    @Test func refusesBadNamesAndNonFolderTargets() throws {
        let parent = Self.temporaryFolder()
        for name in ["", ".hidden", "a/b", "manifest.json", "a b", "ü.json"] {
            #expect(throws: BundleError.self) {
                try ModelBundle.write([name: Data()], manifest: BundleManifest(waypointVersion: "1"), to: parent + "/x")
            }
        }
        let file = parent + "/plain"
        FileManager.default.createFile(atPath: file, contents: Data("keep".utf8))
        #expect(throws: BundleError.self) {
            try ModelBundle.write(["a.json": Data()], manifest: BundleManifest(waypointVersion: "1"), to: file)
        }
        #expect(FileManager.default.contents(atPath: file) == Data("keep".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: parent) == ["plain"])
    }

    @Test func refusesMissingFolderAndMissingManifest() throws {
        let parent = Self.temporaryFolder()
        expectRefusal(parent + "/nothing", file: parent + "/nothing", containing: "no such bundle folder")
        expectRefusal(parent, file: parent + "/manifest.json", containing: "not a Waypoint model bundle")
    }

    @Test func refusesDamagedManifests() throws {
        let dir = try Self.written()
        let path = dir + "/manifest.json"
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        func rewrite(_ data: Data) throws { try data.write(to: URL(fileURLWithPath: path)) }

        try rewrite(original.prefix(original.count / 2))
        expectRefusal(dir, file: path, containing: "not valid JSON")
        try rewrite(Data([0xFF, 0xFE, 0x00]))
        expectRefusal(dir, file: path, containing: "not valid JSON")
        try rewrite(Data("{\"format\":\"waypoint-markov\",\"formatVersion\":\"1.0\"}".utf8))
        expectRefusal(dir, file: path, containing: "'waypoint-markov'")
        try rewrite(Data("[1,2]".utf8))
        expectRefusal(dir, file: path, containing: "not valid JSON")
        try rewrite(Data("{\"format\":\"waypoint-bundle\",\"formatVersion\":\"one\"}".utf8))
        expectRefusal(dir, file: path, containing: "formatVersion")
        try rewrite(Data("{\"format\":\"waypoint-bundle\",\"formatVersion\":\"1.0\"}".utf8))
        expectRefusal(dir, file: path, containing: "missing")

        let text = String(decoding: original, as: UTF8.self)
        try rewrite(Data(text.replacingOccurrences(of: "\"1.0\"", with: "\"2.0\"").utf8))
        expectRefusal(dir, file: path, containing: "newer than this build reads (1.x)")
        // A newer minor version of the same major version loads.
        try rewrite(Data(text.replacingOccurrences(of: "\"1.0\"", with: "\"1.7\"").utf8))
        #expect(try ModelBundle.read(from: dir).files == Self.files)
    }

    @Test func refusesMissingTruncatedAndChangedFiles() throws {
        let dir = try Self.written()
        let path = dir + "/markov.json"
        let original = try Data(contentsOf: URL(fileURLWithPath: path))

        try original.prefix(3).write(to: URL(fileURLWithPath: path))
        expectRefusal(dir, file: path, containing: "truncated")
        try (original + Data("x".utf8)).write(to: URL(fileURLWithPath: path))
        expectRefusal(dir, file: path, containing: "changed since it was written")
        var flipped = original
        flipped[2] ^= 0x01
        try flipped.write(to: URL(fileURLWithPath: path))
        expectRefusal(dir, file: path, containing: "checksum mismatch")
        try FileManager.default.removeItem(atPath: path)
        expectRefusal(dir, file: path, containing: "missing")
    }

    @Test func fingerprintHashesTheWholeFile() throws {
        let dir = Self.temporaryFolder()
        let path = dir + "/events.csv"
        // Larger than one 4 MiB read block, so block boundaries are crossed.
        let data = Data((0..<(9 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        try data.write(to: URL(fileURLWithPath: path))
        #expect(try TrainingDataFingerprint.sha256(ofFile: path) == sha256sum(path))
        try Data("abc".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try TrainingDataFingerprint.sha256(ofFile: path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(throws: BundleError.self) { try TrainingDataFingerprint.sha256(ofFile: dir + "/none") }
    }
}

/// What coreutils' `sha256sum` prints for a file: the reference the manifest's checksums are meant to match.
func sha256sum(_ path: String) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    process.arguments = [path]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(String(decoding: output, as: UTF8.self).prefix(64))
}
