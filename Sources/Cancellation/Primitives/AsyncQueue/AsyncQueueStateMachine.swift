/// The state of an ``AsyncQueue``, with no locking and no continuations: every transition returns what the
/// caller must do after unlocking.
///
/// Waiting senders are admitted in batches: a sender waits when the buffer is full (or other senders wait
/// already), and waiting senders move their elements into the buffer only once it has drained to its
/// low-water mark, half the capacity — then as many as fit. A single producer thus suspends once per
/// half-buffer instead of once per element.
///
/// Invariants: receivers wait only while the buffer is empty and no sender waits; senders wait only while
/// the buffer holds more than the low-water mark (for capacity 0: while no receiver waits); an element is
/// in exactly one place — the buffer, a waiting sender, or a hand-off to exactly one receiver; a waiter is
/// resumed exactly once; elements leave in the order their sends completed, and waiting senders complete
/// in arrival order.
package struct AsyncQueueStateMachine<Element, ReceiverToken, SenderToken> {
    package struct PendingSend {
        var token: SenderToken
        var element: Element
    }

    /// The most elements the buffer holds; `nil` for unbounded.
    package let capacity: Int?
    package private(set) var buffer = FIFOBuffer<Element>()
    package private(set) var isFinished = false
    package private(set) var receivers = WaiterQueue<ReceiverToken>()
    package private(set) var senders = WaiterQueue<PendingSend>()
    package private(set) var registrations = WaiterRegistrations()

    /// Waiting senders are admitted once the buffer holds no more than this.
    private let lowWater: Int

    package init(capacity: Int?) {
        self.capacity = capacity
        self.lowWater = (capacity ?? 0) / 2
    }

    /// Whether a new element may go into the buffer now: there is room, and no earlier sender waits for it.
    @inline(__always)
    private var hasRoom: Bool {
        guard let capacity else { return true }
        return buffer.count < capacity && senders.isEmpty
    }

    /// Moves waiting senders' elements into the buffer once it has drained to the low-water mark, as many as
    /// fit, and returns those senders to resume.
    private mutating func admitSenders() -> [SenderToken] {
        guard let capacity, !senders.isEmpty, buffer.count <= lowWater else { return [] }
        var admitted: [SenderToken] = []
        while buffer.count < capacity, let sender = senders.popFirst() {
            buffer.append(sender.token.element)
            admitted.append(sender.token.token)
        }
        return admitted
    }

    /// The outcome of offering an element without waiting.
    package enum OfferOutcome {
        /// Resume this receiver with the element, which is handed to it directly.
        case deliver(ReceiverToken, Element)
        /// The element is buffered.
        case buffered
        /// The queue is full; nothing changed.
        case full
        /// The queue is finished; nothing changed.
        case finished
    }

    private mutating func offer(_ element: Element) -> OfferOutcome {
        if isFinished { return .finished }
        if !receivers.isEmpty, let receiver = receivers.popFirst() { return .deliver(receiver.token, element) }
        guard hasRoom else { return .full }
        buffer.append(element)
        return .buffered
    }

    /// Buffers `element` and returns `true` if that is all a send has to do now (not finished, no waiting
    /// receiver or sender, room in the buffer); otherwise changes nothing and returns `false`.
    ///
    /// The common case of `send`, with no enum to build: ``AsyncQueue`` is generic and not specialized for
    /// its callers, so each generic enum or tuple it touches costs a metadata lookup.
    @inline(__always)
    package mutating func sendBuffering(_ element: Element) -> Bool {
        guard !isFinished, receivers.isEmpty, hasRoom else { return false }
        buffer.append(element)
        return true
    }

    /// Moves the oldest element into `destination` and returns `true` if that is all a receive has to do
    /// now (an element is buffered and no waiting sender is due to be admitted); otherwise changes nothing
    /// and returns `false`. See ``sendBuffering(_:)``.
    @inline(__always)
    package mutating func receiveBuffered(into destination: UnsafeMutablePointer<Element>) -> Bool {
        guard senders.isEmpty || buffer.count - 1 > lowWater else { return false }
        return buffer.moveFirst(to: destination)
    }

    /// What `send` does first.
    package enum SendAction {
        /// Resume this receiver with the element; the send is complete.
        case deliver(ReceiverToken, Element)
        /// The element is buffered; the send is complete.
        case buffered
        /// The queue is finished: the send fails and the element is dropped.
        case finished
        /// The queue is full: wait as this waiter id.
        case wait(UInt64)
    }

    /// Offers `element`, or reserves a waiter id if the queue is full.
    package mutating func send(_ element: Element) -> SendAction {
        switch offer(element) {
        case .deliver(let receiver, let element): return .deliver(receiver, element)
        case .buffered: return .buffered
        case .finished: return .finished
        case .full: return .wait(registrations.reserve())
        }
    }

    /// Offers `element` without waiting.
    package mutating func trySend(_ element: Element) -> OfferOutcome {
        offer(element)
    }

    /// What to do with a sender's continuation that has just been created for waiter `id`.
    package enum SenderRegisterAction {
        /// Resume the sender at once; the element was delivered to this receiver, resume it too.
        case resumeDelivered(ReceiverToken, Element)
        /// Resume the sender at once; the element was buffered.
        case resumeBuffered
        /// Resume the sender with ``AsyncQueueError/finished``; the element was dropped.
        case resumeFinished
        /// Resume the sender with `CancellationError`; the element was dropped.
        case resumeCancelled
        /// The sender waits, holding its element.
        case suspended
    }

    /// Queues sender `id` with its element, unless it was cancelled or the queue changed meanwhile.
    package mutating func registerSender(_ id: UInt64, _ token: SenderToken, _ element: Element) -> SenderRegisterAction {
        if registrations.register(id) { return .resumeCancelled }
        switch offer(element) {
        case .deliver(let receiver, let element): return .resumeDelivered(receiver, element)
        case .buffered: return .resumeBuffered
        case .finished: return .resumeFinished
        case .full:
            senders.append(id, PendingSend(token: token, element: element))
            return .suspended
        }
    }

    /// The outcome of taking an element without waiting.
    package enum TakeOutcome {
        /// This element was taken; resume these senders too (their elements moved into the buffer, or, for
        /// capacity 0, this element was the sender's).
        case element(Element, resumeSenders: [SenderToken])
        /// Nothing is buffered and the queue is finished: the end.
        case finished
        /// Nothing is available now.
        case empty
    }

    private mutating func take() -> TakeOutcome {
        if let element = buffer.popFirst() {
            return .element(element, resumeSenders: admitSenders())
        }
        if !senders.isEmpty, let sender = senders.popFirst() {
            // Capacity 0: the sender hands its element over directly.
            return .element(sender.token.element, resumeSenders: [sender.token.token])
        }
        return isFinished ? .finished : .empty
    }

    /// What `receive` does first.
    package enum ReceiveAction {
        /// Return this element; resume these senders too.
        case element(Element, resumeSenders: [SenderToken])
        /// Return `nil`: the queue is finished and drained.
        case finished
        /// Nothing is available: wait as this waiter id.
        case wait(UInt64)
    }

    /// Takes an element, or reserves a waiter id if none is available.
    package mutating func receive() -> ReceiveAction {
        switch take() {
        case .element(let element, let senders): return .element(element, resumeSenders: senders)
        case .finished: return .finished
        case .empty: return .wait(registrations.reserve())
        }
    }

    /// Takes an element without waiting.
    package mutating func tryReceive() -> TakeOutcome {
        take()
    }

    /// What to do with a receiver's continuation that has just been created for waiter `id`.
    package enum ReceiverRegisterAction {
        /// Resume the receiver at once with this element; resume these senders too.
        case resumeElement(Element, resumeSenders: [SenderToken])
        /// Resume the receiver at once with `nil`.
        case resumeFinished
        /// Resume the receiver with `CancellationError`.
        case resumeCancelled
        /// The receiver waits.
        case suspended
    }

    /// Queues receiver `id`, unless it was cancelled or the queue changed meanwhile.
    package mutating func registerReceiver(_ id: UInt64, _ token: ReceiverToken) -> ReceiverRegisterAction {
        if registrations.register(id) { return .resumeCancelled }
        switch take() {
        case .element(let element, let senders): return .resumeElement(element, resumeSenders: senders)
        case .finished: return .resumeFinished
        case .empty:
            receivers.append(id, token)
            return .suspended
        }
    }

    /// What to do after a cancellation of waiter `id`.
    package enum CancelAction {
        /// Resume this receiver with `CancellationError`; it was still waiting and got nothing.
        case resumeReceiver(ReceiverToken)
        /// Resume this sender with `CancellationError`; its element was removed with it, never enqueued.
        case resumeSender(SenderToken)
        /// Nothing: the waiter was already resumed (it keeps its element or its completed send), or is
        /// marked before registration.
        case none
    }

    /// Cancels waiter `id`.
    package mutating func cancel(_ id: UInt64) -> CancelAction {
        if let receiver = receivers.remove(id) { return .resumeReceiver(receiver) }
        if let sender = senders.remove(id) { return .resumeSender(sender.token) }
        registrations.cancel(id)
        return .none
    }

    /// Finishes the queue; returns the receivers to resume with `nil` and the senders to resume with
    /// ``AsyncQueueError/finished`` (their elements are dropped). Buffered elements stay receivable.
    package mutating func finish() -> (receivers: [ReceiverToken], senders: [SenderToken]) {
        isFinished = true
        return (receivers.removeAll(), senders.removeAll().map(\.token))
    }
}

