#!/usr/bin/env bash
# Install the Debian packages the tests need, only those missing (idempotent, quiet).
# "system-deps.sh voice" installs only what generating the spoken calls needs (make voice).
set -euo pipefail
voice=(espeak-ng sox)
if [ "${1:-}" = voice ]; then
    packages=("${voice[@]}")
else
    packages=(chromium libfribidi0 libraqm0 fonts-dejavu-core nginx "${voice[@]}")
fi
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
echo "installing Debian packages: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
