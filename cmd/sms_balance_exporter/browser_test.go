package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium, which .ci/test installs.
const chromiumPath = "/usr/bin/chromium"

// pageReport is what the browser measures on the landing page.
type pageReport struct {
	ScrollWidth int    `json:"scrollWidth"` // of the document
	InnerWidth  int    `json:"innerWidth"`  // of the window
	WrapScroll  int    `json:"wrapScroll"`  // scrollWidth of the table's container
	WrapClient  int    `json:"wrapClient"`  // clientWidth of the table's container
	Summary     string `json:"summary"`
	Version     string `json:"version"`
	// Resources is how many sub-resources the page loaded (none: no asset).
	Resources int `json:"resources"`
	// Wrapped lists the header and body cells, other than the error
	// column, whose text takes more than one line.
	Wrapped []string    `json:"wrapped"`
	Rows    []rowReport `json:"rows"`
	// Columns lists the columns and their widths, for the log.
	Columns string `json:"columns"`
}

type rowReport struct {
	Account    string  `json:"account"`
	Class      string  `json:"class"`
	State      string  `json:"state"`
	Background string  `json:"background"`
	StateRight float64 `json:"stateRight"` // right edge of the State cell in the viewport
	ErrWidth   float64 `json:"errWidth"`   // width of the error cell
}

// measureJS measures the page: overflow, cells whose text wraps (their text
// boxes fall on more than one line), and each row's marks.
const measureJS = `(() => {
  const lines = (el) => {
    const boxes = [];
    const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      if (!n.textContent.trim()) continue;
      const r = document.createRange();
      r.selectNodeContents(n);
      for (const b of r.getClientRects()) if (b.width > 0) boxes.push([b.top, b.bottom]);
    }
    boxes.sort((a, b) => a[0] - b[0]);
    let count = 0, bottom = -Infinity;
    for (const [top, bot] of boxes) {
      if (top >= bottom - 1) { count++; bottom = bot; } else { bottom = Math.max(bottom, bot); }
    }
    return count;
  };
  const heads = [...document.querySelectorAll('#accounts thead th')].map(th => th.textContent.trim());
  const wrapped = [];
  document.querySelectorAll('#accounts thead th').forEach(th => {
    if (!th.classList.contains('err') && lines(th) > 1) wrapped.push('header ' + th.textContent.trim());
  });
  const rows = [];
  document.querySelectorAll('#accounts tbody tr').forEach(tr => {
    [...tr.cells].forEach((td, i) => {
      if (!td.classList.contains('err') && lines(td) > 1) wrapped.push(tr.dataset.account + ': ' + heads[i] + ' ' + JSON.stringify(td.textContent));
    });
    const state = tr.querySelector('td.state'), err = tr.querySelector('td.err');
    rows.push({
      account: tr.dataset.account || '', class: tr.className, state: state ? state.textContent.trim() : '',
      background: getComputedStyle(tr).backgroundColor,
      stateRight: state ? state.getBoundingClientRect().right : 0,
      errWidth: err ? err.getBoundingClientRect().width : 0,
    });
  });
  const wrap = document.getElementById('accounts-wrap');
  return {
    scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
    wrapScroll: wrap.scrollWidth, wrapClient: wrap.clientWidth,
    summary: document.getElementById('summary').textContent.trim(),
    version: document.getElementById('version').textContent.trim(),
    resources: performance.getEntriesByType('resource').length,
    wrapped, rows,
    columns: [...document.querySelectorAll('#accounts thead th')].map(th => th.textContent.trim() + ' ' + Math.round(th.getBoundingClientRect().width)).join(', '),
  };
})()`

// TestLandingInBrowser renders the --demo landing page in headless Chromium
// at desktop and phone widths: the low and down rows are marked by class and
// word, the page never scrolls sideways, names and numbers never wrap, and
// it loads nothing but itself. It saves full-page screenshots.
func TestLandingInBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser test needs Chromium at %s (%v): run `bash .ci/test`, which installs it", chromiumPath, err)
	}
	artefacts := os.Getenv("SMS_BROWSER_ARTEFACTS")
	if artefacts == "" {
		artefacts = t.TempDir()
	} else if err := os.MkdirAll(artefacts, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots go to %s", artefacts)

	x := startExporter(t, "--demo")
	x.scrape() // the page shows the cache: have every demo account refreshed once

	var browserOut syncBuf
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(&browserOut),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	defer cancel()
	// The first action starts the browser, which lives as long as ctx: no
	// timeout on it (see chromedp.Run); every later step has its own.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v\n%s", chromiumPath, err, browserOut.String())
	}

	for _, vp := range []struct {
		width, height int64
		phone         bool
	}{{1280, 800, false}, {375, 800, true}} {
		name := fmt.Sprintf("landing-%d", vp.width)
		t.Run(name, func(t *testing.T) {
			step, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			var opts []chromedp.EmulateViewportOption
			if vp.phone {
				opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
			}
			if err := chromedp.Do(step,
				chromedp.EmulateViewport(vp.width, vp.height, opts...),
				chromedp.Navigate(x.base+"/"),
				chromedp.WaitVisible(chromedp.CSS(`#accounts tbody tr[data-account="revoked"]`)),
			); err != nil {
				t.Fatalf("loading the landing page: %v", err)
			}
			rep, err := chromedp.Run(step, chromedp.Evaluate[pageReport](measureJS))
			if err != nil {
				t.Fatalf("measuring the page: %v", err)
			}
			png, err := chromedp.Run(step, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			saveScreenshot(t, artefacts, name+".png", png)
			t.Logf("%dx%d: document %d px wide in a %d px window; table %d px in a %d px container",
				vp.width, vp.height, rep.ScrollWidth, rep.InnerWidth, rep.WrapScroll, rep.WrapClient)
			t.Logf("columns: %s", rep.Columns)
			checkPage(t, rep, vp.phone)
			if vp.phone && rep.WrapScroll > rep.WrapClient {
				checkScrolledTable(step, t, artefacts, name+"-scrolled.png")
			}
		})
	}
}

