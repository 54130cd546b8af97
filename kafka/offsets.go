package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// GroupOffsets are a consumer group's committed offsets on a topic at one
// moment: for each partition, the next offset the group will read. A
// partition with nothing committed is absent.
type GroupOffsets struct {
	Group   string          `json:"group"`
	Topic   string          `json:"topic"`
	Offsets map[int32]int64 `json:"offsets"`
}

// admin is a short-lived admin client.
func admin(cfg Config) (*kadm.Client, func(), error) {
	opts, err := cfg.Opts()
	if err != nil {
		return nil, nil, err
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("kafka client: %w", err)
	}
	return kadm.NewClient(cl), cl.Close, nil
}

// ReadOffsets reads what group has committed on topic.
func ReadOffsets(ctx context.Context, cfg Config, group, topic string) (GroupOffsets, error) {
	adm, closeFn, err := admin(cfg)
	if err != nil {
		return GroupOffsets{}, err
	}
	defer closeFn()
	out := GroupOffsets{Group: group, Topic: topic, Offsets: map[int32]int64{}}
	got, err := adm.FetchOffsetsForTopics(ctx, group, topic)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return out, nil // a group that never committed: nothing to record
	}
	if err != nil {
		return GroupOffsets{}, fmt.Errorf("read the committed offsets of group %s: %w", group, err)
	}
	var errs []string
	got.Each(func(o kadm.OffsetResponse) {
		switch {
		case o.Topic != topic:
		case o.Err != nil:
			errs = append(errs, fmt.Sprintf("partition %d: %v", o.Partition, o.Err))
		case o.At >= 0:
			out.Offsets[o.Partition] = o.At
		}
	})
	if len(errs) > 0 {
		return out, fmt.Errorf("read the committed offsets of group %s: %s", group, strings.Join(errs, "; "))
	}
	return out, nil
}

// PartitionReset is what ResetOffsets did to one partition.
type PartitionReset struct {
	Partition int32
	From      int64 // committed before; -1 for nothing
	To        int64 // committed now
	End       int64 // the partition's end: To..End is what the group reads again
	// Lost is how many records between the wanted offset and To the
	// topic's retention has already deleted (they cannot be replayed).
	Lost int64
}

// ResetOffsets commits to's offsets for its group, so the group's next
// member reads on from there. A partition to does not name (made after
// to was read, or with nothing committed then) is read from its start; an
// offset the retention deleted meanwhile is raised to the oldest record
// left (and reported as lost). The group must have no members: Kafka
// refuses commits from outside a live group, and a running ingester would
// commit over the reset anyway.
func ResetOffsets(ctx context.Context, cfg Config, to GroupOffsets) ([]PartitionReset, error) {
	adm, closeFn, err := admin(cfg)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	if err := checkIdle(ctx, adm, to.Group); err != nil {
		return nil, err
	}
	starts, err := adm.ListStartOffsets(ctx, to.Topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("read where topic %s starts: %w", to.Topic, err)
	}
	ends, err := adm.ListEndOffsets(ctx, to.Topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("read where topic %s ends: %w", to.Topic, err)
	}
	before, err := adm.FetchOffsetsForTopics(ctx, to.Group, to.Topic)
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		return nil, fmt.Errorf("read the committed offsets of group %s: %w", to.Group, err)
	}
	var out []PartitionReset
	commit := kadm.Offsets{}
	starts.Each(func(s kadm.ListedOffset) {
		end, _ := ends.Lookup(to.Topic, s.Partition)
		r := PartitionReset{Partition: s.Partition, From: -1, End: end.Offset}
		if b, ok := before.Lookup(to.Topic, s.Partition); ok && b.Err == nil {
			r.From = b.At
		}
		want, ok := to.Offsets[s.Partition]
		if !ok {
			want = s.Offset
		}
		r.To = min(max(want, s.Offset), end.Offset)
		if want < s.Offset {
			r.Lost = s.Offset - want
		}
		commit.Add(kadm.Offset{Topic: to.Topic, Partition: s.Partition, At: r.To, LeaderEpoch: -1})
		out = append(out, r)
	})
	slices.SortFunc(out, func(a, b PartitionReset) int { return int(a.Partition - b.Partition) })
	if err := adm.CommitAllOffsets(ctx, to.Group, commit); err != nil {
		return nil, fmt.Errorf("commit offsets for group %s: %w", to.Group, err)
	}
	return out, nil
}

// CheckIdle fails with a *LiveGroupError when group has members.
func CheckIdle(ctx context.Context, cfg Config, group string) error {
	adm, closeFn, err := admin(cfg)
	if err != nil {
		return err
	}
	defer closeFn()
	return checkIdle(ctx, adm, group)
}

func checkIdle(ctx context.Context, adm *kadm.Client, group string) error {
	groups, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		return fmt.Errorf("describe group %s: %w", group, err)
	}
	g, ok := groups[group]
	if !ok || len(g.Members) == 0 {
		return nil
	}
	var who []string
	for _, m := range g.Members {
		id := m.MemberID
		if m.InstanceID != nil {
			id = *m.InstanceID
		}
		who = append(who, fmt.Sprintf("%s (%s on %s)", id, m.ClientID, m.ClientHost))
	}
	return &LiveGroupError{Group: group, Members: who}
}

// LiveGroupError is a reset refused because the group has members.
type LiveGroupError struct {
	Group   string
	Members []string
}

func (e *LiveGroupError) Error() string {
	return fmt.Sprintf("the consumer group %s has %d live members (%s): stop every ingester of the group first "+
		"(a killed one stays a member for --session-timeout); with rebate up, restart it with --ingest=false",
		e.Group, len(e.Members), strings.Join(e.Members, ", "))
}
