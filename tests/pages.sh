#!/usr/bin/env bash
# pages.sh - the plots, the service graph and index.html of a run, drawn by
# the real tools, as a user opens them:
#  - a bundled scenario with a fault: every plot and the topology drawn to
#    a PNG (its signature) and an SVG (an <svg> element), the .hgrm text in
#    HdrHistogram's form, `faultline run` saying where the page is;
#  - the same run twice: byte-identical data, scripts, .hgrm and DOT;
#  - the page in headless Chromium: every inlined image decodes, the
#    screenshot is not blank (against a blank page's), no console message
#    (the probe is shown to catch one), no http(s) address anywhere in it,
#    and it fits a phone's width;
#  - without gnuplot and dot on PATH: data and scripts still written, the
#    page and summary.txt say how to draw them, and drawing them so works;
#  - --no-plots and report.plots: false write none of it.
# gnuplot, dot (graphviz) and chromium are needed (./setup.sh installs them):
# without them the test fails, saying which is missing.
# Usage: FAULTLINE=build/faultline bash tests/pages.sh
set -u
cd "$(dirname "$0")/.."
. tests/harness.sh

missing=()
for t in gnuplot dot chromium; do command -v "$t" >/dev/null || missing+=("$t"); done
if [ ${#missing[@]} -gt 0 ]; then
    echo "page tests: FAIL: ${missing[*]} not installed (./setup.sh installs them)" >&2
    exit 1
fi

png_ok() { [ -s "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
svg_ok() { [ -s "$1" ] && grep -q '<svg' "$1"; }
# chromium's own chatter (dbus, GPU) goes to stderr too: only its console lines matter
browser() { timeout 90 chromium --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
    --no-first-run --disable-extensions --enable-logging=stderr --v=0 "$@"; }

# ---- a run with a fault, drawn
run=$tmp/fd
"$FL" run scenarios/fault-delay.yaml --out "$run" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "the run exits 0 (rc $rc: $(head -3 "$tmp/err"))" '[ $rc = 0 ]'
check "the run says where the page is" 'grep -qx "open $run/index.html" "$tmp/out"'
check "no plot failed to draw ($(grep -m1 warning "$tmp/err"))" '! grep -q "drawing a plot failed" "$tmp/err"'
for p in latency throughput percentiles topology; do
    check "$p.png is a PNG" 'png_ok "$run/plots/$p.png"'
    check "$p.svg is an SVG" 'svg_ok "$run/plots/$p.svg"'
done
for gp in "$run"/plots/*.gp; do
    p=$(basename "$gp" .gp)
    check "$p: every script drawn to PNG and SVG" 'png_ok "$run/plots/$p.png" && svg_ok "$run/plots/$p.svg"'
done
check "the fault window is shaded and named on the latency plot" \
    'grep -q "set object 1 rect from 20.000000000, graph 0 to 30.000000000" "$run/plots/latency.gp" &&
     grep -q "slow-net (delay)" "$run/plots/latency.gp"'
check "titles name the scenario and seed" 'grep -q "fault-delay (seed 3)" "$run/plots/throughput.gp"'
check "topology: both edges, with their figures" \
    'grep -q "\"users\" -> \"api\" \[label=\"[0-9.]* rps\\\\n0.00% err\\\\nP99 109.8ms\"" "$run/plots/topology.dot" &&
     grep -q "\"others\" -> \"other\"" "$run/plots/topology.dot"'
hg=$run/plots/latency.hgrm
check "latency.hgrm: HdrHistogram's header" \
    '[ "$(head -1 "$hg")" = "       Value     Percentile TotalCount 1/(1-Percentile)" ] && [ -z "$(sed -n 2p "$hg")" ]'
check "latency.hgrm: 12000 requests, max 210 ms, the last row at 100%" \
    'grep -qxF "#[Max     =      210.000, Total count    =        12000]" "$hg" &&
     tail -4 "$hg" | head -1 | grep -qE "^ +210\.000 1\.000000000000 +12000$"'
check "one .hgrm per route" '[ -s "$run/plots/latency-1-_api.hgrm" ] && [ -s "$run/plots/latency-2-_other.hgrm" ]'

# ---- determinism
"$FL" run scenarios/fault-delay.yaml --quiet --out "$tmp/fd2" 2>/dev/null
same=1
for f in "$run"/plots/*.dat "$run"/plots/*.gp "$run"/plots/*.hgrm "$run"/plots/topology.dot; do
    cmp -s "$f" "$tmp/fd2/plots/$(basename "$f")" || { same=0; echo "differs: $f" >&2; }
done
check "the same run: byte-identical data, scripts, .hgrm and DOT" '[ $same = 1 ]'

# ---- the page in headless Chromium
page=$run/index.html
check "index.html: no http(s) address (no network request)" '! grep -qiE "https?://" "$page"'
check "index.html: every image inlined (latency, throughput, percentiles, the slowest trace, topology)" \
    '[ "$(grep -o "<img [^>]*src=\"data:image/" "$page" | wc -l)" = 5 ] && ! grep -qE "<img [^>]*src=\"[^d]" "$page"'
check "index.html: no script" '! grep -qi "<script" "$page"'
check "index.html: made for a phone too" 'grep -q "<meta name=\"viewport\" content=\"width=device-width" "$page"'
# A copy with a probe: how many images did not decode, and whether the page is wider than
# the window (a phone's width: Chromium's narrowest window, 500 px; tables scroll inside it).
probe='<script>addEventListener("load",function(){var n=0,b=0;for(var i=0;i<document.images.length;i++){n++;var m=document.images[i];if(!(m.complete&&m.naturalWidth>0))b++;}var B=document.body;B.setAttribute("data-images",n);B.setAttribute("data-broken",b);B.setAttribute("data-wide",document.documentElement.scrollWidth>window.innerWidth?1:0);});</script>'
{ sed 's#</body>##; s#</html>##' "$page"; echo "$probe</body></html>"; } >"$tmp/probe.html"
browser --window-size=390,844 --virtual-time-budget=10000 --dump-dom "file://$tmp/probe.html" >"$tmp/dom" 2>"$tmp/console"
check "Chromium decodes every image ($(grep -o '<body [^>]*>' "$tmp/dom"))" \
    'grep -q "<body data-images=\"5\" data-broken=\"0\"" "$tmp/dom"'
check "on a phone the page does not overflow sideways" 'grep -q "data-wide=\"0\"" "$tmp/dom"'
check "no console message from the page ($(grep -m1 CONSOLE "$tmp/console"))" '! grep -q "CONSOLE" "$tmp/console"'
# the probe and the console check do see a broken image and a console error
{ sed 's#</body>##; s#</html>##; s/base64,/base64,AAAA/' "$page"
  echo "<script>console.error(\"faultline-probe\")</script>$probe</body></html>"; } >"$tmp/probe-bad.html"
browser --virtual-time-budget=10000 --dump-dom "file://$tmp/probe-bad.html" >"$tmp/dom-bad" 2>"$tmp/console-bad"
check "the probe sees broken images" 'grep -q "data-images=\"5\" data-broken=\"5\"" "$tmp/dom-bad"'
check "the console check sees a console error" 'grep -q "CONSOLE.*faultline-probe" "$tmp/console-bad"'
printf '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body></body></html>' >"$tmp/blank.html"
browser --window-size=1200,2000 --screenshot="$tmp/blank.png" "file://$tmp/blank.html" >/dev/null 2>&1
browser --window-size=1200,2000 --screenshot="$tmp/page.png" "file://$page" >/dev/null 2>&1
blank=$(stat -c %s "$tmp/blank.png" 2>/dev/null || echo 0)
shot=$(stat -c %s "$tmp/page.png" 2>/dev/null || echo 0)
check "the screenshot is a PNG, not blank ($shot bytes; a blank page's $blank)" \
    'png_ok "$tmp/page.png" && png_ok "$tmp/blank.png" && [ "$shot" -gt $((blank * 5)) ]'

# ---- without the tools
nt=$tmp/notools
PATH=/nonexistent "$FL" run scenarios/fault-delay.yaml --out "$nt" >"$tmp/out" 2>"$tmp/err"
rc=$?
check "without gnuplot and dot the run still exits 0 (rc $rc)" '[ $rc = 0 ]'
check "the terminal says how to draw the plots" 'grep -q "gnuplot and graphviz are not installed" "$tmp/err" && grep -q "gnuplot" "$tmp/err"'
check "summary.txt says it too" 'grep -q "^plots: gnuplot and graphviz are not installed" "$nt/summary.txt"'
check "data and scripts written, no image" \
    '[ -s "$nt/plots/latency.dat" ] && [ -s "$nt/plots/latency.gp" ] && [ -s "$nt/plots/topology.dot" ] && ! ls "$nt"/plots/*.png >/dev/null 2>&1'
check "the page says what is not drawn" 'grep -q "Not drawn: gnuplot is not installed" "$nt/index.html"'
(cd "$nt" && gnuplot plots/latency.gp 2>/dev/null)
check "drawn by hand as the hint says" 'png_ok "$nt/plots/latency.png" && svg_ok "$nt/plots/latency.svg"'

# ---- turned off
"$FL" run scenarios/fault-delay.yaml --quiet --no-plots --out "$tmp/np" 2>/dev/null
check "--no-plots: no plots, no page" '[ -s "$tmp/np/summary.txt" ] && [ ! -e "$tmp/np/plots" ] && [ ! -e "$tmp/np/index.html" ]'
"$FL" run scenarios/fault-delay.yaml --quiet --set report.plots=false --out "$tmp/np2" 2>/dev/null
check "report.plots: false: no plots, no page" '[ -s "$tmp/np2/summary.txt" ] && [ ! -e "$tmp/np2/index.html" ]'

echo "page tests: $pass passed, $fail failed"
[ $fail = 0 ]
