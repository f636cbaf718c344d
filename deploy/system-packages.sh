#!/usr/bin/env sh
# Debian packages the tests need beyond Python, Java and Maven, installed only when missing.
#
#   chromium          the real browser the dashboard's end-to-end test drives (/usr/bin/chromium)
#   fonts-liberation  metric-compatible sans fonts, so the page and its screenshot render legibly
#   prometheus        a real Prometheus (and promtool) that scrapes the services in the observability test
#   docker-compose    validates docker-compose.yml (`docker-compose config`) without a Docker engine
#   poppler-utils     pdftoppm and pdftotext: the statement PDF test renders the PDF and reads its text
#
# Idempotent: `apt-get update` runs once, and only if something is missing. Without root or
# without apt it prints what to install and exits 0; the browser test then skips with that
# reason (and fails under CI=true, where a missing browser is a broken machine).
set -eu

PACKAGES="chromium fonts-liberation prometheus docker-compose poppler-utils"

missing=""
for package in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $package"
    fi
done

if [ -z "$missing" ]; then
    echo "system packages: all present ($PACKAGES)"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ]; then
    echo "system packages: missing:$missing"
    echo "  install them with: sudo apt-get install -y --no-install-recommends$missing"
    echo "  (tests that need them will skip)"
    exit 0
fi

echo "system packages: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
# shellcheck disable=SC2086 # word splitting of the package list is intended
apt-get install -y -q --no-install-recommends $missing
