# Compiler flags shared by every kiln target (applied per target, so they do
# not leak into anything else), the sanitizer build type and the fuzz option.

option(KILN_WERROR "Treat warnings as errors" OFF)
option(KILN_FUZZ "Build the libFuzzer harnesses (needs clang)" OFF)

# Build type "Asan": ASan + UBSan, nothing recovers, invariant checks on.
set(_kiln_san "-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer")
set(CMAKE_C_FLAGS_ASAN "-O1 -g ${_kiln_san}" CACHE STRING "" FORCE)
set(CMAKE_EXE_LINKER_FLAGS_ASAN "${_kiln_san}" CACHE STRING "" FORCE)
set(CMAKE_SHARED_LINKER_FLAGS_ASAN "${_kiln_san}" CACHE STRING "" FORCE)
set(CMAKE_MODULE_LINKER_FLAGS_ASAN "${_kiln_san}" CACHE STRING "" FORCE)

if(KILN_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "KILN_FUZZ needs clang (cmake -DCMAKE_C_COMPILER=clang)")
  endif()
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                      -fno-omit-frame-pointer -g -O1)
  add_link_options(-fsanitize=address,undefined)
endif()

function(kiln_target_defaults tgt)
  target_compile_options(${tgt} PRIVATE -Wall -Wextra -Wshadow -Wstrict-prototypes
                         -Wmissing-prototypes -Wno-unused-parameter -Wformat=2 -Wvla)
  if(KILN_WERROR)
    target_compile_options(${tgt} PRIVATE -Werror)
  endif()
  target_compile_definitions(${tgt} PRIVATE _GNU_SOURCE
    $<$<CONFIG:Debug,Asan>:KILN_CHECK_INVARIANTS=1>)
endfunction()
