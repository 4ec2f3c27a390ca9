import Decisioning
import Dispatch
import Features
import Journeys
import Logistic
import Markov

/// One touch, as a service sees it arrive.
public struct TouchEvent: Sendable, Hashable {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public var time: Int64
    /// The channel (`email`, `web`, …); one the models never saw counts as "other".
    public var channel: String
    /// The event type (`view`, `purchase`, …). Default `touch`.
    public var event: String
    /// Revenue or other value of the event. Default 0.
    public var value: Double
    /// The intervention made at this touch, if any.
    public var action: String?

    /// A touch.
    public init(time: Int64, channel: String, event: String = "touch", value: Double = 0, action: String? = nil) {
        self.time = time
        self.channel = channel
        self.event = event
        self.value = value
        self.action = action
    }
}

/// What a scorer knows about one customer: updated event by event, never replayed.
///
/// Memory is bounded by the events inside the longest feature window, whatever the customer's history.
public struct CustomerState: Sendable, Equatable {
    /// The customer's id.
    public internal(set) var customerID: String
    var history: CustomerHistory
    var attributes: AttributeValues
    /// Events recorded so far.
    public var events: Int { history.eventCount }
    /// Time of the latest event recorded, microseconds.
    public var lastEventTime: Int64? { history.lastTouch }
    /// Recorded events whose channel the models never saw (read as "other").
    public internal(set) var unknownChannels = 0
    /// Recorded events whose type the models never saw.
    public internal(set) var unknownEventTypes = 0
    /// Recorded events whose action the models never saw.
    public internal(set) var unknownActions = 0
    /// Recent contacts made by actions (as long as the contact policy looks back), for the contact rules.
    public internal(set) var contacts: [ContactRecord] = []
    /// Channels the customer unsubscribed from: never offered an action.
    public internal(set) var suppressedChannels: Set<String> = []

    /// Makes this the state of a new customer with no events, keeping storage: a batch reuses one
    /// state from customer to customer instead of allocating a history for each.
    mutating func reset(customerID: String) {
        self.customerID = customerID
        history.removeAll()
        unknownChannels = 0
        unknownEventTypes = 0
        unknownActions = 0
        contacts.removeAll(keepingCapacity: true)
        suppressedChannels.removeAll(keepingCapacity: true)
    }
}

/// Why a scorer refused an input.
public struct ScoringError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong, for people.
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A channel and its probability.
public struct ChannelProbability: Sendable, Hashable, Codable {
    /// The channel.
    public var channel: String
    /// Its probability.
    public var probability: Double
}

/// One feature's part in a logistic model's log-odds for one customer.
public struct Reason: Sendable, Hashable, Codable {
    /// The feature's name (`recency_days_email`, `segment=loyalist`).
    public var feature: String
    /// Its raw (unstandardized) value for the customer.
    public var value: Double
    /// Coefficient × the model-ready (standardized) value: the log-odds it adds against an average customer.
    public var contribution: Double
}

/// Everything a scorer says about one customer at one time.
public struct CustomerScore: Sendable, Equatable {
    /// The customer's id.
    public var customerID: String
    /// When the score applies, microseconds.
    public var time: Int64
    /// The most likely next channels of the open journey (a new one if none is open), best first.
    public var nextChannels: [ChannelProbability]
    /// P(the journey ends after its last touch: converts or lapses) from the next-channel model.
    public var journeyEndProbability: Double
    /// Median time to the next touch of the open journey, microseconds; nil when no journey is open
    /// (the model knows gaps inside journeys, not the wait for a new one) or the model saw no gaps.
    public var nextTouchMedian: Double?
    /// The Markov chain's P(the open journey converts); the start state's when no journey is open.
    public var journeyConversionProbability: Double
    /// False when the journey's chain state was never seen in training (the start state's value is used).
    public var journeyStateKnown: Bool
    /// The next channel whose touch raises the journey's conversion probability most, and by how much.
    public var bestNextChannel: MarkovConversionTable.Advice?
    /// P(churn within the churn horizon); nil without a churn model.
    public var churnProbability: Double?
    /// P(conversion within the conversion horizon); nil without a conversion model.
    public var conversionProbability: Double?
    /// The three largest contributions to the churn log-odds, by magnitude.
    public var churnReasons: [Reason]
    /// The three largest contributions to the conversion log-odds, by magnitude.
    public var conversionReasons: [Reason]
    /// Next-best-action: eligible actions ranked by expected incremental value (`none` among them, first
    /// when nothing pays), and the actions rules or contact limits blocked; nil without a catalog.
    public var recommendation: Recommendation?
    /// The scorer's working buffers, kept by ``Scorer/score(_:at:topChannels:into:)`` between calls.
    var buffers = Buffers()

