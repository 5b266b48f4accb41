#!/usr/bin/env bash
# Make sure the system programs that `make run` / `make test` need are installed.
# On Debian/Ubuntu as root, install the missing ones with apt-get (without letting the package start a
# system-wide service: Atelier starts private ones); elsewhere, print one line saying what to install.
set -euo pipefail

# The command a package installs, where its name differs from the package's.
command_of() {
  case "$1" in
    bubblewrap) echo bwrap ;;
    r-base-core) echo Rscript ;;
    *) echo "$1" ;;
  esac
}

# Whether a package is installed: its command on PATH (Debian's postgresql keeps its server programs off PATH,
# under /usr/lib/postgresql/<version>/bin, where studio/processes.py looks for them). An R library package
# (r-cran-<name>) has no command: it is present when R can load it, however it was installed.
present() {
  case "$1" in
    postgresql) command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null ;;
    r-cran-*) command -v Rscript >/dev/null 2>&1 &&
      Rscript -e "quit(status = if (requireNamespace('${1#r-cran-}', quietly = TRUE)) 0 else 1)" >/dev/null 2>&1 ;;
    *) command -v "$(command_of "$1")" >/dev/null 2>&1 ;;
  esac
}

missing=()
for package in "$@"; do
  present "$package" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing ${missing[*]} with apt-get ..."
  policy=/usr/sbin/policy-rc.d
  created=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created=1
  fi
  trap '[ -n "$created" ] && rm -f "$policy"' EXIT
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "Missing: ${missing[*]}. Install them (Debian/Ubuntu: sudo apt-get install ${missing[*]}; macOS: brew install redis chromium postgresql)." >&2
  exit 1
fi
