/// Everything the simulator plants, with defaults for every field (a partial JSON object decodes).
///
/// The order-2 channel chains are drawn from `parameterSeed` (see ``SimulationTruth/Segment/transitions``);
/// every other planted number is a field here. `seed` drives the sampling of customers and events only,
/// so two runs with the same `parameterSeed` and different seeds are two samples of one world.
public struct SimulationConfiguration: Sendable, Codable, Hashable {
    /// A customer persona: its share of customers and its own planted parameters.
    public struct Segment: Sendable, Codable, Hashable {
        /// Written in the `segment` column; non-empty, without commas, quotes or line breaks.
        public var name: String
        /// Share of customers (the shares are normalized).
        public var share: Double
        /// Intercept of the per-touch conversion logit.
        public var conversionIntercept: Double
        /// Intercept of the churn logit, drawn after each finished journey.
        public var churnIntercept: Double
        /// Mean gap between the end of a journey and the start of the next (exponential, before thinning).
        public var meanJourneyGapDays: Double
        /// `customer_value` is lognormal: exp(N(meanLogCustomerValue, 0.6²)).
        public var meanLogCustomerValue: Double
        /// Logging policy: P(action) at each decision point, aligned with `["none"] + actions`; sums to 1.
        public var propensities: [Double]
        /// Planted effect of each action (aligned with `actions`) as a shift of the per-touch conversion
        /// logit for every touch of the journey where it was chosen.
        public var actionLogitShifts: [Double]

        /// A segment with every parameter given; see the properties for their meaning.
        public init(
            name: String, share: Double, conversionIntercept: Double, churnIntercept: Double,
            meanJourneyGapDays: Double, meanLogCustomerValue: Double, propensities: [Double],
            actionLogitShifts: [Double]
        ) {
            self.name = name
            self.share = share
            self.conversionIntercept = conversionIntercept
            self.churnIntercept = churnIntercept
            self.meanJourneyGapDays = meanJourneyGapDays
            self.meanLogCustomerValue = meanLogCustomerValue
            self.propensities = propensities
            self.actionLogitShifts = actionLogitShifts
        }
    }

    /// An intervention of the catalog, delivered on `channel`.
    public struct Action: Sendable, Codable, Hashable {
        /// Written in the `action` column of a decision point; distinct, not `none`, without commas,
        /// quotes or line breaks.
        public var id: String
        /// The channel that delivers it; must be one of `channels`. Checked and recorded, but the
        /// generator does not use it: the action is logged on the journey's first touch, whatever
        /// that touch's channel.
        public var channel: String
        /// An action `id` delivered on `channel`.
        public init(id: String, channel: String) {
            self.id = id
            self.channel = channel
        }
    }

    /// A customer region: its share of customers and its shift of the conversion logit.
    public struct Region: Sendable, Codable, Hashable {
        /// Written in the `region` column; non-empty, without commas, quotes or line breaks.
        public var name: String
        /// Share of customers (the shares are normalized).
        public var share: Double
        /// Added to the per-touch conversion logit.
        public var conversionCoefficient: Double
        /// A region with every parameter given.
        public init(name: String, share: Double, conversionCoefficient: Double) {
            self.name = name
            self.share = share
            self.conversionCoefficient = conversionCoefficient
        }
    }

    /// Customers to simulate, 0...100,000,000. Default 10,000.
    public var customers = 10_000
    /// Seeds the sampling: customer `i` draws from its own generator (seed, i), so the output does not
    /// depend on the thread count.
    public var seed: UInt64 = 1
    /// Seeds the planted order-2 chains.
    public var parameterSeed: UInt64 = 2024
    /// Start of the observation window, Unix seconds, UTC (default 2024-01-01T00:00:00Z, a Monday).
    public var start: Int64 = 1_704_067_200
    /// Length of the window; nothing happens after it (journeys running past it are censored).
    public var days = 180

