/// Every planted parameter of a simulation, and the values of the logging and oracle policies.
///
/// Written as `truth.json` next to `events.csv`; doubles round-trip exactly. Actions are indexed as in
/// ``decisions``: `"none"` first, then the catalog.
public struct SimulationTruth: Sendable, Codable, Equatable {
    /// An order-2 channel chain: `probabilities[h][n]` = P(next = `next[n]` | `histories[h]`).
    ///
    /// A history is `[two touches ago, last touch]`, padded with `"START"` at the start of a journey;
    /// `next` is the channels then `"END"` (the journey ends without conversion). The first row,
    /// `["START", "START"]`, is the distribution of the first touch (END probability 0).
    public struct TransitionTable: Sendable, Codable, Equatable {
        /// One history per row: `["START", "START"]`, then `["START", c]` for each channel, then
        /// `[c2, c1]` for every pair of channels.
        public var histories: [[String]]
        /// Column labels: the channels, then `"END"`.
        public var next: [String]
        /// `probabilities[h][n]` = P(next = `next[n]` | `histories[h]`); each row sums to 1.
        public var probabilities: [[Double]]
    }

    /// One segment: its planted parameters, what the run drew, and its policy values.
    public struct Segment: Sendable, Codable, Equatable {
        /// The segment's name, as in the configuration.
        public var name: String
        /// The share as configured (not normalized over the segments).
        public var share: Double
        /// The planted order-2 channel chain, drawn from `parameterSeed`.
        public var transitions: TransitionTable
        /// Intercept of the per-touch conversion logit, as configured.
        public var conversionIntercept: Double
        /// Intercept of the churn logit, as configured.
        public var churnIntercept: Double
        /// Mean gap between journeys, days, as configured.
        public var meanJourneyGapDays: Double
        /// Mean of `ln(customer_value)`, as configured.
        public var meanLogCustomerValue: Double
        /// Logging policy, aligned with `decisions`.
        public var propensities: [Double]
        /// Planted shift of the per-touch conversion logit, aligned with `decisions` (`none` is 0).
        public var actionLogitShifts: [Double]
        /// Exact average effect on the journey's conversion probability, aligned with `decisions`:
        /// mean over this segment's logged decision points of P(convert | action) − P(convert | none),
        /// computed from the planted hazards over the journey's touches (not estimated).
        public var averageEffects: [Double]
        /// The action with the largest logit shift: best for every customer of the segment, because
        /// P(convert | action) increases with the shift whatever the journey. `none` (shift 0) when no
        /// action has a positive shift; ties go to the earlier decision.
        public var bestAction: String
        /// Customers of the segment simulated.
        public var customers: Int
        /// Decision points logged: one at the first touch of each journey.
        public var decisionPoints: Int
        /// Journeys that converted.
        public var conversions: Int
        /// Customers that churned inside the window.
        public var churned: Int
        /// Expected conversions per customer of the segment under the logging policy.
        public var loggingValue: Double
        /// Expected conversions per customer of the segment when every decision takes `bestAction`.
        public var oracleValue: Double
        /// Expected conversions per customer of the segment when no decision takes an action.
        public var noActionValue: Double
    }

    /// Version of this layout of `truth.json`: 1.
    public var formatVersion = 1
    /// The configuration simulated, every default filled in.
    public var configuration: SimulationConfiguration
    /// Channel names, as in `configuration.channels`.
    public var channels: [String]
    /// Decision names: `"none"`, then the action ids. Arrays "aligned with `decisions`" use this order.
    public var decisions: [String]
    /// Per segment, in the configuration's order.
    public var segments: [Segment]
    /// Customers simulated (this and the counts below are totals over all segments).
    public var customers: Int
    /// Event rows written.
    public var events: Int
    /// Journeys started: converted, ended by the chain, cut by the touch cap, or censored by the
    /// window end.
    public var journeys: Int
    /// Decision points logged: one per journey.
    public var decisionPoints: Int
    /// Journeys that converted.
    public var conversions: Int
    /// Customers that churned inside the window.
    public var churned: Int
    /// Expected conversions per customer (all segments) under the logging policy; see `valueDefinition`.
    public var loggingValue: Double
    /// Expected conversions per customer when every decision takes its segment's `bestAction`.
    public var oracleValue: Double
    /// Expected conversions per customer when no decision takes an action.
    public var noActionValue: Double
    /// How the model works and how the values were computed, in words.
    public var notes: [String]

    /// How the policy values are computed, in words; the last entry of `notes`.
    public static let valueDefinition = """
        Policy values are exact expectations, not simulated outcomes: at each logged decision point (the first \
        touch of every journey) the journey's touches up to its chain end or the window end are known, each with \
        its planted conversion hazard h_t(a) = σ(η_t + shift[segment][a]); P(convert | a) = 1 − Π_t (1 − h_t(a)). \
        loggingValue = Σ_points Σ_a π(a) P(convert | a) / customers, oracleValue = Σ_points P(convert | best) / customers. \
        Contexts are those of the logged run: a policy's effect on later journeys (through churn and the 7-day \
        touch counts) is not included, as in one-step off-policy evaluation with reward = the journey converts.
        """

    /// How the simulated world works, in words; the first entries of `notes`.
    public static let modelNotes = [
        "customers: segment, region by share; tenure_days ~ Exponential(meanTenureDays) capped at 3650; customer_value ~ exp(N(meanLogCustomerValue, 0.6²)), 2 decimals.",
        "journeys: channels follow the segment's order-2 chain from START,START until END; first journey starts Exp(meanJourneyGapDays) after the window start, the next Exp(meanJourneyGapDays) after a journey ends.",
        "timing: next touch in the same session with sameSessionProbability (gap Exp(meanSessionGapSeconds)), else a new session (gap Exp(meanNewSessionGapHours)); session and journey starts are thinned: kept with weekendFactor on Saturday/Sunday UTC, nightFactor at 00-07 UTC, otherwise another gap is added.",
        "conversion: at each touch, P(purchase) = σ(conversionIntercept[segment] + region coefficient + tenureConversionCoefficient·tenure_days/365 + valueConversionCoefficient·ln(customer_value/100) + Σ_c channelConversionCoefficients[c]·(touches on c in the last windowDays, this one included) + actionLogitShift[segment][action of the journey]). A purchase ends the journey; value = customer_value·exp(N(−σ²/2, σ²)), σ = basketLogSD.",
        "other touches: event view/click/add_to_cart with touchEventShares; value empty.",
        "churn: after each journey that ends inside the window, P(churn) = σ(churnIntercept[segment] + churnConvertedCoefficient·converted + churnTenureCoefficient·tenure_days/365 + churnTouchesCoefficient·touches in the journey); a churned customer never touches again.",
        "interventions: at the first touch of each journey the logging policy draws an action (or none) with the segment's propensities; the row carries action (empty for none) and propensity (also for none, so every decision point is marked).",
        "extra columns: segment, region, tenure_days, customer_value (customer attributes) and journey (1, 2, … per customer).",
    ]
}
