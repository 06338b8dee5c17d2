# find_package(KohlSDK) for out-of-tree plugins: imports KohlSDK::sdk and KohlSDK::torch
# and defines kohl_add_plugin(). Plugins must be built with the same compiler, LibTorch
# and OpenCV as the Kohl that loads them (sdk/docs/ABI.md).
include(CMakeFindDependencyMacro)
find_dependency(OpenCV COMPONENTS core imgproc)
find_dependency(nlohmann_json)
find_dependency(Boost)
find_dependency(Torch)
include(${CMAKE_CURRENT_LIST_DIR}/KohlSDKTargets.cmake)
include(${CMAKE_CURRENT_LIST_DIR}/KohlPlugin.cmake)
