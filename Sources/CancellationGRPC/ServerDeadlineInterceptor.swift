#if GRPC
public import CancellationWire
public import GRPCCore
import Cancellation
import Synchronization

/// A server interceptor that runs each RPC handler under the request's deadline: the client's
/// `grpc-timeout`, capped by the server's ``CancellationWire/ServerDeadlinePolicy``.
///
/// grpc-swift 2 reads `grpc-timeout` itself, but only to mark the RPC as cancelled when it runs out: the
/// handler's task is not cancelled, the handler cannot see how much time it has, and nothing passes the
/// budget to the services it calls. Install this interceptor and the handler runs inside a cancel scope
/// (`withCancelScope`) whose deadline is the request's:
///
/// - `EffectiveDeadline.current` inside the handler — and in everything it calls — reports the request's
///   deadline, and ``ClientDeadlineInterceptor`` sends what is left of it to the next hop.
/// - When the deadline passes, the handler's task is cancelled; if it ends by cancellation, the RPC fails
///   with `RPCError.Code.deadlineExceeded` (never `.unknown`, which is what grpc-swift reports for a
///   handler that throws `CancellationError`).
/// - The deadline covers the whole RPC: the handler and, for streaming responses, the response's producer,
///   which grpc-swift runs after the interceptors have returned; both run under the same absolute
///   deadline, fixed when the request reaches the interceptor.
/// - When the RPC is cancelled by the client or the transport (a reset stream, or grpc-swift's own
///   `grpc-timeout` timer), the handler's task is cancelled too, and the RPC fails with
///   `RPCError.Code.cancelled`. A cancellation of the RPC in the last quarter of the request's timeout
///   (at least its last 100 ms) is taken as the deadline itself: it is almost always grpc-swift's own
///   timer for the same `grpc-timeout`, or the client giving up at its own deadline, which started a
///   transit time before ours — a transit that a loaded machine stretches. The scope's deadline is then
///   brought forward to that moment, so the handler is cancelled at once, with
///   `CancellationReason.deadlineExpired`, the RPC ends with `.deadlineExceeded`, and the calls the
///   handler makes to further hops report a deadline too, not a cancellation.
/// - A request whose deadline has already passed when it arrives (a `grpc-timeout` of zero, or a policy
///   whose maximum is zero) fails with `.deadlineExceeded` without running the handler.
///
/// The handler's own errors pass through unchanged: an `RPCError` it throws keeps its code, even after
/// the deadline passed. Any other error thrown once the deadline has passed (or the RPC was cancelled),
/// which grpc-swift would report as `.unknown`, is reported as `.deadlineExceeded` (or `.cancelled`). A
/// value a unary handler returns after the deadline passed is still sent, unless writing it has to wait
/// for flow control: grpc-swift writes it from the response's producer, which then starts with its
/// deadline already passed.
///
/// The header is untrusted: a malformed `grpc-timeout` counts as absent (the policy's default applies),
/// several values count as the shortest valid one, and no value can lengthen the deadline past the
/// policy's maximum. (grpc-swift's own timer reads the first value with a laxer grammar — a sign is
/// accepted, an eighth digit is not — but it can only cancel the RPC, that is, shorten it.)
///
/// ```swift
/// let deadlines = ServerDeadlineInterceptor(
///     policy: ServerDeadlinePolicy(defaultTimeout: .seconds(10), maximumTimeout: .seconds(30))
/// )
/// try await withGRPCServer(transport: transport, services: [service], interceptors: [deadlines]) { _ in … }
/// ```
///
/// Put it early in the interceptor list, so the interceptors after it run under the deadline too.
///
/// - Note: Cancellation is cooperative. A handler that never reaches a cancellation point runs on past
///   its deadline, and the RPC ends when the handler does.
@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
public struct ServerDeadlineInterceptor: ServerInterceptor {
    /// How the interceptor turns the client's `grpc-timeout` into the deadline it enforces.
    public var policy: ServerDeadlinePolicy

    /// What watches each RPC's deadline: told when an RPC arrives and how it ends — after its handler and,
    /// for a streaming response, after the response's producer (see `RequestDeadlineObserver`).
    /// `CancellationMetrics` and `CancellationTracing` provide observers.
    public var observers: [any RequestDeadlineObserver]

    /// Creates an interceptor that enforces `policy`.
    ///
    /// - Parameters:
    ///   - policy: The default deadline of requests without a valid `grpc-timeout`, and the longest
    ///     deadline any request gets. The default policy enforces the client's timeout as sent, and gives
    ///     requests without one no deadline.
    ///   - observers: What watches each RPC's deadline; none by default.
    public init(policy: ServerDeadlinePolicy = ServerDeadlinePolicy(), observers: [any RequestDeadlineObserver] = []) {
        self.policy = policy
        self.observers = observers
    }

