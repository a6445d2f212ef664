# Third-party libraries, all from Debian packages installed by scripts/setup.
find_package(PkgConfig REQUIRED)
find_package(PostgreSQL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Threads REQUIRED)
find_package(ZLIB REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(OpenSSL REQUIRED)
pkg_check_modules(MARIADB REQUIRED IMPORTED_TARGET libmariadb)
# libpg_query ships a static archive and no pkg-config file.
find_library(PG_QUERY_LIBRARY NAMES libpg_query.a pg_query REQUIRED)
find_path(PG_QUERY_INCLUDE_DIR pg_query.h REQUIRED)
add_library(pg_query STATIC IMPORTED)
set_target_properties(pg_query PROPERTIES IMPORTED_LOCATION ${PG_QUERY_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${PG_QUERY_INCLUDE_DIR})

# Options shared by every cutover library: warnings, sanitizers, headers rooted at src/.
add_library(cutover_options INTERFACE)
target_link_libraries(cutover_options INTERFACE cutover_warnings cutover_sanitizers)
target_include_directories(cutover_options INTERFACE ${PROJECT_SOURCE_DIR}/src)
