package ingest

import (
	"context"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/rebatehq/rebate"
)

// warmOffsets starts each assigned partition `window` records before its
// committed offset, so that the guard's window holds the partition's recent
// events again after a restart or a rebalance; take sends the records below
// the commit to warm, never to a batch. Partitions without a commit start
// at the beginning and need no warming.
func (in *Ingester) warmOffsets(_ context.Context, offsets map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for topic, parts := range offsets {
		for p, o := range parts {
			committed := o.EpochOffset().Offset
			if committed <= 0 {
				continue
			}
			in.warmUntil[partition{topic, p}] = committed
			parts[p] = kgo.NewOffset().At(max(0, committed-int64(in.cfg.ConflictWindow))).WithEpoch(-1)
		}
	}
	return offsets, nil
}

// warming reports whether r is below its partition's commit, and if so
// notes it in the guard's window as the first processing did: copies that
// were conflicts then are left out again.
func (in *Ingester) warming(r *kgo.Record) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	p := partOf(r)
	until, ok := in.warmUntil[p]
	if !ok {
		return false
	}
	if r.Offset >= until {
		delete(in.warmUntil, p)
		return false
	}
	in.m.warmed.Inc()
	if e, err := rebate.Decode(r.Value); err == nil {
		in.guard.add(r.Partition, &e)
	}
	return true
}
