import Decisioning
import Features
import Foundation
import Logistic
import Markov

/// A logistic model file of a bundle, version 1: the model and the feature names it was fitted on
/// (checked against the bundle's feature schema on load).
struct LogisticFileV1: Codable {
    static let format = "waypoint-logistic"
    var format = Self.format
    var version = 1
    /// `churn` or `conversion`.
    var target: String
    var featureNames: [String]
    var model: LogisticModel
}

/// The next-best-action file of a bundle, version 1: the catalog and the uplift model fitted for it.
struct NBAFileV1: Codable {
    static let format = "waypoint-nba"
    var format = Self.format
    var version = 1
    var catalog: ActionCatalog
    var uplift: UpliftModel
}

/// The first two fields of every model file.
struct FileHeader: Decodable {
    var format: String
    var version: Int
}

/// The feature schema file of a bundle, version 1.
struct FeaturesFileV1: Codable {
    static let format = "waypoint-features"
    var format = Self.format
    var version = 1
    var schema: FeatureSchema
}

/// The training configuration file of a bundle, version 1.
struct TrainingFileV1: Codable {
    static let format = "waypoint-training"
    var format = Self.format
    var version = 1
    var configuration: TrainingConfiguration
}

extension TrainedModels {
    /// The bundle's file names.
    enum FileName {
        static let training = "training.json"
        static let markov = "markov.json"
        static let features = "features.json"
        static let churn = "churn.json"
        static let conversion = "conversion.json"
        static let nba = "nba.json"
    }

    /// One file per model, ready for `ModelBundle.write`: sorted-key JSON, Doubles in shortest
    /// round-trip form, so loading gives back the same models bit for bit and the same models give the
    /// same bytes.
    ///
    /// - Throws: `EncodingError` if a number is not finite.
    public func bundleFiles() throws -> [String: Data] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var files: [String: Data] = [:]
        files[FileName.training] = try encoder.encode(TrainingFileV1(configuration: configuration))
        files[FileName.markov] = try markov.jsonData()
        if let features {
            files[FileName.features] = try encoder.encode(FeaturesFileV1(schema: features))
            if let churn {
                files[FileName.churn] = try encoder.encode(LogisticFileV1(target: "churn", featureNames: features.featureNames, model: churn))
            }
            if let conversion {
                files[FileName.conversion] = try encoder.encode(
                    LogisticFileV1(target: "conversion", featureNames: features.featureNames, model: conversion))
            }
            if let catalog, let uplift {
                files[FileName.nba] = try encoder.encode(NBAFileV1(catalog: catalog, uplift: uplift))
            }
        }
        return files
    }

    /// The models of a loaded bundle.
    ///
    /// - Throws: ``BundleError`` naming the file: missing `training.json` or `markov.json`, a file of
    ///   another format or a newer version, a logistic model whose feature names differ from the
    ///   schema's, or a file whose fields do not decode.
    public init(bundle: LoadedBundle) throws(BundleError) {
        func path(_ name: String) -> String { bundle.directory + "/" + name }
        func decode<T: Decodable>(_ type: T.Type, _ name: String, format: String) throws(BundleError) -> T {
            let data = try bundle.file(name)
            guard let header = try? JSONDecoder().decode(FileHeader.self, from: data) else {
                throw BundleError(file: path(name), reason: "not a Waypoint model file (no format and version)")
            }
            guard header.format == format else {
                throw BundleError(file: path(name), reason: "holds a '\(header.format)' file, expected '\(format)'")
            }
            guard header.version <= 1 else {
                throw BundleError(file: path(name), reason: "format version \(header.version); this build reads up to 1: update Waypoint")
            }
            do { return try JSONDecoder().decode(T.self, from: data) } catch {
                throw BundleError(file: path(name), reason: "fields missing or mistyped: \(error)")
            }
        }
        let configuration = try decode(TrainingFileV1.self, FileName.training, format: TrainingFileV1.format).configuration
        let markov: MarkovModel
        do { markov = try MarkovModel(jsonData: try bundle.file(FileName.markov), source: path(FileName.markov)) } catch let error as BundleError {
            throw error
        } catch {
            throw BundleError(file: path(FileName.markov), reason: "\(error)")
        }
        var features: FeatureSchema?
        var churn: LogisticModel?
        var conversion: LogisticModel?
        var catalog: ActionCatalog?
        var uplift: UpliftModel?
        if bundle.files[FileName.features] != nil {
            let schema = try decode(FeaturesFileV1.self, FileName.features, format: FeaturesFileV1.format).schema
            features = schema
            for name in [FileName.churn, FileName.conversion] where bundle.files[name] != nil {
                let file = try decode(LogisticFileV1.self, name, format: LogisticFileV1.format)
                guard file.featureNames == schema.featureNames, file.model.coefficients.count == schema.featureCount else {
                    throw BundleError(file: path(name), reason: "was fitted on other features than \(FileName.features) describes")
                }
                if name == FileName.churn { churn = file.model } else { conversion = file.model }
            }
            if bundle.files[FileName.nba] != nil {
                let file = try decode(NBAFileV1.self, FileName.nba, format: NBAFileV1.format)
                guard file.uplift.featureNames.allSatisfy({ schema.featureIndex(named: $0) != nil }) else {
                    throw BundleError(file: path(FileName.nba), reason: "was fitted on other features than \(FileName.features) describes")
                }
                catalog = file.catalog
                uplift = file.uplift
            }
        } else if bundle.files[FileName.churn] != nil || bundle.files[FileName.conversion] != nil || bundle.files[FileName.nba] != nil {
            throw BundleError(file: path(FileName.features), reason: "missing: the churn, conversion and next-best-action models need the feature schema")
        }
        self.init(
            configuration: configuration, markov: markov, features: features, churn: churn, conversion: conversion,
            catalog: catalog, uplift: uplift)
    }
}
