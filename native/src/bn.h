#pragma once
// Batch norm in training mode over x[P, C] (channels last): batch statistics, biased variance for normalising.
// Optionally fused with what follows it in a ResNet unit: y = ReLU(BN(x) + skip), skip and ReLU each optional.
void bnForwardTrain(long P, int C, const float* x, const float* gamma, const float* beta, const float* skip, bool withRelu,
                    float eps, float* y, float* mean, float* invstd, float* var);
// y: the forward output when a ReLU was fused (its mask), else null; dskip: null unless a skip was added
void bnBackward(long P, int C, const float* dy, const float* x, const float* y, const float* gamma, const float* mean,
                const float* invstd, float* dx, float* dgamma, float* dbeta, float* dskip);
