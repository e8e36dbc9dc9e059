@testable import Cancellation

/// The queue's state machine as the exploration drives it: items are `Int`s, tokens are task indices.
protocol ExplorableQueueMachine: Hashable {
    typealias Real = AsyncQueueStateMachine<Int, Int, Int>
    init(capacity: Int?)
    /// The items the queue holds: buffered, then those of queued senders.
    var heldItems: [Int] { get }
    mutating func send(_ element: Int) -> Real.SendAction
    mutating func registerSender(_ id: UInt64, _ token: Int, _ element: Int) -> Real.SenderRegisterAction
    mutating func receive() -> Real.ReceiveAction
    mutating func registerReceiver(_ id: UInt64, _ token: Int) -> Real.ReceiverRegisterAction
    mutating func cancel(_ id: UInt64) -> Real.CancelAction
    mutating func finish() -> (receivers: [Int], senders: [Int])
}

extension AsyncQueueStateMachine: ExplorableQueueMachine where Element == Int, ReceiverToken == Int, SenderToken == Int {
    var heldItems: [Int] {
        var buffered = buffer
        var waiting = senders
        var items = buffered.removeAll()
        while let sender = waiting.popFirst() { items.append(sender.token.element) }
        return items
    }
}

/// Two senders, each sending one item, and one receiver receiving twice, on a queue of capacity 1; each
/// of them may be cancelled at any step of a wait, and a fourth party finishes the queue at any moment.
/// These are the steps of `AsyncQueue.send(_:)` and `receive()`.
struct QueueModel<Machine: ExplorableQueueMachine>: ExplorationModel {
    let capacity: Int
    static var senders: Int { 2 }
    static var receiver: Int { 2 }
    /// Sender `i` sends item `i + 1`.
    static func item(of sender: Int) -> Int { sender + 1 }

    struct State: Hashable {
        var machine: Machine
        /// The two senders, then the receiver.
        var tasks: [WaitingTask]
        /// The item handed to the receiver with its resumption, not yet taken.
        var handedItem: Int?
        /// The items the receiver took, in order.
        var received: [Int] = []
        /// Whether the receiver's current receive returned (the next one may start).
        var finished = false
    }

    enum Event: CustomStringConvertible {
        case sender(Int, WaitingTask.Step)
        case receiver(WaitingTask.Step)
        case finishQueue

        var description: String {
            switch self {
            case .sender(let task, let step): "sender \(task): \(step) (send(\(QueueModel.item(of: task))))"
            case .receiver(let step): "receiver: \(step) (receive())"
            case .finishQueue: "finish()"
            }
        }
    }

    var initial: State {
        State(machine: Machine(capacity: capacity), tasks: Array(repeating: WaitingTask(), count: Self.senders + 1))
    }

    func enabledEvents(in state: State) -> [Event] {
        var events: [Event] = []
        for index in 0..<Self.senders {
            events += state.tasks[index].enabledSteps(canFinish: true).map { .sender(index, $0) }
        }
        events += state.tasks[Self.receiver].enabledSteps(canFinish: true).map { .receiver($0) }
        if !state.finished { events.append(.finishQueue) }
        return events
    }

    func apply(_ event: Event, to state: State) throws(ExplorationViolation) -> State {
        var state = state
        let receiver = Self.receiver
        func deliver(_ item: Int, to token: Int) throws(ExplorationViolation) {
            state.handedItem = item
            try state.tasks[token].resume(.granted, task: token)
        }
        func admit(_ senders: [Int]) throws(ExplorationViolation) {
            for sender in senders { try state.tasks[sender].resume(.granted, task: sender) }
        }
        func handler(_ index: Int) throws(ExplorationViolation) {
            guard let id = state.tasks[index].runningHandler() else { return }
            switch state.machine.cancel(id) {
            case .resumeReceiver(let token), .resumeSender(let token): try state.tasks[token].resume(.cancelled, task: token)
            case .none: break
            }
        }
        switch event {
        case .finishQueue:
            state.finished = true
            let (receivers, senders) = state.machine.finish()
            for token in receivers + senders { try state.tasks[token].resume(.failed, task: token) }
        case .sender(let index, let step):
            let item = Self.item(of: index)
            switch step {
            case .start:
                if state.tasks[index].isCancelled {
                    state.tasks[index].start { .failed }
                    break
                }
                switch state.machine.send(item) {
                case .deliver(let token, let element):
                    try deliver(element, to: token)
                    state.tasks[index].start { .proceeded }
                case .buffered: state.tasks[index].start { .proceeded }
                case .finished: state.tasks[index].start { .failed }
                case .wait(let id): state.tasks[index].start { .reserved(id) }
                }
            case .register:
                let id = state.tasks[index].registering()
                switch state.machine.registerSender(id, index, item) {
                case .resumeDelivered(let token, let element):
                    try deliver(element, to: token)
                    try state.tasks[index].resume(.granted, task: index)
                case .resumeBuffered: try state.tasks[index].resume(.granted, task: index)
                case .resumeFinished: try state.tasks[index].resume(.failed, task: index)
                case .resumeCancelled: try state.tasks[index].resume(.cancelled, task: index)
                case .suspended: break
                }
            case .handler: try handler(index)
            case .cancel, .wake, .finish: state.tasks[index].take(step)
            }
        case .receiver(let step):
            switch step {
            case .start:
                if state.tasks[receiver].isCancelled {
                    state.tasks[receiver].start { .failed }
                    break
                }
                switch state.machine.receive() {
                case .element(let element, let senders):
                    try admit(senders)
                    state.received.append(element)
                    state.tasks[receiver].start { .proceeded }
                case .finished: state.tasks[receiver].start { .failed }
                case .wait(let id): state.tasks[receiver].start { .reserved(id) }
                }
            case .register:
                let id = state.tasks[receiver].registering()
                switch state.machine.registerReceiver(id, receiver) {
                case .resumeElement(let element, let senders):
                    try admit(senders)
                    try deliver(element, to: receiver)
                case .resumeFinished: try state.tasks[receiver].resume(.failed, task: receiver)
                case .resumeCancelled: try state.tasks[receiver].resume(.cancelled, task: receiver)
                case .suspended: break
                }
            case .wake:
                if state.tasks[receiver].resumption == .granted, let item = state.handedItem {
                    state.received.append(item)
                    state.handedItem = nil
                }
                state.tasks[receiver].take(.wake)
            case .finish:
                // The receiver receives twice: after the first item it starts over.
                state.tasks[receiver] = state.received.count < 2 ? WaitingTask(isCancelled: state.tasks[receiver].isCancelled) : {
                    var task = state.tasks[receiver]
                    task.take(.finish)
                    return task
                }()
            case .handler: try handler(receiver)
            case .cancel: state.tasks[receiver].take(.cancel)
            }
        }
        return state
    }

