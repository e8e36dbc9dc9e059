#if Hummingbird
import Cancellation
public import CancellationWire
public import HTTPTypes
public import Hummingbird

/// A Hummingbird middleware that gives every request a deadline and answers `504 Gateway Timeout` when it
/// passes.
///
/// The deadline comes from a `ServerDeadlinePolicy`: the client's `Request-Timeout-Ms` header (see
/// `RequestTimeoutHeader`) when it carries a valid one, otherwise the policy's default, and never more than
/// the policy's maximum. Header values are untrusted: a malformed value counts as no header, several values
/// count as the shortest, and a huge one is capped by the maximum, so a client can shorten its request's
/// deadline but never lengthen it.
///
/// The rest of the chain — later middleware and the route handler — runs inside a cancel scope with that
/// deadline, so `EffectiveDeadline.current` works in handlers and everything they await, and the
/// `CancellationAsyncHTTPClient` integration passes what is left on to the next hop. When the deadline
/// passes:
///
/// - **Before the handler returns**, the handler's task is cancelled and *awaited*: its `defer` blocks and
///   `catch` clauses run before the middleware answers. The middleware then answers ``timeoutStatus``
///   (by default `504 Gateway Timeout`) with a short `text/plain` body, whatever the handler returned or
///   threw after the deadline. A response returned after the deadline is dropped and its body writer
///   never runs, so a handler must not leave cleanup to its body writer alone.
/// - **While the response body is being written** — Hummingbird writes a streaming body *after* the
///   middleware has returned, so the middleware wraps the body's writer in the same deadline — the
///   writer is cancelled and awaited. The status line has already been sent and cannot change, so the
///   response is aborted instead: Hummingbird closes the connection without ending the body. The client
///   sees a truncated body (a chunked body without its last chunk, or fewer bytes than `Content-Length`
///   promised) and an error from its HTTP library, never a complete-looking response. A body already in
///   memory (`ResponseBody(byteBuffer:)`, or none) is not wrapped: Hummingbird sends it with the head in
///   one batched write, no code of the handler's runs meanwhile, and how fast the client reads it is for
///   the server's idle timeout to bound.
/// - **Already on arrival** (the client sent `0`, or the policy grants zero), the middleware answers the
///   timeout status at once without running the handler.
///
/// A request with no deadline at all (no valid header, and a policy with neither default nor maximum, or
/// a policy timeout of 136 years or more) runs the handler as if the middleware were absent.
///
/// ```swift
/// let router = Router()
/// router.add(middleware: RequestDeadlineMiddleware(
///     policy: ServerDeadlinePolicy(defaultTimeout: .seconds(10), maximumTimeout: .seconds(30))
/// ))
/// router.get("report") { _, _ in
///     let left = EffectiveDeadline.current?.remaining   // at most 30 s
///     return try await buildReport()
/// }
/// ```
///
/// Add it first (outermost) so that everything after it runs under the deadline. If the server itself is
/// shutting down (the request's task is cancelled), that cancellation is rethrown rather than reported as
/// a timeout.
public struct RequestDeadlineMiddleware<Context: RequestContext>: RouterMiddleware {
    /// How the request's deadline is derived from the client's header.
    public var policy: ServerDeadlinePolicy

    /// The request header that carries the client's timeout in milliseconds.
    public var timeoutHeader: HTTPField.Name

    /// The status answered when a request's deadline passes before its response head is sent; by default
    /// `504 Gateway Timeout`.
    public var timeoutStatus: HTTPResponse.Status

    /// What watches each request's deadline: told when a request arrives and how it ends (see
    /// `RequestDeadlineObserver`); `CancellationMetrics` and `CancellationTracing` provide observers.
    public var observers: [any RequestDeadlineObserver]

