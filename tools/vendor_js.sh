#!/usr/bin/env bash
# Vendor the browser libraries the website serves itself (no CDN, works offline): install the npm
# packages pinned in package-lock.json and copy the built files the site needs into _vendor/, which
# _config.yml's html_static_path publishes as _static/. Run by `make vendor` (and so by `make book`).
#   _vendor/mathjax/   MathJax 3 (tex-chtml.js, its woff-v2 fonts, TeX extensions, menu, a11y)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v npm >/dev/null || { echo "npm not found: install Node.js >= 18 (npm) to vendor MathJax" >&2; exit 1; }
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
src=node_modules/mathjax/es5
out=_vendor/mathjax
rm -rf _vendor
mkdir -p "$out/output/chtml/fonts" "$out/input/tex"
cp "$src/tex-chtml.js" "$out/"
cp -r "$src/output/chtml/fonts/woff-v2" "$out/output/chtml/fonts/"
cp -r "$src/input/tex/extensions" "$out/input/tex/"
cp -r "$src/ui" "$src/a11y" "$out/"
cp node_modules/mathjax/LICENSE "$out/LICENSE"
touch _vendor/.vendored
echo "vendored MathJax $(node -p 'require("./node_modules/mathjax/package.json").version') into _vendor/ ($(du -sh _vendor | cut -f1))"
