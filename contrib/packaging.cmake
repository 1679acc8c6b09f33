# Install rules beyond the tools and man pages (shell completions) and the Debian
# package: `cpack -G DEB` in a build configured with -DCMAKE_INSTALL_PREFIX=/usr.

# bash-completion loads completions/NAME when NAME is first completed: one copy of
# the script under each tool's name.
set(GTH_BASH_COMPLETION_DIR "${CMAKE_INSTALL_DATADIR}/bash-completion/completions"
    CACHE STRING "where the bash completions go, under the prefix")
# Debian's zsh searches vendor-completions under /usr; zsh's own default fpath has
# site-functions under /usr/local.
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(gth_zsh_dir "${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions")
else()
  set(gth_zsh_dir "${CMAKE_INSTALL_DATADIR}/zsh/site-functions")
endif()
set(GTH_ZSH_COMPLETION_DIR "${gth_zsh_dir}" CACHE STRING
    "where the zsh completion _gth goes, under the prefix")

get_property(gth_tools GLOBAL PROPERTY GTH_TOOLS)
foreach(tool ${gth_tools})
  install(FILES ${CMAKE_SOURCE_DIR}/contrib/completions/gth.bash
          DESTINATION ${GTH_BASH_COMPLETION_DIR} RENAME ${tool})
endforeach()
install(FILES ${CMAKE_SOURCE_DIR}/contrib/completions/_gth
        DESTINATION ${GTH_ZSH_COMPLETION_DIR})

set(CPACK_PACKAGE_NAME gth)
set(CPACK_PACKAGE_VENDOR "the gth authors")
set(CPACK_PACKAGE_CONTACT "the gth authors <gth@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "command-line tools for a pull-request-to-production pipeline")
set(CPACK_PACKAGE_DESCRIPTION
    "Seven small programs, one per stage: test gates (gth-test), security scanning
(gth-scan), daemonless image builds and registry pushes (gth-build), GitOps manifest
bumps (gth-bump), canaries on Argo CD and Argo Rollouts judged by Prometheus
(gth-canary), rollback (gth-rollback) and notifications (gth-notify).")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The shared libraries the binaries link (libgit2, libcurl, libcjson, ...) become
# the Depends line, with the versions dpkg-shlibdeps finds.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "git, ca-certificates")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "bash-completion, docker.io | podman | buildah")
set(CPACK_STRIP_FILES ON)
include(CPack)
