import Decisioning
import Features
import Journeys
import Markov

/// What `waypoint train all` fits, and how: the JSON a project keeps next to its data.
///
/// Every field has a default, so `{}` is a valid configuration. Durations are in days.
///
/// ```json
/// {
///   "journeyTimeoutDays": 14,
///   "conversion": {"events": ["purchase"]},
///   "markov": {"order": 2},
///   "features": {"windowDays": [7, 30, 90], "categoricalAttributes": ["segment", "region"]},
///   "snapshots": {"count": 4, "spacingDays": 14},
///   "churn": {"horizonDays": 30, "lookbackDays": 60},
///   "conversionModel": {"horizonDays": 14}
/// }
/// ```
public struct TrainingConfiguration: Sendable, Codable, Equatable {
    /// Where the data is (used by the CLI; paths relative to the configuration file).
    public var data = DataSection()
    /// Inactivity (days) that ends a journey without conversion; also the features' journey timeout.
    public var journeyTimeoutDays: Double = 30
    /// Which events convert (default `event == purchase`).
    public var conversion = ConversionRule()
    /// The Markov journey model.
    public var markov = MarkovSection()
    /// How customer features are built; its `journeyTimeoutDays` and `conversion` are replaced by the
    /// fields above, and `lastK` is raised to the Markov orders so the scorer can look up chain states.
    public var features = FeatureConfiguration()
    /// Where the training snapshots are cut.
    public var snapshots = SnapshotPlan()
    /// The churn model; nil: none.
    public var churn: ChurnSection? = ChurnSection()
    /// The conversion model; nil: none.
    public var conversionModel: ConversionSection? = ConversionSection()
    /// Next-best-action: uplift models of the catalog's actions from logged interventions; nil: none.
    public var nba: NBASection? = nil

    /// Defaults everywhere.
    public init() {}

    /// The input files. The library ignores this section; `waypoint train all` reads them.
    public struct DataSection: Sendable, Codable, Equatable {
        /// The touchpoint log (CSV or NDJSON); `--events` overrides it.
        public var events: String? = nil
        /// A CSV with `customer_id` and the declared attribute columns; default: the events file itself
        /// (the last non-empty value per customer).
        public var attributes: String? = nil
        /// Event field → column name, for logs with other column names (`{"customer_id": "user"}`).
        public var columns: [String: String] = [:]
        /// Defaults.
        public init() {}
    }

    /// The Markov journey model's settings.
    public struct MarkovSection: Sendable, Codable, Equatable {
        /// Order of the attribution chain (1...6). Default 2.
        public var order = 2
        /// Order of the next-channel model; nil: chosen by held-out log-loss among 1...4.
        public var nextChannelOrder: Int? = nil
        /// Defaults.
        public init() {}
    }

    /// Rolling snapshots: `count` cutoffs `spacingDays` apart, the latest one the longest label horizon
    /// before the end of the data. The latest cutoff is held out to measure the models; the others train
    /// them (with `count == 1` the one cutoff trains and nothing is held out).
    public struct SnapshotPlan: Sendable, Codable, Equatable {
        /// Number of cutoffs. Default 4.
        public var count = 4
        /// Days between consecutive cutoffs. Default 14.
        public var spacingDays = 14.0
        /// Defaults.
        public init() {}
    }

    /// Churn: no activity in the horizon after the cutoff, for customers active in the lookback before it.
    public struct ChurnSection: Sendable, Codable, Equatable {
        /// Days after the cutoff in which a customer must show activity not to count as churned. Default 30.
        public var horizonDays = 30.0
        /// Days before the cutoff in which a customer must have been active to be a row. Default 60.
        public var lookbackDays = 60.0
        /// An event type that counts as churn when seen in the horizon (e.g. `unsubscribe`); nil: none.
        public var churnEvent: String? = nil
        /// L2 penalty λ of the logistic fit. Default 1.
        public var l2 = 1.0
        /// Defaults.
        public init() {}
    }

    /// Conversion: a conversion event within the horizon after the cutoff.
    public struct ConversionSection: Sendable, Codable, Equatable {
        /// Days after the cutoff. Default 14.
        public var horizonDays = 14.0
        /// L2 penalty λ of the logistic fit. Default 1.
        public var l2 = 1.0
        /// Defaults.
        public init() {}
    }

