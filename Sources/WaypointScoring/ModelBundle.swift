import Crypto
import Foundation
import Journeys

#if canImport(Glibc)
import Glibc
#endif

/// The manifest of a model bundle: what made it, from which data, and a checksum for every file.
///
/// A bundle is a folder holding `manifest.json` and one file per model. ``ModelBundle`` writes and
/// reads it; the manifest is written last, so a folder whose manifest lists a file vouches for it.
public struct BundleManifest: Sendable, Codable, Equatable {
    /// The format's name, checked on load.
    public static let formatName = "waypoint-bundle"
    /// The format version this build writes, `major.minor`. A reader accepts any minor version of its
    /// major version (minor versions only add optional fields) and refuses a newer major version.
    public static let currentFormatVersion = "1.0"

    /// One file of the bundle.
    public struct File: Sendable, Codable, Equatable {
        /// The file's name inside the bundle folder.
        public var name: String
        /// Its size in bytes.
        public var bytes: Int
        /// Lowercase hex SHA-256 of its contents (what `sha256sum` prints).
        public var sha256: String
    }

    /// Always ``formatName``.
    public var format: String
    /// `major.minor`; see ``currentFormatVersion``.
    public var formatVersion: String
    /// The Waypoint version that wrote the bundle.
    public var waypointVersion: String
    /// When the bundle was written, ISO 8601 UTC. Taken from `SOURCE_DATE_EPOCH` when that is set, so
    /// a rebuild can give identical bytes.
    public var createdAt: String
    /// What the models were trained on; nil when they were not trained from a log (tests).
    public var trainingData: TrainingDataFingerprint?
    /// Training parameters, by name, as people write them (`markov.order: 2`).
    public var parameters: [String: String]
    /// Metrics measured at training time, by name (`churn.heldout_roc_auc`).
    public var metrics: [String: Double]
    /// Every model file, sorted by name.
    public var files: [File]

    /// A manifest for a bundle about to be written; ``ModelBundle/write(_:manifest:to:)`` fills in the
    /// format, the files and (unless set) the creation time.
    public init(
        waypointVersion: String, trainingData: TrainingDataFingerprint? = nil, parameters: [String: String] = [:],
        metrics: [String: Double] = [:]
    ) {
        format = Self.formatName
        formatVersion = Self.currentFormatVersion
        self.waypointVersion = waypointVersion
        createdAt = ""
        self.trainingData = trainingData
        self.parameters = parameters
        self.metrics = metrics
        files = []
    }
}

/// What a bundle's models were trained on, so a model can be traced back to its data.
public struct TrainingDataFingerprint: Sendable, Codable, Equatable {
    /// The input as the user named it (a path, or `-` for standard input).
    public var source: String
    /// Event rows used.
    public var rows: Int
    /// Distinct customers.
    public var customers: Int
    /// The earliest and the latest event, ISO 8601 UTC; nil for an empty log.
    public var firstEvent: String?
    /// See `firstEvent`.
    public var lastEvent: String?
    /// Lowercase hex SHA-256 of the input's bytes.
    public var sha256: String

    /// A fingerprint from its parts.
    public init(source: String, rows: Int, customers: Int, firstEvent: String?, lastEvent: String?, sha256: String) {
        self.source = source
        self.rows = rows
        self.customers = customers
        self.firstEvent = firstEvent
        self.lastEvent = lastEvent
        self.sha256 = sha256
    }

    /// Lowercase hex SHA-256 of a file's contents, read in 4 MiB blocks.
    ///
    /// - Throws: ``BundleError`` naming the file if it cannot be opened or read.
    public static func sha256(ofFile path: String) throws(BundleError) -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw BundleError(file: path, reason: "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var hasher = SHA256()
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: 4 << 20, alignment: 16)
        defer { block.deallocate() }
        while true {
            let n = read(fd, block.baseAddress, block.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw BundleError(file: path, reason: "cannot read: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: block[0..<n]))
        }
        return hex(hasher.finalize())
    }
}

/// Why a bundle could not be written or read: the file concerned and the reason.
public struct BundleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path of the file (or folder) concerned.
    public var file: String
    /// What is wrong with it, for people.
    public var reason: String

