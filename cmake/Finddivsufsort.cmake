# Finds libdivsufsort (Debian's libdivsufsort-dev), which ships only a
# pkg-config file, and provides the imported target divsufsort::divsufsort.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(PC_DIVSUFSORT QUIET libdivsufsort)
endif()
find_path(DIVSUFSORT_INCLUDE_DIR divsufsort.h HINTS ${PC_DIVSUFSORT_INCLUDE_DIRS})
find_library(DIVSUFSORT_LIBRARY NAMES divsufsort HINTS ${PC_DIVSUFSORT_LIBRARY_DIRS})
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(divsufsort REQUIRED_VARS DIVSUFSORT_LIBRARY DIVSUFSORT_INCLUDE_DIR)
if(divsufsort_FOUND AND NOT TARGET divsufsort::divsufsort)
  add_library(divsufsort::divsufsort UNKNOWN IMPORTED)
  set_target_properties(divsufsort::divsufsort PROPERTIES
    IMPORTED_LOCATION "${DIVSUFSORT_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${DIVSUFSORT_INCLUDE_DIR}")
endif()
mark_as_advanced(DIVSUFSORT_INCLUDE_DIR DIVSUFSORT_LIBRARY)
