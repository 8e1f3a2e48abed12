# Hardened code generation for shipped binaries: what dpkg-buildflags gives a
# bookworm package (fortify, stack protector, stack clash protection, control
# flow protection, relro + bindnow), so that the Debian package passes
# lintian's hardening checks. On in the `package` and `cross-arm64` presets.
# Included before the targets are made: add_compile_options only reaches
# targets created after it.
option(PENRIG_HARDEN "Build with the Debian hardening flags (fortify, stack protector, relro/now)" OFF)
if(PENRIG_HARDEN)
  add_compile_options(-D_FORTIFY_SOURCE=2 -fstack-protector-strong -fstack-clash-protection)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
    add_compile_options(-fcf-protection)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
    add_compile_options(-mbranch-protection=standard)
  endif()
  add_link_options(-Wl,-z,relro -Wl,-z,now)
endif()
