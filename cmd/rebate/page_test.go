package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/api"
	"github.com/rebatehq/rebate/internal/apiclient"
	"github.com/rebatehq/rebate/internal/chlocaltest"
	"github.com/rebatehq/rebate/internal/testenv"
)

// chromium finds the browser scripts/install-test-deps.sh installs; without
// it the test skips, except under CI=true where it fails.
func chromium(t *testing.T) string { return testenv.Chromium(t) }

// leader is a leaderboard row as the page holds it.
type leader struct{ User, Rebate string }

// pageFigures is what the live page shows, read from its DOM.
type pageFigures struct {
	Minutes    string
	Refreshes  string
	GMV        string
	Orders     string
	Clicks     string
	Commission string
	Rebate     string
	Leaders    []leader
	AsOf       string
	Overflow   bool // wider than the viewport
	Errors     string
	Failures   string // refreshes that failed
	Failure    string // the last failure's message
	Board      string // the leaderboard window shown
	Since      string // the start of "today" the referral and signal cards count from
	Referrals  []string
	Signals    []string
}

const readPage = `(() => {
  const v = (id) => document.getElementById(id).dataset.value;
  return {
    Minutes: document.body.dataset.minutes || '', Refreshes: document.body.dataset.refreshes || '',
    GMV: v('kpi-gmv'), Orders: v('kpi-orders'), Clicks: v('kpi-clicks'), Commission: v('kpi-commission'), Rebate: v('kpi-rebate'),
    Leaders: [...document.querySelectorAll('#leaderboard tbody tr[data-user]')].map((r) => ({User: r.dataset.user, Rebate: r.dataset.rebate})),
    AsOf: document.getElementById('freshness').dataset.asOf || '',
    Overflow: document.documentElement.scrollWidth > window.innerWidth,
    Errors: document.getElementById('status').className === 'error' ? document.getElementById('status').textContent : '',
    Failures: document.body.dataset.failures || '',
    Failure: document.body.dataset.lastFailure || '',
    Board: (document.querySelector('#windows button.on') || {dataset: {}}).dataset.window || '',
    Since: document.body.dataset.since || '',
    Referrals: ['ref-pending', 'ref-confirmed', 'ref-inviters'].map(v),
    Signals: ['no_click', 'cancel_rate', 'velocity', 'invite_farm'].map((k) => v('sig-' + k)),
  };
})()`

// apiFigures computes, from the API, what the page should show for the same
// minutes.
func apiFigures(ctx context.Context, c *apiclient.Client, minutes int) (pageFigures, error) {
	var f pageFigures
	ms, err := c.Minutely(ctx, time.Time{}, uint16(minutes))
	if err != nil {
		return f, err
	}
	var clicks, orders uint64
	var gmv, commission, reb rebate.Money
	for _, m := range ms.Minutes {
		clicks, orders = clicks+m.Clicks, orders+m.Orders
		gmv, commission, reb = gmv+m.GMV, commission+m.Commission, reb+m.Rebate
	}
	f.Clicks, f.Orders, f.GMV, f.Commission, f.Rebate = fmt.Sprint(clicks), fmt.Sprint(orders), gmv.String(), commission.String(), reb.String()
	f.Leaders, err = apiLeaders(ctx, c, rebate.WindowDay)
	return f, err
}

func apiLeaders(ctx context.Context, c *apiclient.Client, w rebate.Window) ([]leader, error) {
	lb, err := c.Leaderboard(ctx, w, 10)
	var out []leader
	for _, e := range lb.Entries {
		out = append(out, leader{fmt.Sprint(e.UserID), e.Rebate.String()})
	}
	return out, err
}

func sameFigures(a, b pageFigures) bool {
	return a.GMV == b.GMV && a.Orders == b.Orders && a.Clicks == b.Clicks && a.Commission == b.Commission &&
		a.Rebate == b.Rebate && fmt.Sprint(a.Leaders) == fmt.Sprint(b.Leaders)
}

