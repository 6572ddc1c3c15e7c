#!/bin/sh
# Installs the Debian packages listed in the given packages.txt files that are not yet installed.
# One package per line, '#' starts a comment. apt-get update runs once, only when something is
# missing; sudo is used when not root. Called by `make deps` (and so by `make test`, `make demo`).
set -eu
wanted=$(cat "$@" 2>/dev/null | sed 's/#.*//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u)
missing=""
for pkg in $wanted; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        *" installed") ;;
        *) missing="$missing $pkg" ;;
    esac
done
if [ -z "$missing" ]; then
    echo "deps: all $(echo "$wanted" | wc -l) packages present, nothing to install"
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
echo "deps: installing:$missing"
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