extension AsyncQueueStateMachine.PendingSend: Sendable where Element: Sendable, SenderToken: Sendable {}
extension AsyncQueueStateMachine: Sendable where Element: Sendable, ReceiverToken: Sendable, SenderToken: Sendable {}
extension AsyncQueueStateMachine.OfferOutcome: Sendable where Element: Sendable, ReceiverToken: Sendable {}
extension AsyncQueueStateMachine.SendAction: Sendable where Element: Sendable, ReceiverToken: Sendable {}
extension AsyncQueueStateMachine.SenderRegisterAction: Sendable where Element: Sendable, ReceiverToken: Sendable {}
extension AsyncQueueStateMachine.TakeOutcome: Sendable where Element: Sendable, SenderToken: Sendable {}
extension AsyncQueueStateMachine.ReceiveAction: Sendable where Element: Sendable, SenderToken: Sendable {}
extension AsyncQueueStateMachine.ReceiverRegisterAction: Sendable where Element: Sendable, SenderToken: Sendable {}
extension AsyncQueueStateMachine.CancelAction: Sendable where ReceiverToken: Sendable, SenderToken: Sendable {}

// Hashable for the exhaustive exploration tests, which deduplicate the states they visit.
extension AsyncQueueStateMachine.PendingSend: Equatable where Element: Equatable, SenderToken: Equatable {}
extension AsyncQueueStateMachine.PendingSend: Hashable where Element: Hashable, SenderToken: Hashable {}
extension AsyncQueueStateMachine: Equatable where Element: Equatable, ReceiverToken: Equatable, SenderToken: Equatable {}
extension AsyncQueueStateMachine: Hashable where Element: Hashable, ReceiverToken: Hashable, SenderToken: Hashable {}