    /// An error about `file`.
    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String { "\(file): \(reason)" }
}

/// A bundle read back from disk: its manifest and the verified contents of every file it lists.
public struct LoadedBundle: Sendable {
    /// The folder it was read from.
    public var directory: String
    /// Its manifest.
    public var manifest: BundleManifest
    /// File contents by name; each has the size and SHA-256 its manifest entry states.
    public var files: [String: Data]

    /// The contents of `name`.
    ///
    /// - Throws: ``BundleError`` when the bundle has no such file (a bundle trained without that model).
    public func file(_ name: String) throws(BundleError) -> Data {
        guard let data = files[name] else {
            throw BundleError(file: directory + "/" + name, reason: "the bundle has no '\(name)' (its manifest lists \(files.keys.sorted().joined(separator: ", ")))")
        }
        return data
    }
}

/// Writes and reads model bundles: a folder with `manifest.json` and one file per model.
///
/// ```swift
/// let manifest = BundleManifest(waypointVersion: "0.2.0", parameters: ["markov.order": "2"])
/// try ModelBundle.write(["markov.json": markovData], manifest: manifest, to: "models/demo")
/// let bundle = try ModelBundle.read(from: "models/demo")   // every checksum verified
/// ```
///
/// Writing is atomic: the files go to a hidden temporary folder beside the target, are flushed to disk,
/// and the folder is then renamed into place (exchanged with an existing bundle in one step where the
/// file system allows it). A crash leaves either the old bundle or the new one under the final name,
/// never half of one.
public enum ModelBundle {
    /// The manifest's file name.
    public static let manifestName = "manifest.json"