    /// Next-best-action: which catalog, and how its uplift models are fitted.
    ///
    /// Decision points are the logged events with a propensity (the logging policy chose an action, or
    /// none, there); the outcome is a conversion event within `horizonDays` from the decision point (the
    /// decision's own event included: the action is made at that touch, before its outcome).
    public struct NBASection: Sendable, Codable, Equatable {
        /// The action catalog (JSON), relative to the configuration file. Required.
        public var catalog: String = ""
        /// Days after a decision point in which a conversion counts as its outcome. Default 14.
        public var horizonDays = 14.0
        /// L2 penalty λ of each arm's logistic fit. Default 1.
        public var l2 = 1.0
        /// `tLearner` (one model per arm, default) or `interactions` (one model with action-by-feature terms).
        public var learner = UpliftLearner.Learner.tLearner
        /// The features the uplift models read: names or name prefixes (`segment=` takes every level of
        /// `segment`); nil: all of them. Few features suit few decision points: every arm's model is fitted
        /// on its own rows only. Eligibility rules read every feature whatever this says.
        public var features: [String]? = nil
        /// The event type by which a customer unsubscribes from the event's channel: actions on that channel
        /// are never recommended to them afterwards. Default `unsubscribe`.
        public var unsubscribeEvent = "unsubscribe"
        /// Defaults, with the catalog path.
        public init(catalog: String = "") { self.catalog = catalog }
    }

    /// Every problem with the values, for one error message; empty when valid.
    public func problems() -> [String] {
        var problems: [String] = []
        if !(journeyTimeoutDays > 0) { problems.append("journeyTimeoutDays must be positive, got \(journeyTimeoutDays)") }
        if !(1...maxMarkovOrder).contains(markov.order) {
            problems.append("markov.order must be in 1...\(maxMarkovOrder), got \(markov.order)")
        }
        if let order = markov.nextChannelOrder, !(1...maxMarkovOrder).contains(order) {
            problems.append("markov.nextChannelOrder must be in 1...\(maxMarkovOrder), got \(order)")
        }
        if snapshots.count < 1 { problems.append("snapshots.count must be at least 1, got \(snapshots.count)") }
        if !(snapshots.spacingDays > 0) { problems.append("snapshots.spacingDays must be positive, got \(snapshots.spacingDays)") }
        if let churn {
            if !(churn.horizonDays > 0) { problems.append("churn.horizonDays must be positive, got \(churn.horizonDays)") }
            if !(churn.lookbackDays > 0) { problems.append("churn.lookbackDays must be positive, got \(churn.lookbackDays)") }
            if !(churn.l2 >= 0) { problems.append("churn.l2 must be at least 0, got \(churn.l2)") }
        }
        if let model = conversionModel {
            if !(model.horizonDays > 0) { problems.append("conversionModel.horizonDays must be positive, got \(model.horizonDays)") }
            if !(model.l2 >= 0) { problems.append("conversionModel.l2 must be at least 0, got \(model.l2)") }
        }
        if let nba {
            if nba.catalog.isEmpty { problems.append("nba.catalog must name the action catalog file") }
            if !(nba.horizonDays > 0) { problems.append("nba.horizonDays must be positive, got \(nba.horizonDays)") }
            if !(nba.l2 >= 0) { problems.append("nba.l2 must be at least 0, got \(nba.l2)") }
            if nba.features?.isEmpty == true { problems.append("nba.features is empty: list feature names or prefixes, or leave it out for all") }
            if churn == nil && conversionModel == nil {
                problems.append("nba needs the customer features, which come with the churn or conversion model: keep one of them")
            }
        }
        problems += features.problems().map { "features: \($0)" }
        return problems
    }
}

/// Microseconds in `days` days.
func microseconds(days: Double) -> Int64 { Int64((days * 86_400 * 1_000_000).rounded()) }

// Decoding: a missing field keeps its default, and an unknown field is an error (a misspelt
// "horizonDay" must not silently train with the default).

/// Any key, to list what a JSON object holds.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Throws when the object being decoded has a key outside `known`, naming it and the known ones.
func rejectUnknownKeys(_ decoder: any Decoder, known: [String]) throws {
    let container = try decoder.container(keyedBy: AnyKey.self)
    let path = decoder.codingPath.map(\.stringValue).joined(separator: ".")
    for key in container.allKeys where !known.contains(key.stringValue) {
        throw DecodingError.dataCorrupted(
            DecodingError.Context(
                codingPath: decoder.codingPath + [key],
                debugDescription: "unknown field '\(path.isEmpty ? "" : path + ".")\(key.stringValue)'; known fields: \(known.joined(separator: ", "))"))
    }
}

extension KeyedDecodingContainer {
    /// The value at `key`, or `current` when the key is absent.
    func value<T: Decodable>(_ key: Key, default current: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? current
    }
}

extension TrainingConfiguration {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case data, journeyTimeoutDays, conversion, markov, features, snapshots, churn, conversionModel, nba
    }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        data = try c.value(.data, default: data)
        journeyTimeoutDays = try c.value(.journeyTimeoutDays, default: journeyTimeoutDays)
        conversion = try c.value(.conversion, default: conversion)
        markov = try c.value(.markov, default: markov)
        if c.contains(.features) {
            features = try c.decode(FeatureSection.self, forKey: .features).applied(to: features)
        }
        snapshots = try c.value(.snapshots, default: snapshots)
        // `"churn": null` turns the model off; an absent key keeps the default.
        if c.contains(.churn) { churn = try c.decodeIfPresent(ChurnSection.self, forKey: .churn) }
        if c.contains(.conversionModel) { conversionModel = try c.decodeIfPresent(ConversionSection.self, forKey: .conversionModel) }
        nba = try c.decodeIfPresent(NBASection.self, forKey: .nba)
    }
}

