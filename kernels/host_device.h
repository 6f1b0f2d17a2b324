// AMOR_HOST_DEVICE marks per-element math that CPU kernels and CUDA kernels share: plain inline
// functions compiled for both host and device under nvcc, and as ordinary inline functions
// otherwise.
#pragma once

#if defined(__CUDACC__)
#define AMOR_HOST_DEVICE __host__ __device__
#else
#define AMOR_HOST_DEVICE
#endif
