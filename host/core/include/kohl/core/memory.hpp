// KeepFreedMemory: for the length of a job that allocates and frees the same large buffers
// over and over (a training step's activations, the synthetic-face generator's canvases),
// glibc keeps freed memory instead of returning it to the kernel.
//
// Why: glibc serves blocks above its mmap threshold with mmap and gives freed memory at the
// top of the heap back to the kernel, so every step maps, page-faults and zeroes the same
// memory again: 12% of a ResNet-18 training step (perf, bench/train) and a third of
// `kohl data synth` as system time. Peak memory is unchanged, it is only kept until the
// guard ends; then glibc's defaults come back and the heap is trimmed. One guard at a time,
// on the thread that runs the job (mallopt is process-wide). A no-op without glibc.
#pragma once

#include <limits>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace kohl::core {

class KeepFreedMemory {
 public:
  KeepFreedMemory() {
#if defined(__GLIBC__)
    ::mallopt(M_MMAP_MAX, 0);
    ::mallopt(M_TRIM_THRESHOLD, std::numeric_limits<int>::max());
#endif
  }
  ~KeepFreedMemory() {
#if defined(__GLIBC__)
    ::mallopt(M_MMAP_MAX, 65536);  // glibc's defaults
    ::mallopt(M_TRIM_THRESHOLD, 128 * 1024);
    ::malloc_trim(0);
#endif
  }
  KeepFreedMemory(const KeepFreedMemory&) = delete;
  KeepFreedMemory& operator=(const KeepFreedMemory&) = delete;
};

}  // namespace kohl::core