// TestLivePageInBrowser opens the page of a running `rebate up` in headless
// Chromium: the leaderboard fills, the figures change while the simulator
// runs and then equal the API's, nothing overflows a phone's width, and no
// script error happens. Screenshots go to the test's artifact folder
// (go test -artifacts); REBATE_UPDATE_SCREENSHOT=1 also refreshes the README's.
func TestLivePageInBrowser(t *testing.T) {
	lib := chlocaltest.LibPath(t)
	browser := chromium(t)
	apiAddr := freeAddr(t)
	p := startUp(t, lib, apiAddr, "up", "--data", t.TempDir(), "--kafka-listen", freeAddr(t), "--listen", freeAddr(t),
		"--api-listen", apiAddr, "--simulate-rate", "300", "--seed", "11", "--simulate-duration", "25s",
		// The all-time leaderboard the page is asked for below, refreshed
		// within the test's time (every 30 s by default).
		"--leaderboard-long-refresh", "5s")
	client := &apiclient.Client{BaseURL: p.url}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 860), chromedp.Flag("disable-background-networking", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelTimeout()
	var mu sync.Mutex
	var scriptErrors []string
	listen := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			mu.Lock()
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			scriptErrors = append(scriptErrors, fmt.Sprintf("%s:%d: %s", d.URL, d.LineNumber+1, msg))
			mu.Unlock()
		}
	})
	if err := errors.Join(listen, chromedp.Do(ctx, chromedp.Navigate(p.url+"/?refresh=1"))); err != nil {
		t.Fatalf("open the page: %v", err)
	}
	read := func() pageFigures {
		t.Helper()
		f, err := chromedp.Run(ctx, chromedp.Evaluate[pageFigures](readPage))
		if err != nil {
			t.Fatalf("read the page: %v", err)
		}
		return f
	}

	poll(t, p, "the page shows figures", func() bool { return read().Refreshes != "" })
	first := read()
	poll(t, p, "the figures change as the simulator runs", func() bool {
		now := read()
		return now.Clicks != first.Clicks && now.Refreshes != first.Refreshes
	})
	poll(t, p, "the leaderboard fills", func() bool { return len(read().Leaders) > 0 })
	sent := waitFinished(t, p)
	poll(t, p, "the ingester consumed every record", func() bool {
		return metric(t, apiAddr, "rebate_ingest_records_consumed_total") == float64(sent)
	})
	var want pageFigures
	poll(t, p, "the page shows the API's figures", func() bool {
		got := read()
		var minutes int
		if _, err := fmt.Sscan(got.Minutes, &minutes); err != nil {
			return false
		}
		var err error
		if want, err = apiFigures(ctx, client, minutes); err != nil {
			t.Fatal(err)
		}
		return sameFigures(got, want)
	})
	// Today's referral earnings and signal counts, as the API counts them
	// from the same instant.
	poll(t, p, "the page shows the API's referral earnings and signal counts", func() bool {
		got := read()
		if got.Since == "" {
			return false
		}
		var refs api.ReferralTotalsJSON
		var sigs api.SignalCountsJSON
		q := url.Values{"since": {got.Since}}
		if _, err := client.Get(ctx, "/v1/stats/referrals", q, &refs); err != nil {
			t.Fatal(err)
		}
		if _, err := client.Get(ctx, "/v1/risk/signals/counts", q, &sigs); err != nil {
			t.Fatal(err)
		}
		wantSigs := []string{}
		for _, k := range []string{"no_click", "cancel_rate", "velocity", "invite_farm"} {
			wantSigs = append(wantSigs, fmt.Sprint(sigs.Signals[k]))
		}
		return fmt.Sprint(got.Referrals) == fmt.Sprint([]string{refs.Pending.String(), refs.Confirmed.String(), fmt.Sprint(refs.Inviters)}) &&
			fmt.Sprint(got.Signals) == fmt.Sprint(wantSigs)
	})
	if got := read(); got.AsOf == "" || got.Errors != "" || got.Overflow {
		t.Errorf("freshness %q, status error %q, wider than the window: %v", got.AsOf, got.Errors, got.Overflow)
	}
	shot(t, ctx, "live-page.png")

	// Windows clicked in quick succession: the last one shows, whatever order
	// the answers come back in.
	const clicks = `for (const w of ['7d', '1h', '24h', 'all']) document.querySelector('[data-window="' + w + '"]').click()`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](clicks)); err != nil {
		t.Fatal(err)
	}
	poll(t, p, "the page shows the all-time leaderboard", func() bool {
		all, err := apiLeaders(ctx, client, rebate.WindowAll)
		if err != nil {
			t.Fatal(err)
		}
		got := read()
		return got.Board == "all" && fmt.Sprint(got.Leaders) == fmt.Sprint(all)
	})

	// A phone: one column, nothing wider than the screen, the leaderboard there.
	before := read().Refreshes
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	poll(t, p, "the page refreshes at phone size", func() bool { return read().Refreshes != before })
	if got := read(); got.Overflow || len(got.Leaders) == 0 || got.Failures != "" {
		t.Errorf("on a phone: wider than the screen %v, %d leaders; %s failed refreshes (the last: %q)", got.Overflow, len(got.Leaders), got.Failures, got.Failure)
	}
	shot(t, ctx, "live-page-phone.png")
	mu.Lock()
	if len(scriptErrors) > 0 {
		t.Errorf("script errors: %s", strings.Join(scriptErrors, "; "))
	}
	mu.Unlock()
	p.stop(t, syscall.SIGINT)
}

func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(t.ArtifactDir(), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	if os.Getenv("REBATE_UPDATE_SCREENSHOT") == "1" {
		if err := os.WriteFile(filepath.Join("..", "..", "docs", name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