// checkPage checks what the design promises at every width, and at desktop
// width that the whole table fits without scrolling.
func checkPage(t *testing.T, rep pageReport, phone bool) {
	t.Helper()
	if rep.ScrollWidth > rep.InnerWidth {
		t.Errorf("the page scrolls sideways: document %d px wide, window %d px", rep.ScrollWidth, rep.InnerWidth)
	}
	if !phone && rep.WrapScroll > rep.WrapClient {
		t.Errorf("at desktop width the table does not fit: %d px in a %d px container", rep.WrapScroll, rep.WrapClient)
	}
	for _, w := range rep.Wrapped {
		t.Errorf("cell wraps: %s", w)
	}
	if rep.Resources != 0 {
		t.Errorf("the page loaded %d sub-resources, want none", rep.Resources)
	}
	if !regexp.MustCompile(`^\d+ accounts, 1 down, 1 low$`).MatchString(rep.Summary) {
		t.Errorf("summary %q, want N accounts, 1 down, 1 low", rep.Summary)
	}
	if !strings.HasPrefix(rep.Version, "Version: ") || strings.HasPrefix(rep.Version, "Version: ,") || strings.Contains(rep.Version, "version=,") {
		t.Errorf("version line %q", rep.Version)
	}
	rows := map[string]rowReport{}
	for _, r := range rep.Rows {
		rows[r.Account] = r
	}
	if len(rows) < 3 {
		t.Fatalf("%d account rows: %+v", len(rows), rep.Rows)
	}
	ok := rows["marketing"]
	for _, c := range []struct{ account, class, word string }{
		{"eu-alerts", "low", "LOW"},
		{"revoked", "down", "DOWN"},
		{"marketing", "ok", "OK"},
	} {
		r, found := rows[c.account]
		if !found {
			t.Errorf("no row for %s", c.account)
			continue
		}
		if !hasClass(r.Class, c.class) || r.State != c.word {
			t.Errorf("%s row: class %q, state %q; want class %s and the word %s", c.account, r.Class, r.State, c.class, c.word)
		}
		if c.class != "ok" && r.Background == ok.Background {
			t.Errorf("%s row has the background of an ok row (%s): not marked by colour", c.account, r.Background)
		}
		// The marks are in view without scrolling the table, at any width.
		if r.StateRight > float64(rep.InnerWidth) {
			t.Errorf("%s: the State cell ends at %.0f px, beyond the %d px window", c.account, r.StateRight, rep.InnerWidth)
		}
	}
	if w := rows["revoked"].ErrWidth; w < 200 {
		t.Errorf("the error column is squeezed to %.0f px", w)
	}
}

// scrolledJS scrolls the table to its right end and reports where the
// account names are then: the Account column is sticky.
const scrolledJS = `(() => {
  const wrap = document.getElementById('accounts-wrap');
  wrap.scrollLeft = wrap.scrollWidth;
  const box = wrap.getBoundingClientRect();
  return [...document.querySelectorAll('#accounts tbody tr')].map(tr => {
    const r = tr.cells[0].getBoundingClientRect();
    return {account: tr.dataset.account || '', left: r.left - box.left, right: r.right - box.left, scrolled: wrap.scrollLeft};
  });
})()`

// checkScrolledTable scrolls the table sideways, as a phone user does: the
// account names stay in view. It saves a screenshot of the viewport.
func checkScrolledTable(ctx context.Context, t *testing.T, dir, name string) {
	t.Helper()
	type cell struct {
		Account  string  `json:"account"`
		Left     float64 `json:"left"`
		Right    float64 `json:"right"`
		Scrolled float64 `json:"scrolled"`
	}
	cells, err := chromedp.Run(ctx, chromedp.Evaluate[[]cell](scrolledJS))
	if err != nil {
		t.Fatalf("scrolling the table: %v", err)
	}
	if len(cells) == 0 || cells[0].Scrolled <= 0 {
		t.Fatalf("the table did not scroll: %+v", cells)
	}
	for _, c := range cells {
		if c.Left < -1 || c.Left > 1 {
			t.Errorf("after scrolling the table by %.0f px, the name of %s is at %.0f px, not kept at the left edge", c.Scrolled, c.Account, c.Left)
		}
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	saveScreenshot(t, dir, name, png)
}

func hasClass(classes, c string) bool {
	for _, f := range strings.Fields(classes) {
		if f == c {
			return true
		}
	}
	return false
}

// saveScreenshot writes png to dir.
func saveScreenshot(t *testing.T, dir, name string, png []byte) {
	t.Helper()
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Fatalf("screenshot %s is not a PNG", name)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatalf("writing %s: %v", p, err)
	}
	t.Logf("screenshot: %s", p)
}
