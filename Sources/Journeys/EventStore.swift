/// Touchpoint events in columns, grouped by customer and ordered by time within each customer.
///
/// Customers are numbered in order of first appearance in the input; a customer's events are
/// `events(of:)`, in time order, with ties kept in input order. Event `i` is described by
/// `timestamps[i]`, `channels[i]`, `eventTypes[i]` and the optional columns. Strings are interned:
/// `channelNames[channels[i]]` is the channel's name.
///
/// Memory: 12 bytes per event, plus 2 for `actions`, 8 for `values`, 4 for `propensities` when
/// the input has those columns, plus the distinct strings.
public struct EventStore: Sendable {
    /// Distinct customer ids; customer `c` is `customerIDs[c]`.
    public let customerIDs: InternedStrings
    /// Distinct channel names.
    public let channelNames: InternedStrings
    /// Distinct event types (`touch` when the input has no `event` column, or the field is empty).
    public let eventTypeNames: InternedStrings
    /// Distinct action ids. Action code `0` in `actions` means none; code `k` is `actionNames[k - 1]`.
    public let actionNames: InternedStrings

    /// `customerOffsets[c] ..< customerOffsets[c + 1]` are customer `c`'s events; `customerIDs.count + 1` entries.
    public let customerOffsets: [Int]
    /// Microseconds since 1970-01-01T00:00:00Z.
    public let timestamps: [Int64]
    /// Index into `channelNames`.
    public let channels: [UInt16]
    /// Index into `eventTypeNames`.
    public let eventTypes: [UInt16]
    /// `0` = no action; `k` = `actionNames[k - 1]`. Nil when the input has no `action` column.
    public let actions: [UInt16]?
    /// Event values (empty field = 0). Nil when the input has no `value` column.
    public let values: [Double]?
    /// Logging propensities, NaN where the field was empty. Nil when the input has no `propensity` column.
    /// Single precision (relative rounding error below 6e-8, far below the error of any logged or
    /// estimated propensity) to keep the store small.
    public let propensities: [Float]?
    /// The attribute columns read along with the events (`EventReaderOptions.attributeColumns`), one
    /// value per customer; nil when none were asked for.
    public let attributes: CustomerAttributeColumns?

    package init(
        customerIDs: InternedStrings, channelNames: InternedStrings, eventTypeNames: InternedStrings,
        actionNames: InternedStrings, customerOffsets: [Int], timestamps: [Int64], channels: [UInt16],
        eventTypes: [UInt16], actions: [UInt16]?, values: [Double]?, propensities: [Float]?,
        attributes: CustomerAttributeColumns? = nil
    ) {
        self.attributes = attributes
        self.customerIDs = customerIDs
        self.channelNames = channelNames
        self.eventTypeNames = eventTypeNames
        self.actionNames = actionNames
        self.customerOffsets = customerOffsets
        self.timestamps = timestamps
        self.channels = channels
        self.eventTypes = eventTypes
        self.actions = actions
        self.values = values
        self.propensities = propensities
    }

    /// Number of events.
    public var count: Int { timestamps.count }
    /// Number of customers.
    public var customerCount: Int { customerIDs.count }

    /// Indices of customer `customer`'s events, in time order.
    public func events(of customer: Int) -> Range<Int> {
        customerOffsets[customer]..<customerOffsets[customer + 1]
    }

    /// Earliest and latest timestamp, or nil for an empty store.
    public var timeRange: ClosedRange<Int64>? {
        guard var low = timestamps.first else { return nil }
        var high = low
        for t in timestamps {
            low = min(low, t)
            high = max(high, t)
        }
        return low...high
    }

    /// Heap bytes held by the per-event columns and the offsets (not the interned strings).
    public var columnBytes: Int {
        customerOffsets.capacity * 8 + timestamps.capacity * 8 + channels.capacity * 2 + eventTypes.capacity * 2
            + (actions?.capacity ?? 0) * 2 + (values?.capacity ?? 0) * 8 + (propensities?.capacity ?? 0) * 4
    }
}

/// Per-customer attribute columns read along with the events: for each customer, the last non-empty value
/// of each column in file order.
public struct CustomerAttributeColumns: Sendable {
    /// The columns, in the order asked for.
    public let columns: [AttributeColumn]
    /// `values[a][customer]`: the number (numeric columns) or the index in `levels[a]` (text columns);
    /// NaN when the customer has no non-empty value.
    public let values: [[Double]]
    /// `levels[a]`: the distinct texts of column `a`, in order of first appearance (empty for numeric columns).
    public let levels: [[String]]

    package init(columns: [AttributeColumn], values: [[Double]], levels: [[String]]) {
        self.columns = columns
        self.values = values
        self.levels = levels
    }

    /// Customer `customer`'s number in numeric column `a`, or nil when missing.
    public func number(_ a: Int, customer: Int) -> Double? {
        let v = values[a][customer]
        return v.isNaN ? nil : v
    }

    /// Customer `customer`'s text in text column `a`, or nil when missing.
    public func text(_ a: Int, customer: Int) -> String? {
        let v = values[a][customer]
        return v.isNaN ? nil : levels[a][Int(v)]
    }
}
