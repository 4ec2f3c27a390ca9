import Foundation
import Journeys

/// One touch of a journey's path, before the conversion draw decides how much of it happens.
private struct PathTouch {
    var time: Int64
    var channel: Int
    /// Conversion logit without the action's shift.
    var eta: Double
}

/// Generates the customers of block `block` into CSV bytes and sums.
func generateBlock(_ block: Int, world: PlantedWorld) -> BlockOutput {
    let c = world.configuration
    let first = block * Simulator.blockCustomers
    let last = min(c.customers, first + Simulator.blockCustomers)
    var generator = CustomerGenerator(world)
    generator.out.reserveCapacity((last - first) * 1600)
    for customer in first..<last { generator.generate(customer) }
    return BlockOutput(bytes: generator.out, stats: generator.stats)
}

private struct CustomerGenerator {
    let world: PlantedWorld
    var out: [UInt8] = []
    var stats: BlockStats
    let n: Int
    let windowSeconds: Int64
    var recentTimes: [Int64] = []
    var recentChannels: [Int] = []
    var counts: [Int]
    var savedCounts: [Int]
    var path: [PathTouch] = []
    var notConverted: [Double]
    var prefix: [UInt8] = []
    var suffix: [UInt8] = []

    init(_ world: PlantedWorld) {
        self.world = world
        stats = BlockStats(world)
        n = world.channelCount
        windowSeconds = Int64(world.configuration.windowDays) * 86_400
        counts = Array(repeating: 0, count: n)
        savedCounts = counts
        notConverted = Array(repeating: 1, count: world.decisionCount)
    }

    /// A session or journey start at least a second after `t`, thinned for weekends and nights.
    mutating func sessionStart(after t: Int64, meanSeconds: Double, _ rng: inout SplitMix64) -> Int64 {
        let c = world.configuration
        var t = t
        while true {
            t += Int64(-meanSeconds * log(rng.uniform())) + 1
            if t >= world.end { return t }
            let day = t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
            let weekday = ((day + 3) % 7 + 7) % 7  // 0 = Monday; 1970-01-01 was a Thursday
            let hour = (t - day * 86_400) / 3600
            var keep = 1.0
            if weekday >= 5 { keep *= c.weekendFactor }
            if hour < 7 { keep *= c.nightFactor }
            if keep >= 1 || rng.uniform() < keep { return t }
        }
    }

