#!/usr/bin/env bash
# Regenerates data/carbon-intensity.csv from the npm package @tgwf/co2 (Ember
# country averages, Electricity Maps yearly zone averages) and Debian's
# iso-codes (ISO 3166-1 alpha-2 <-> alpha-3). See data/README.md.
#
# Usage: scripts/make-intensity-table.sh [VERSION]   (default 0.19.0)
# Needs: npm, node (>= 14), /usr/share/iso-codes/json/iso_3166-1.json
# (Debian package iso-codes). Only the generator needs them, not the build.
set -euo pipefail
version="${1:-0.19.0}"
root="$(cd "$(dirname "$0")/.." && pwd)"
iso_json="${ISO_3166_JSON:-/usr/share/iso-codes/json/iso_3166-1.json}"
[ -r "$iso_json" ] || { echo "missing $iso_json: apt-get install iso-codes" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "@tgwf/co2@${version}" >/dev/null && tar xzf tgwf-co2-*.tgz)
node "$root/scripts/make-intensity-table.mjs" "$tmp/package" "$iso_json" \
  > "$root/data/carbon-intensity.csv.tmp"
mv "$root/data/carbon-intensity.csv.tmp" "$root/data/carbon-intensity.csv"
echo "wrote data/carbon-intensity.csv from @tgwf/co2@${version}" \
  "($(($(wc -l < "$root/data/carbon-intensity.csv") - 1)) rows)" >&2
