import Dispatch
import Journeys

/// What a row's label means. Times are microseconds; `T` is the row's cutoff.
///
/// Features use only events with `t < T`; labels only events with `T ≤ t < T + horizon`. The label
/// window starts at `T` itself so that an event stamped exactly at the cutoff (common with date-only
/// timestamps and midnight cutoffs) is counted as the future, never dropped.
public enum LabelDefinition: Sendable, Hashable, Codable {
    /// 1 when the customer has a conversion event (the configuration's `ConversionRule`) with
    /// `T ≤ t < T + horizon`. Rows: customers with at least one event before `T`.
    case conversion(horizon: Int64)
    /// 1 when the customer has no event with `T ≤ t < T + horizon`, or (when `churnEvent` is given) an
    /// event of that type (such as `unsubscribe`) in that window. Rows: customers with at least one event
    /// with `T − lookback ≤ t < T` (active in the lookback); others are counted as skipped.
    case churn(horizon: Int64, lookback: Int64, churnEvent: String?)

    /// The label window's length, microseconds.
    public var horizon: Int64 {
        switch self {
        case .conversion(let horizon): horizon
        case .churn(let horizon, _, _): horizon
        }
    }

    func problems() -> [String] {
        var problems: [String] = []
        let century = 36_500 * microsPerDay
        if horizon <= 0 || horizon > century { problems.append("the horizon must be positive and at most 36500 days, got \(horizon) µs") }
        if case .churn(_, let lookback, let event) = self {
            if lookback <= 0 || lookback > century { problems.append("the churn lookback must be positive and at most 36500 days, got \(lookback) µs") }
            if event == "" { problems.append("the churn event name is empty") }
        }
        return problems
    }
}

/// Row counts of a snapshot, per cutoff.
public struct SnapshotReport: Sendable, Hashable {
    /// Counts at one cutoff.
    public struct Cutoff: Sendable, Hashable {
        /// The cutoff, microseconds since the epoch.
        public var cutoff: Int64
        /// Rows (eligible customers).
        public var rows = 0
        /// Rows labelled 1.
        public var positives = 0
        /// Customers without any event before the cutoff (not rows).
        public var skippedWithoutHistory = 0
        /// Churn only: customers with history, but no event in the lookback window (not rows).
        public var skippedInactive = 0
    }

    /// One entry per cutoff, in the order given.
    public var cutoffs: [Cutoff]
    /// Total rows over all cutoffs.
    public var rows: Int { cutoffs.reduce(0) { $0 + $1.rows } }
    /// Total positives over all cutoffs.
    public var positives: Int { cutoffs.reduce(0) { $0 + $1.positives } }
    /// Total customers skipped (without history or inactive) over all cutoffs.
    public var skipped: Int { cutoffs.reduce(0) { $0 + $1.skippedWithoutHistory + $1.skippedInactive } }
}

/// Rows of (customer, cutoff) with their features and labels: a design matrix to fit or evaluate on.
///
/// Rows are ordered by cutoff (in the order given), then by customer number. Several cutoffs stack
/// (rolling snapshots): a customer can appear once per cutoff.
public struct Snapshot: Sendable {
    /// One row's identity.
    public struct Row: Sendable, Hashable {
        /// The customer's number in the store.
        public var customer: Int
        /// The cutoff, microseconds since the epoch.
        public var cutoff: Int64
    }

    /// The rows, in matrix order.
    public let rows: [Row]
    /// Columns: `schema.featureCount`.
    public let featureCount: Int
    /// Column-major `rows.count × featureCount` features (as Logistic's `Matrix` takes them): feature `j`
    /// of row `i` is `features[j * rows.count + i]`. Standardized when the schema says so.
    public let features: [Double]
    /// One label per row, 0 or 1.
    public let labels: [Double]
    /// Rows, positives and skipped customers per cutoff.
    public let report: SnapshotReport

    /// Feature `column` of row `row`.
    public func feature(row: Int, column: Int) -> Double { features[column * rows.count + row] }

    /// Caller-supplied features for one row: called with the customer's number, the cutoff, and its
    /// history of the events before the cutoff; must return one value per `externalNames`.
    public typealias ExternalFeatures = @Sendable (_ customer: Int, _ cutoff: Int64, _ history: CustomerHistory) -> [Double]

