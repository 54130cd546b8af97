package ingest

import (
	"context"
	"encoding/binary"
	"hash/maphash"
	"sync"
	"time"

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
	// mu: the loop adds warmed records, the flusher checks and remembers
	// batches, the rebalance callbacks forget partitions.
	mu         sync.Mutex
	seed       maphash.Seed
	window     int
	recent     map[int32]*window // by partition
	identities map[string]identity
	idOrder    ring[string] // identities' keys, oldest first
	cacheSize  int
}

// window is the content of the last events of a partition.
type window struct {
	m     map[uint64]uint64 // hash of an event_id -> hash of its content
	order ring[uint64]      // m's keys, oldest first
}

// ring keeps the last size keys added, oldest first. Shifting a slice to
// drop the oldest moved the whole window for every event once it was full
// (50,000 keys: 400 KB per event, 30% of the ingester's CPU, measured).
type ring[K any] struct {
	keys []K
	head int // the oldest key once keys is full
}

// add appends k and returns the key it pushed out, if the ring was full.
func (r *ring[K]) add(k K, size int) (out K, evicted bool) {
	if len(r.keys) < size {
		r.keys = append(r.keys, k)
		return out, false
	}
	out, r.keys[r.head] = r.keys[r.head], k
	r.head = (r.head + 1) % len(r.keys)
	return out, true
}

func newGuard(size, cacheSize int) *guard {
	return &guard{seed: maphash.MakeSeed(), window: size, recent: map[int32]*window{},
		identities: map[string]identity{}, cacheSize: cacheSize}
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
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.addLocked(part, e)
}

func (g *guard) addLocked(part int32, e *rebate.Event) bool {
	w := g.windowOf(part)
	k, h := g.idHash(e.ID), g.contentHash(e)
	if prev, ok := w.m[k]; ok {
		return prev == h
	}
	w.m[k] = h
	if old, ok := w.order.add(k, g.window); ok {
		delete(w.m, old)
	}
	return true
}

// forget drops the windows of partitions this process no longer reads.
func (g *guard) forget(parts []int32) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, p := range parts {
		delete(g.recent, p)
	}
}

// lookupFunc fetches stored identities: Sink.Identities.
type lookupFunc func(ctx context.Context, kind string, ids []string) (map[string]rebate.Event, error)

// check returns, for events in delivery order, the indexes to keep and,
// for each conflicting one, the error saying why it is kept out.
func (g *guard) check(ctx context.Context, events []rebate.Event, parts []int32, lookup lookupFunc) (keep []int, conflicts map[int]*rebate.Error, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.fetch(ctx, events, lookup); err != nil {
		return nil, nil, err
	}
	conflicts = map[int]*rebate.Error{}
	firstCopy := make(map[string]int, len(events)) // event_id -> index of its first copy in the batch
	firstOf := map[string]rebate.Event{}           // kind/id -> identity, stored or fixed earlier in the batch
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
				var id identity
				if id, ok = g.identities[key]; ok {
					first = id.event()
				}
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
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range events {
		e := &events[i]
		g.addLocked(parts[i], e)
		if kind, id, _ := e.Entity(); kind != "" {
			g.cache(kind+"/"+id, *e)
		}
	}
}

func (g *guard) cache(key string, e rebate.Event) {
	if _, ok := g.identities[key]; ok {
		return
	}
	g.identities[key] = identityOf(&e)
	if old, ok := g.idOrder.add(key, g.cacheSize); ok {
		delete(g.identities, old)
	}
}

// identity is what the cache keeps of the event that fixed an order's or a
// withdrawal's identity: the fields the rules of identity compare and the
// event_id a conflict names, in a third of an Event's memory (the cache
// holds up to 200,000: 50 MB as Events, measured). TestIdentityKeepsTheRules
// fails if the rules compare a field this leaves out.
type identity struct {
	eventID                 string
	user, merchant, product uint64
	inviter                 uint64 // a member's: who invited them
	amount, commission      rebate.Money
	placedAt                int64 // ms; the zero time is 0
}

func identityOf(e *rebate.Event) identity {
	return identity{eventID: e.ID, user: e.UserID, merchant: e.MerchantID, product: e.ProductID, inviter: e.InviterID,
		amount: e.Amount, commission: e.Commission, placedAt: millis(e.PlacedAt)}
}

func (id identity) event() rebate.Event {
	e := rebate.Event{ID: id.eventID, UserID: id.user, MerchantID: id.merchant, ProductID: id.product, InviterID: id.inviter,
		Amount: id.amount, Commission: id.commission}
	if id.placedAt != 0 {
		e.PlacedAt = time.UnixMilli(id.placedAt).UTC()
	}
	return e
}

func (g *guard) idHash(id string) uint64 { return maphash.String(g.seed, id) }

// contentHash is the hash of the event's content: two copies agree exactly
// when their canonical JSON (rebate.AppendJSON) does. The decoder makes
// that the same as every field of the Event agreeing (fields a type does
// not carry are zero; times are UTC milliseconds), so the fields are hashed
// as they are: formatting each event as JSON took a fifth of the
// ingester's CPU (measured). TestContentHashCoversTheContract changes each
// field of the contract in turn, so a field added to the contract but not
// here fails it.
func (g *guard) contentHash(e *rebate.Event) uint64 {
	var h maphash.Hash
	h.SetSeed(g.seed)
	for _, s := range [...]string{e.ID, e.OrderID, e.WithdrawalID} {
		h.WriteString(s)
		h.WriteByte(0) // text holds no control characters: the end of each
	}
	var b [8 * 13]byte
	for i, v := range [...]uint64{uint64(e.Type), uint64(millis(e.TS)), e.UserID, e.MerchantID, e.ProductID,
		uint64(e.Amount), uint64(e.Commission), uint64(millis(e.PlacedAt)), uint64(e.Price), uint64(e.Stock), uint64(e.CommissionRate),
		e.InviterID, uint64(e.Tier)} {
		binary.LittleEndian.PutUint64(b[8*i:], v)
	}
	h.Write(b[:])
	return h.Sum64()
}

// millis is t in milliseconds since the epoch, 0 for the zero time: both
// are "absent" in the canonical form.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
