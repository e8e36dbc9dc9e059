struct Options: Sendable {
    var json: Bool
    var quick: Bool
    /// The groups of figures to run (`--only B1,B3`), or every group when empty: `B1` (with B2 and B6), `B3`,
    /// `B4`, `B5`, `S1`, `L` (L1–L3), `H` (H1, H2).
    var only: Set<String> = []

    /// Whether the group of figures `group` runs.
    func runs(_ group: String) -> Bool { only.isEmpty || only.contains(group) }

    /// Calls per side per round for per-call figures.
    var iterations: Int { quick ? 2_000 : 50_000 }
    /// Rounds per per-call figure; each side's median over rounds is reported.
    var rounds: Int { quick ? 3 : 7 }
    /// Concurrent pending timeouts for B3.
    var pendingCount: Int { quick ? 10_000 : 100_000 }
    /// Timeouts firing under load for B4, spread over `firingSpread`.
    var firingCount: Int { quick ? 10_000 : 100_000 }
}

/// The figures of one run.
struct Report {
    var lines: [String] = []
    var values: [(key: String, json: String)] = []

    mutating func add(_ key: String, json: String, line: String) {
        values.append((key, json))
        lines.append(line)
    }

    var json: String {
        "{" + values.map { "\"\($0.key)\": \($0.json)" }.joined(separator: ", ") + "}"
    }
}

func format(_ value: Double, digits: Int = 2) -> String {
    String(format: "%.\(digits)f", value)
}
