#!/usr/bin/env bash
# Installs a Debian package with apt-get for the tests, unless it is there already:
#
#   scripts/install-debian-package.sh PACKAGE PATH_PATTERN
#
# does nothing when a file matching PATH_PATTERN (a shell glob) is executable, and otherwise
# installs PACKAGE (apt-get update, then apt-get install --no-install-recommends; through sudo
# when not root) and checks that the file is there now. The Makefile's `browser` (Chromium,
# driven through Playwright: Playwright's own browser downloads are never used) and `postgres`
# (PostgreSQL's server binaries, for throwaway clusters) targets call it; `make test` needs both.
set -euo pipefail

package=$1 pattern=$2

found() {
    local path
    for path in $pattern; do  # unquoted on purpose: the pattern is a glob
        if [[ -x $path ]]; then
            echo "$path"
            return 0
        fi
    done
    return 1
}

if path=$(found); then
    echo "install-debian-package: $package is already installed ($path)"
    exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
fi

echo "install-debian-package: $pattern is missing; installing Debian's $package with apt-get"
echo "+ ${sudo[*]} apt-get update"
"${sudo[@]}" apt-get update
echo "+ ${sudo[*]} apt-get install -y --no-install-recommends $package"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$package"
if ! path=$(found); then
    echo "install-debian-package: $package is installed, but $pattern is still missing" >&2
    exit 1
fi
echo "install-debian-package: installed $package ($path)"
