#if GRPC
public import GRPCCore
import Cancellation
import CancellationWire

/// A client interceptor that sends each RPC with the time left until the caller's deadline: the
/// `grpc-timeout` it sends is the shorter of the call's own timeout (`CallOptions.timeout`) and
/// `EffectiveDeadline.current`'s remaining time.
///
/// Inside a handler run by ``ServerDeadlineInterceptor``, or inside any `withTimeout` or cancel scope
/// with a deadline, outgoing calls then carry what is left of that deadline, and every hop of a chain gets
/// less than the one before — as Go's `context` does.
///
/// - The budget is computed right before the request is sent, per attempt when grpc-swift retries or
///   hedges, and replaces the `grpc-timeout` grpc-swift wrote from the call's options: the request
///   carries exactly one value.
/// - When the budget is already spent, the call fails with `RPCError.Code.deadlineExceeded` without
///   sending anything to the server.
/// - The deadline is enforced on the client too, even when the server never answers: grpc-swift enforces
///   the call's own timeout, and the scope that set the caller's deadline cancels the task making the
///   call when it passes. The interceptor reports a call ended that way — while waiting for the response
///   or while reading its messages — as `RPCError.Code.deadlineExceeded`, not as a cancellation.
/// - Without a call timeout or an enclosing deadline the call goes through untouched.
///
/// ```swift
/// try await withGRPCClient(transport: transport, interceptors: [ClientDeadlineInterceptor()]) { client in
///     try await withTimeout(.seconds(2)) {
///         try await client.unary(request: request, descriptor: method, serializer: s, deserializer: d,
///                                options: .defaults) { try $0.message }  // sends grpc-timeout ≤ 2 s
///     }
/// }
/// ```
///
/// - Note: The caller's deadline is enforced by cancelling the task of the scope that set it. A task
///   created with `Task { }` inside such a scope sees the deadline (task-local values are inherited) but
///   is not cancelled by it; calls made there send the budget and report an expired deadline as
///   `.deadlineExceeded`, but only the call's own timeout ends them early.
///
/// - Note: grpc-swift runs client interceptors once the call has a stream. A deadline that passes while
///   the call still waits for a connection ends it before this interceptor runs: grpc-swift reports the
///   call's own timeout as `.deadlineExceeded` itself, but a caller's scope ends the call with whatever
///   the transport threw on cancellation, which this interceptor never sees. For the same reason
///   grpc-swift computes the `grpc-timeout` of
///   `CallOptions.timeout` before that wait; this interceptor can only shorten it, so the first call over
///   a new connection may tell the server more time than the client will wait. A deadline set by an
///   enclosing scope is measured when the request is sent.
@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
public struct ClientDeadlineInterceptor: ClientInterceptor {
    /// Creates the interceptor.
    public init() {}

    /// Sends the request with the remaining budget as its `grpc-timeout`, and reports the end of the call
    /// by its deadline as `RPCError.Code.deadlineExceeded`.
    ///
    /// - Parameters:
    ///   - request: The request; its `grpc-timeout` metadata, written by grpc-swift from the call's
    ///     options, is replaced by the budget.
    ///   - context: The call's context.
    ///   - next: The rest of the interceptor chain and the transport.
    /// - Returns: The response; an error it carries, or an error thrown while its messages are read, is
    ///   `.deadlineExceeded` when the call ended by cancellation after the deadline passed, and
    ///   `.cancelled` when the caller's task was cancelled for another reason.
    /// - Throws: `RPCError` with code `.deadlineExceeded`, before anything is sent, when the budget is
    ///   already spent; otherwise whatever `next` threw.
    public func intercept<Input: Sendable, Output: Sendable>(
        request: StreamingClientRequest<Input>,
        context: ClientContext,
        next: (
            _ request: StreamingClientRequest<Input>,
            _ context: ClientContext
        ) async throws -> StreamingClientResponse<Output>
    ) async throws -> StreamingClientResponse<Output> {
        // grpc-swift has already written the call's own timeout, if any, as `grpc-timeout`.
        let configured = GRPCTimeoutHeader.parse(values: request.metadata[stringValues: GRPCTimeoutHeader.name])
        // Read before the budget, so `deadline` is never later than the deadline the budget comes from.
        let now = ContinuousClock.now
        guard let budget = OutgoingTimeout.current(configured: configured) else {
            return try await next(request, context)
        }
        let deadline = now.advanced(by: budget)
        guard budget > .zero else {
            throw CallDeadline(deadline: deadline).expiredBeforeSending()
        }
        var request = request
        request.metadata.replaceOrAddString(GRPCTimeoutHeader.format(budget), forKey: GRPCTimeoutHeader.name)

        let call = CallDeadline(deadline: deadline)
        var response: StreamingClientResponse<Output>
        do {
            response = try await next(request, context)
        } catch {
            throw call.translated(error)
        }
        switch response.accepted {
        case .success(let contents):
            response.accepted = .success(
                StreamingClientResponse.Contents(
                    metadata: contents.metadata,
                    bodyParts: RPCAsyncSequence(wrapping: DeadlineMappedSequence(base: contents.bodyParts, call: call))
                )
            )
        case .failure(let error):
            response.accepted = .failure(call.translated(error))
        }
        return response
    }
}

/// The deadline of one outgoing call, and how an end by it is reported.
@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
struct CallDeadline: Sendable {
    let deadline: ContinuousClock.Instant

    /// `error` as the call should report it: a cancellation by an expired deadline — the one of the
    /// scope that cancelled the task, or the call's own — is `.deadlineExceeded`; anything else passes
    /// through.
    func translated(_ error: any Error) -> any Error {
        guard error.isCancellation || Task.isCancelled else { return error }
        if let rpcError = error as? RPCError, rpcError.code == .deadlineExceeded { return rpcError }
        // The scope whose deadline cancelled the task says so, whenever its timer fired; the clock covers
        // the call's own timeout, which grpc-swift enforces outside any scope.
        let reason = CancellationReason.current
        if case .deadlineExpired = reason {
            return expired(cause: error)
        }
        if ContinuousClock.now >= deadline {
            return expired(cause: error)
        }
        if let reason {
            // Cancelled for another reason: say so, rather than grpc-swift's `.unknown`.
            return RPCError(code: .cancelled, message: "The call was cancelled: \(reason).", cause: error)
        }
        return error
    }

    func expired(cause: any Error) -> RPCError {
        RPCError(code: .deadlineExceeded, message: "The caller's deadline passed before the call finished.", cause: cause)
    }

    func translated(_ error: RPCError) -> RPCError {
        // `translated(_: any Error)` returns an `RPCError` when given one.
        (translated(error as any Error) as? RPCError) ?? error
    }

    func expiredBeforeSending() -> RPCError {
        RPCError(code: .deadlineExceeded, message: "The caller's deadline had passed; the request was not sent.")
    }
}

/// The response's body parts, with an error that ends them because the call's deadline passed reported as
/// `.deadlineExceeded`.
@available(macOS 15.0, iOS 18.0, watchOS 11.0, tvOS 18.0, visionOS 2.0, *)  // grpc-swift 2's floor
struct DeadlineMappedSequence<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable {
    typealias Element = Base.Element
    typealias Failure = any Error

    let base: Base
    let call: CallDeadline

    func makeAsyncIterator() -> Iterator {
        Iterator(base: base.makeAsyncIterator(), call: call)
    }

    struct Iterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let call: CallDeadline

        mutating func next() async throws -> Element? {
            do {
                return try await base.next()
            } catch {
                throw call.translated(error)
            }
        }
    }
}
#endif