    /// An empty score for a scorer to fill.
    init() {
        customerID = ""
        time = 0
        nextChannels = []
        journeyEndProbability = 0
        journeyConversionProbability = 0
        journeyStateKnown = false
        churnReasons = []
        conversionReasons = []
    }

    /// Scratch space, not part of the score: every two compare equal, and printing a score leaves it out.
    struct Buffers: Sendable, Equatable, CustomReflectable {
        var scratch: Scorer.Scratch?
        static func == (_: Buffers, _: Buffers) -> Bool { true }
        var customMirror: Mirror { Mirror(self, children: [:]) }
    }
}

/// Scores customers with the models of one bundle. Immutable and `Sendable`: share one across threads.
///
/// ```swift
/// let scorer = try Scorer(bundle: "models/demo")
/// var state = scorer.newCustomer("c42", attributes: ["segment": "loyalist", "tenure_days": "420"])
/// try scorer.record(TouchEvent(time: t, channel: "email", event: "click"), into: &state)
/// let score = scorer.score(state, at: now)
/// print(score.nextChannels.first?.channel, score.churnProbability)
/// ```
public struct Scorer: Sendable {
    /// The models.
    public let models: TrainedModels
    /// The bundle's manifest; nil for a scorer made from models in memory.
    public let manifest: BundleManifest?
    let schema: FeatureSchema
    let table: MarkovConversionTable
    let arbitrator: Arbitrator?
    /// The schema columns the uplift models read, in their order.
    let upliftColumns: [Int]
    let tracker: ContactTracker
    /// Per schema channel ("other" last): its id in the conversion chain and in the next-channel model
    /// (-1: not known there), so a journey is looked up without hashing names.
    let chainChannelIDs: [Int]
    let nextChannelIDs: [Int]

    /// The model outputs eligibility rules may read besides the features, in this order.
    public static let outputNames = ["churn_probability", "conversion_probability", "journey_conversion_probability"]

    /// Loads the bundle in `directory`, verifying every checksum.
    ///
    /// - Throws: ``BundleError`` naming the file and why (see ``ModelBundle/read(from:)`` and
    ///   ``TrainedModels/init(bundle:)``), or when the bundle has no feature schema.
    public init(bundle directory: String) throws(BundleError) {
        let bundle = try ModelBundle.read(from: directory)
        let models = try TrainedModels(bundle: bundle)
        do { try self.init(models: models, manifest: bundle.manifest) } catch {
            throw BundleError(file: directory, reason: error.message)
        }
    }

