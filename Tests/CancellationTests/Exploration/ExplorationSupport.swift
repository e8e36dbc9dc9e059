// Pieces the exploration models share.

/// A value with a hashable key made from its whole structure, for state machines that are not `Hashable`
/// themselves. Two values with the same structure are one state; the key may tell apart values that differ
/// only in storage history (a buffer's spare slots), which costs duplicate states, never missed ones.
struct StructuralKey<Value>: Hashable {
    let value: Value
    private let key: String

    init(_ value: Value) {
        self.value = value
        var text = ""
        dump(value, to: &text)
        key = text
    }

    static func == (lhs: Self, rhs: Self) -> Bool { lhs.key == rhs.key }
    func hash(into hasher: inout Hasher) { hasher.combine(key) }
}

/// How a waiter's continuation was resumed.
enum Resumption: Hashable, CustomStringConvertible {
    case granted
    case cancelled

    var description: String { self == .granted ? "granted" : "CancellationError" }
}
