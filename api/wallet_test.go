package api_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/api"
	"github.com/rebatehq/rebate/internal/testenv"
)

// wallet is what the wallet page shows, read from its DOM.
type wallet struct {
	Available, Pending, Confirmed string
	AsOf                          string
	Events                        int // balance events the page has shown
	Error                         string
	NotReloaded                   bool // a mark set by the test, which a reload would wipe
}

const readWallet = `(() => {
  const v = (id) => document.getElementById(id).dataset.value;
  const status = document.getElementById('status');
  return {
    Available: v('available'), Pending: v('pending'), Confirmed: v('confirmed'),
    AsOf: document.getElementById('freshness').dataset.asOf || '',
    Events: Number(document.body.dataset.events || 0),
    Error: status.className === 'error' ? status.textContent : '',
    NotReloaded: window.notReloaded === true,
  };
})()`

// TestWalletInBrowser opens the wallet page in headless Chromium on an API
// with keys (the page reads the stream with fetch(), sending the key), then
// inserts an order for the user and settles it while the page is open: the
// balance shown follows each step without a reload.
func TestWalletInBrowser(t *testing.T) {
	browser := testenv.Chromium(t)
	const secret = "phone-secret-0123456789"
	e := newEnv(t, api.Config{Keys: []api.Key{{Name: "phone", Role: api.RoleApp, Secret: secret}},
		StreamPoll: 50 * time.Millisecond}, nil)
	e.client.Key = secret
	e.insert(t, goldenData(e.now)...)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(browser), chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(390, 844), chromedp.Flag("disable-background-networking", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelTimeout()
	var mu sync.Mutex
	var scriptErrors []string
	listen := chromedp.Listen(ctx, func(ev any) {
		if x, ok := ev.(*runtime.EventExceptionThrown); ok {
			mu.Lock()
			defer mu.Unlock()
			d := x.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			scriptErrors = append(scriptErrors, fmt.Sprintf("%s:%d: %s", d.URL, d.LineNumber+1, msg))
		}
	})
	if err := errors.Join(listen, chromedp.Do(ctx, chromedp.Navigate(e.http.URL+"/wallet?user=1#key="+secret))); err != nil {
		t.Fatalf("open the wallet: %v", err)
	}
	read := func() wallet {
		t.Helper()
		w, err := chromedp.Run(ctx, chromedp.Evaluate[wallet](readWallet))
		if err != nil {
			t.Fatalf("read the page: %v", err)
		}
		return w
	}
	shows := func(what string, b rebate.Balance) {
		t.Helper()
		waitFor(t, what, func() bool {
			w := read()
			return w.Available == b.Available.String() && w.Pending == b.Pending.String() &&
				w.Confirmed == b.Confirmed.String() && w.AsOf == b.AsOf.UTC().Format("2006-01-02T15:04:05.000Z")
		})
	}
	balance := func() rebate.Balance {
		t.Helper()
		b, err := e.client.Balance(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	shows("the wallet shows the balance", balance())
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.notReloaded = true`)); err != nil {
		t.Fatal(err)
	}
	before := read()
	placed := e.now.Add(-time.Minute)
	order := rebate.Event{ID: "w-paid", Type: rebate.OrderPaid, TS: placed, OrderID: "o-wallet", UserID: 1, MerchantID: 7, ProductID: 9,
		Amount: 40000, Commission: 4000, PlacedAt: placed}
	e.insert(t, order)
	paid := balance()
	if paid.Pending.String() == before.Pending {
		t.Fatalf("the new order changed no figure: %+v", paid)
	}
	shows("the wallet shows the new order's pending rebate", paid)
	settled := order
	settled.ID, settled.Type, settled.TS = "w-settled", rebate.OrderSettled, e.now.Add(-30*time.Second)
	e.insert(t, settled)
	shows("the wallet shows the order settled", balance())

	got := read()
	if !got.NotReloaded || got.Events <= before.Events || got.Error != "" {
		t.Errorf("not reloaded: %v; events %d then %d; status error %q", got.NotReloaded, before.Events, got.Events, got.Error)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(t.ArtifactDir(), "wallet.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(scriptErrors) > 0 {
		t.Errorf("script errors: %s", strings.Join(scriptErrors, "; "))
	}
}