    /// A scorer for models in memory (just trained, say).
    ///
    /// - Throws: ``ScoringError`` when there is no feature schema or the chain cannot be solved.
    public init(models: TrainedModels, manifest: BundleManifest? = nil) throws(ScoringError) {
        guard let schema = models.features else { throw ScoringError("the models have no feature schema (train churn or conversion)") }
        self.models = models
        self.manifest = manifest
        self.schema = schema
        do { table = try models.markov.conversionTable() } catch { throw ScoringError("the Markov chain cannot be solved: \(error)") }
        if let catalog = models.catalog, let uplift = models.uplift {
            do {
                arbitrator = try Arbitrator(catalog: catalog, model: uplift, outputNames: Self.outputNames, ruleFeatureNames: schema.featureNames)
            } catch {
                throw ScoringError("the action catalog does not fit the uplift model: \(error)")
            }
            var columns: [Int] = []
            for name in uplift.featureNames {
                guard let j = schema.featureIndex(named: name) else { throw ScoringError("the uplift model reads '\(name)', which the feature schema lacks") }
                columns.append(j)
            }
            upliftColumns = columns
        } else {
            arbitrator = nil
            upliftColumns = []
        }
        tracker = ContactTracker(catalog: models.catalog, unsubscribeEvent: models.configuration.nba?.unsubscribeEvent)
        // "other" (the last index) is no channel of either model.
        chainChannelIDs = table.channelIDs(of: schema.channels) + [-1]
        nextChannelIDs = models.markov.nextChannel.channelIndices(of: schema.channels) + [-1]
    }

    /// The declared customer attributes, numeric then categorical, as `newCustomer` takes them.
    public var attributeNames: (numeric: [String], categorical: [String]) {
        (schema.configuration.numericAttributes, schema.configuration.categoricalAttributes)
    }

    /// A customer with no events yet. `attributes` holds the declared attributes by name; a missing or
    /// non-numeric numeric value reads as the training mean, a missing or unseen category as `(unseen)`.
    public func newCustomer(_ customerID: String, attributes: [String: String] = [:]) -> CustomerState {
        let values = AttributeValues(
            numeric: schema.configuration.numericAttributes.map { name in
                attributes[name].flatMap { Double($0) }.flatMap { $0.isFinite ? $0 : nil } ?? .nan
            },
            categorical: schema.configuration.categoricalAttributes.map { name in
                attributes[name].flatMap { $0.isEmpty ? nil : $0 }
            })
        return CustomerState(customerID: customerID, history: CustomerHistory(schema: schema), attributes: values)
    }

    /// Records one event. O(1) amortized.
    ///
    /// - Throws: ``ScoringError`` for an event earlier than the last one recorded (the state is then
    ///   unchanged): a service must feed each customer's events in time order.
    public func record(_ event: TouchEvent, into state: inout CustomerState) throws(ScoringError) {
        if let last = state.history.lastTouch, event.time < last {
            throw ScoringError("event at \(event.time) µs is earlier than the last recorded one (\(last) µs) for customer \(state.customerID)")
        }
        let channel = schema.channelIndex(of: event.channel)
        let type = schema.eventTypeIndex(of: event.event)
        let action = event.action.map { schema.actionIndex(of: $0) }
        if channel == schema.channels.count { state.unknownChannels += 1 }
        if type == schema.eventTypes.count { state.unknownEventTypes += 1 }
        if let action, action == schema.actions.count { state.unknownActions += 1 }
        do { try state.history.record(time: event.time, channel: channel, event: type, value: event.value, action: action) } catch {
            throw ScoringError("\(error)")  // unreachable: the order was checked above
        }
        tracker.record(time: event.time, channel: event.channel, event: event.event, action: event.action, into: &state)
    }

    /// Scores a customer at `time` (microseconds; normally now, after the last recorded event).
    ///
    /// - Parameter topChannels: how many next channels to return.
    public func score(_ state: CustomerState, at time: Int64, topChannels: Int = 3) -> CustomerScore {
        var scratch = Scratch()
        var result = CustomerScore()
        score(state, at: time, topChannels: topChannels, scratch: &scratch, into: &result)
        return result
    }

