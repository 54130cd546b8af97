package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/api"
	"github.com/rebatehq/rebate/internal/clickhousetest"
)

// consoleView is what the SQL console shows, read from its DOM.
type consoleView struct {
	Runs, Rows, Downloads string
	Status, StatusClass   string
	Header                []string
	Cells                 [][]string
	Tables                int // in the schema pane
	History               []string
	Published             string
	Overflow              bool
}

const readConsole = `(() => ({
  Runs: document.body.dataset.runs || '', Rows: document.body.dataset.rows || '', Downloads: document.body.dataset.downloads || '',
  Status: document.getElementById('status').textContent, StatusClass: document.getElementById('status').className,
  Header: [...document.querySelectorAll('#result-table thead th')].map((th) => th.textContent),
  Cells: [...document.querySelectorAll('#result-table tbody tr')].map((tr) => [...tr.cells].map((td) => td.textContent)),
  Tables: document.querySelectorAll('#schema details').length,
  History: JSON.parse(localStorage.getItem('rebate-sql-history') || '[]'),
  Published: document.getElementById('pub-status').textContent,
  Overflow: document.documentElement.scrollWidth > window.innerWidth,
}))()`

// TestSQLConsoleInBrowser opens /sql in headless Chromium with a publisher's
// key: the schema fills in, a query with a parameter runs and shows its rows
// with what it read, the CSV download holds the same rows as ClickHouse
// writes them, the query is kept in the history, publishing it makes an
// endpoint, and at a phone's width nothing is wider than the screen.
// Screenshots go to the test's artifact folder.
func TestSQLConsoleInBrowser(t *testing.T) {
	path := chromium(t)
	db, st := clickhousetest.OpenStore(t, clickhousetest.Migrated(t))
	now := time.Now().UTC()
	order := func(id, o string, user uint64, typ rebate.EventType, commission rebate.Money) rebate.Event {
		return rebate.Event{ID: id, Type: typ, TS: now, OrderID: o, UserID: user, MerchantID: 7, ProductID: 9,
			Amount: commission * 10, Commission: commission, PlacedAt: now.Add(-time.Hour)}
	}
	if err := db.InsertEvents(context.Background(), []rebate.Event{order("e1", "o1", 1, rebate.OrderPaid, 1000),
		order("e2", "o2", 1, rebate.OrderSettled, 2001), order("e3", "o3", 2, rebate.OrderPaid, 3000)}, nil, ""); err != nil {
		t.Fatal(err)
	}
	keys, err := api.ParseKeys("pub:publisher:publisher-secret-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{Keys: keys, RatePerKey: 1e6, Burst: 1e6}, st, nil, nil, prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()

	downloads := t.TempDir()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 860), chromedp.Flag("disable-background-networking", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelTimeout()
	var mu sync.Mutex
	var scriptErrors []string
	done := make(chan string, 4) // the paths of finished downloads
	listen := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			mu.Lock()
			scriptErrors = append(scriptErrors, e.ExceptionDetails.Text)
			mu.Unlock()
		}
	})
	listenBrowser := chromedp.ListenBrowser(ctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
			done <- filepath.Join(downloads, e.GUID)
		}
	})
	events := true
	_, behave := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: &events})
	if err := errors.Join(listen, listenBrowser, behave, chromedp.Do(ctx, chromedp.Navigate(hs.URL+"/sql#key=publisher-secret-0123456789"))); err != nil {
		t.Fatalf("open the console: %v", err)
	}
	read := func() consoleView {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[consoleView](readConsole))
		if err != nil {
			t.Fatalf("read the console: %v", err)
		}
		return v
	}
	eval := func(js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](js)); err != nil {
			t.Fatalf("%s: %v", js, err)
		}
	}
	waitUntil(t, "the schema shows the tables", func() bool { return read().Tables >= 10 })

	// A query with a parameter: its input appears; the answer is a table.
	const sql = "SELECT user_id, sum(commission) AS commission FROM events FINAL WHERE user_id <= {max_user:UInt64} GROUP BY user_id ORDER BY user_id"
	eval(`(() => { const s = document.getElementById('sql'); s.value = ` + jsString(sql) + `; s.dispatchEvent(new Event('input')); ` +
		`document.querySelector('#params input[name=max_user]').value = '2'; document.getElementById('run').click(); })()`)
	waitUntil(t, "the query ran", func() bool { return read().Runs == "1" })
	v := read()
	if v.Rows != "2" || fmt.Sprint(v.Header) != "[user_id commission]" || fmt.Sprint(v.Cells) != "[[1 30.01] [2 30.00]]" ||
		v.StatusClass == "error" || !strings.Contains(v.Status, "2 rows") || !strings.Contains(v.Status, "bytes read") || !strings.Contains(v.Status, " ms") {
		t.Errorf("after running: %+v", v)
	}
	if len(v.History) == 0 || v.History[0] != sql {
		t.Errorf("history %q", v.History)
	}
	shot(t, ctx, "sql-console.png")

	// The download is ClickHouse's CSV of the same statement and values.
	eval(`document.getElementById('csv').click()`)
	select {
	case file := <-done:
		b, err := os.ReadFile(file)
		if err != nil || string(b) != "1,30.01\n2,30.00\n" {
			t.Errorf("downloaded %q, %v", b, err)
		}
	case <-ctx.Done():
		t.Fatal("no download")
	}

	// Published as an endpoint, with the value given as its default.
	eval(`(() => { document.getElementById('publish-open').click(); document.getElementById('pub-name').value = 'commission_by_user'; ` +
		`document.getElementById('pub-ttl').value = '30'; document.getElementById('publish').requestSubmit(); })()`)
	waitUntil(t, "the query is published", func() bool { return read().Published != "" })
	if v := read(); !strings.Contains(v.Published, "published version 1") {
		t.Errorf("publish: %q", v.Published)
	}
	req, _ := http.NewRequest(http.MethodGet, hs.URL+"/v1/queries/commission_by_user?max_user=1", nil)
	req.Header.Set("Authorization", "Bearer publisher-secret-0123456789")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("the published endpoint: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	// A statement the fence refuses shows why, and no table.
	eval(`(() => { const s = document.getElementById('sql'); s.value = 'DROP TABLE events'; s.dispatchEvent(new Event('input')); document.getElementById('run').click(); })()`)
	waitUntil(t, "the refusal shows", func() bool { return read().Runs == "2" })
	if v := read(); v.StatusClass != "error" || !strings.Contains(v.Status, "403") || len(v.Cells) != 0 {
		t.Errorf("refused: %+v", v)
	}

	// A phone: one column, nothing wider than the screen, a wide answer
	// scrolls in its own box.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	eval(`(() => { const s = document.getElementById('sql'); s.value = 'SELECT *, repeat(\'x\', 200) AS wide FROM events FINAL'; ` +
		`s.dispatchEvent(new Event('input')); document.getElementById('run').click(); })()`)
	waitUntil(t, "the wide query ran", func() bool { return read().Runs == "3" })
	if v := read(); v.Overflow || v.Rows != "3" {
		t.Errorf("on a phone: wider than the screen %v, rows %q (%s)", v.Overflow, v.Rows, v.Status)
	}
	shot(t, ctx, "sql-console-phone.png")
	mu.Lock()
	defer mu.Unlock()
	if len(scriptErrors) > 0 {
		t.Errorf("script errors: %s", strings.Join(scriptErrors, "; "))
	}
}

// waitUntil polls ok for up to a minute.
func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("not true within a minute: %s", what)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`).Replace(s) + "'"
}
