// Running a scope's operation in a child task, and classifying how it ended.

extension ScopeCore {
    /// How a scope's block ended, when it did not throw.
    @usableFromInline
    enum Outcome<Value> {
        /// The block returned a value (possibly after the scope was cancelled).
        case completed(Value)
        /// The block ended by the scope's own cancellation; the error is what a throwing scope throws for
        /// it (``TimeoutError`` or ``ScopeCancelledError``).
        case cancelledByScope(any Error)
    }

    /// Runs `operation` in a child task under this scope and waits for it.
    ///
    /// The operation runs in a child task because a timeout must cancel its operation without cancelling
    /// the caller, and Swift cancels whole tasks only. The operation runs where its own isolation says, as
    /// if the caller had called it: a closure written on the caller's actor is isolated to that actor, so
    /// the call runs there (an immediate child starts on the actor's thread, so without a hop); a
    /// nonisolated closure runs as any nonisolated async function does.
    ///
    /// - Throws: The operation's error, unless it is a `CancellationError` caused by the scope's own
    ///   cancellation while the caller is not cancelled; then the outcome is `cancelledByScope`.
    @inlinable
    func run<Value>(
        isolation: isolated (any Actor)?,
        operation: () async throws -> Value
    ) async throws -> Outcome<Value> {
        try await withoutActuallyEscaping(operation) { operation in
            // The child begins the scope itself (`runOperation(_:beginningScope:)`).
            //
            // Sound: the closure is called exactly once, by the child task below, with its own isolation,
            // while this task is suspended awaiting that child; the child's start and completion order the
            // hand-over, and `withoutActuallyEscaping` checks the closure did not outlive the call. The
            // caller could not run anything else meanwhile: it is suspended here for the whole operation.
            let box = UncheckedSendableBox(value: operation)
            // The child's result. Sound: only the child writes it, once, and this task takes it only after
            // the group has waited for the child, which orders the write before the take. The value is not
            // `sending`: it may be the caller's own state (an actor's property, say), and it goes back to
            // that caller, which resumes on its own isolation; the operation that produced it ran where the
            // caller's own call would have run it, while the caller waited. The error is `Sendable`.
            nonisolated(unsafe) var result: OneShot<Result<Value, any Error>>?
            // The child task is cancelled with its caller by the task tree; no cancellation handler is
            // needed. The closure captures the caller's isolation, which is how the compiler's region
            // checking models the hand-over (the operation stays with the caller's isolation); at run time a
            // task-group child does not inherit an actor known only at run time (only `Task.init` and
            // `Task.immediate` do), so the child starts without one and the operation's own isolation
            // decides where it runs (see above).
            //
            // Where the platform has them, the child is an immediate one — it starts on this thread, so an
            // operation that does not suspend runs to its end without a trip through an executor, and an
            // operation isolated to the caller's actor starts there synchronously — in a discarding group: waiting for a typed result and
            // draining a typed group are generic code in the standard library that looks up type metadata
            // on every call. Each branch spells its closure out: handing one closure to a helper that starts
            // the child made every pending scope's tasks about 1 KB larger (one more task-allocator slab).
            if #available(macOS 26.0, iOS 26.0, watchOS 26.0, tvOS 26.0, visionOS 26.0, *) {
                await withDiscardingTaskGroup { group in
                    group.addImmediateTask { [isolation] in
                        _ = isolation
                        // `runOperation(_:beginningScope:)` written out, on the path every call takes where
                        // immediate tasks exist (Linux, and the Apple platforms of 2025): as a function of
                        // its own it is one more async frame in the child's allocator and two more executor
                        // checks per call (counted with uprobes, see Benchmarks/README.md).
                        result = OneShot(await ScopeChain.storage.withValue(self) { () async -> Result<Value, any Error> in
                            self.beginAttachingCurrentTask()
                            defer { self.detach() }
                            do {
                                return .success(try await box.value())
                            } catch {
                                return .failure(error)
                            }
                        })
                    }
                }
            } else if #available(macOS 14.0, iOS 17.0, watchOS 10.0, tvOS 17.0, *) {
                await withDiscardingTaskGroup { group in
                    group.addTask { [isolation] in
                        _ = isolation
                        result = OneShot(await self.runOperation(box, beginningScope: true))
                    }
                }
            } else {
                await withTaskGroup(of: Void.self) { group in
                    group.addTask { [isolation] in
                        _ = isolation
                        result = OneShot(await self.runOperation(box, beginningScope: true))
                    }
                    await group.waitForAll()
                }
            }
            if let ending = finish() {
                await ending.complete()
            }
            // Whether the caller is cancelled matters only when the operation threw `CancellationError`, so
            // it is asked then (a caller cancelled by now sees its own cancellation, never a timeout).
            return try outcome(of: result.take()!.take(), callerIsCancelled: Task.isCancelled)
        }
    }

    /// The body of an abandonable operation's task, and of the scope's child task on platforms without
    /// immediate tasks (where they exist, ``run(isolation:operation:)`` writes the same body out in the
    /// child's closure): the operation, with the scope as the innermost link of the task's chain and the task
    /// attached so that the scope can cancel it, on the isolation the task runs on.
    ///
    /// - Parameters:
    ///   - box: The operation.
    ///   - beginningScope: Whether the task begins the scope too, as a scope's child task does; the
    ///     abandoning run begins its scope before it starts the task.
    @inlinable
    nonisolated(nonsending) func runOperation<Value>(
        _ box: UncheckedSendableBox<() async throws -> Value>,
        beginningScope: Bool
    ) async -> Result<Value, any Error> {
        await ScopeChain.storage.withValue(self) {
            if beginningScope {
                beginAttachingCurrentTask()
            } else {
                attachCurrentTask()
            }
            defer { detach() }
            do {
                return .success(try await box.value())
            } catch {
                return .failure(error)
            }
        }
    }

    /// Starts the scope: arms its deadline, or marks it cancelled when the deadline has already passed.
    /// Used when the scope begins before its operation's task exists (the abandoning run).
    func begin() {
        let now = beginsAtStart ? .inlinedZero : self.now()
        var expired = false
        transition { machine in
            let action = machine.begin(now: now)
            expired = machine.hasExpiredDeadline
            return action
        }
        if expired {
            diagnostics.observer?(.deadlineExpired(scope: location))
        }
    }

    /// Starts the scope from its child task, before the operation: arms its deadline, or cancels the task
    /// when the deadline has already passed, and records the task so that the scope can cancel it.
    ///
    /// In the common case — a deadline to arm, or none — this takes none of the scope's locks: until the
    /// deadline is armed (which hands the scope to its engine) and the operation runs (which hands out the
    /// scope's handle and its place in the chain), nothing but this task can reach the scope. The task that
    /// made it is suspended waiting for this one, whose start orders everything that task did before. Every
    /// write here comes before the arming, and the engine's lock orders them before the engine's thread reads
    /// the scope under the scope's lock. A scope that starts cancelled arms its grace timer — handing the
    /// scope to the engine while its state is still being written — so it takes the lock as any
    /// transition does.
    @usableFromInline
    func beginAttachingCurrentTask() {
        guard let task = OperationTaskReference.current() else {
            preconditionFailure("a scope's operation runs in a task")
        }
        let now = beginsAtStart ? .inlinedZero : self.now()
        let action = withExclusiveAccess { machine, slot -> Machine.Action in
            slot.task = task
            let action = machine.begin(now: now)
            if case .armDeadline = action {
                _ = perform(action, on: &machine)  // the last thing done without the lock
                return .none
            }
            return action
        }
        guard case .cancelOperation = action else { return }
        // Started cancelled: the deadline had passed, or the scope was cancelled before it started.
        let callerCancelledFirst = Task.isCancelled
        let (mustCancel, expired) = withState { machine in
            if callerCancelledFirst {
                // The caller was cancelled before the scope was: that is the first cause inside it.
                machine.noteCallerCancelledFirst()
            }
            return (perform(action, on: &machine), machine.hasExpiredDeadline)
        }
        if mustCancel {
            // This task is alive: it is the one running this code.
            task.withTask { $0.cancel() }
        }
        if expired {
            diagnostics.observer?(.deadlineExpired(scope: location))
        }
    }

    // MARK: Outcomes

    /// Classifies how the operation ended; `callerIsCancelled` is evaluated only for a `CancellationError`.
    ///
    /// - Throws: The operation's error, unless it is a `CancellationError` caused by the scope's own
    ///   cancellation while the caller is not cancelled.
    @inlinable
    func outcome<Value>(
        of result: consuming Result<Value, any Error>,
        callerIsCancelled: @autoclosure () -> Bool
    ) throws -> Outcome<Value> {
        switch consume result {
        case .success(let value):
            noteCompletion()
            return .completed(value)
        case .failure(let error):
            if error is CancellationError, !callerIsCancelled(), let caught = catchCancellation() {
                return .cancelledByScope(caught)
            }
            throw error
        }
    }

    /// Reports a value that came after the scope's cancellation to the diagnostics' observer, if there is
    /// one (the scope's state is read only then).
    @usableFromInline
    func noteCompletion() {
        guard let observer = diagnostics.observer, isCancelled else { return }
        observer(.lateResult(scope: location))
    }

    /// If the scope was cancelled, marks its cancellation caught and returns the error a throwing scope
    /// throws for it.
    @usableFromInline
    func catchCancellation() -> (any Error)? {
        withState { $0.catchCancellation() }.map(error(for:))
    }

    /// The error that reports the scope's own cancellation to a caller of a throwing scope.
    func error(for cancellation: Machine.Cancellation) -> any Error {
        switch cancellation.reason {
        case .deadlineExpired:
            // Offsets are measured from the scope's start, so the deadline's offset is the time allowed.
            let deadline = cancellation.deadline ?? cancellation.at
            return TimeoutError(timeout: max(.zero, deadline), location: location)
        case .cancelled(let reason, _):
            return ScopeCancelledError(reason: reason, location: location)
        case .taskCancelled:
            // A scope's own cancellation is never `.taskCancelled`; keep the cancellation visible anyway.
            return CancellationError()
        }
    }

    /// The value of a completed outcome, or the error that stands for the scope's own cancellation.
    @inlinable
    func value<Value>(of outcome: consuming Outcome<Value>) throws -> Value {
        switch consume outcome {
        case .completed(let value):
            return value
        case .cancelledByScope(let error):
            throw error
        }
    }

    /// Runs the scope and turns its own cancellation into an error.
    @inlinable
    func runThrowing<Value>(
        isolation: isolated (any Actor)?,
        operation: () async throws -> Value
    ) async throws -> Value {
        try value(of: try await run(isolation: isolation, operation: operation))
    }

    /// Runs the scope and turns its own cancellation into `nil`.
    ///
    /// - Throws: Only what the operation threw, so its typed error is kept.
    @inlinable
    func runMovingOn<Value, Failure: Error>(
        isolation: isolated (any Actor)?,
        operation: () async throws(Failure) -> Value
    ) async throws(Failure) -> Value? {
        // The typed error is erased for the child task and restored below: a function type that throws a
        // generic error type needs runtime support that the Apple platforms have only from macOS 15 /
        // iOS 18 on, so none is formed.
        let outcome: Outcome<Value>
        do {
            outcome = try await run(isolation: isolation) { () async throws -> Value in try await operation() }
        } catch {
            // Sound: `run` throws only the operation's own errors, which are of type `Failure`.
            throw error as! Failure
        }
        switch consume outcome {
        case .completed(let value):
            return .some(value)
        case .cancelledByScope:
            return nil
        }
    }
}