    /// Scores a customer at `time` into `score`, reusing its storage: the same result as
    /// ``score(_:at:topChannels:)``, but once `score` has been through a few customers (its arrays grown
    /// to the catalog's size) nothing is allocated. For a service: keep one `CustomerScore` per thread.
    ///
    /// ```swift
    /// var score = scorer.score(first, at: now)
    /// for state in others {
    ///     scorer.score(state, at: now, into: &score)
    ///     send(score.recommendation?.best.actionID)
    /// }
    /// ```
    public func score(_ state: CustomerState, at time: Int64, topChannels: Int = 3, into score: inout CustomerScore) {
        var scratch = score.buffers.scratch.take() ?? Scratch()  // taken out, so its buffers stay unique
        self.score(state, at: time, topChannels: topChannels, scratch: &scratch, into: &score)
        score.buffers.scratch = scratch
    }

    /// The model-ready (standardized) feature vector the churn and conversion models read for `state` at
    /// `time`, in the order of the schema's `featureNames`: to inspect, or to hand to another tool.
    public func modelFeatures(_ state: CustomerState, at time: Int64) -> [Double] {
        let journey = table.position(after: state.history.currentJourneyChannels(at: time).map { chainChannelIDs[$0] }).lookup.probability
        var vector: [Double] = []
        // Shapes come from the schema itself: this cannot fail.
        try! schema.vector(state.history, attributes: state.attributes, external: [journey], at: time, into: &vector)
        return vector
    }

    /// Buffers one thread reuses from customer to customer.
    struct Scratch: Sendable {
        var vector: [Double] = []
        var raw: [Double] = []
        var distribution: [Double] = []
        var chainPath: [Int] = []
        var nextPath: [Int] = []
        var levels: [Int] = []
        var external: [Double] = [0]
        var upliftRow: [Double] = []
        var outputs: [Double] = []
        var arbitration = Arbitrator.Scratch()
    }

    /// Writes every field of `out` (its arrays refilled in place, keeping their capacity).
    func score(_ state: CustomerState, at time: Int64, topChannels: Int, scratch: inout Scratch, into out: inout CustomerScore) {
        // The open journey in schema numbering, looked up in both models by number, not by name.
        let channels = state.history.currentJourneyChannels(at: time)
        scratch.chainPath.removeAll(keepingCapacity: true)
        scratch.nextPath.removeAll(keepingCapacity: true)
        for c in channels {
            scratch.chainPath.append(chainChannelIDs[c])
            scratch.nextPath.append(nextChannelIDs[c])
        }
        let next = models.markov.nextChannel
        let position = table.position(after: scratch.chainPath)
        let journey = position.lookup
        let context = next.context(of: scratch.nextPath)
        out.customerID = state.customerID
        out.time = time
        out.nextChannels.removeAll(keepingCapacity: true)
        out.nextChannels.reserveCapacity(max(0, min(topChannels, next.channelNames.count)))  // no-op once grown
        out.journeyEndProbability = next.forecast(after: context, limit: topChannels, scratch: &scratch.distribution) {
            out.nextChannels.append(ChannelProbability(channel: $0, probability: $1))
        }
        out.nextTouchMedian = channels.isEmpty ? nil : next.gapMedian(after: context)
        out.journeyConversionProbability = journey.probability
        out.journeyStateKnown = journey.known
        out.bestNextChannel = table.bestAdvice(from: position)
        // Shapes come from the schema itself: this cannot fail.
        scratch.external[0] = journey.probability
        try! schema.rawFeatures(
            state.history, attributes: state.attributes, external: scratch.external, at: time, into: &scratch.raw, levels: &scratch.levels)
        schema.modelReady(scratch.raw, into: &scratch.vector)
        out.churnProbability = models.churn.map { $0.probability(scratch.vector) }
        out.conversionProbability = models.conversion.map { $0.probability(scratch.vector) }
        reasons(models.churn, scratch.vector, scratch.raw, into: &out.churnReasons)
        reasons(models.conversion, scratch.vector, scratch.raw, into: &out.conversionReasons)
        guard let arbitrator else {
            out.recommendation = nil
            return
        }
        scratch.upliftRow.removeAll(keepingCapacity: true)
        for j in upliftColumns { scratch.upliftRow.append(scratch.vector[j]) }
        scratch.outputs.removeAll(keepingCapacity: true)
        scratch.outputs.append(out.churnProbability ?? .nan)
        scratch.outputs.append(out.conversionProbability ?? .nan)
        scratch.outputs.append(journey.probability)
        if out.recommendation == nil { out.recommendation = Recommendation() }
        arbitrator.recommend(
            features: scratch.upliftRow, outputs: scratch.outputs, history: state.contacts, suppressedChannels: state.suppressedChannels,
            now: floorDiv(time, 1_000_000), reasonLimit: 3, ruleFeatures: scratch.raw, into: &out.recommendation!,
            scratch: &scratch.arbitration)
    }