    /// Channel names, 1...200 distinct; the planted chains run over them. Default: the eight
    /// channels of the event format.
    public var channels = ["email", "web", "app", "store", "call_center", "social", "sms", "push"]
    /// Customer personas, at least one. Default: `deal_seeker`, `loyalist` and `browser`.
    public var segments: [Segment] = [
        Segment(
            name: "deal_seeker", share: 0.40, conversionIntercept: -3.9, churnIntercept: -3.0,
            meanJourneyGapDays: 16, meanLogCustomerValue: 4.1,
            propensities: [0.35, 0.25, 0.15, 0.10, 0.10, 0.05],
            actionLogitShifts: [0.9, 0.5, 0.1, 0.4, -0.4]),
        Segment(
            name: "loyalist", share: 0.25, conversionIntercept: -3.5, churnIntercept: -4.0,
            meanJourneyGapDays: 12, meanLogCustomerValue: 4.9,
            propensities: [0.50, 0.05, 0.05, 0.15, 0.15, 0.10],
            actionLogitShifts: [-0.3, -0.6, 0.2, 0.3, 0.7]),
        Segment(
            name: "browser", share: 0.35, conversionIntercept: -4.4, churnIntercept: -2.6,
            meanJourneyGapDays: 22, meanLogCustomerValue: 4.4,
            propensities: [0.40, 0.20, 0.15, 0.05, 0.10, 0.10],
            actionLogitShifts: [-0.8, -0.3, 0.6, 0.1, -0.6]),
    ]
    /// The intervention catalog; each segment's `propensities` and `actionLogitShifts` align with it
    /// (after `none`). Default: five actions on email, sms, push, app and call_center.
    public var actions: [Action] = [
        Action(id: "email_discount10", channel: "email"),
        Action(id: "sms_offer", channel: "sms"),
        Action(id: "push_reminder", channel: "push"),
        Action(id: "app_coupon", channel: "app"),
        Action(id: "call_retention", channel: "call_center"),
    ]
    /// Regions, at least one. Default: north, south, east and west.
    public var regions: [Region] = [
        Region(name: "north", share: 0.30, conversionCoefficient: 0),
        Region(name: "south", share: 0.25, conversionCoefficient: 0.15),
        Region(name: "east", share: 0.25, conversionCoefficient: -0.10),
        Region(name: "west", share: 0.20, conversionCoefficient: 0.05),
    ]

    /// Per-touch conversion logit: + coefficient × touches on that channel in the last `windowDays`
    /// (the current touch included). Aligned with `channels`.
    public var channelConversionCoefficients = [0.10, 0.15, 0.25, 0.45, 0.20, 0.05, 0.10, 0.05]
    /// The recent-touch window of `channelConversionCoefficients`, in days. Default 7.
    public var windowDays = 7
    /// Per-touch conversion logit: + coefficient × tenure_days / 365.
    public var tenureConversionCoefficient = -0.05
    /// Per-touch conversion logit: + coefficient × ln(customer_value / 100).
    public var valueConversionCoefficient = 0.3

    /// Churn logit after a journey: + this if the journey converted.
    public var churnConvertedCoefficient = -0.8
    /// Churn logit: + coefficient × tenure_days / 365.
    public var churnTenureCoefficient = -0.2
    /// Churn logit: + coefficient × touches in the finished journey.
    public var churnTouchesCoefficient = -0.1

    /// Mean tenure at the window start (exponential, capped at 10 years), days.
    public var meanTenureDays = 700.0
    /// Probability that the next touch of a journey is in the same session.
    public var sameSessionProbability = 0.65
    /// Mean gap between touches in a session, seconds (exponential).
    public var meanSessionGapSeconds = 240.0
    /// Mean gap before a new session of the same journey, hours (exponential, before thinning).
    public var meanNewSessionGapHours = 20.0
    /// Session starts on Saturday and Sunday (UTC) are kept with this probability (thinning).
    public var weekendFactor = 0.55
    /// Session starts between 00:00 and 07:00 UTC are kept with this probability.
    public var nightFactor = 0.25
    /// Event type of a touch that is not a purchase: view, click, add_to_cart with these probabilities.
    public var touchEventShares = [0.6, 0.3, 0.1]
    /// Basket = customer_value × exp(N(−σ²/2, σ²)): mean customer_value.
    public var basketLogSD = 0.5
    /// A journey stops after this many touches even if the chain has not ended (a safety cap).
    public var maxJourneyTouches = 200

    /// The default world: every field at the default documented on it.
    public init() {}

    /// Action names in the order of `propensities`: `"none"` first.
    public var decisionNames: [String] { ["none"] + actions.map(\.id) }