    mutating func generate(_ customer: Int) {
        let c = world.configuration
        var rng = SplitMix64.replicate(customer, of: world.customerSeed)
        let s = draw(world.segmentCumulative, &rng)
        let segment = c.segments[s]
        let region = draw(world.regionCumulative, &rng)
        let tenure = min(3650, Int(-c.meanTenureDays * log(rng.uniform())))
        let cents = max(1, Int64((exp(segment.meanLogCustomerValue + 0.6 * normal(&rng)) * 100).rounded()))
        let value = Double(cents) / 100
        let base = segment.conversionIntercept + world.regionCoefficients[region]
            + c.tenureConversionCoefficient * Double(tenure) / 365 + c.valueConversionCoefficient * log(value / 100)
        let churnBase = segment.churnIntercept + c.churnTenureCoefficient * Double(tenure) / 365
        stats.customers[s] += 1

        prefix.removeAll(keepingCapacity: true)
        prefix.append(UInt8(ascii: "c"))
        appendInteger(Int64(customer + 1), width: world.idWidth, to: &prefix)
        prefix.append(UInt8(ascii: ","))
        suffix.removeAll(keepingCapacity: true)
        suffix.append(UInt8(ascii: ","))
        suffix.append(contentsOf: world.segmentBytes[s])
        suffix.append(UInt8(ascii: ","))
        suffix.append(contentsOf: world.regionBytes[region])
        suffix.append(UInt8(ascii: ","))
        appendInteger(Int64(tenure), width: 1, to: &suffix)
        suffix.append(UInt8(ascii: ","))
        appendCents(cents, to: &suffix)
        suffix.append(UInt8(ascii: ","))

        recentTimes.removeAll(keepingCapacity: true)
        recentChannels.removeAll(keepingCapacity: true)
        for k in 0..<n { counts[k] = 0 }
        var front = 0
        let chain = world.chainCumulative[s]
        let shifts = world.shifts[s]
        let journeyGap = segment.meanJourneyGapDays * 86_400
        let newSessionGap = c.meanNewSessionGapHours * 3600
        var t = sessionStart(after: c.start, meanSeconds: journeyGap, &rng)
        var journey: Int64 = 0

        while t < world.end {
            journey += 1
            stats.journeys += 1
            // The journey's path to its chain end (or the window end), before conversion cuts it.
            let savedFront = front
            for k in 0..<n { savedCounts[k] = counts[k] }
            let savedRecent = recentTimes.count
            path.removeAll(keepingCapacity: true)
            var p1 = n
            var channel = drawNext(chain, p2: n, p1: n, &rng)
            var reachedEnd = false
            while true {
                while front < recentTimes.count && recentTimes[front] <= t - windowSeconds {
                    counts[recentChannels[front]] -= 1
                    front += 1
                }
                recentTimes.append(t)
                recentChannels.append(channel)
                counts[channel] += 1
                var eta = base
                for k in 0..<n where counts[k] != 0 { eta += world.channelCoefficients[k] * Double(counts[k]) }
                path.append(PathTouch(time: t, channel: channel, eta: eta))
                if path.count >= c.maxJourneyTouches {
                    reachedEnd = true
                    break
                }
                let next = drawNext(chain, p2: p1, p1: channel, &rng)
                if next == n {
                    reachedEnd = true
                    break
                }
                if rng.uniform() < c.sameSessionProbability {
                    t += Int64(-c.meanSessionGapSeconds * log(rng.uniform())) + 1
                } else {
                    t = sessionStart(after: t, meanSeconds: newSessionGap, &rng)
                }
                if t >= world.end { break }
                p1 = channel
                channel = next
            }

            // Exact conversion probability of this journey under every decision.
            for a in 0..<world.decisionCount { notConverted[a] = 1 }
            for touch in path {
                for a in 0..<world.decisionCount { notConverted[a] *= 1 - logistic(touch.eta + shifts[a]) }
            }
            var logged = 0.0
            for a in 0..<world.decisionCount {
                let v = 1 - notConverted[a]
                stats.valueSums[s * world.decisionCount + a] += v
                logged += segment.propensities[a] * v
            }
            stats.loggingSums[s] += logged
            stats.decisionPoints[s] += 1

            // The logging policy's decision, then the conversion draw along the path.
            let action = draw(world.propensityCumulative[s], &rng)
            var converted = -1
            for (j, touch) in path.enumerated() where rng.uniform() < logistic(touch.eta + shifts[action]) {
                converted = j
                break
            }
            let emitted = converted >= 0 ? converted + 1 : path.count
            if emitted < path.count {
                front = savedFront
                for k in 0..<n { counts[k] = savedCounts[k] }
                recentTimes.removeSubrange((savedRecent + emitted)...)
                recentChannels.removeSubrange((savedRecent + emitted)...)
                for k in (savedRecent)..<(savedRecent + emitted) { counts[recentChannels[k]] += 1 }
            }

            for j in 0..<emitted {
                let touch = path[j]
                out.append(contentsOf: prefix)
                appendTimestamp(touch.time)
                out.append(UInt8(ascii: ","))
                out.append(contentsOf: world.channelBytes[touch.channel])
                out.append(UInt8(ascii: ","))
                if j == converted {
                    out.append(contentsOf: world.eventBytes[3])
                    out.append(UInt8(ascii: ","))
                    let sd = c.basketLogSD
                    let basket = value * exp(sd * normal(&rng) - sd * sd / 2)
                    appendCents(max(1, Int64((basket * 100).rounded())), to: &out)
                } else {
                    out.append(contentsOf: world.eventBytes[draw(world.eventCumulative, &rng)])
                    out.append(UInt8(ascii: ","))
                }
                out.append(UInt8(ascii: ","))
                if j == 0 {
                    out.append(contentsOf: world.actionBytes[action])
                    out.append(UInt8(ascii: ","))
                    out.append(contentsOf: world.propensityBytes[s][action])
                } else {
                    out.append(UInt8(ascii: ","))
                }
                out.append(contentsOf: suffix)
                appendInteger(journey, width: 1, to: &out)
                out.append(UInt8(ascii: "\n"))
            }
            stats.events += emitted
            if converted >= 0 { stats.conversions[s] += 1 }

            guard converted >= 0 || reachedEnd else { break }  // censored by the window end
            let churn = logistic(
                churnBase + (converted >= 0 ? c.churnConvertedCoefficient : 0)
                    + c.churnTouchesCoefficient * Double(emitted))
            if rng.uniform() < churn {
                stats.churned[s] += 1
                break
            }
            t = sessionStart(after: path[emitted - 1].time, meanSeconds: journeyGap, &rng)
        }
    }

    @inline(__always) func drawNext(_ chain: [Double], p2: Int, p1: Int, _ rng: inout SplitMix64) -> Int {
        let row = (p2 * (n + 1) + p1) * (n + 1)
        let u = rng.uniform()
        for k in 0..<n where u < chain[row + k] { return k }
        return n
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`.
    @inline(__always) mutating func appendTimestamp(_ t: Int64) {
        let sinceStart = t - world.startDay
        let day = Int(sinceStart / 86_400)
        out.append(contentsOf: world.datePrefixes[day])
        let second = Int(sinceStart - Int64(day) * 86_400)
        let h = second / 3600, m = second / 60 % 60, sec = second % 60
        out.append(UInt8(48 + h / 10))
        out.append(UInt8(48 + h % 10))
        out.append(UInt8(ascii: ":"))
        out.append(UInt8(48 + m / 10))
        out.append(UInt8(48 + m % 10))
        out.append(UInt8(ascii: ":"))
        out.append(UInt8(48 + sec / 10))
        out.append(UInt8(48 + sec % 10))
        out.append(UInt8(ascii: "Z"))
    }
}

/// Decimal digits of `v` ≥ 0, zero-padded to `width`.
@inline(__always) func appendInteger(_ v: Int64, width: Int, to out: inout [UInt8]) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buffer in
        var count = 0
        var x = v
        repeat {
            buffer[count] = UInt8(48 + x % 10)
            x /= 10
            count += 1
        } while x > 0
        while count < width && count < 24 {
            buffer[count] = 48
            count += 1
        }
        for k in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[k]) }
    }
}

/// `cents` as `units.cc`.
@inline(__always) func appendCents(_ cents: Int64, to out: inout [UInt8]) {
    appendInteger(cents / 100, width: 1, to: &out)
    out.append(UInt8(ascii: "."))
    appendInteger(cents % 100, width: 2, to: &out)
}
