#if Hummingbird && AsyncHTTPClient
#endif