    /// Builds rows with an existing schema (held-out data, scoring a new period): features standardized
    /// with the schema's training statistics, unseen channels and levels read as "other"/`(unseen)`.
    ///
    /// - Parameters:
    ///   - store: the events.
    ///   - attributes: attributes of the store's customers holding the schema's declared attributes.
    ///   - schema: from `FeatureSchema.fit`.
    ///   - cutoffs: microseconds since the epoch; distinct; each plus the horizon at most the data's end.
    ///   - label: what the label means.
    ///   - dataEnd: when the data ends (default: the store's latest timestamp).
    ///   - threads: customers are split over this many threads; the output does not depend on it.
    ///   - external: values of `schema.externalNames` per row (required when there are any).
    /// - Throws: `FeatureError` (`.censoredLabels` for a cutoff too late, `.invalidCutoffs`,
    ///   `.missingColumn` for an attribute the table lacks, `.shapeMismatch` for wrong external counts).
    /// - Complexity: O(events + rows × features), each customer's events replayed once for all cutoffs.
    public static func build(
        store: EventStore, attributes: CustomerAttributes, schema: FeatureSchema, cutoffs: [Int64],
        label: LabelDefinition, dataEnd: Int64? = nil, threads: Int = systemCoreCount(), external: ExternalFeatures? = nil
    ) throws(FeatureError) -> Snapshot {
        let plan = try RowPlan(store: store, attributes: attributes, configuration: schema.configuration,
                               cutoffs: cutoffs, label: label, dataEnd: dataEnd)
        return try plan.snapshot(schema: schema, standardize: schema.configuration.standardize, threads: threads, external: external)
    }
}

