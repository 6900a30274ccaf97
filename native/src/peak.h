#pragma once
// measured float32 FMA throughput of all OpenMP threads, in GFLOP/s (2 flops per lane per FMA)
double fmaPeakGflops(double seconds);