    /// Every problem at once, or nothing.
    public func problems() -> [String] {
        var out: [String] = []
        if customers < 0 { out.append("customers must be >= 0, got \(customers)") }
        if customers > 100_000_000 { out.append("customers must be <= 100000000, got \(customers)") }
        if days < 1 || days > 3650 { out.append("days must be 1...3650, got \(days)") }
        if channels.isEmpty || channels.count > 200 { out.append("channels must have 1...200 names, got \(channels.count)") }
        if Set(channels).count != channels.count { out.append("channel names must be distinct") }
        for name in channels + segments.map(\.name) + regions.map(\.name) + actions.map(\.id)
        where name.isEmpty || name.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            out.append("names must be non-empty without commas, quotes or line breaks, got '\(name)'")
        }
        if segments.isEmpty { out.append("segments must not be empty") }
        if regions.isEmpty { out.append("regions must not be empty") }
        if Set(actions.map(\.id)).count != actions.count || actions.contains(where: { $0.id == "none" }) {
            out.append("action ids must be distinct and not 'none'")
        }
        for a in actions where !channels.contains(a.channel) {
            out.append("action '\(a.id)' uses channel '\(a.channel)', which is not in channels")
        }
        for s in segments {
            if !(s.share > 0) { out.append("segment '\(s.name)': share must be > 0, got \(s.share)") }
            if s.propensities.count != actions.count + 1 {
                out.append("segment '\(s.name)': \(s.propensities.count) propensities for \(actions.count + 1) decisions (none + actions)")
            } else {
                if s.propensities.contains(where: { !($0 > 0 && $0 <= 1) }) {
                    out.append("segment '\(s.name)': propensities must be in (0, 1]")
                }
                if abs(s.propensities.reduce(0, +) - 1) > 1e-9 {
                    out.append("segment '\(s.name)': propensities must sum to 1, got \(s.propensities.reduce(0, +))")
                }
            }
            if s.actionLogitShifts.count != actions.count {
                out.append("segment '\(s.name)': \(s.actionLogitShifts.count) action effects for \(actions.count) actions")
            }
            if !(s.meanJourneyGapDays > 0) { out.append("segment '\(s.name)': meanJourneyGapDays must be > 0") }
        }
        for r in regions where !(r.share > 0) { out.append("region '\(r.name)': share must be > 0, got \(r.share)") }
        if channelConversionCoefficients.count != channels.count {
            out.append("\(channelConversionCoefficients.count) channelConversionCoefficients for \(channels.count) channels")
        }
        if windowDays < 1 { out.append("windowDays must be >= 1, got \(windowDays)") }
        if touchEventShares.count != 3 || touchEventShares.contains(where: { !($0 >= 0) }) || !(touchEventShares.reduce(0, +) > 0) {
            out.append("touchEventShares must be 3 non-negative numbers (view, click, add_to_cart) with a positive sum")
        }
        if !(0...1).contains(sameSessionProbability) { out.append("sameSessionProbability must be in [0, 1]") }
        if !(weekendFactor > 0 && weekendFactor <= 1) { out.append("weekendFactor must be in (0, 1]") }
        if !(nightFactor > 0 && nightFactor <= 1) { out.append("nightFactor must be in (0, 1]") }
        if !(meanSessionGapSeconds > 0) || !(meanNewSessionGapHours > 0) || !(meanTenureDays > 0) {
            out.append("meanSessionGapSeconds, meanNewSessionGapHours and meanTenureDays must be > 0")
        }
        if !(basketLogSD >= 0) { out.append("basketLogSD must be >= 0") }
        if maxJourneyTouches < 1 { out.append("maxJourneyTouches must be >= 1") }
        if start < 0 || start > 253_000_000_000 { out.append("start must be a Unix time in seconds from 1970 to 9999") }
        return out
    }

    /// Decodes a partial object: a missing (or null) key keeps its default. Unknown keys are
    /// ignored. A nested `Segment`, `Action` or `Region` must be given whole.
    ///
    /// - Throws: `DecodingError` when a key holds a value of the wrong type, or a nested object
    ///   lacks one of its keys.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        var d = SimulationConfiguration()
        func take<T: Decodable>(_ key: CodingKeys, _ field: inout T) throws {
            if let v = try c.decodeIfPresent(T.self, forKey: key) { field = v }
        }
        try take(.customers, &d.customers)
        try take(.seed, &d.seed)
        try take(.parameterSeed, &d.parameterSeed)
        try take(.start, &d.start)
        try take(.days, &d.days)
        try take(.channels, &d.channels)
        try take(.segments, &d.segments)
        try take(.actions, &d.actions)
        try take(.regions, &d.regions)
        try take(.channelConversionCoefficients, &d.channelConversionCoefficients)
        try take(.windowDays, &d.windowDays)
        try take(.tenureConversionCoefficient, &d.tenureConversionCoefficient)
        try take(.valueConversionCoefficient, &d.valueConversionCoefficient)
        try take(.churnConvertedCoefficient, &d.churnConvertedCoefficient)
        try take(.churnTenureCoefficient, &d.churnTenureCoefficient)
        try take(.churnTouchesCoefficient, &d.churnTouchesCoefficient)
        try take(.meanTenureDays, &d.meanTenureDays)
        try take(.sameSessionProbability, &d.sameSessionProbability)
        try take(.meanSessionGapSeconds, &d.meanSessionGapSeconds)
        try take(.meanNewSessionGapHours, &d.meanNewSessionGapHours)
        try take(.weekendFactor, &d.weekendFactor)
        try take(.nightFactor, &d.nightFactor)
        try take(.touchEventShares, &d.touchEventShares)
        try take(.basketLogSD, &d.basketLogSD)
        try take(.maxJourneyTouches, &d.maxJourneyTouches)
        self = d
    }
}

/// A configuration the simulator cannot run (`message` lists every problem), or an output file
/// `Simulator.write` could not create, write or rename.
public struct SimulationError: Error, Sendable, CustomStringConvertible {
    /// What is wrong: every problem of the configuration, joined by `; `, or which output file could
    /// not be created, written or renamed.
    public var message: String
    /// An error with `message`.
    public init(_ message: String) { self.message = message }
    /// The `message`.
    public var description: String { message }
}
