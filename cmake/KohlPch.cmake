# Precompiled headers. LibTorch's headers cost ~20 s per translation unit and OpenCV's a
# few; each target that includes them precompiles them once instead of per file.
#   kohl_use_pch(target OPENCV)        opencv2/core + imgproc
#   kohl_use_pch(target TORCH)         torch/torch.h + the above
function(kohl_use_pch target)
  cmake_parse_arguments(ARG "OPENCV;TORCH" "" "" ${ARGN})
  set(headers <vector> <string> <map> <memory> <nlohmann/json.hpp>)
  if(ARG_OPENCV OR ARG_TORCH)
    list(APPEND headers <opencv2/core.hpp> <opencv2/imgproc.hpp>)
  endif()
  if(ARG_TORCH)
    list(APPEND headers <torch/torch.h>)
  endif()
  target_precompile_headers(${target} PRIVATE ${headers})
endfunction()