extension FeatureSchema {
    /// Fits a schema on a training snapshot and returns both: vocabularies from the events before the
    /// latest cutoff, categorical levels from the training rows' customers, the numeric imputation
    /// values and (when standardizing) column means and standard deviations from the training rows only.
    ///
    /// ```swift
    /// let (schema, training) = try FeatureSchema.fit(
    ///     store: store, attributes: attributes, configuration: FeatureConfiguration(),
    ///     cutoffs: [may1], label: .churn(horizon: 30 * day, lookback: 90 * day, churnEvent: nil))
    /// let heldOut = try Snapshot.build(store: store, attributes: attributes, schema: schema,
    ///                                  cutoffs: [june1], label: .churn(horizon: 30 * day, lookback: 90 * day, churnEvent: nil))
    /// ```
    /// - Parameters: as `Snapshot.build`, plus the configuration and the names of the external features.
    /// - Throws: `FeatureError` for a bad configuration or label, bad cutoffs, censored labels, no rows,
    ///   or colliding feature names.
    public static func fit(
        store: EventStore, attributes: CustomerAttributes, configuration: FeatureConfiguration = FeatureConfiguration(),
        cutoffs: [Int64], label: LabelDefinition, externalNames: [String] = [], dataEnd: Int64? = nil,
        threads: Int = systemCoreCount(), external: Snapshot.ExternalFeatures? = nil
    ) throws(FeatureError) -> (schema: FeatureSchema, snapshot: Snapshot) {
        try configuration.validate()
        let plan = try RowPlan(store: store, attributes: attributes, configuration: configuration, cutoffs: cutoffs,
                               label: label, dataEnd: dataEnd)
        guard plan.rowCount > 0 else {
            throw FeatureError(.noRows, "no customer is eligible at any cutoff (\(plan.report.skipped) skipped); nothing to fit on")
        }
        // Vocabularies: names seen in events before the latest cutoff.
        let latest = cutoffs.max()!
        var channelSeen = [Bool](repeating: false, count: store.channelNames.count)
        var eventSeen = [Bool](repeating: false, count: store.eventTypeNames.count)
        var actionSeen = [Bool](repeating: false, count: store.actionNames.count + 1)
        for i in 0..<store.count where store.timestamps[i] < latest {
            channelSeen[Int(store.channels[i])] = true
            eventSeen[Int(store.eventTypes[i])] = true
            if let actions = store.actions { actionSeen[Int(actions[i])] = true }
        }
        let channels = store.channelNames.indices.filter { channelSeen[$0] }.map { store.channelNames[$0] }.sorted()
        let eventTypes = store.eventTypeNames.indices.filter { eventSeen[$0] }.map { store.eventTypeNames[$0] }.sorted()
        let actions = store.actionNames.indices.filter { actionSeen[$0 + 1] }.map { store.actionNames[$0] }.sorted()
        // Levels: values of the training rows' customers.
        var levels: [[String]] = []
        for column in plan.categoricalColumns {
            var set = Set<String>()
            for row in plan.rowCustomers { if let value = attributes.categorical[column][row] { set.insert(value) } }
            levels.append(set.sorted())
        }
        let draft = try FeatureSchema(
            configuration: configuration, channels: channels, eventTypes: eventTypes, actions: actions,
            categoricalLevels: levels, numericImputation: Array(repeating: .nan, count: configuration.numericAttributes.count),
            externalNames: externalNames, means: [], standardDeviations: [])
        var features = try plan.features(schema: draft, standardize: false, threads: threads, external: external)
        let n = plan.rowCount
        let d = draft.featureCount
        // Missing numeric attributes: the mean over the rows that have the value.
        let firstNumeric = d - externalNames.count - configuration.numericAttributes.count
            - zip(configuration.categoricalAttributes, levels).reduce(0) { $0 + $1.1.count + 1 }
        var imputation: [Double] = []
        for a in 0..<configuration.numericAttributes.count {
            let base = (firstNumeric + a) * n
            var sum = 0.0
            var present = 0
            for i in 0..<n where !features[base + i].isNaN {
                sum += features[base + i]
                present += 1
            }
            let fill = present > 0 ? sum / Double(present) : 0
            imputation.append(fill)
            for i in 0..<n where features[base + i].isNaN { features[base + i] = fill }
        }
        var means: [Double] = []
        var sds: [Double] = []
        if configuration.standardize {
            means.reserveCapacity(d)
            sds.reserveCapacity(d)
            for j in 0..<d {
                let column = features[(j * n)..<((j + 1) * n)]
                var sum = 0.0
                var low = Double.infinity
                var high = -Double.infinity
                for x in column {
                    sum += x
                    low = min(low, x)
                    high = max(high, x)
                }
                let mean = sum / Double(n)
                var squares = 0.0
                for x in column { squares += (x - mean) * (x - mean) }
                // A constant column has sd 0 exactly (two-pass rounding could otherwise leave ~1e-17).
                means.append(mean)
                sds.append(low == high ? 0 : (squares / Double(n)).squareRoot())
            }
        }
        let schema = try draft.with(numericImputation: imputation, means: means, standardDeviations: sds)
        if configuration.standardize {
            for j in 0..<d { for i in 0..<n { features[j * n + i] = schema.standardized(features[j * n + i], column: j) } }
        }
        let snapshot = Snapshot(rows: plan.rows, featureCount: d, features: features, labels: plan.labels, report: plan.report)
        return (schema, snapshot)
    }
}

/// Which (customer, cutoff) pairs are rows, and their labels: computed from the store alone, before any
/// feature is built.
struct RowPlan: Sendable {
    let store: EventStore
    let attributes: CustomerAttributes
    /// Cutoffs in the order given.
    let cutoffs: [Int64]
    /// `rowIndex[k * customerCount + c]`: the row of customer c at cutoff k, or -1.
    let rowIndex: [Int]
    let rows: [Snapshot.Row]
    let labels: [Double]
    let report: SnapshotReport
    let numericColumns: [Int]
    let categoricalColumns: [Int]

    var rowCount: Int { rows.count }
    var rowCustomers: [Int] { rows.map(\.customer) }

