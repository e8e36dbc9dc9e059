#if Hummingbird
// Enabled with the `Hummingbird` package trait.
#endif