    /// Creates the middleware.
    ///
    /// - Parameters:
    ///   - policy: The server's default and maximum timeouts.
    ///   - timeoutHeader: The header that carries the client's timeout in milliseconds; by default
    ///     `Request-Timeout-Ms`.
    ///   - timeoutStatus: The status of the answer sent when the deadline passes before the handler
    ///     returns, or on arrival; by default `504 Gateway Timeout`.
    ///   - observers: What watches each request's deadline: told when it arrives and how it ends, with its
    ///     route; none by default.
    public init(
        policy: ServerDeadlinePolicy,
        timeoutHeader: HTTPField.Name = .requestTimeoutMs,
        timeoutStatus: HTTPResponse.Status = .gatewayTimeout,
        observers: [any RequestDeadlineObserver] = []
    ) {
        self.policy = policy
        self.timeoutHeader = timeoutHeader
        self.timeoutStatus = timeoutStatus
        self.observers = observers
    }

    /// Runs the rest of the chain under the request's deadline.
    ///
    /// The handler runs in a child task of a cancel scope whose deadline is the request's; when it passes,
    /// the handler is cancelled and awaited and the timeout status is answered. A streaming body of the
    /// response the handler returns is written under the same deadline.
    ///
    /// - Parameters:
    ///   - request: The incoming request.
    ///   - context: The request's context.
    ///   - next: The rest of the chain.
    /// - Returns: The handler's response, with a streaming body bounded by the deadline; or a
    ///   ``timeoutStatus`` response when the deadline passed before the handler returned.
    /// - Throws: What the handler threw, when it threw before the deadline passed; `CancellationError` when
    ///   the request's own task was cancelled (the server is shutting down).
    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let requested = RequestTimeoutHeader.parse(values: request.headers[values: timeoutHeader])
        let clock = ContinuousClock()
        let start = clock.now
        // A timeout past about 136 years (possible only through the server's own policy: the header tops out
        // at about 115 days) is no deadline, as it is for the core's scopes; it could not be added to an
        // instant anyway.
        let timeout = policy.timeout(requested: requested).flatMap { $0 < .seconds(Int64(UInt32.max)) ? $0 : nil }
        // Built only for observers: without them, nothing per request (not even the route's or method's name).
        let watched: RequestDeadlineRequest? =
            observers.isEmpty
            ? nil
            : RequestDeadlineRequest(
                transport: .http,
                operation: context.endpointPath,
                method: request.method.rawValue,
                receivedTimeout: requested,
                timeout: timeout,
                arrival: start
            )
        if let watched {
            observers.requestArrived(watched)
        }
        /// Tells the observers how the request ended, with the route as matched by then (a router that
        /// matches routes after its middleware has run sets it only now).
        func ended(_ outcome: RequestDeadlineOutcome, reason: CancellationReason? = nil) {
            guard var ending = watched else { return }
            ending.operation = context.endpointPath
            observers.requestEnded(ending, outcome: outcome, reason: reason)
        }

        guard let timeout else {
            do {
                let response = try await next(request, context)
                ended(.finished)
                return response
            } catch {
                ended(Task.isCancelled && error is CancellationError ? .cancelled : .finished)
                throw error
            }
        }
        guard timeout > .zero else {
            ended(.deadlineExceededOnArrival)
            return timeoutResponse()
        }
        let deadline = start.advanced(by: timeout)

        var handlerScope: CancelScope<ContinuousClock>?
        let outcome: HandlerOutcome?
        do {
            outcome = try await withCancelScope(deadline: deadline, clock: clock) { scope -> HandlerOutcome in
                handlerScope = scope
                do {
                    let response = try await next(request, context)
                    // A response that comes back after the deadline fired is late: the client is answered with
                    // the timeout status, as it would have been a moment earlier.
                    if scope.isCancelled || clock.now >= deadline {
                        return .expired
                    }
                    return .answered(response)
                } catch {
                    // Whatever the handler threw once its deadline had passed — `CancellationError`, or a
                    // `TimeoutError` from an inner scope with the same deadline that fired first, or a client
                    // library's own error — is the deadline's doing.
                    if scope.isCancelled || clock.now >= deadline {
                        return .expired
                    }
                    throw error
                }
            }
        } catch {
            // The handler's own error, before its deadline; or the server shutting down.
            ended(Task.isCancelled && error is CancellationError ? .cancelled : .finished, reason: handlerScope?.reason)
            throw error
        }

