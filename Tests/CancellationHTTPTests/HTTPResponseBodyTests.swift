#if Hummingbird
@testable import CancellationHummingbird
import Hummingbird
import NIOCore
import Testing

/// Which response bodies the middleware leaves to Hummingbird's batched write, and which it wraps in the
/// request's deadline. The check reads Hummingbird's own representation of a body by reflection; these
/// tests pin that representation, so a Hummingbird that changes it fails here rather than silently losing
/// the fast path.
@Suite("HTTP response bodies under the deadline")
struct HTTPResponseBodyTests {
    typealias Middleware = RequestDeadlineMiddleware<BasicRequestContext>

    @Test("A body of one buffer, and an empty body, are in memory")
    func inMemoryBodies() {
        #expect(Middleware.isInMemory(ResponseBody(byteBuffer: ByteBuffer(string: "pong"))))
        #expect(Middleware.isInMemory(ResponseBody(byteBuffer: ByteBuffer())))
        #expect(Middleware.isInMemory(ResponseBody()))
    }

    @Test("A body written by a closure, from a sequence, or from an async sequence is streaming")
    func streamingBodies() {
        #expect(!Middleware.isInMemory(ResponseBody { writer in try await writer.finish(nil) }))
        #expect(!Middleware.isInMemory(ResponseBody(contentLength: 4) { writer in
            try await writer.write(ByteBuffer(string: "pong"))
            try await writer.finish(nil)
        }))
        #expect(!Middleware.isInMemory(ResponseBody(contentsOf: [ByteBuffer(string: "a"), ByteBuffer(string: "b")])))
        #expect(!Middleware.isInMemory(ResponseBody(asyncSequence: AsyncStream<ByteBuffer> { $0.finish() })))
    }

    @Test("An in-memory body is returned unchanged; a streaming one is wrapped, keeping its length")
    func boundedKeepsInMemoryBodies() async throws {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: .seconds(10))
        let buffer = ResponseBody(byteBuffer: ByteBuffer(string: "pong"))
        let kept = Middleware.bounded(buffer, by: deadline, clock: clock)
        #expect(Middleware.isInMemory(kept))
        #expect(kept.contentLength == 4)

        let streaming = ResponseBody(contentLength: 4) { writer in
            try await writer.write(ByteBuffer(string: "pong"))
            try await writer.finish(nil)
        }
        let wrapped = Middleware.bounded(streaming, by: deadline, clock: clock)
        #expect(!Middleware.isInMemory(wrapped))
        #expect(wrapped.contentLength == 4)
    }
}
#endif
