import Journeys

/// A customer's attribute values for one feature vector, in the order the configuration declares them.
public struct AttributeValues: Sendable, Hashable {
    /// One value per `FeatureConfiguration.numericAttributes`; NaN means missing (the training mean is used).
    public var numeric: [Double]
    /// One value per `FeatureConfiguration.categoricalAttributes`; nil or a level not seen in training
    /// reads as the reserved `=(unseen)` level.
    public var categorical: [String?]

    /// Values for one customer; empty arrays when the configuration declares no attributes.
    public init(numeric: [Double] = [], categorical: [String?] = []) {
        self.numeric = numeric
        self.categorical = categorical
    }
}

/// Everything needed to rebuild exactly the same feature vector at scoring time as in training:
/// vocabularies, configuration, attribute levels, feature names and the training rows' column statistics.
///
/// Made by `FeatureSchema.fit(store:attributes:configuration:cutoffs:label:externalNames:threads:external:)`
/// from the training snapshot only; saved with the model (it is `Codable`, doubles round-trip exactly).
///
/// ## Features, in order (C channels, E event types, windows w)
///
/// | name | meaning |
/// |---|---|
/// | `count_<channel>_<w>d` | touches on the channel with `T − w days ≤ t < T` |
/// | `events_<event>_<w>d` | events of that type in the window |
/// | `value_<w>d` | sum of event values in the window |
/// | `touches_total`, `value_total` | all events before T, and their values |
/// | `recency_days` | days since the last touch, capped at `recencyCapDays` |
/// | `recency_days_<channel>` | days since the last touch on the channel; the cap when never touched |
/// | `days_since_first_touch` | days since the first touch (tenure) |
/// | `touches_per_30d` | `30 × touches_total / max(days_since_first_touch, 30)` |
/// | `distinct_channels` | channels ever touched (all unseen channels count as one) |
/// | `last<p>_channel=<channel>`, `last<p>_channel=none` | one-hot p-th most recent channel of the open journey, p = 1…lastK; `none` when the journey is shorter (or has ended); all zero for an unseen channel |
/// | `transition_<a>><b>` | touches on a directly followed by b within a journey (when `includeTransitions`) |
/// | `<attribute>` | numeric attributes; missing → the training mean |
/// | `<attribute>=<level>`, `<attribute>=(unseen)` | categorical one-hot; missing or unseen → `(unseen)` |
/// | external names | values the caller supplies, e.g. `markov_conversion_probability` |
///
/// Events on channels or of types not in the vocabulary ("other") count in the totals, recency,
/// tenure and value features but have no per-channel or per-type column. Business rules read the raw
/// (unstandardized) values by these names through `rawFeatures(_:attributes:external:at:)` and
/// `featureIndex(named:)`: `recency_days_email` is "days since the last email touch".
public struct FeatureSchema: Sendable, Codable, Equatable {
    /// How features were built.
    public let configuration: FeatureConfiguration
    /// Channel vocabulary (seen before the last training cutoff), sorted.
    public let channels: [String]
    /// Event-type vocabulary, sorted.
    public let eventTypes: [String]
    /// Action vocabulary, sorted.
    public let actions: [String]
    /// Training levels of each categorical attribute, sorted; the reserved unseen level is not listed.
    public let categoricalLevels: [[String]]
    /// Value used for a missing numeric attribute: its mean over the training rows that have it (0 if none has).
    public let numericImputation: [Double]
    /// Names of the caller-supplied features, last in the vector.
    public let externalNames: [String]
    /// Feature names, in vector order.
    public let featureNames: [String]
    /// Per-feature training means (empty when not standardizing).
    public let means: [Double]
    /// Per-feature training population standard deviations (empty when not standardizing); a column
    /// with standard deviation 0 is only centered.
    public let standardDeviations: [Double]

    private let lookups: Lookups

    private struct Lookups: Sendable, Equatable {
        var channel: [String: Int] = [:]
        var eventType: [String: Int] = [:]
        var action: [String: Int] = [:]
        var levels: [[String: Int]] = []
        var feature: [String: Int] = [:]
        var layout: HistoryLayout? = nil
    }

    private enum CodingKeys: String, CodingKey {
        case configuration, channels, eventTypes, actions, categoricalLevels, numericImputation, externalNames
        case featureNames, means, standardDeviations
    }

