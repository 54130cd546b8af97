package ingest

import (
	"context"
	"hash/maphash"
	"slices"

	"github.com/rebatehq/rebate"
)

// guard keeps the events that break the rules of identity out of every
// figure (rebate/identity.go; docs/events.md, Semantics): a copy of an
// event_id that differs from the first, and an order or withdrawal event
// that disagrees with the identity its first stored event fixed.
//
// Identities are looked up in ClickHouse for the entities of each batch
// (a cache of them never goes stale: an identity, once stored, never
// changes). Copies of an event_id are compared with the batch and with the
// last Window event ids this process stored: a lookup of every event's id
// would cost more than the insert. A differing copy that arrives after its
// original left the window, or that another process stored, is not caught
// here; `rebate reconcile` reports its effect (docs/delivery.md).
type guard struct {
	seed       maphash.Seed
	window     int
	recent     map[uint64]uint64 // hash of an event_id -> hash of its content
	order      []uint64          // recent's keys, oldest first
	identities map[string]rebate.Event
	idOrder    []string
	cacheSize  int
}

func newGuard(window, cacheSize int) *guard {
	return &guard{seed: maphash.MakeSeed(), window: window, recent: map[uint64]uint64{},
		identities: map[string]rebate.Event{}, cacheSize: cacheSize}
}

// lookupFunc fetches stored identities: Sink.Identities.
type lookupFunc func(ctx context.Context, kind string, ids []string) (map[string]rebate.Event, error)

// check returns, for events in delivery order, the indexes to keep and,
// for each conflicting one, the error saying why it is kept out.
func (g *guard) check(ctx context.Context, events []rebate.Event, lookup lookupFunc) (keep []int, conflicts map[int]*rebate.Error, err error) {
	if err := g.fetch(ctx, events, lookup); err != nil {
		return nil, nil, err
	}
	conflicts = map[int]*rebate.Error{}
	firstCopy := map[string]int{}        // event_id -> index of its first copy in the batch
	firstOf := map[string]rebate.Event{} // kind/id -> identity, stored or fixed earlier in the batch
	for i := range events {
		e := &events[i]
		if j, ok := firstCopy[e.ID]; ok {
			if f := rebate.CopyDiffers(&events[j], e); f != nil {
				conflicts[i] = rebate.Conflict(&events[j], e, f)
			}
			continue // an identical copy adds nothing: every table would fold it
		}
		if h, ok := g.recent[g.idHash(e.ID)]; ok && h != g.contentHash(e) {
			conflicts[i] = rebate.Errorf(rebate.EINVALID, "event_id",
				"conflict: event_id %s was stored before with other content (an event_id is one event: copies must be identical)", e.ID)
			continue
		}
		if kind, id, fields := e.Entity(); kind != "" {
			key := kind + "/" + id
			first, ok := firstOf[key]
			if !ok {
				first, ok = g.identities[key]
			}
			if ok {
				if f := rebate.Differs(&first, e, fields); f != nil {
					conflicts[i] = rebate.Conflict(&first, e, f)
					continue
				}
			} else {
				firstOf[key] = *e
			}
		}
		firstCopy[e.ID] = i
		keep = append(keep, i)
	}
	return keep, conflicts, nil
}

// fetch caches the stored identity of every entity of the batch.
func (g *guard) fetch(ctx context.Context, events []rebate.Event, lookup lookupFunc) error {
	missing := map[string][]string{}
	seen := map[string]bool{}
	for i := range events {
		kind, id, _ := events[i].Entity()
		key := kind + "/" + id
		if kind == "" || seen[key] {
			continue
		}
		seen[key] = true
		if _, ok := g.identities[key]; !ok {
			missing[kind] = append(missing[kind], id)
		}
	}
	for _, kind := range []string{rebate.EntityOrder, rebate.EntityWithdrawal} {
		if len(missing[kind]) == 0 {
			continue
		}
		found, err := lookup(ctx, kind, missing[kind])
		if err != nil {
			return err
		}
		for id, e := range found {
			g.cache(kind+"/"+id, e)
		}
	}
	return nil
}

// remember notes the events just stored: their content, and the identity
// of their orders and withdrawals.
func (g *guard) remember(events []rebate.Event) {
	for i := range events {
		e := &events[i]
		k := g.idHash(e.ID)
		if _, ok := g.recent[k]; !ok {
			g.recent[k] = g.contentHash(e)
			g.order = append(g.order, k)
		}
		if kind, id, _ := e.Entity(); kind != "" {
			if _, ok := g.identities[kind+"/"+id]; !ok {
				g.cache(kind+"/"+id, *e)
			}
		}
	}
	if over := len(g.order) - g.window; over > 0 {
		for _, k := range g.order[:over] {
			delete(g.recent, k)
		}
		g.order = slices.Delete(g.order, 0, over)
	}
}

func (g *guard) cache(key string, e rebate.Event) {
	if _, ok := g.identities[key]; ok {
		return
	}
	g.identities[key] = e
	g.idOrder = append(g.idOrder, key)
	if over := len(g.idOrder) - g.cacheSize; over > 0 {
		for _, k := range g.idOrder[:over] {
			delete(g.identities, k)
		}
		g.idOrder = slices.Delete(g.idOrder, 0, over)
	}
}

func (g *guard) idHash(id string) uint64 { return maphash.String(g.seed, id) }

// contentHash is the hash of the event's canonical form: two copies agree
// exactly when their canonical JSON does.
func (g *guard) contentHash(e *rebate.Event) uint64 {
	return maphash.Bytes(g.seed, rebate.AppendJSON(nil, *e))
}