    init(
        store: EventStore, attributes: CustomerAttributes, configuration: FeatureConfiguration, cutoffs: [Int64],
        label: LabelDefinition, dataEnd: Int64?
    ) throws(FeatureError) {
        var problems = label.problems()
        if cutoffs.isEmpty { problems.append("no cutoffs; give at least one") }
        if Set(cutoffs).count != cutoffs.count { problems.append("a cutoff is given twice") }
        guard problems.isEmpty else {
            throw FeatureError(cutoffs.isEmpty || Set(cutoffs).count != cutoffs.count ? .invalidCutoffs : .invalidConfiguration,
                               problems.joined(separator: "; "))
        }
        guard attributes.customerCount == store.customerCount else {
            throw FeatureError(.shapeMismatch, "the attribute table has \(attributes.customerCount) customers; the store has \(store.customerCount)")
        }
        (numericColumns, categoricalColumns) = try attributes.columns(for: configuration)
        for column in numericColumns {
            if let c = attributes.numeric[column].firstIndex(where: { $0.isInfinite }) {
                throw FeatureError(
                    .invalidNumber,
                    "the numeric attribute '\(attributes.numericNames[column])' of customer \(store.customerIDs[c]) is infinite; use NaN for missing")
            }
        }
        guard let end = dataEnd ?? store.timeRange?.upperBound else {
            throw FeatureError(.noRows, "the store holds no events")
        }
        let horizon = label.horizon
        let yearRange = microsPerDay * 366 * 10_000  // far beyond any timestamp the reader accepts
        for t in cutoffs + [end] where t < -yearRange || t > yearRange {
            throw FeatureError(.invalidCutoffs, "\(t) µs (a cutoff or the end of the data) is not a time in the years the data can hold")
        }
        for t in cutoffs where t > end - horizon {
            throw FeatureError(
                .censoredLabels,
                "cutoff \(TimestampFormat.iso8601(t)) plus the horizon (\(Double(horizon) / Double(microsPerDay)) days) ends at "
                    + "\(TimestampFormat.iso8601(t + horizon)), after the data ends (\(TimestampFormat.iso8601(end))): its labels would be censored; "
                    + "use a cutoff at most \(TimestampFormat.iso8601(end - horizon))")
        }
        self.store = store
        self.attributes = attributes
        self.cutoffs = cutoffs

        // Conversion and churn-event masks over the store's (channel, event type) pairs.
        let eventCount = store.eventTypeNames.count
        var positiveEvent = [Bool](repeating: false, count: store.channelNames.count * eventCount)
        switch label {
        case .conversion:
            positiveEvent = store.conversionMask(configuration.conversion)
        case .churn(_, _, let churnEvent):
            if let churnEvent, let e = store.eventTypeNames.id(of: churnEvent) {
                for c in store.channelNames.indices { positiveEvent[c * eventCount + e] = true }
            }
        }

        let customers = store.customerCount
        var rowIndex = [Int](repeating: -1, count: cutoffs.count * customers)
        var rows: [Snapshot.Row] = []
        var labels: [Double] = []
        var report = SnapshotReport(cutoffs: cutoffs.map { SnapshotReport.Cutoff(cutoff: $0) })
        let timestamps = store.timestamps
        func firstIndex(_ range: Range<Int>, atOrAfter time: Int64) -> Int {
            var low = range.lowerBound
            var high = range.upperBound
            while low < high {
                let mid = (low + high) / 2
                if timestamps[mid] < time { low = mid + 1 } else { high = mid }
            }
            return low
        }
        for (k, t) in cutoffs.enumerated() {
            for c in 0..<customers {
                let range = store.events(of: c)
                let future = firstIndex(range, atOrAfter: t)
                guard future > range.lowerBound else {
                    report.cutoffs[k].skippedWithoutHistory += 1
                    continue
                }
                let windowEnd = firstIndex(future..<range.upperBound, atOrAfter: t + horizon)
                var positive = false
                for i in future..<windowEnd where positiveEvent[Int(store.channels[i]) * eventCount + Int(store.eventTypes[i])] {
                    positive = true
                    break
                }
                if case .churn(_, let lookback, _) = label {
                    guard timestamps[future - 1] >= t - lookback else {
                        report.cutoffs[k].skippedInactive += 1
                        continue
                    }
                    if windowEnd == future { positive = true }
                }
                rowIndex[k * customers + c] = rows.count
                rows.append(Snapshot.Row(customer: c, cutoff: t))
                labels.append(positive ? 1 : 0)
                report.cutoffs[k].rows += 1
                if positive { report.cutoffs[k].positives += 1 }
            }
        }
        self.rowIndex = rowIndex
        self.rows = rows
        self.labels = labels
        self.report = report
    }

    func snapshot(schema: FeatureSchema, standardize: Bool, threads: Int, external: Snapshot.ExternalFeatures?) throws(FeatureError) -> Snapshot {
        let features = try features(schema: schema, standardize: standardize, threads: threads, external: external)
        return Snapshot(rows: rows, featureCount: schema.featureCount, features: features, labels: labels, report: report)
    }