    /// The label for the reserved level of a categorical attribute: `segment=(unseen)`.
    public static let unseenLevel = "(unseen)"

    init(
        configuration: FeatureConfiguration, channels: [String], eventTypes: [String], actions: [String],
        categoricalLevels: [[String]], numericImputation: [Double], externalNames: [String],
        means: [Double], standardDeviations: [Double]
    ) throws(FeatureError) {
        self.configuration = configuration
        self.channels = channels
        self.eventTypes = eventTypes
        self.actions = actions
        self.categoricalLevels = categoricalLevels
        self.numericImputation = numericImputation
        self.externalNames = externalNames
        let names = Self.names(configuration, channels, eventTypes, categoricalLevels, externalNames)
        self.featureNames = names
        self.means = means
        self.standardDeviations = standardDeviations
        var lookups = Lookups()
        for (k, name) in channels.enumerated() { lookups.channel[name] = k }
        for (k, name) in eventTypes.enumerated() { lookups.eventType[name] = k }
        for (k, name) in actions.enumerated() { lookups.action[name] = k }
        lookups.levels = categoricalLevels.map { Dictionary(uniqueKeysWithValues: $0.enumerated().map { ($1, $0) }) }
        for (k, name) in names.enumerated() {
            if lookups.feature.updateValue(k, forKey: name) != nil {
                throw FeatureError(
                    .duplicateFeatureName,
                    "two features are named '\(name)'; rename the attribute, channel or event type that collides")
            }
        }
        lookups.layout = Self.makeHistoryLayout(configuration, channels, eventTypes, actions)
        self.lookups = lookups
    }

