"""Local emulators of the vendor APIs (loopback only), for the demo, the end-to-end tests and benchmarks."""
