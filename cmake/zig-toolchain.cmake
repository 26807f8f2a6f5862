# CMake toolchain: Zig as the C and C++ compiler and linker, for the wheels
# (scripts/build-wheel.sh). One x86_64 machine builds for x86_64 and aarch64
# against glibc 2.28's symbols, whatever glibc the machine has:
#
#   cmake -S . -B B -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/zig-toolchain.cmake \
#         -DCT_ZIG_TARGET=aarch64-linux-gnu.2.28
#
# CT_ZIG_TARGET: Zig's target triple, <arch>-linux-gnu.<glibc version>
# (default x86_64-linux-gnu.2.28). CT_ZIG_DIR: the directory of
# scripts/setup-zig.sh (run here when not given). The C++ runtime (Zig's
# libc++, libc++abi and libunwind) is linked in statically, so the binaries
# need glibc only. Sets CT_CROSS (CMakeLists.txt): fmt, nlohmann-json and the
# headers of libcurl and cairo come from Debian's headers, copied into the build
# tree one library at a time instead of searched on the build machine.
set(CT_ZIG_TARGET "x86_64-linux-gnu.2.28" CACHE STRING "Zig target: <arch>-linux-gnu.<glibc version>")
set(CT_ZIG_DIR "" CACHE PATH "The toolchain's directory (scripts/setup-zig.sh)")
# try_compile() projects read this file again: they get the same values.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES CT_ZIG_TARGET CT_ZIG_DIR)

if(NOT CT_ZIG_DIR)
  execute_process(COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/../scripts/setup-zig.sh
                  OUTPUT_VARIABLE ct_zig_out RESULT_VARIABLE ct_zig_rc)
  if(NOT ct_zig_rc EQUAL 0)
    message(FATAL_ERROR "carbontracker: scripts/setup-zig.sh failed: run it by hand to see why")
  endif()
  string(STRIP "${ct_zig_out}" ct_zig_out)
  string(REGEX REPLACE ".*\n" "" ct_zig_out "${ct_zig_out}")
  set(CT_ZIG_DIR ${ct_zig_out} CACHE PATH "The toolchain's directory (scripts/setup-zig.sh)" FORCE)
endif()
file(GLOB ct_zig_exe ${CT_ZIG_DIR}/lib/python3*/site-packages/ziglang/zig)
if(NOT ct_zig_exe)
  message(FATAL_ERROR "carbontracker: no zig in ${CT_ZIG_DIR}: run bash scripts/setup-zig.sh")
endif()

string(REGEX MATCH "^[^-]+" ct_zig_arch "${CT_ZIG_TARGET}")
if(NOT ct_zig_arch MATCHES "^(x86_64|aarch64)$")
  message(FATAL_ERROR "carbontracker: CT_ZIG_TARGET ${CT_ZIG_TARGET}: the architecture must be x86_64 or aarch64")
endif()
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR ${ct_zig_arch})

# One wrapper per tool and target, each `zig <tool> -target <target>`, in the
# toolchain's directory: a stable path and content for ccache (its compiler
# check hashes the wrapper, which names the zig version's directory). Zig's
# cache (libc++ and the glibc stubs, built once per target) lives there too.
set(ct_zig_wrappers ${CT_ZIG_DIR}/wrappers/${CT_ZIG_TARGET})
foreach(tool cc c++ ar ranlib)
  if(tool MATCHES "^(cc|c\\+\\+)$")
    set(ct_zig_args "${tool} -target ${CT_ZIG_TARGET}")
  else()
    set(ct_zig_args "${tool}")
  endif()
  file(CONFIGURE OUTPUT ${ct_zig_wrappers}/${tool} @ONLY CONTENT "#!/bin/sh
ZIG_GLOBAL_CACHE_DIR=\${ZIG_GLOBAL_CACHE_DIR:-${CT_ZIG_DIR}/zig-cache} exec ${ct_zig_exe} ${ct_zig_args} \"$@\"
")
  file(CHMOD ${ct_zig_wrappers}/${tool} PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
       GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endforeach()
set(CMAKE_C_COMPILER ${ct_zig_wrappers}/cc)
set(CMAKE_CXX_COMPILER ${ct_zig_wrappers}/c++)
set(CMAKE_AR ${ct_zig_wrappers}/ar CACHE FILEPATH "" FORCE)
set(CMAKE_RANLIB ${ct_zig_wrappers}/ranlib CACHE FILEPATH "" FORCE)

# Nothing of the build machine's libraries or packages: only programs.
set(CMAKE_FIND_ROOT_PATH ${ct_zig_wrappers})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CT_CROSS ON CACHE BOOL "Build with the headers in the build tree (a cross toolchain)" FORCE)
