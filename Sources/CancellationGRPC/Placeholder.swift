#if GRPC
// Enabled with the `GRPC` package trait.
#endif