    /// Runs the rest of the RPC — later interceptors, the handler, and the producer of its response —
    /// under the request's deadline.
    ///
    /// On expiry the handler's task is cancelled; an RPC that then ends by cancellation fails with
    /// `RPCError.Code.deadlineExceeded`. On cancellation of the RPC by the client or the transport, the
    /// handler's task is cancelled at once; the RPC fails with `RPCError.Code.cancelled`, or with
    /// `.deadlineExceeded` when the cancellation came in the last quarter of the timeout.
    ///
    /// - Parameters:
    ///   - request: The request, whose `grpc-timeout` metadata is read.
    ///   - context: The RPC's context; its cancellation handle is bridged to the handler's task.
    ///   - next: The rest of the interceptor chain and the handler.
    /// - Returns: The response, whose producer runs under the same deadline.
    /// - Throws: `RPCError` with code `.deadlineExceeded` when the deadline had passed on arrival or
    ///   passed while the handler ran and it ended by cancellation; `RPCError` with code `.cancelled`
    ///   when the RPC was cancelled and the handler ended by it; otherwise whatever `next` threw.
    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingServerRequest<Input>,
        context: ServerContext,
        next: @Sendable (
            _ request: StreamingServerRequest<Input>,
            _ context: ServerContext
        ) async throws -> StreamingServerResponse<Output>
    ) async throws -> StreamingServerResponse<Output> {
        let requested = GRPCTimeoutHeader.parse(values: request.metadata[stringValues: GRPCTimeoutHeader.name])
        let rpc = RequestDeadline(timeout: policy.timeout(requested: requested), cancellation: context.cancellation)
        // Reports the RPC's end once: from the handler's failure, or from the response's producer — or, when
        // grpc-swift drops the response without running its producer (the stream closed first), when the
        // producer is released.
        // `nil` without observers: nothing to report, and nothing to build per RPC (not even the method's name).
        let ending: RPCEnding?
        if observers.isEmpty {
            ending = nil
        } else {
            let watched = RequestDeadlineRequest(
                transport: .grpc,
                operation: context.descriptor.fullyQualifiedMethod,
                receivedTimeout: requested,
                timeout: rpc.timeout,
                arrival: rpc.arrival
            )
            observers.requestArrived(watched)
            ending = RPCEnding(observers: observers, request: watched, rpc: rpc)
        }

        if rpc.hasPassedOnArrival {
            ending?.report(.deadlineExceededOnArrival, reason: nil)
            throw rpc.expiredError()
        }
        var handlerScope: CancelScope<ContinuousClock>?
        var response: StreamingServerResponse<Output>
        do {
            response = try await rpc.run(scope: &handlerScope) { try await next(request, context) }
        } catch {
            ending?.end(by: error, scope: handlerScope)
            throw error
        }
        let contents: StreamingServerResponse<Output>.Contents
        switch response.accepted {
        case .success(let accepted):
            contents = accepted
        case .failure(let error):
            // An interceptor after this one turned the handler's error into a response.
            let translated = rpc.translatedAfterward(error)
            ending?.end(by: translated, scope: handlerScope)
            response.accepted = .failure(translated)
            return response
        }
        // grpc-swift calls the producer after every interceptor has returned: give it the same deadline.
        let producer = contents.producer
        response.accepted = .success(
            StreamingServerResponse.Contents(metadata: contents.metadata) { writer in
                var producerScope: CancelScope<ContinuousClock>?
                do {
                    let trailers = try await rpc.run(scope: &producerScope) { try await producer(writer) }
                    ending?.end(by: nil, scope: producerScope)
                    return trailers
                } catch {
                    ending?.end(by: error, scope: producerScope)
                    throw error
                }
            }
        )
        return response
    }
}

/// Reports one RPC's end to its observers, exactly once.
///
/// The interceptor reports from the handler's failure or from the response's producer. grpc-swift may drop
/// a response without running its producer (when writing the response's metadata fails because the client
/// went away); the producer, which holds this object, is then released, and the end is reported from
/// `deinit` — outside the RPC's task, so without its task-local values.
@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
final class RPCEnding: Sendable {
    let observers: [any RequestDeadlineObserver]
    let request: RequestDeadlineRequest
    let rpc: RequestDeadline
    /// Whether the end was reported.
    private let reported = Mutex(false)

