import Journeys

/// Microseconds in a day: the store's time unit is the microsecond.
let microsPerDay: Int64 = 86_400_000_000

/// What features are built from a customer's history, and how they are scaled.
///
/// Every field has a default, so `FeatureConfiguration()` is a working setup: counts in the last 7, 30
/// and 90 days, the last 3 channels of the current journey, channel-to-channel transitions, a 30-day
/// journey timeout, conversion at `event == purchase`, no attributes, standardized columns.
public struct FeatureConfiguration: Sendable, Codable, Equatable {
    /// Window lengths in whole days for the windowed counts and values. A window of `w` days at cutoff
    /// `T` holds the events with `T − w days ≤ t < T`: an event exactly `w` days before `T` is inside.
    public var windowDays: [Int]
    /// How many of the current journey's most recent channels are one-hot encoded (`last1_channel=…`
    /// is the latest).
    public var lastK: Int
    /// Whether to add the C×C channel-to-channel transition counts (`transition_email>web`).
    public var includeTransitions: Bool
    /// A gap longer than this (days) ends a journey: the last-k channels and transitions restart.
    public var journeyTimeoutDays: Double
    /// Which events are conversions; a conversion also ends the current journey.
    public var conversion: ConversionRule
    /// Customer attributes used as numbers (for example `tenure_days`), in feature order.
    public var numericAttributes: [String]
    /// Customer attributes one-hot encoded, one column per training level plus `=(unseen)`.
    public var categoricalAttributes: [String]
    /// Whether columns are centered and scaled by the training rows' mean and population standard
    /// deviation (a column with standard deviation 0 is only centered).
    public var standardize: Bool
    /// Recency (days since a touch) is capped here; a channel never touched reads as the cap.
    public var recencyCapDays: Double

    /// A configuration; every argument has the documented default.
    public init(
        windowDays: [Int] = [7, 30, 90], lastK: Int = 3, includeTransitions: Bool = true,
        journeyTimeoutDays: Double = 30, conversion: ConversionRule = ConversionRule(),
        numericAttributes: [String] = [], categoricalAttributes: [String] = [], standardize: Bool = true,
        recencyCapDays: Double = 365
    ) {
        self.windowDays = windowDays
        self.lastK = lastK
        self.includeTransitions = includeTransitions
        self.journeyTimeoutDays = journeyTimeoutDays
        self.conversion = conversion
        self.numericAttributes = numericAttributes
        self.categoricalAttributes = categoricalAttributes
        self.standardize = standardize
        self.recencyCapDays = recencyCapDays
    }

    private enum CodingKeys: String, CodingKey {
        case windowDays, lastK, includeTransitions, journeyTimeoutDays, conversion, numericAttributes
        case categoricalAttributes, standardize, recencyCapDays
    }

    /// Decodes a configuration; a field left out takes its default, so a config file names only what it changes.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = FeatureConfiguration()
        windowDays = try c.decodeIfPresent([Int].self, forKey: .windowDays) ?? d.windowDays
        lastK = try c.decodeIfPresent(Int.self, forKey: .lastK) ?? d.lastK
        includeTransitions = try c.decodeIfPresent(Bool.self, forKey: .includeTransitions) ?? d.includeTransitions
        journeyTimeoutDays = try c.decodeIfPresent(Double.self, forKey: .journeyTimeoutDays) ?? d.journeyTimeoutDays
        conversion = try c.decodeIfPresent(ConversionRule.self, forKey: .conversion) ?? d.conversion
        numericAttributes = try c.decodeIfPresent([String].self, forKey: .numericAttributes) ?? d.numericAttributes
        categoricalAttributes = try c.decodeIfPresent([String].self, forKey: .categoricalAttributes) ?? d.categoricalAttributes
        standardize = try c.decodeIfPresent(Bool.self, forKey: .standardize) ?? d.standardize
        recencyCapDays = try c.decodeIfPresent(Double.self, forKey: .recencyCapDays) ?? d.recencyCapDays
    }

    /// Every problem with this configuration, empty when it is usable.
    public func problems() -> [String] {
        var problems: [String] = []
        if windowDays.isEmpty { problems.append("windowDays is empty; give at least one window, e.g. [30]") }
        for w in windowDays where w <= 0 || w > 36_500 {
            problems.append("windowDays must be between 1 and 36500 days, got \(w)")
        }
        if Set(windowDays).count != windowDays.count { problems.append("windowDays has a repeated window: \(windowDays)") }
        if lastK < 0 || lastK > 100 { problems.append("lastK must be between 0 and 100, got \(lastK)") }
        if !(journeyTimeoutDays > 0 && journeyTimeoutDays < 36_500) {
            problems.append("journeyTimeoutDays must be > 0 and below 36500, got \(journeyTimeoutDays)")
        }
        if !(recencyCapDays > 0 && recencyCapDays.isFinite) {
            problems.append("recencyCapDays must be a finite number > 0, got \(recencyCapDays)")
        }
        let attributes = numericAttributes + categoricalAttributes
        if Set(attributes).count != attributes.count {
            problems.append("an attribute is declared twice: \(attributes.joined(separator: ", "))")
        }
        if attributes.contains("") { problems.append("an attribute name is empty") }
        return problems
    }

    func validate() throws(FeatureError) {
        let problems = problems()
        guard problems.isEmpty else { throw FeatureError(.invalidConfiguration, problems.joined(separator: "; ")) }
    }

    var journeyTimeoutMicros: Int64 { Int64(journeyTimeoutDays * Double(microsPerDay)) }
}
