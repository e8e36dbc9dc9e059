#if AsyncHTTPClient
public import AsyncHTTPClient
import Cancellation
public import CancellationWire
import NIOCore
import NIOHTTP1

extension HTTPClient {
    /// Sends `request` under the current effective deadline, and runs `operation` on the response — head
    /// *and* body — before that deadline.
    ///
    /// AsyncHTTPClient's own deadline stops covering a request once the response head arrives; reading
    /// the body afterwards is unbounded. This method puts the whole exchange — connecting, sending,
    /// waiting for the head, and `operation`'s reading of the body — in one scope whose deadline is the
    /// shorter of `timeout` and what is left of `EffectiveDeadline.current`, and tells the server how much
    /// of it is left in the `Request-Timeout-Ms` header (rounded *down* to a whole millisecond, at least
    /// 1, so the next hop's deadline never falls after this one's).
    ///
    /// ```swift
    /// let names = try await client.withResponse(to: request, timeout: .seconds(2)) { response in
    ///     guard response.status == .ok else { throw UpstreamError(response.status) }
    ///     return try await response.body.collect(upTo: 1 << 20)   // still under the deadline
    /// }
    /// ```
    ///
    /// Read the body inside `operation`: a body read after it returns is outside the deadline (and the
    /// request is cancelled when its response is dropped).
    ///
    /// When neither `timeout` nor any enclosing scope sets a deadline, the request is sent without the
    /// header and without a time limit. Redirects that AsyncHTTPClient follows stay under the same
    /// deadline, though they carry the header value of the first request.
    ///
    /// - Parameters:
    ///   - request: The request to send. Any value it already has for `timeoutHeader` is replaced.
    ///   - timeout: A limit for this call on top of the inherited deadline, or `nil` for none. Negative
    ///     values count as zero.
    ///   - timeoutHeader: The header that carries the budget to the server; by default
    ///     `Request-Timeout-Ms`.
    ///   - fileID: The file of the call, for `TimeoutError`; leave the default.
    ///   - line: The line of the call, for `TimeoutError`; leave the default.
    ///   - operation: The work to do with the response, typically reading its body.
    /// - Returns: The value `operation` returned.
    /// - Throws: `TimeoutError` when the deadline passes before `operation` returns — the request (and the
    ///   body read) is cancelled and awaited first — or when no time was left at the call, in which case
    ///   the request is not sent (the error's `timeout` is then zero). `CancellationError` when the
    ///   calling task is cancelled, or an enclosing scope's own cancellation ended the call first.
    ///   Otherwise what AsyncHTTPClient or `operation` threw.
    nonisolated(nonsending) public func withResponse<Value>(
        to request: HTTPClientRequest,
        timeout: Duration? = nil,
        timeoutHeader: String = RequestTimeoutHeader.name,
        fileID: String = #fileID,
        line: Int = #line,
        operation: (HTTPClientResponse) async throws -> Value
    ) async throws -> Value {
        let clock = ContinuousClock()
        guard let deadline = Self.outgoingDeadline(configured: timeout, clock: clock) else {
            let response = try await execute(request, deadline: .distantFuture)
            return try await operation(response)
        }
        guard clock.now < deadline else {
            // The caller's own cancellation is reported as such, never as a timeout.
            try _Concurrency.Task.checkCancellation()
            throw TimeoutError(timeout: .zero, location: ScopeLocation(fileID: fileID, line: line))
        }
        return try await withTimeout(at: deadline, clock: clock, fileID: fileID, line: line) {
            var request = request
            // Read the budget right before sending, so the time spent so far is not passed on.
            let left = clock.now.duration(to: deadline)
            request.headers.replaceOrAdd(name: timeoutHeader, value: RequestTimeoutHeader.format(left))
            // No deadline for AsyncHTTPClient itself: the scope's cancellation ends the request, so that
            // expiry is reported as `TimeoutError` rather than `HTTPClientError.deadlineExceeded`.
            let response = try await execute(request, deadline: .distantFuture)
            return try await operation(response)
        }
    }

    /// Sends `request` under the current effective deadline and collects its whole body before that
    /// deadline.
    ///
    /// This is `withResponse(to:timeout:timeoutHeader:isolation:fileID:line:operation:)` with an
    /// operation that collects the body: the returned response's `body` is already in memory, so nothing
    /// of the exchange outlives the deadline. The name differs from AsyncHTTPClient's
    /// `execute(_:timeout:logger:)`, whose `TimeAmount` bounds only the wait for the response head.
    ///
    /// - Parameters:
    ///   - request: The request to send. Any value it already has for `timeoutHeader` is replaced.
    ///   - timeout: A limit for this call on top of the inherited deadline, or `nil` for none.
    ///   - maxBodyBytes: The largest body accepted.
    ///   - timeoutHeader: The header that carries the budget to the server; by default
    ///     `Request-Timeout-Ms`.
    ///   - fileID: The file of the call, for `TimeoutError`; leave the default.
    ///   - line: The line of the call, for `TimeoutError`; leave the default.
    /// - Returns: The response, its body fully read.
    /// - Throws: `TimeoutError` when the deadline passes before the body is read, or when no time was left
    ///   at the call (the request is then not sent); `CancellationError` when the calling task is
    ///   cancelled; `NIOTooManyBytesError` when the body is longer than `maxBodyBytes`; otherwise what
    ///   AsyncHTTPClient threw, for example when the server closed the connection mid-body.
    public func executeWithinDeadline(
        _ request: HTTPClientRequest,
        timeout: Duration? = nil,
        maxBodyBytes: Int,
        timeoutHeader: String = RequestTimeoutHeader.name,
        fileID: String = #fileID,
        line: Int = #line
    ) async throws -> HTTPClientResponse {
        try await withResponse(to: request, timeout: timeout, timeoutHeader: timeoutHeader, fileID: fileID, line: line) { response in
            var response = response
            let body = try await response.body.collect(upTo: maxBodyBytes)
            response.body = .bytes(body)
            return response
        }
    }

    /// The deadline of an outgoing call: `now` plus `OutgoingTimeout.current(configured:)` — the earlier of
    /// `now + configured` and the current effective deadline — or `nil` when there is neither (or only one
    /// too far away to be an instant).
    static func outgoingDeadline(configured: Duration?, clock: ContinuousClock) -> ContinuousClock.Instant? {
        // Read before the budget, so the result is never later than the deadline the budget comes from.
        let now = clock.now
        guard let budget = OutgoingTimeout.current(configured: configured),
            budget < RequestTimeoutHeader.maximumTimeout
        else { return nil }
        return now.advanced(by: budget)
    }
}
#endif
