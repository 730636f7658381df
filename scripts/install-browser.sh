#!/usr/bin/env bash
# Installs Debian's Chromium for the end-to-end UI test (bfa_assets_tests/e2e), which drives
# /usr/bin/chromium through Playwright. Playwright's own browser downloads are never used.
# Idempotent: does nothing when /usr/bin/chromium is already there.
set -euo pipefail

browser=/usr/bin/chromium
if [[ -x $browser ]]; then
    echo "install-browser: $browser is already installed ($("$browser" --version 2>/dev/null || echo 'version unknown'))"
    exit 0
fi

sudo=()
if [[ $(id -u) -ne 0 ]]; then
    sudo=(sudo)
fi

echo "install-browser: $browser is missing; installing Debian's chromium with apt-get"
echo "+ ${sudo[*]} apt-get update"
"${sudo[@]}" apt-get update
echo "+ ${sudo[*]} apt-get install -y --no-install-recommends chromium"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
echo "install-browser: installed $("$browser" --version 2>/dev/null || echo "$browser")"
