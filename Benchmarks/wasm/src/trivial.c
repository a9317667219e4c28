int run(void) { return 42; }