    init(observers: [any RequestDeadlineObserver], request: RequestDeadlineRequest, rpc: RequestDeadline) {
        self.observers = observers
        self.request = request
        self.rpc = rpc
    }

    /// Reports the end of an RPC that ended by `error` (or without one), in `scope`.
    func end(by error: (any Error)?, scope: CancelScope<ContinuousClock>?) {
        let outcome = rpc.outcome(endedBy: error)
        let reason: CancellationReason? =
            switch outcome {
            case .finished: nil
            case .deadlineExceeded, .deadlineExceededOnArrival: scope.map { $0.reason ?? .deadlineExpired(scope: $0.location) }
            case .cancelled: scope?.reason
            }
        report(outcome, reason: reason)
    }

    /// Reports `outcome`, unless an outcome was reported already.
    func report(_ outcome: RequestDeadlineOutcome, reason: CancellationReason?) {
        guard reported.withLock({ reported in defer { reported = true }; return !reported }) else { return }
        observers.requestEnded(request, outcome: outcome, reason: reason)
    }

    deinit {
        // The producer never ran: the RPC ended when its stream closed, by its deadline or its cancellation.
        report(rpc.outcome(endedBy: nil), reason: nil)
    }
}

/// The deadline of one request on the server, and how its end is reported.
@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
struct RequestDeadline: Sendable {
    /// How long the server gives the request, or `nil` for no deadline.
    let timeout: Duration?
    /// The instant the deadline passes, or `nil` for no deadline.
    let deadline: ContinuousClock.Instant?
    /// The instant the request reached the interceptor.
    let arrival: ContinuousClock.Instant
    /// The RPC's cancellation handle, cancelled by the transport and by grpc-swift's own timer.
    let cancellation: ServerContext.RPCCancellationHandle

    /// How close to the deadline a cancellation of the RPC is left to the deadline: a client resets the
    /// stream at its own deadline, which comes a transit time before ours, and grpc-swift's own timer for
    /// the same `grpc-timeout` starts a moment before ours. A quarter of the timeout, at least 100 ms.
    let expiryMargin: Duration

    /// The least ``expiryMargin``.
    static let minimumExpiryMargin: Duration = .milliseconds(100)

    init(timeout: Duration?, cancellation: ServerContext.RPCCancellationHandle) {
        self.timeout = timeout
        // ContinuousClock instants are `Duration`s since boot: even the longest `grpc-timeout`, about
        // 11,400 years, cannot overflow them.
        let arrival = ContinuousClock.now
        self.arrival = arrival
        self.deadline = timeout.map { arrival.advanced(by: $0) }
        self.expiryMargin = max(Self.minimumExpiryMargin, (timeout ?? .zero) / 4)
        self.cancellation = cancellation
    }

    var hasPassedOnArrival: Bool {
        timeout.map { $0 <= .zero } ?? false
    }

    /// Runs `operation` in a cancel scope with the request's deadline, with the RPC's cancellation bridged
    /// to the scope, and reports an end by the scope's cancellation as an `RPCError`.
    ///
    /// - Parameters:
    ///   - scope: Set to the scope the operation runs in, to ask afterwards why it was cancelled.
    ///   - operation: The handler, or the response's producer.
    func run<Value: Sendable>(
        scope: inout CancelScope<ContinuousClock>?,
        _ operation: () async throws -> Value
    ) async throws -> Value {
        var opened: CancelScope<ContinuousClock>?
        defer { scope = opened }
        let value = try await withCancelScope(deadline: deadline) { scope in
            opened = scope
            return try await withRPCCancellationHandler {
                // The handle refuses new handlers once the RPC is cancelled; catch up with that here.
                if cancellation.isCancelled {
                    rpcCancelled(scope)
                }
                do {
                    return try await operation()
                } catch {
                    throw translated(error, reason: scope.reason)
                }
            } onCancelRPC: {
                rpcCancelled(scope)
            }
        }
        // `nil`: the scope's own cancellation ended the operation with a `CancellationError` after
        // `translated` had looked (the scope was cancelled in between); it can only be one of ours.
        guard let value else {
            throw isPastDeadline || expiredEarly ? expiredError() : cancelledError(reason: "the RPC was cancelled")
        }
        return value
    }