    /// Writes the three largest contributions `coefficient × model-ready value` to `model`'s log-odds by
    /// magnitude over `reasons`, largest first (ties: feature order; zeros never); none without a model.
    private func reasons(_ model: LogisticModel?, _ vector: [Double], _ raw: [Double], into reasons: inout [Reason]) {
        guard let model else { return reasons.removeAll() }
        withUnsafeTemporaryAllocation(of: (position: Int, value: Double).self, capacity: 3) { top in
            let found = model.coefficients.withUnsafeBufferPointer { beta in
                vector.withUnsafeBufferPointer { x in largestMagnitudes(among: x.count, into: top) { beta[$0] * x[$0] } }
            }
            refill(&reasons, count: found) {
                Reason(feature: schema.featureNames[top[$0].position], value: raw[top[$0].position], contribution: top[$0].value)
            }
        }
    }
}

/// Counts of a batch run: every customer of the input is scored or accounted for.
public struct BatchScoringReport: Sendable, Hashable {
    /// Customers in the input.
    public var customers = 0
    /// Customers scored (those with at least one event before the scoring time).
    public var scored = 0
    /// Customers whose every event is at or after the scoring time: nothing to score them on.
    public var withoutHistory = 0
    /// Events used (before the scoring time).
    public var eventsUsed = 0
    /// Events at or after the scoring time, left out.
    public var eventsAfterTime = 0
    /// Events on channels the models never saw.
    public var unknownChannelEvents = 0

    /// All counts zero.
    public init() {}

    /// Adds another run's counts (a later batch of the same input).
    public mutating func add(_ other: BatchScoringReport) {
        customers += other.customers
        scored += other.scored
        withoutHistory += other.withoutHistory
        eventsUsed += other.eventsUsed
        eventsAfterTime += other.eventsAfterTime
        unknownChannelEvents += other.unknownChannelEvents
    }
}

