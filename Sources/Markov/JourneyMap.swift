extension TransitionCounts {
    /// The fitted chain as a Graphviz DOT graph: one node per state, edges labelled with transition
    /// probabilities (width grows with them), conversions in green and drop-offs to null in red.
    ///
    /// - Parameter minimumProbability: edges between states below this are left out, so large chains
    ///   stay readable; edges to conversion and null are always drawn.
    public func journeyMap(minimumProbability: Double = 0.02) -> String {
        let chain = AbsorbingChain(self)
        let names = states.map { configuration.semantics.describe($0, channelNames: channelNames) }
        func escaped(_ s: String) -> String { s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") }
        func edge(_ from: Int, _ to: String, _ p: Double, _ style: String = "", always: Bool = false) -> String? {
            guard p > 0, always || p >= minimumProbability else { return nil }
            let width = String(format: "%.2f", 0.5 + 4 * p)
            return "  n\(from) -> \(to) [label=\"\(String(format: "%.2f", p))\", penwidth=\(width)\(style)];"
        }
        var lines = [
            "digraph journeys {",
            "  rankdir=LR;",
            "  node [shape=box, style=rounded, fontname=\"Helvetica\"];",
            "  conversion [label=\"(conversion)\", shape=doublecircle, color=darkgreen, fontcolor=darkgreen];",
            "  null [label=\"(null)\", shape=doublecircle, color=firebrick, fontcolor=firebrick];",
        ]
        let x = (try? chain.conversionProbabilities()) ?? Array(repeating: 0, count: states.count)
        for s in states.indices {
            let label = "\(escaped(names[s]))\\nP(conversion) \(String(format: "%.3f", x[s]))"
            lines.append("  n\(s) [label=\"\(label)\"\(s == 0 ? ", shape=oval" : "")];")
        }
        for s in states.indices {
            for e in chain.rowStarts[s]..<chain.rowStarts[s + 1] {
                if let line = edge(s, "n\(chain.targets[e])", chain.probabilities[e]) { lines.append(line) }
            }
            if let line = edge(s, "conversion", chain.conversion[s], ", color=darkgreen, fontcolor=darkgreen", always: true) { lines.append(line) }
            if let line = edge(s, "null", chain.null[s], ", color=firebrick, fontcolor=firebrick, style=dashed", always: true) { lines.append(line) }
        }
        lines.append("}")
        return lines.joined(separator: "\n")
    }
}

#if canImport(Foundation)
import Foundation
#endif