    /// Writes `files` and the manifest into the folder `directory`, replacing a bundle already there.
    ///
    /// - Parameters:
    ///   - files: contents by file name; names use only letters, digits, `.`, `_` and `-`, do not start
    ///     with `.`, and are not `manifest.json`.
    ///   - manifest: parameters, metrics and fingerprint to record; its `files` are filled in here, and
    ///     `createdAt` too unless already set.
    /// - Returns: the manifest as written.
    /// - Throws: ``BundleError`` for a bad file name, or naming the file that could not be written,
    ///   flushed or renamed; `directory` is then unchanged.
    @discardableResult
    public static func write(_ files: [String: Data], manifest: BundleManifest, to directory: String) throws(BundleError) -> BundleManifest {
        for name in files.keys where !isValidName(name) {
            throw BundleError(file: name, reason: "not a valid bundle file name (letters, digits, '.', '_', '-'; not starting with '.'; not \(manifestName))")
        }
        var manifest = manifest
        manifest.format = BundleManifest.formatName
        manifest.formatVersion = BundleManifest.currentFormatVersion
        if manifest.createdAt.isEmpty { manifest.createdAt = creationTime() }
        manifest.files = files.keys.sorted().map { name in
            let data = files[name]!
            return BundleManifest.File(name: name, bytes: data.count, sha256: hex(SHA256.hash(data: data)))
        }
        let manifestData: Data
        do { manifestData = try encode(manifest) } catch {
            throw BundleError(file: manifestName, reason: "cannot encode: \(error)")
        }

        let target = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        let url = URL(fileURLWithPath: target)
        let parent = url.deletingLastPathComponent().path
        let base = url.lastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw BundleError(file: parent, reason: "cannot create the parent folder: \(error.localizedDescription)")
        }
        removeStalePartials(of: base, in: parent)
        let temporary = parent + "/.\(base).partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        guard mkdir(temporary, 0o755) == 0 else {
            throw BundleError(file: temporary, reason: "cannot create: \(String(cString: strerror(errno)))")
        }
        var published = false
        defer { if !published { removeTree(temporary) } }
        for file in manifest.files { try writeFlushed(files[file.name]!, to: temporary + "/" + file.name) }
        // The manifest last: a folder whose manifest exists has all its files.
        try writeFlushed(manifestData, to: temporary + "/" + manifestName)
        try flushDirectory(temporary)

        var existing = stat()
        if lstat(target, &existing) == 0 {
            guard (existing.st_mode & S_IFMT) == S_IFDIR else {
                throw BundleError(file: target, reason: "exists and is not a folder; not replacing it")
            }
            if exchange(temporary, target) {
                published = true  // `temporary` now holds the old bundle
                removeTree(temporary)
            } else {
                // No atomic exchange on this file system: move the old bundle aside, then the new one in.
                let old = parent + "/.\(base).old-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
                guard rename(target, old) == 0 else {
                    throw BundleError(file: target, reason: "cannot move the old bundle aside: \(String(cString: strerror(errno)))")
                }
                guard rename(temporary, target) == 0 else {
                    let reason = String(cString: strerror(errno))
                    _ = rename(old, target)
                    throw BundleError(file: target, reason: "cannot rename the new bundle into place: \(reason)")
                }
                published = true
                removeTree(old)
            }
        } else {
            guard rename(temporary, target) == 0 else {
                throw BundleError(file: target, reason: "cannot rename \(temporary) into place: \(String(cString: strerror(errno)))")
            }
            published = true
        }
        try flushDirectory(parent)
        return manifest
    }

    /// Reads the bundle in `directory` and verifies every file its manifest lists.
    ///
    /// - Throws: ``BundleError`` naming the file and the reason: no manifest (not a bundle), a manifest
    ///   that is not valid JSON (truncated or damaged), another format, a newer major format version, a
    ///   listed file that is missing, has another size (truncated) or another SHA-256 (damaged or
    ///   edited since it was written).
    public static func read(from directory: String) throws(BundleError) -> LoadedBundle {
        let manifestPath = directory + "/" + manifestName
        var info = stat()
        guard stat(directory, &info) == 0 else {
            throw BundleError(file: directory, reason: "no such bundle folder: \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR else { throw BundleError(file: directory, reason: "not a folder; a bundle is a folder with \(manifestName)") }
        guard let manifestData = FileManager.default.contents(atPath: manifestPath) else {
            throw BundleError(file: manifestPath, reason: "missing or unreadable: \(directory) is not a Waypoint model bundle")
        }
        struct Header: Decodable {
            var format: String?
            var formatVersion: String?
        }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: manifestData) } catch {
            throw BundleError(file: manifestPath, reason: "not valid JSON (truncated or damaged?)")
        }
        guard header.format == BundleManifest.formatName else {
            throw BundleError(
                file: manifestPath,
                reason: header.format.map { "holds a '\($0)' file, expected '\(BundleManifest.formatName)'" } ?? "no 'format' field: not a Waypoint bundle manifest")
        }
        guard let version = header.formatVersion, let major = majorVersion(version) else {
            throw BundleError(file: manifestPath, reason: "no valid 'formatVersion' (expected major.minor, like \(BundleManifest.currentFormatVersion))")
        }
        let supported = majorVersion(BundleManifest.currentFormatVersion)!
        guard major <= supported else {
            throw BundleError(
                file: manifestPath,
                reason: "bundle format \(version) is newer than this build reads (\(supported).x): update Waypoint to load it")
        }
        let manifest: BundleManifest
        do { manifest = try JSONDecoder().decode(BundleManifest.self, from: manifestData) } catch {
            throw BundleError(file: manifestPath, reason: "manifest fields missing or mistyped: \(describe(error))")
        }
        var files: [String: Data] = [:]
        for entry in manifest.files {
            let path = directory + "/" + entry.name
            guard isValidName(entry.name) else { throw BundleError(file: manifestPath, reason: "lists an invalid file name '\(entry.name)'") }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw BundleError(file: path, reason: "listed in the manifest but missing or unreadable")
            }
            guard data.count == entry.bytes else {
                throw BundleError(
                    file: path,
                    reason: "has \(data.count) bytes, the manifest says \(entry.bytes): \(data.count < entry.bytes ? "truncated" : "changed since it was written")")
            }
            let digest = hex(SHA256.hash(data: data))
            guard digest == entry.sha256 else {
                throw BundleError(file: path, reason: "checksum mismatch (SHA-256 \(digest), manifest says \(entry.sha256)): damaged or edited since it was written")
            }
            files[entry.name] = data
        }
        return LoadedBundle(directory: directory, manifest: manifest, files: files)
    }

    /// Sorted-key JSON, pretty-printed: the same value gives the same bytes.
    static func encode(_ manifest: BundleManifest) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(manifest) + Data("\n".utf8)
    }

    static func isValidName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 255, name != manifestName, !name.hasPrefix(".") else { return false }
        return name.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E || c == 0x5F || c == 0x2D
        }
    }

    static func majorVersion(_ version: String) -> Int? {
        let parts = version.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let major = Int(parts[0]), Int(parts[1]) != nil, major >= 0 else { return nil }
        return major
    }

    /// `SOURCE_DATE_EPOCH` (seconds) if set and valid, else now; ISO 8601 UTC to the second.
    static func creationTime() -> String {
        var seconds = Int64(time(nil))
        if let text = ProcessInfo.processInfo.environment["SOURCE_DATE_EPOCH"], let value = Int64(text) { seconds = value }
        return TimestampFormat.iso8601(seconds * 1_000_000)
    }

    private static func writeFlushed(_ data: Data, to path: String) throws(BundleError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw BundleError(file: path, reason: "cannot create: \(String(cString: strerror(errno)))") }
        var failure: String?
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = "cannot write: \(String(cString: strerror(errno)))"
                    return
                }
                offset += n
            }
        }
        if failure == nil && fsync(fd) != 0 { failure = "cannot flush to disk: \(String(cString: strerror(errno)))" }
        if close(fd) != 0 && failure == nil { failure = "cannot close: \(String(cString: strerror(errno)))" }
        if let failure { throw BundleError(file: path, reason: failure) }
    }

    private static func flushDirectory(_ path: String) throws(BundleError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw BundleError(file: path, reason: "cannot open to flush: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        // Some file systems refuse fsync on a folder (EINVAL); the rename is then as durable as they allow.
        if fsync(fd) != 0 && errno != EINVAL {
            throw BundleError(file: path, reason: "cannot flush to disk: \(String(cString: strerror(errno)))")
        }
    }

    /// Swaps two paths in one step (Linux `renameat2` with `RENAME_EXCHANGE`); false where unsupported.
    private static func exchange(_ a: String, _ b: String) -> Bool {
        #if os(Linux)
        return linuxRenameat2(AT_FDCWD, a, AT_FDCWD, b, 2 /* RENAME_EXCHANGE */) == 0
        #else
        return false
        #endif
    }

    private static func removeTree(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    private static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): return "missing '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "'\(context.codingPath.map(\.stringValue).joined(separator: "."))': \(context.debugDescription)"
        case DecodingError.dataCorrupted(let context): return context.debugDescription
        default: return "\(error)"
        }
    }
}

/// Removes `.NAME.partial-PID…` files and folders in `folder` left by a writer of `NAME` that is no longer
/// running (killed mid-write): their process id is not alive. Partials of live processes stay.
package func removeStalePartials(of name: String, in folder: String) {
    let prefix = ".\(name).partial-"
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
    for entry in entries where entry.hasPrefix(prefix) {
        guard let pid = Int32(entry.dropFirst(prefix.count).prefix { $0.isASCII && $0.isNumber }), pid > 0 else { continue }
        if kill(pid, 0) != 0 && errno == ESRCH {
            try? FileManager.default.removeItem(atPath: folder + "/" + entry)
        }
    }
}

/// Lowercase hex of a digest.
func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in digest {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 15)])
    }
    return String(decoding: out, as: UTF8.self)
}

#if os(Linux)
/// glibc's `renameat2` (2.28+), which the Glibc module does not export.
@_silgen_name("renameat2")
private func linuxRenameat2(_ olddirfd: Int32, _ oldpath: UnsafePointer<CChar>, _ newdirfd: Int32, _ newpath: UnsafePointer<CChar>, _ flags: UInt32) -> Int32
#endif
