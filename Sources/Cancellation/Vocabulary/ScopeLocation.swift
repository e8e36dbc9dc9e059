/// The place in source code where a cancel scope, timeout or shield was opened.
///
/// Every scope records its location from the caller's `#fileID` and `#line`, so a ``TimeoutError``, a
/// ``CancellationReason`` or a diagnostic about an operation that ignores cancellation can name the exact
/// scope it is about.
public struct ScopeLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file, as `#fileID` spells it (`Module/File.swift`).
    public var fileID: String
    /// The line on which the scope was opened.
    public var line: Int

    /// Creates a location.
    ///
    /// - Parameters:
    ///   - fileID: The file, as `#fileID` spells it.
    ///   - line: The line number.
    public init(fileID: String = #fileID, line: Int = #line) {
        self.fileID = fileID
        self.line = line
    }

    /// `fileID:line`, the form compilers and editors understand.
    public var description: String { "\(fileID):\(line)" }
}