    /// Replays each customer's events once, in time order, writing a row at each of its cutoffs: the
    /// column-major feature buffer.
    func features(schema: FeatureSchema, standardize: Bool, threads: Int, external: Snapshot.ExternalFeatures?) throws(FeatureError) -> [Double] {
        if !schema.externalNames.isEmpty && external == nil {
            throw FeatureError(.shapeMismatch, "the schema has external features (\(schema.externalNames.joined(separator: ", "))) but no function supplies them")
        }
        let n = rows.count
        let d = schema.featureCount
        let customers = store.customerCount
        // Store indices → schema indices (count = "other").
        let channelMap = store.channelNames.map { schema.channelIndex(of: $0) }
        let eventMap = store.eventTypeNames.map { schema.eventTypeIndex(of: $0) }
        let actionMap = store.actionNames.map { schema.actionIndex(of: $0) }
        let order = cutoffs.indices.sorted { cutoffs[$0] < cutoffs[$1] }
        let layout = schema.historyLayout
        let chunks = max(1, min(customers, max(1, threads) * 8))
        let failures = ErrorSlots(count: chunks)
        var features = [Double](repeating: 0, count: n * d)
        features.withUnsafeMutableBufferPointer { buffer in
            let output = UnsafeOutput(buffer: buffer)
            let work: @Sendable (Int) -> Void = { chunk in
                var history = CustomerHistory(layout: layout)
                var row = [Double](repeating: 0, count: d)
                let store = self.store
                for c in (customers * chunk / chunks)..<(customers * (chunk + 1) / chunks) {
                    history.removeAll()
                    let range = store.events(of: c)
                    var next = range.lowerBound
                    var numeric: [Double] = []
                    var levels: [Int] = []
                    var haveAttributes = false
                    for k in order {
                        let r = rowIndex[k * customers + c]
                        guard r >= 0 else { continue }
                        let t = cutoffs[k]
                        while next < range.upperBound && store.timestamps[next] < t {
                            let action = store.actions.flatMap { $0[next] == 0 ? nil : actionMap[Int($0[next]) - 1] }
                            try? history.record(  // cannot throw: the store is in time order
                                time: store.timestamps[next], channel: channelMap[Int(store.channels[next])],
                                event: eventMap[Int(store.eventTypes[next])], value: store.values?[next] ?? 0, action: action)
                            next += 1
                        }
                        if !haveAttributes {
                            numeric = numericColumns.map { attributes.numeric[$0][c] }
                            levels = schema.levelCodes(categoricalColumns.map { attributes.categorical[$0][c] })
                            haveAttributes = true
                        }
                        let values = external?(c, t, history) ?? []
                        guard values.count == schema.externalNames.count else {
                            failures.set(chunk, FeatureError(
                                .shapeMismatch,
                                "the external feature function returned \(values.count) values for customer \(store.customerIDs[c]); expected \(schema.externalNames.count) (\(schema.externalNames.joined(separator: ", ")))"))
                            return
                        }
                        if let bad = values.firstIndex(where: { !$0.isFinite }) {
                            failures.set(chunk, FeatureError(
                                .invalidNumber,
                                "the external feature '\(schema.externalNames[bad])' is \(values[bad]) for customer \(store.customerIDs[c]) at \(TimestampFormat.iso8601(t)); external values must be finite"))
                            return
                        }
                        schema.writeRaw(history, numeric: numeric, levels: levels, external: values, at: t, into: &row)
                        for j in 0..<d {
                            output.buffer[j * n + r] = standardize ? schema.standardized(row[j], column: j) : row[j]
                        }
                    }
                }
            }
            if chunks == 1 || threads <= 1 {
                for chunk in 0..<chunks { work(chunk) }
            } else {
                DispatchQueue.concurrentPerform(iterations: chunks, execute: work)
            }
        }
        if let failure = failures.first { throw failure }
        return features
    }
}

/// The feature buffer, written by several threads at disjoint rows.
private struct UnsafeOutput: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<Double>
}

/// One error slot per chunk, each written by one thread only.
private final class ErrorSlots: @unchecked Sendable {
    private var errors: [FeatureError?]
    init(count: Int) { errors = Array(repeating: nil, count: count) }
    func set(_ k: Int, _ error: FeatureError) { errors[k] = error }
    var first: FeatureError? { errors.lazy.compactMap { $0 }.first }
}

