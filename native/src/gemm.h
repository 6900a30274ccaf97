// Single-threaded SGEMM with generic strides: C[M,N] (+)= A[M,K] * B[K,N].
// A(i,p) = A[i*rsA + p*csA], B(p,j) = B[p*rsB + j*csB], C row-major with leading dimension ldc.
// Callers parallelise over independent GEMMs (one per image), which keeps each call's working set in cache.
#pragma once
void sgemm(int M, int N, int K, const float* A, long rsA, long csA, const float* B, long rsB, long csB, float* C,
           long ldc, bool accumulate);
