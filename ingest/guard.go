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
// last `window` events of their partition: a lookup of every event's id
// costs more than the insert (measured: 60-150 ms for 5,000 ids). When a
// partition is assigned, the ingester reads its last `window` records from
// Kafka again to fill the window (warm), so a restart or a rebalance does
// not forget. A differing copy that comes after its original left the
// window is not caught here; `rebate reconcile` reports its effect.
type guard struct {
	seed       maphash.Seed
	window     int
	recent     map[int32]*window // by partition
	identities map[string]rebate.Event
	idOrder    []string
	cacheSize  int
}

// window is the content of the last events of a partition.
type window struct {
	m     map[uint64]uint64 // hash of an event_id -> hash of its content
	order []uint64          // m's keys, oldest first
}

func newGuard(size, cacheSize int) *guard {
	return &guard{seed: maphash.MakeSeed(), window: size, recent: map[int32]*window{},
		identities: map[string]rebate.Event{}, cacheSize: cacheSize}
}

func (g *guard) windowOf(part int32) *window {
	w := g.recent[part]
	if w == nil {
		w = &window{m: map[uint64]uint64{}}
		g.recent[part] = w
	}
	return w
}

// add notes an event stored from the partition; false if the window holds
// its event_id with other content.
func (g *guard) add(part int32, e *rebate.Event) bool {
	w := g.windowOf(part)
	k, h := g.idHash(e.ID), g.contentHash(e)
	if prev, ok := w.m[k]; ok {
		return prev == h
	}
	w.m[k] = h
	w.order = append(w.order, k)
	if over := len(w.order) - g.window; over > 0 {
		for _, k := range w.order[:over] {
			delete(w.m, k)
		}
		w.order = slices.Delete(w.order, 0, over)
	}
	return true
}

// forget drops the windows of partitions this process no longer reads.
func (g *guard) forget(parts []int32) {
	for _, p := range parts {
		delete(g.recent, p)
	}
}

// lookupFunc fetches stored identities: Sink.Identities.
type lookupFunc func(ctx context.Context, kind string, ids []string) (map[string]rebate.Event, error)

// check returns, for events in delivery order, the indexes to keep and,
// for each conflicting one, the error saying why it is kept out.
func (g *guard) check(ctx context.Context, events []rebate.Event, parts []int32, lookup lookupFunc) (keep []int, conflicts map[int]*rebate.Error, err error) {
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
			} else {
				keep = append(keep, i) // an identical copy: every table folds it
			}
			continue
		}
		if h, ok := g.windowOf(parts[i]).m[g.idHash(e.ID)]; ok && h != g.contentHash(e) {
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
	for _, kind := range []string{rebate.EntityOrder, rebate.EntityWithdrawal, rebate.EntityMember} {
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

// remember notes the events just stored (parts[i] is events[i]'s
// partition): their content, and the identity of their orders and
// withdrawals.
func (g *guard) remember(events []rebate.Event, parts []int32) {
	for i := range events {
		e := &events[i]
		g.add(parts[i], e)
		if kind, id, _ := e.Entity(); kind != "" {
			g.cache(kind+"/"+id, *e)
		}
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
