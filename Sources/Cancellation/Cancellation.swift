// The Cancellation module: timeouts, deadlines, cancel scopes, shields and reasons for Swift concurrency.
