#ifndef PTUNE_WORKER_ENGINE_RUNTIME_H_
#define PTUNE_WORKER_ENGINE_RUNTIME_H_

// Process-wide LibTorch settings. Deliberately torch-free so any main() can include it.

#include <string>

namespace ptune::engine {

// Sets LibTorch's intra-op thread count (default: every core; LibTorch 1.13 defaults to
// one here) and disables autograd anomaly checks. Call once at the start of main(),
// before any torch work. `threads` <= 0 means std::thread::hardware_concurrency().
void InitRuntime(int threads = 0);

// One line describing the runtime for logs and --version: LibTorch version, threads,
// CUDA devices, BLAS.
std::string RuntimeSummary();

}  // namespace ptune::engine

#endif  // PTUNE_WORKER_ENGINE_RUNTIME_H_
