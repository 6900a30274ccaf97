#pragma once
// Batch norm in training mode over x[P, C] (channels last): batch statistics, biased variance for normalising.
void bnForwardTrain(long P, int C, const float* x, const float* gamma, const float* beta, float eps, float* y,
                    float* mean, float* invstd);
void bnBackward(long P, int C, const float* dy, const float* x, const float* gamma, const float* mean,
                const float* invstd, float* dx, float* dgamma, float* dbeta);
