#if AsyncHTTPClient
// Enabled with the `AsyncHTTPClient` package trait.
#endif
