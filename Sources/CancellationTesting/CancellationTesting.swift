// Test support for code that uses Cancellation.