extension Scorer {
    /// Scores every customer of a store at `time` from the events before it, on `threads` threads.
    /// Scores come in the store's customer order whatever the thread count; customers without an event
    /// before `time` are counted, not scored.
    ///
    /// - Parameter attributes: the store customers' attributes (holding the declared ones), or nil for none.
    /// - Throws: `FeatureError` when `attributes` lacks a declared attribute.
    public func scoreAll(
        _ store: EventStore, attributes: CustomerAttributes?, at time: Int64, topChannels: Int = 3,
        threads: Int = systemCoreCount()
    ) throws -> (scores: [CustomerScore], report: BatchScoringReport) {
        let channelMap = store.channelNames.map { schema.channelIndex(of: $0) }
        let typeMap = store.eventTypeNames.map { schema.eventTypeIndex(of: $0) }
        let actionMap = store.actionNames.map { schema.actionIndex(of: $0) }
        let channelNames = Array(store.channelNames)
        let eventTypeNames = Array(store.eventTypeNames)
        let actionNames = Array(store.actionNames)
        // Looked up once; throws when `attributes` lacks a declared attribute.
        let attributeColumns = try attributes?.columns(for: schema.configuration)
        let c = schema.configuration
        let missing = AttributeValues(
            numeric: Array(repeating: .nan, count: c.numericAttributes.count),
            categorical: Array(repeating: nil, count: c.categoricalAttributes.count))
        let customers = store.customerCount
        // Where each scored customer's score goes: customers with an event before `time`, numbered in store
        // order. Workers write their scores straight into the result: no copy of every score at the end.
        var slots = [Int](repeating: -1, count: customers)
        var total = 0
        for c in 0..<customers {
            if store.events(of: c).contains(where: { store.timestamps[$0] < time }) {
                slots[c] = total
                total += 1
            }
        }
        let slot = slots
        let workers = max(1, min(threads, customers / 256 + 1))
        let chunk = (customers + workers - 1) / max(1, workers)
        let reports = Slots<BatchScoringReport>(count: workers)
        let failures = Slots<any Error>(count: workers)
        let scores = try [CustomerScore](unsafeUninitializedCapacity: total) { buffer, initialized in
            let output = UncheckedBox(buffer)
            /// Scores `range`, initializing its slots in order; returns how many it initialized when it fails.
            @Sendable func scoreCustomers(_ range: Range<Int>) -> Int {
                var report = BatchScoringReport()
                var written = 0
                var scratch = Scratch()
                // One state, reset for each customer: its buffers outlive the customers.
                var state = CustomerState(customerID: "", history: CustomerHistory(schema: schema), attributes: missing)
                do {
                    for c in range {
                        report.customers += 1
                        state.reset(customerID: store.customerIDs[c])
                        if let attributes, let attributeColumns { attributes.write(c, columns: attributeColumns, into: &state.attributes) }
                        for e in store.events(of: c) {
                            let t = store.timestamps[e]
                            guard t < time else {
                                report.eventsAfterTime += 1
                                continue
                            }
                            let channel = channelMap[Int(store.channels[e])]
                            if channel == schema.channels.count { report.unknownChannelEvents += 1 }
                            let actionCode = store.actions.map { Int($0[e]) } ?? 0
                            try state.history.record(
                                time: t, channel: channel, event: typeMap[Int(store.eventTypes[e])], value: store.values?[e] ?? 0,
                                action: actionCode == 0 ? nil : actionMap[actionCode - 1])
                            tracker.record(
                                time: t, channel: channelNames[Int(store.channels[e])], event: eventTypeNames[Int(store.eventTypes[e])],
                                action: actionCode == 0 ? nil : actionNames[actionCode - 1], into: &state)
                            report.eventsUsed += 1
                        }
                        guard slot[c] >= 0 else {
                            report.withoutHistory += 1
                            continue
                        }
                        var result = CustomerScore()
                        score(state, at: time, topChannels: topChannels, scratch: &scratch, into: &result)
                        (output.value.baseAddress! + slot[c]).initialize(to: result)
                        written += 1
                        report.scored += 1
                    }
                } catch {
                    failures.set(range.lowerBound / max(1, chunk), error)
                }
                reports.set(range.lowerBound / max(1, chunk), report)
                return written
            }
            let written = Slots<Int>(count: workers)
            DispatchQueue.concurrentPerform(iterations: workers) { w in
                let range = (w * chunk)..<min(customers, (w + 1) * chunk)
                written.set(w, range.isEmpty ? 0 : scoreCustomers(range))
            }
            if let failure = failures.values.compactMap({ $0 }).first {
                // Each worker's slots are one run from its first scored customer's: free what was written.
                for (w, count) in written.values.enumerated() {
                    guard let count, count > 0 else { continue }
                    let first = ((w * chunk)..<min(customers, (w + 1) * chunk)).lazy.map { slot[$0] }.first { $0 >= 0 }!
                    (buffer.baseAddress! + first).deinitialize(count: count)
                }
                initialized = 0
                throw failure
            }
            initialized = total
        }
        var report = BatchScoringReport()
        for case let part? in reports.values { report.add(part) }
        return (scores, report)
    }
}