extension TrainingConfiguration.DataSection {
    enum CodingKeys: String, CodingKey, CaseIterable { case events, attributes, columns }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        events = try c.decodeIfPresent(String.self, forKey: .events)
        attributes = try c.decodeIfPresent(String.self, forKey: .attributes)
        columns = try c.value(.columns, default: columns)
    }
}

extension TrainingConfiguration.NBASection {
    enum CodingKeys: String, CodingKey, CaseIterable { case catalog, horizonDays, l2, learner, features, unsubscribeEvent }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        catalog = try c.value(.catalog, default: catalog)
        horizonDays = try c.value(.horizonDays, default: horizonDays)
        l2 = try c.value(.l2, default: l2)
        learner = try c.value(.learner, default: learner)
        features = try c.decodeIfPresent([String].self, forKey: .features)
        unsubscribeEvent = try c.value(.unsubscribeEvent, default: unsubscribeEvent)
    }
}

extension TrainingConfiguration.MarkovSection {
    enum CodingKeys: String, CodingKey, CaseIterable { case order, nextChannelOrder }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        order = try c.value(.order, default: order)
        nextChannelOrder = try c.decodeIfPresent(Int.self, forKey: .nextChannelOrder)
    }
}

extension TrainingConfiguration.SnapshotPlan {
    enum CodingKeys: String, CodingKey, CaseIterable { case count, spacingDays }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        count = try c.value(.count, default: count)
        spacingDays = try c.value(.spacingDays, default: spacingDays)
    }
}

extension TrainingConfiguration.ChurnSection {
    enum CodingKeys: String, CodingKey, CaseIterable { case horizonDays, lookbackDays, churnEvent, l2 }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        horizonDays = try c.value(.horizonDays, default: horizonDays)
        lookbackDays = try c.value(.lookbackDays, default: lookbackDays)
        churnEvent = try c.decodeIfPresent(String.self, forKey: .churnEvent)
        l2 = try c.value(.l2, default: l2)
    }
}

extension TrainingConfiguration.ConversionSection {
    enum CodingKeys: String, CodingKey, CaseIterable { case horizonDays, l2 }

    public init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        horizonDays = try c.value(.horizonDays, default: horizonDays)
        l2 = try c.value(.l2, default: l2)
    }
}

/// The user-settable fields of `FeatureConfiguration`, each optional.
struct FeatureSection: Decodable {
    var windowDays: [Int]?
    var lastK: Int?
    var includeTransitions: Bool?
    var numericAttributes: [String]?
    var categoricalAttributes: [String]?
    var standardize: Bool?
    var recencyCapDays: Double?
    // Written in a bundle's training.json; when training, the top-level fields replace them.
    var journeyTimeoutDays: Double?
    var conversion: ConversionRule?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case windowDays, lastK, includeTransitions, numericAttributes, categoricalAttributes, standardize, recencyCapDays
        case journeyTimeoutDays, conversion
    }

    init(from decoder: any Decoder) throws {
        try rejectUnknownKeys(decoder, known: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        windowDays = try c.decodeIfPresent([Int].self, forKey: .windowDays)
        lastK = try c.decodeIfPresent(Int.self, forKey: .lastK)
        includeTransitions = try c.decodeIfPresent(Bool.self, forKey: .includeTransitions)
        numericAttributes = try c.decodeIfPresent([String].self, forKey: .numericAttributes)
        categoricalAttributes = try c.decodeIfPresent([String].self, forKey: .categoricalAttributes)
        standardize = try c.decodeIfPresent(Bool.self, forKey: .standardize)
        recencyCapDays = try c.decodeIfPresent(Double.self, forKey: .recencyCapDays)
        journeyTimeoutDays = try c.decodeIfPresent(Double.self, forKey: .journeyTimeoutDays)
        conversion = try c.decodeIfPresent(ConversionRule.self, forKey: .conversion)
    }

    func applied(to base: FeatureConfiguration) -> FeatureConfiguration {
        var f = base
        if let windowDays { f.windowDays = windowDays }
        if let lastK { f.lastK = lastK }
        if let includeTransitions { f.includeTransitions = includeTransitions }
        if let numericAttributes { f.numericAttributes = numericAttributes }
        if let categoricalAttributes { f.categoricalAttributes = categoricalAttributes }
        if let standardize { f.standardize = standardize }
        if let recencyCapDays { f.recencyCapDays = recencyCapDays }
        if let journeyTimeoutDays { f.journeyTimeoutDays = journeyTimeoutDays }
        if let conversion { f.conversion = conversion }
        return f
    }
}

/// The highest chain order the Markov module fits (its states hold up to six symbols).
let maxMarkovOrder = 6
