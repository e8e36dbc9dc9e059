#if GRPC
#endif
