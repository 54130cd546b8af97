package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/internal/settings"
	"github.com/rebatehq/rebate/kafka"
)

func dlqCommands() []command {
	return []command{
		{name: "list", summary: "list dead letters, oldest first", new: func() runner { return &dlqListCmd{} }},
		{name: "show", summary: "show one dead letter: its record, headers, reason and, when cut, the original's size and sha256",
			new: func() runner { return &dlqShowCmd{} }, args: []string{"OFFSET"}},
		{name: "replay", summary: "produce dead letters back to the events topic after a fix (replaying twice counts nothing twice)",
			new: func() runner { return &dlqReplayCmd{} }},
	}
}

// dlqTarget is the dead-letter topic and how to reach it.
type dlqTarget struct {
	Kafka  kafka.Config
	Topics kafka.Topics
}

func (c *dlqTarget) register(f *settings.Flags) {
	c.Kafka.RegisterFlags(f)
	c.Topics.RegisterFlags(f)
}

func (c *dlqTarget) validate() error { return c.Topics.Validate() }

// dlqFilter selects dead letters.
type dlqFilter struct {
	Reason string
	Since  time.Time
}

func (c *dlqFilter) register(f *settings.Flags) {
	f.String(&c.Reason, "reason", "REBATE_DLQ_REASON", "", "only dead letters whose field at fault is this, or whose reason contains it")
	f.Since(&c.Since, "since", "REBATE_DLQ_SINCE", "only dead letters since then (a date, an RFC 3339 time or a duration ago)")
}

type dlqListCmd struct {
	dlqTarget
	dlqFilter
	Limit int
}

func (c *dlqListCmd) register(f *settings.Flags) {
	c.dlqTarget.register(f)
	c.dlqFilter.register(f)
	f.Int(&c.Limit, "limit", "REBATE_DLQ_LIMIT", 100, "at most this many (0: all)", settings.Between(0, 10_000_000))
}

func (c *dlqListCmd) run(ctx context.Context, env *environment) error {
	letters, err := kafka.NewDeadLetters(c.Kafka, c.Topics).List(ctx, rebate.DeadLetterFilter{Reason: c.Reason, Since: c.Since, Limit: c.Limit})
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "OFFSET\tTIME (UTC)\tFIELD\tREASON\tFROM\tCUT")
	for _, l := range letters {
		fmt.Fprintf(w, "%d:%d\t%s\t%s\t%s\t%s:%d:%d\t%s\n", l.Partition, l.Offset, l.Time.Format(time.DateTime+".000"), dash(l.Field),
			clip(l.Reason, 100), l.SourceTopic, l.SourcePartition, l.SourceOffset, dash(l.Truncated))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if c.Limit > 0 && len(letters) == c.Limit {
		fmt.Fprintf(env.stdout, "(the first %d; --limit 0 lists all)\n", c.Limit)
	}
	return nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

type dlqShowCmd struct{ dlqTarget }

func (c *dlqShowCmd) run(ctx context.Context, env *environment) error {
	partition, offset, err := parseLetterOffset(env.args[0])
	if err != nil {
		return err
	}
	l, err := kafka.NewDeadLetters(c.Kafka, c.Topics).Get(ctx, partition, offset)
	if err != nil {
		return err
	}
	out := env.stdout
	fmt.Fprintf(out, "dead letter %d:%d of %s, %s\n", l.Partition, l.Offset, c.Topics.DeadLetters, l.Time.Format(time.RFC3339Nano))
	fmt.Fprintf(out, "reason: %s\nfield:  %s\nfrom:   %s partition %d offset %d\n", l.Reason, dash(l.Field), l.SourceTopic, l.SourcePartition, l.SourceOffset)
	if l.Truncated != "" {
		fmt.Fprintf(out, "CUT to fit the dead-letter topic (%s cut): the original value had %d bytes, sha256 %s;\n"+
			"  it cannot be replayed from here: the original is in %s partition %d at offset %d, while its retention keeps it\n",
			l.Truncated, l.OriginalSize, l.OriginalSHA256, l.SourceTopic, l.SourcePartition, l.SourceOffset)
	}
	fmt.Fprintf(out, "key:    %s\n", printable(l.Key))
	fmt.Fprintf(out, "value (%d bytes):\n%s\n", len(l.Value), printable(l.Value))
	fmt.Fprintln(out, "headers:")
	for _, h := range l.Headers {
		fmt.Fprintf(out, "  %s: %s\n", h.Key, printable([]byte(h.Value)))
	}
	return nil
}

// parseLetterOffset reads PARTITION:OFFSET, or OFFSET alone (-1 for the
// partition: whichever has it).
func parseLetterOffset(s string) (int32, int64, error) {
	p, o, found := strings.Cut(s, ":")
	if !found {
		p, o = "-1", s
	}
	part, err1 := strconv.ParseInt(p, 10, 32)
	off, err2 := strconv.ParseInt(o, 10, 64)
	if err1 != nil || err2 != nil || off < 0 || (found && part < 0) {
		return 0, 0, rebate.Errorf(rebate.EINVALID, "offset", "%q: want PARTITION:OFFSET as dlq list shows it (3:1520), or an offset", s)
	}
	return int32(part), off, nil
}

// printable is text as it is when it is UTF-8, else quoted with escapes.
func printable(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	return strconv.Quote(string(b))
}

type dlqReplayCmd struct {
	dlqTarget
	dlqFilter
	DryRun bool
}

func (c *dlqReplayCmd) register(f *settings.Flags) {
	c.dlqTarget.register(f)
	c.dlqFilter.register(f)
	f.Bool(&c.DryRun, "dry-run", "REBATE_DLQ_DRY_RUN", false, "say what would be replayed, produce nothing")
}

func (c *dlqReplayCmd) run(ctx context.Context, env *environment) error {
	r, err := kafka.NewDeadLetters(c.Kafka, c.Topics).Replay(ctx, rebate.DeadLetterFilter{Reason: c.Reason, Since: c.Since}, c.DryRun)
	if err != nil {
		return err
	}
	verb := "replayed"
	if r.DryRun {
		verb = "would replay"
	}
	fmt.Fprintf(env.stdout, "%d dead letters selected; %s %d to %s", r.Selected, verb, r.Replayed, c.Topics.Events)
	if len(r.Skipped) > 0 {
		fmt.Fprintf(env.stdout, "; %d skipped:\n", len(r.Skipped))
		for _, s := range r.Skipped {
			fmt.Fprintf(env.stdout, "  %d:%d: %s\n", s.Partition, s.Offset, s.Why)
		}
	} else {
		fmt.Fprintln(env.stdout)
	}
	if !r.DryRun && r.Replayed > 0 {
		fmt.Fprintln(env.stdout, "the ingesters store them like any event: one that is still wrong is dead-lettered again; replaying again is harmless")
	}
	return nil
}