    /// Decodes a schema and checks it is consistent (names match the vocabularies, statistics match the width).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let configuration = try c.decode(FeatureConfiguration.self, forKey: .configuration)
        let levels = try c.decode([[String]].self, forKey: .categoricalLevels)
        let imputation = try c.decode([Double].self, forKey: .numericImputation)
        let means = try c.decode([Double].self, forKey: .means)
        let sds = try c.decode([Double].self, forKey: .standardDeviations)
        do {
            try self.init(
                configuration: configuration, channels: c.decode([String].self, forKey: .channels),
                eventTypes: c.decode([String].self, forKey: .eventTypes), actions: c.decode([String].self, forKey: .actions),
                categoricalLevels: levels, numericImputation: imputation,
                externalNames: c.decode([String].self, forKey: .externalNames), means: means, standardDeviations: sds)
        } catch let error as FeatureError {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: error.message))
        }
        let stored = try c.decode([String].self, forKey: .featureNames)
        var problems: [String] = []
        if stored != featureNames { problems.append("featureNames do not match the vocabularies and configuration") }
        if levels.count != configuration.categoricalAttributes.count { problems.append("categoricalLevels has \(levels.count) entries for \(configuration.categoricalAttributes.count) categorical attributes") }
        if imputation.count != configuration.numericAttributes.count { problems.append("numericImputation has \(imputation.count) entries for \(configuration.numericAttributes.count) numeric attributes") }
        let width = configuration.standardize ? featureNames.count : 0
        if means.count != width || sds.count != width { problems.append("means/standardDeviations must have \(width) entries, got \(means.count)/\(sds.count)") }
        if !configuration.problems().isEmpty { problems += configuration.problems() }
        guard problems.isEmpty else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "feature schema: " + problems.joined(separator: "; ")))
        }
    }

    /// Encodes the schema (the lookup tables are rebuilt on decoding).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(configuration, forKey: .configuration)
        try c.encode(channels, forKey: .channels)
        try c.encode(eventTypes, forKey: .eventTypes)
        try c.encode(actions, forKey: .actions)
        try c.encode(categoricalLevels, forKey: .categoricalLevels)
        try c.encode(numericImputation, forKey: .numericImputation)
        try c.encode(externalNames, forKey: .externalNames)
        try c.encode(featureNames, forKey: .featureNames)
        try c.encode(means, forKey: .means)
        try c.encode(standardDeviations, forKey: .standardDeviations)
    }

    /// This schema with the given statistics.
    func with(numericImputation: [Double], means: [Double], standardDeviations: [Double]) throws(FeatureError) -> FeatureSchema {
        try FeatureSchema(
            configuration: configuration, channels: channels, eventTypes: eventTypes, actions: actions,
            categoricalLevels: categoricalLevels, numericImputation: numericImputation, externalNames: externalNames,
            means: means, standardDeviations: standardDeviations)
    }

    /// Number of features.
    public var featureCount: Int { featureNames.count }

    /// The position of feature `name` in the vector, or nil.
    public func featureIndex(named name: String) -> Int? { lookups.feature[name] }

    /// The index of channel `name`, or `channels.count` ("other") when it was not seen in training.
    public func channelIndex(of name: String) -> Int { lookups.channel[name] ?? channels.count }
    /// The index of event type `name`, or `eventTypes.count` ("other").
    public func eventTypeIndex(of name: String) -> Int { lookups.eventType[name] ?? eventTypes.count }
    /// The index of action `name`, or `actions.count` ("other").
    public func actionIndex(of name: String) -> Int { lookups.action[name] ?? actions.count }

    /// What a `CustomerHistory` needs from this schema (made once, when the schema is made or decoded).
    var historyLayout: HistoryLayout { lookups.layout! }

    private static func makeHistoryLayout(
        _ configuration: FeatureConfiguration, _ channels: [String], _ eventTypes: [String], _ actions: [String]
    ) -> HistoryLayout {
        let c = channels.count
        let e = eventTypes.count
        var converts = [Bool](repeating: false, count: (c + 1) * (e + 1))
        let rule = configuration.conversion
        for ch in 0...c {
            let channelMatches = rule.channels.map { ch < c && $0.contains(channels[ch]) } ?? true
            guard channelMatches else { continue }
            for ev in 0...e {
                converts[ch * (e + 1) + ev] = rule.events.map { ev < e && $0.contains(eventTypes[ev]) } ?? true
            }
        }
        let longest = Int64(configuration.windowDays.max() ?? 1) * microsPerDay
        return HistoryLayout(
            channelCount: c, eventTypeCount: e, actionCount: actions.count, longestWindow: longest,
            lastK: configuration.lastK, includeTransitions: configuration.includeTransitions,
            journeyTimeout: configuration.journeyTimeoutMicros, converts: converts, channelNames: channels)
    }

    static func names(
        _ configuration: FeatureConfiguration, _ channels: [String], _ eventTypes: [String], _ levels: [[String]],
        _ externalNames: [String]
    ) -> [String] {
        var names: [String] = []
        for w in configuration.windowDays { for c in channels { names.append("count_\(c)_\(w)d") } }
        for w in configuration.windowDays { for e in eventTypes { names.append("events_\(e)_\(w)d") } }
        for w in configuration.windowDays { names.append("value_\(w)d") }
        names += ["touches_total", "value_total", "recency_days"]
        for c in channels { names.append("recency_days_\(c)") }
        names += ["days_since_first_touch", "touches_per_30d", "distinct_channels"]
        if configuration.lastK > 0 {
            for p in 1...configuration.lastK {
                for c in channels { names.append("last\(p)_channel=\(c)") }
                names.append("last\(p)_channel=none")
            }
        }
        if configuration.includeTransitions {
            for a in channels { for b in channels { names.append("transition_\(a)>\(b)") } }
        }
        names += configuration.numericAttributes
        for (attribute, attributeLevels) in zip(configuration.categoricalAttributes, levels) {
            for level in attributeLevels { names.append("\(attribute)=\(level)") }
            names.append("\(attribute)=\(unseenLevel)")
        }
        names += externalNames
        return names
    }

    /// Encodes categorical values as level indices (`levels.count` = unseen or missing).
    func levelCodes(_ values: [String?]) -> [Int] {
        var codes: [Int] = []
        levelCodes(values, into: &codes)
        return codes
    }

    /// `levelCodes(_:)` written over `codes` (no allocation once it has the capacity).
    func levelCodes(_ values: [String?], into codes: inout [Int]) {
        codes.removeAll(keepingCapacity: true)
        for (value, table) in zip(values, lookups.levels) { codes.append(value.flatMap { table[$0] } ?? table.count) }
    }

    func checkShapes(_ attributes: AttributeValues, external: [Double]) throws(FeatureError) {
        var problems: [String] = []
        if attributes.numeric.count != configuration.numericAttributes.count {
            problems.append("\(attributes.numeric.count) numeric attribute values for \(configuration.numericAttributes.count) declared (\(configuration.numericAttributes.joined(separator: ", ")))")
        }
        if attributes.categorical.count != configuration.categoricalAttributes.count {
            problems.append("\(attributes.categorical.count) categorical attribute values for \(configuration.categoricalAttributes.count) declared (\(configuration.categoricalAttributes.joined(separator: ", ")))")
        }
        if external.count != externalNames.count {
            problems.append("\(external.count) external values for \(externalNames.count) external features (\(externalNames.joined(separator: ", ")))")
        }
        guard problems.isEmpty else { throw FeatureError(.shapeMismatch, problems.joined(separator: "; ")) }
        if let bad = external.firstIndex(where: { !$0.isFinite }) {
            throw FeatureError(.invalidNumber, "the external feature '\(externalNames[bad])' is \(external[bad]); external values must be finite")
        }
        if let bad = attributes.numeric.firstIndex(where: { $0.isInfinite }) {
            throw FeatureError(.invalidNumber, "the numeric attribute '\(configuration.numericAttributes[bad])' is \(attributes.numeric[bad]); give a finite value, or NaN for missing")
        }
    }

    /// The raw (unstandardized) features of `history` seen at time `cutoff`, in `featureNames` order:
    /// what business rules read (`recency_days_email`, `count_web_7d`, …).
    ///
    /// - Parameters:
    ///   - history: events recorded strictly before `cutoff` (features describe what is recorded).
    ///   - attributes: the customer's declared attributes; missing numeric values read as the training mean.
    ///   - external: one value per `externalNames`.
    /// - Throws: `FeatureError.shapeMismatch` when `attributes` or `external` has the wrong length,
    ///   `.invalidNumber` for a non-finite external value or an infinite attribute.
    public func rawFeatures(
        _ history: CustomerHistory, attributes: AttributeValues = AttributeValues(), external: [Double] = [],
        at cutoff: Int64
    ) throws(FeatureError) -> [Double] {
        var out: [Double] = []
        var levels: [Int] = []
        try rawFeatures(history, attributes: attributes, external: external, at: cutoff, into: &out, levels: &levels)
        return out
    }

    /// `rawFeatures(_:attributes:external:at:)` written into `out`, resized to `featureCount` if needed,
    /// with `levels` as scratch for the level codes (no allocation once both are sized): for a scorer
    /// that reuses its buffers from customer to customer.
    package func rawFeatures(
        _ history: CustomerHistory, attributes: AttributeValues, external: [Double], at cutoff: Int64, into out: inout [Double],
        levels: inout [Int]
    ) throws(FeatureError) {
        try checkShapes(attributes, external: external)
        if out.count != featureCount { out = [Double](repeating: 0, count: featureCount) }
        levelCodes(attributes.categorical, into: &levels)
        writeRaw(history, numeric: attributes.numeric, levels: levels, external: external, at: cutoff, into: &out)
    }

    /// Writes the model-ready (standardized, when the configuration says so) feature vector of `history`
    /// at time `cutoff` into `vector`, resizing it to `featureCount` if needed (no allocation once sized).
    ///
    /// Bit-identical to the snapshot builder's row for the same events, attributes and externals.
    /// - Throws: `FeatureError.shapeMismatch` when `attributes` or `external` has the wrong length,
    ///   `.invalidNumber` for a non-finite external value or an infinite attribute.
    public func vector(
        _ history: CustomerHistory, attributes: AttributeValues = AttributeValues(), external: [Double] = [],
        at cutoff: Int64, into vector: inout [Double]
    ) throws(FeatureError) {
        try checkShapes(attributes, external: external)
        if vector.count != featureCount { vector = [Double](repeating: 0, count: featureCount) }
        writeRaw(history, numeric: attributes.numeric, levels: levelCodes(attributes.categorical), external: external, at: cutoff, into: &vector)
        if configuration.standardize {
            for j in 0..<featureCount { vector[j] = standardized(vector[j], column: j) }
        }
    }

    /// Writes the model-ready form of `raw` (from `rawFeatures`) into `vector`: what `vector(...)` gives
    /// for the same history, bit for bit, without computing the features twice.
    ///
    /// - Precondition: `raw.count == featureCount`.
    public func modelReady(_ raw: [Double], into vector: inout [Double]) {
        precondition(raw.count == featureCount, "got \(raw.count) raw features, the schema has \(featureCount)")
        if vector.count != featureCount { vector = [Double](repeating: 0, count: featureCount) }
        if configuration.standardize {
            for j in 0..<featureCount { vector[j] = standardized(raw[j], column: j) }
        } else {
            for j in 0..<featureCount { vector[j] = raw[j] }
        }
    }

    @inline(__always)
    func standardized(_ raw: Double, column j: Int) -> Double {
        let sd = standardDeviations[j]
        return sd > 0 ? (raw - means[j]) / sd : raw - means[j]
    }

    /// Writes the raw features into `out[0 ..< featureCount]`. Numeric attribute NaN → `numericImputation`
    /// (itself NaN while fitting, so the fit can compute it).
    func writeRaw(
        _ h: CustomerHistory, numeric: [Double], levels: [Int], external: [Double], at cutoff: Int64, into out: inout [Double]
    ) {
        let c = channels.count
        let e = eventTypes.count
        let day = Double(microsPerDay)
        let cap = configuration.recencyCapDays
        // Counts per window and channel, per window and event type, then value sums per window: all from
        // one scan of the events in the window, oldest first (so each sum adds in time order).
        let windows = configuration.windowDays.count
        let eventBase = windows * c
        let valueBase = eventBase + windows * e
        for p in 0..<(valueBase + windows) { out[p] = 0 }
        out.withUnsafeMutableBufferPointer { out in
            withUnsafeTemporaryAllocation(of: Int64.self, capacity: windows) { since in
                for (k, w) in configuration.windowDays.enumerated() { since[k] = cutoff &- Int64(w) * microsPerDay }
                h.window.withEvents { events in
                    for event in events {
                        let channel = Int(event.channel), type = Int(event.eventType)
                        for k in 0..<windows where event.time >= since[k] {
                            if channel < c { out[k * c + channel] += 1 }
                            if type < e { out[eventBase + k * e + type] += 1 }
                            out[valueBase + k] += event.value
                        }
                    }
                }
            }
        }
        var j = valueBase + windows
        out[j] = Double(h.eventCount)
        out[j + 1] = h.totalValue
        func recency(_ last: Int64?) -> Double {
            guard let last else { return cap }
            return min(cap, max(0, Double(cutoff &- last) / day))
        }
        out[j + 2] = recency(h.lastTouch)
        j += 3
        for ch in 0..<c {
            out[j] = recency(h.lastTouch(channel: ch))
            j += 1
        }
        let tenure = h.firstTouch.map { max(0, Double(cutoff &- $0) / day) } ?? 0
        out[j] = tenure
        out[j + 1] = 30 * Double(h.eventCount) / max(tenure, 30)
        out[j + 2] = Double(h.channelLastTouch.reduce(0) { $0 + ($1 == CustomerHistory.never ? 0 : 1) })
        j += 3
        let k = configuration.lastK
        if k > 0 {
            for p in j..<(j + k * (c + 1)) { out[p] = 0 }
            let recent = h.currentJourneyChannels(at: cutoff)
            for p in 0..<k {
                let base = j + p * (c + 1)
                if p < recent.count {
                    let channel = recent[recent.count - 1 - p]
                    if channel < c { out[base + channel] = 1 }
                } else {
                    out[base + c] = 1
                }
            }
            j += k * (c + 1)
        }
        if configuration.includeTransitions {
            for t in 0..<(c * c) { out[j + t] = Double(h.transitions[t]) }
            j += c * c
        }
        for (value, fill) in zip(numeric, numericImputation) {
            out[j] = value.isNaN ? fill : value
            j += 1
        }
        for (code, attributeLevels) in zip(levels, categoricalLevels) {
            for q in 0...attributeLevels.count { out[j + q] = q == code ? 1 : 0 }
            j += attributeLevels.count + 1
        }
        for value in external {
            out[j] = value
            j += 1
        }
        assert(j == featureCount, "feature layout and names disagree: wrote \(j) of \(featureCount)")
    }
}
