# SPDX-License-Identifier: ISC
# Shared by scripts/run and scripts/test: package installation and the build.
# Sourced, not run.

# Debian bookworm packages tern builds, tests and runs with.
# TERN_BUILD_PKGS: what scripts/build (the container image's build stage)
# needs; debian/control's Build-Depends has its -dev packages.
TERN_BUILD_PKGS="gcc pkg-config meson ninja-build libevent-dev libssl-dev openssl libhiredis-dev libmicrohttpd-dev"
# golang-go: the README's Go credential snippet (tests/integration/test_backend_snippet.c).
# clang, libclang-rt-14-dev: the fuzz targets (libFuzzer) in scripts/test.
TERN_TEST_PKGS="redis-server redis-tools coturn procps iproute2 chromium nodejs prometheus python3-yaml golang-go clang libclang-rt-14-dev"
# scripts/package-test: the Debian package (dpkg-buildpackage, lintian), a
# fresh bookworm root (mmdebstrap) and the container image (podman).
TERN_PKG_PKGS="dpkg-dev debhelper fakeroot lintian mmdebstrap podman"

say() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else say "need root to run: $*"; return 1
  fi
}

# Installs whichever of the named packages are missing, with one apt-get call.
ensure_pkgs() {
  missing=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
      missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  say "installing:$missing"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  # shellcheck disable=SC2086
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# build DIR [meson options...]: configures once, then builds.
build() {
  dir=$1; shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >/dev/null || return 1
  else
    meson configure "$dir" "$@" >/dev/null || return 1
  fi
  ninja -C "$dir" >/dev/null || { ninja -C "$dir" | tail -40; return 1; }
}
