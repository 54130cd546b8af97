package ingest_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/ingest"
	"github.com/rebatehq/rebate/kafka"
)

// TestCommittedIsVisible: ClickHouse's connections are cut at random
// moments (during an insert, during the statements that work out the
// figures, between them) while records keep arriving. At every moment,
// every event of a committed offset is stored: in events, and a click in
// clicks, the view every merchant figure counts. A commit made before what
// it covers is visible would let a read come out short, and a crash lose
// it: the records would never be read again.
func TestCommittedIsVisible(t *testing.T) {
	kc := newCluster(t)
	s := newScenario(t, 43)
	px, viaProxy := proxied(t, s)
	r := start(t, kc, viaProxy, smallBatches(), ingest.Hooks{})
	w := watchCommitted(t, kc, s)

	rng := rand.New(rand.NewPCG(43, 1))
	events := s.stream.Events
	cuts := 0
	for i := 0; i < len(events); {
		n := min(100+rng.IntN(200), len(events)-i)
		w.produce(events[i : i+n])
		i += n
		// The cut lands wherever the ingester is by then.
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		px.setDown(true)
		time.Sleep(time.Duration(20+rng.IntN(300)) * time.Millisecond)
		px.setDown(false)
		cuts++
	}
	waitCommittedWhile(t, kc, r, 60*time.Second)
	w.stop()
	if metricValue(t, r, "rebate_ingest_retries_total") == 0 {
		t.Errorf("%d cuts and no retry: the cuts missed the ingester", cuts)
	}
	s.check(t, 43)
}

// committedWatch checks, from a goroutine, all the way through a test,
// that every event at a committed offset is visible.
type committedWatch struct {
	t    *testing.T
	s    *scenario
	cl   *kgo.Client
	adm  *kadm.Client
	mu   sync.Mutex
	at   map[offsetOf]rebate.Event // what was produced where
	seen map[int32]int64           // the commits of the last look that found all stored
	err  string                    // the first violation, and what became of it
	done chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

type offsetOf struct {
	part int32
	off  int64
}

func watchCommitted(t *testing.T, kc kafka.Config, s *scenario) *committedWatch {
	w := &committedWatch{t: t, s: s, cl: client(t, kc, kgo.ProducerLinger(5*time.Millisecond)),
		adm: kadm.NewClient(client(t, kc)), at: map[offsetOf]rebate.Event{}, done: make(chan struct{})}
	w.wg.Add(1)
	go w.run()
	t.Cleanup(func() { w.once.Do(func() { close(w.done) }); w.wg.Wait() })
	return w
}

// produce sends events and notes where each landed.
func (w *committedWatch) produce(events []rebate.Event) {
	w.t.Helper()
	recs := records(events)
	res := w.cl.ProduceSync(context.Background(), recs...)
	if err := res.FirstErr(); err != nil {
		w.t.Fatal(err)
	}
	// Results come in the order the broker answered, not the order given.
	index := make(map[*kgo.Record]int, len(recs))
	for i, r := range recs {
		index[r] = i
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, pr := range res {
		w.at[offsetOf{pr.Record.Partition, pr.Record.Offset}] = events[index[pr.Record]]
	}
}

// stop checks once more, ends the watch and fails the test if any check
// found a committed event missing.
func (w *committedWatch) stop() {
	w.t.Helper()
	last := w.missing()
	w.once.Do(func() { close(w.done) })
	w.wg.Wait()
	if w.err != "" {
		w.t.Error(w.err)
	} else if last != "" {
		w.t.Errorf("committed yet not stored, after the last commit: %s", last)
	}
}

func (w *committedWatch) run() {
	defer w.wg.Done()
	for {
		select {
		case <-w.done:
			return
		case <-time.After(5 * time.Millisecond):
		}
		first := w.missing()
		if first == "" {
			continue
		}
		// How long it lasts tells a late write from a loss.
		t0 := time.Now()
		now := first
		for now != "" && time.Since(t0) < 20*time.Second {
			time.Sleep(20 * time.Millisecond)
			now = w.missing()
		}
		w.err = fmt.Sprintf("committed yet not stored: %s; %s later still missing: %q", first, time.Since(t0).Round(time.Millisecond), now)
		return
	}
}

// missing lists the events of committed offsets that are not stored: an
// event not in events, a click not in clicks. The offsets are read before
// the tables, so whatever the tables lack was committed first.
func (w *committedWatch) missing() string {
	ctx := context.Background()
	committed, err := w.adm.FetchOffsets(ctx, group)
	if err != nil {
		return "" // the broker is busy; the next look sees it
	}
	commits := map[int32]int64{}
	committed.Each(func(o kadm.OffsetResponse) {
		if o.Topic == topic {
			commits[o.Partition] = o.At
		}
	})
	events, clicks := map[string]bool{}, map[string]bool{}
	w.mu.Lock()
	if maps.Equal(commits, w.seen) {
		// Nothing committed since all was found stored, and a stored row
		// stays: no need to read the tables again.
		w.mu.Unlock()
		return ""
	}
	for at, e := range w.at {
		if c, ok := commits[at.part]; ok && at.off < c {
			events[e.ID] = true
			if e.Type == rebate.Click {
				clicks[e.ID] = true
			}
		}
	}
	w.mu.Unlock()
	var out []string
	for _, table := range []struct {
		name string
		want map[string]bool
	}{{"events", events}, {"clicks", clicks}} {
		have, err := w.stored(ctx, table.name)
		if err != nil {
			// Not a missing event: the look failed, and says so.
			w.t.Errorf("read %s: %v", table.name, err)
			return ""
		}
		for id := range table.want {
			if !have[id] {
				out = append(out, table.name+":"+id)
			}
		}
	}
	if len(out) == 0 {
		w.mu.Lock()
		w.seen = commits
		w.mu.Unlock()
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func (w *committedWatch) stored(ctx context.Context, table string) (map[string]bool, error) {
	rows, err := w.s.db.Conn().Query(ctx, "SELECT DISTINCT event_id FROM "+table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, rows.Err()
}