    /// Where each item is: held by the queue, handed to the receiver, or received.
    private func places(in state: State) -> [Int] {
        state.machine.heldItems + (state.handedItem.map { [$0] } ?? []) + state.received
    }

    func violation(in state: State) -> String? {
        let places = places(in: state)
        if Set(places).count != places.count {
            return "an item is in two places at once: \(places)"
        }
        // A cancelled or failed send had no effect: its item is nowhere.
        for sender in 0..<Self.senders where state.tasks[sender].phase == .cancelled || state.tasks[sender].phase == .failed {
            if places.contains(Self.item(of: sender)) {
                return "sender \(sender)'s send ended with \(state.tasks[sender].phase), yet its item \(Self.item(of: sender)) was enqueued"
            }
        }
        return nil
    }

    func terminalViolation(in state: State) -> String? {
        if let stuck = state.tasks.firstIndex(where: { !$0.hasEnded }) {
            return "task \(stuck) still waits on a finished queue: a lost wake-up"
        }
        // Every item whose send succeeded is received or still held; none is lost.
        let places = Set(places(in: state))
        for sender in 0..<Self.senders where state.tasks[sender].phase == .finished {
            if !places.contains(Self.item(of: sender)) {
                return "sender \(sender)'s item \(Self.item(of: sender)) was sent, and lost"
            }
        }
        return nil
    }
}

// MARK: - Broken variants, for the tests only

/// A finish that wakes the receivers and forgets the waiting senders.
struct QueueFinishThatForgetsSenders: ExplorableQueueMachine {
    var real: Real
    init(capacity: Int?) { real = Real(capacity: capacity) }
    var heldItems: [Int] { real.heldItems }
    mutating func send(_ element: Int) -> Real.SendAction { real.send(element) }
    mutating func registerSender(_ id: UInt64, _ token: Int, _ element: Int) -> Real.SenderRegisterAction {
        real.registerSender(id, token, element)
    }
    mutating func receive() -> Real.ReceiveAction { real.receive() }
    mutating func registerReceiver(_ id: UInt64, _ token: Int) -> Real.ReceiverRegisterAction { real.registerReceiver(id, token) }
    mutating func cancel(_ id: UInt64) -> Real.CancelAction { real.cancel(id) }
    mutating func finish() -> (receivers: [Int], senders: [Int]) { (real.finish().receivers, []) }
}

/// A cancellation that reports a send cancelled after its item was already taken into the queue.
struct QueueCancelAfterAdmission: ExplorableQueueMachine {
    var real: Real
    /// Each registered sender, by waiter id.
    var registered: [UInt64: Int] = [:]
    init(capacity: Int?) { real = Real(capacity: capacity) }
    var heldItems: [Int] { real.heldItems }
    mutating func send(_ element: Int) -> Real.SendAction { real.send(element) }
    mutating func registerSender(_ id: UInt64, _ token: Int, _ element: Int) -> Real.SenderRegisterAction {
        registered[id] = token
        return real.registerSender(id, token, element)
    }
    mutating func receive() -> Real.ReceiveAction { real.receive() }
    mutating func registerReceiver(_ id: UInt64, _ token: Int) -> Real.ReceiverRegisterAction { real.registerReceiver(id, token) }
    mutating func cancel(_ id: UInt64) -> Real.CancelAction {
        let action = real.cancel(id)
        if case .none = action, let token = registered[id] { return .resumeSender(token) }
        return action
    }
    mutating func finish() -> (receivers: [Int], senders: [Int]) { real.finish() }
}