    /// Cancels the scope because the RPC was cancelled. Within ``expiryMargin`` of the deadline the
    /// cancellation is the deadline's doing (the client's own deadline, or grpc-swift's timer for the same
    /// `grpc-timeout`, both a moment ahead of ours): the scope's deadline is brought forward to now, so
    /// the handler is cancelled at once *as by its deadline* — its reason is `.deadlineExpired`, the RPC
    /// ends with `.deadlineExceeded`, and calls it makes to further hops report the same.
    func rpcCancelled(_ scope: CancelScope<ContinuousClock>) {
        if isWithinExpiryMargin {
            scope.reschedule(to: ContinuousClock.now)
            return
        }
        scope.cancel(reason: "the RPC was cancelled by the client or the transport")
    }

    /// How an RPC that ended by `error` (or without one, `nil`) ended, for its observers: by its deadline
    /// when the interceptor reports `.deadlineExceeded` for it, by its cancellation when it reports
    /// `.cancelled`, otherwise as finished (the handler's own errors among them). An RPC that ended without
    /// an error after its deadline passed, or after it was cancelled, ended by that.
    func outcome(endedBy error: (any Error)?) -> RequestDeadlineOutcome {
        // Without an error: finished — unless the RPC was past its deadline or cancelled by then, so that what
        // it produced came too late for its client (a late unary value, a stream written to a closed RPC).
        guard let error else {
            return isPastDeadline || expiredEarly ? .deadlineExceeded : cancellation.isCancelled ? .cancelled : .finished
        }
        // The server shutting down cancels the handler's task without cancelling the RPC's handle.
        let cancelled = cancellation.isCancelled || Task.isCancelled
        guard let error = error as? RPCError else {
            return error is CancellationError && cancelled ? .cancelled : .finished
        }
        switch error.code {
        case .deadlineExceeded where isPastDeadline || expiredEarly:
            return .deadlineExceeded
        case .cancelled where cancelled:
            return .cancelled
        default:
            return .finished
        }
    }

    var isPastDeadline: Bool {
        deadline.map { ContinuousClock.now >= $0 } ?? false
    }

    /// Whether the deadline is no further away than ``expiryMargin`` (or has passed).
    var isWithinExpiryMargin: Bool {
        deadline.map { ContinuousClock.now.duration(to: $0) <= expiryMargin } ?? false
    }

    /// Whether the RPC was cancelled close enough to the deadline to count as expired (see
    /// ``rpcCancelled(_:)``); once true it stays true, as time only moves on.
    var expiredEarly: Bool {
        cancellation.isCancelled && isWithinExpiryMargin
    }

    /// `error` as the RPC should report it: a cancellation caused by this scope becomes
    /// `.deadlineExceeded` or `.cancelled`; anything else is the handler's own and passes through.
    func translated(_ error: any Error, reason: CancellationReason?) -> any Error {
        // After the scope's cancellation, an error that is not an `RPCError` of the handler's own (a
        // `CancellationError`, or whatever a cancelled write threw) would reach the client as `.unknown`.
        guard let reason, error.isCancellation || !(error is RPCError) else { return error }
        switch reason {
        case .deadlineExpired:
            return expiredError(cause: error)
        case .cancelled(let why, _):
            return cancelledError(reason: why, cause: error)
        case .taskCancelled:
            return error
        }
    }

    /// `error`, found in a response after the scope ended, as the RPC should report it: a cancellation
    /// becomes `.deadlineExceeded` once the deadline has passed, `.cancelled` once the RPC was cancelled.
    func translatedAfterward(_ error: RPCError) -> RPCError {
        guard error.isCancellation else { return error }
        if isPastDeadline || expiredEarly { return expiredError(cause: error) }
        if cancellation.isCancelled { return cancelledError(reason: "the RPC was cancelled", cause: error) }
        return error
    }

    func expiredError(cause: (any Error)? = nil) -> RPCError {
        let budget = timeout.map { "\($0)" } ?? "none"
        return RPCError(
            code: .deadlineExceeded,
            message: "The request's deadline (timeout \(budget)) passed before the handler finished.",
            cause: cause
        )
    }

    func cancelledError(reason: String, cause: (any Error)? = nil) -> RPCError {
        RPCError(code: .cancelled, message: "The handler was cancelled: \(reason).", cause: cause)
    }
}

@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
extension Error {
    /// Whether the error reports a cancellation rather than a failure of its own: `CancellationError`, or
    /// an `RPCError` that grpc-swift made of one.
    var isCancellation: Bool {
        if self is CancellationError { return true }
        guard let rpcError = self as? RPCError else { return false }
        switch rpcError.code {
        case .cancelled:
            return true
        case .unknown:
            return rpcError.cause.map { $0.isCancellation } ?? false
        default:
            return false
        }
    }
}
#endif