        switch outcome {
        case .answered(var response)?:
            ended(.finished)
            response.body = Self.bounded(response.body, by: deadline, clock: clock)
            return response
        case .expired?, nil:
            // The scope's child task was cancelled by the deadline; if the request's own task was cancelled
            // too (the server is shutting down), report that rather than a timeout.
            if Task.isCancelled {
                ended(.cancelled, reason: handlerScope?.reason)
                throw CancellationError()
            }
            ended(.deadlineExceeded, reason: handlerScope.map { $0.reason ?? .deadlineExpired(scope: $0.location) })
            return timeoutResponse()
        }
    }

    /// The answer sent when the deadline passes before the response head is sent.
    func timeoutResponse() -> Response {
        let text = "request deadline exceeded\n"
        return Response(
            status: timeoutStatus,
            headers: [.contentType: "text/plain; charset=utf-8", .contentLength: String(text.utf8.count)],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// `body`, written under `deadline`: when the deadline passes, the writer is cancelled and awaited and
    /// the write fails with `TimeoutError`, which makes Hummingbird close the connection mid-body.
    ///
    /// A body already in memory (one buffer, or none) is returned as it is. Hummingbird sends such a body
    /// with its head and end in one batched write; wrapped in a writer it would take three, each a hop to
    /// the connection's event loop — measured over loopback, 1.4–2.2 more voluntary context switches and
    /// 35–45 µs more CPU per request. Nothing of the handler's runs while it is written, so the deadline
    /// would bound only how fast the client reads, which the server's idle timeout governs.
    static func bounded(_ body: ResponseBody, by deadline: ContinuousClock.Instant, clock: ContinuousClock) -> ResponseBody {
        if isInMemory(body) {
            return body
        }
        return ResponseBody(contentLength: body.contentLength) { writer in
            try await withTimeout(at: deadline, clock: clock) {
                try await body.write(writer)
            }
        }
    }

    /// Whether `body` is one buffer or empty, the two kinds Hummingbird writes in one batch with the head.
    ///
    /// Hummingbird keeps that distinction to itself (an internal `_backing` enum with the cases `byteBuffer`,
    /// `empty` and `closure`), so it is read by reflection. Whatever does not look like that — a later
    /// Hummingbird with another layout, or a build without reflection metadata — counts as a streaming body
    /// and is wrapped, as every body was before: the check can cost the fast path, never the deadline.
    /// `HTTPResponseBodyTests` pins the layout, so an upgrade that changes it fails there.
    ///
    /// - Warning: The reflection is not free: measured in a loop, 4–6 µs for an in-memory body (the batched
    ///   write it keeps saves 35–45 µs of CPU per request over loopback) and 11–12 µs for a streaming body
    ///   of known length, which is then wrapped as before; a body of unknown length skips it.
    static func isInMemory(_ body: ResponseBody) -> Bool {
        // An in-memory body always knows its length; a streaming body of unknown length is told apart without
        // reflection, which costs several microseconds.
        guard body.contentLength != nil else { return false }
        guard let backing = Mirror(reflecting: body).children.first(where: { $0.label == "_backing" })?.value
        else { return false }
        let cases = Mirror(reflecting: backing)
        guard cases.displayStyle == .enum else { return false }
        // A case with a payload reflects as one child labelled with the case's name; a case without one
        // reflects no child and is described by its name.
        guard let payload = cases.children.first else { return String(describing: backing) == "empty" }
        return payload.label == "byteBuffer"
    }
}

/// What the handler's scope produced.
private enum HandlerOutcome: Sendable {
    case answered(Response)
    case expired
}

extension HTTPField.Name {
    /// The `Request-Timeout-Ms` header, which carries a request's timeout in milliseconds (see
    /// `RequestTimeoutHeader`).
    public static var requestTimeoutMs: Self {
        // The name is a valid token, so the initializer cannot fail.
        Self(RequestTimeoutHeader.name)!
    }
}
#endif
