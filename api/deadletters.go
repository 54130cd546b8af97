package api

import (
	"context"
	"encoding/base64"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/internal/settings"
)

// DeadLetters reads the dead-letter topic and replays it into the events
// topic; *kafka.DeadLetters is one.
type DeadLetters interface {
	List(ctx context.Context, f rebate.DeadLetterFilter) ([]rebate.DeadLetter, error)
	Replay(ctx context.Context, f rebate.DeadLetterFilter, dryRun bool) (rebate.Replay, error)
}

type sourceJSON struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
}

// DeadLetterJSON is one dead letter. The value is text when it is valid
// UTF-8, else value_base64.
type DeadLetterJSON struct {
	Partition      int32             `json:"partition"`
	Offset         int64             `json:"offset"`
	Time           string            `json:"time"`
	Reason         string            `json:"reason"`
	Field          string            `json:"field"`
	Source         sourceJSON        `json:"source"`
	Key            string            `json:"key"`
	Value          *string           `json:"value,omitempty"`
	ValueBase64    string            `json:"value_base64,omitempty"`
	Truncated      string            `json:"truncated,omitempty"`
	OriginalSize   int64             `json:"original_size,omitempty"`
	OriginalSHA256 string            `json:"original_sha256,omitempty"`
	Headers        map[string]string `json:"headers"`
}

func deadLetterJSON(l rebate.DeadLetter) DeadLetterJSON {
	out := DeadLetterJSON{Partition: l.Partition, Offset: l.Offset, Time: stamp(l.Time), Reason: l.Reason, Field: l.Field,
		Source: sourceJSON{l.SourceTopic, l.SourcePartition, l.SourceOffset}, Key: string(l.Key), Truncated: l.Truncated,
		OriginalSize: l.OriginalSize, OriginalSHA256: l.OriginalSHA256, Headers: map[string]string{}}
	if utf8.Valid(l.Value) {
		v := string(l.Value)
		out.Value = &v
	} else {
		out.ValueBase64 = base64.StdEncoding.EncodeToString(l.Value)
	}
	for _, h := range l.Headers {
		if _, dup := out.Headers[h.Key]; !dup { // the dead letter's own come first
			out.Headers[h.Key] = h.Value
		}
	}
	return out
}

func (s *Server) deadLetters() (DeadLetters, error) {
	if s.cfg.DeadLetters == nil {
		return nil, rebate.Errorf(rebate.EUNAVAIL, "", "the dead-letter topic is not configured for this API")
	}
	return s.cfg.DeadLetters, nil
}

// since reads an optional since: RFC 3339, a date or a duration ago.
func since(s, field string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := settings.ParseSince(s, now)
	if err != nil {
		return time.Time{}, rebate.Errorf(rebate.EINVALID, field, "%q: %v", s, err)
	}
	return t, nil
}

// maxReasonFilter bounds the reason a listing filters by: reasons are a
// sentence; a longer filter is a mistake, not a search.
const maxReasonFilter = 200

func (s *Server) listDeadLetters(c echo.Context) error {
	// Bad parameters are the caller's to fix whatever this API is wired to:
	// checked before asking whether the topic is configured.
	var err error
	f := rebate.DeadLetterFilter{Reason: c.QueryParam("reason")}
	if len(f.Reason) > maxReasonFilter {
		return rebate.Errorf(rebate.EINVALID, "reason", "longer than %d bytes: give the field at fault or a part of the reason", maxReasonFilter)
	}
	if f.Since, err = since(c.QueryParam("since"), "since", s.cfg.Now()); err != nil {
		return err
	}
	if f.Limit, err = queryInt(c, "limit", 100, 1, 1000); err != nil {
		return err
	}
	dl, err := s.deadLetters()
	if err != nil {
		return err
	}
	letters, err := dl.List(c.Request().Context(), f)
	if err != nil {
		return rebate.Wrap(rebate.EUNAVAIL, err, "read the dead-letter topic")
	}
	out := []DeadLetterJSON{}
	for _, l := range letters {
		out = append(out, deadLetterJSON(l))
	}
	return c.JSON(http.StatusOK, map[string]any{"dead_letters": out})
}

type replayBody struct {
	Reason string `json:"reason"`
	Since  string `json:"since"`
	DryRun bool   `json:"dry_run"`
}

type skippedJSON struct {
	Partition int32  `json:"partition"`
	Offset    int64  `json:"offset"`
	Why       string `json:"why"`
}

// ReplayJSON is what a replay did.
type ReplayJSON struct {
	DryRun   bool          `json:"dry_run"`
	Selected int           `json:"selected"`
	Replayed int           `json:"replayed"`
	Skipped  []skippedJSON `json:"skipped"`
}

func (s *Server) replayDeadLetters(c echo.Context) error {
	dl, err := s.deadLetters()
	if err != nil {
		return err
	}
	var body replayBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	f := rebate.DeadLetterFilter{Reason: body.Reason}
	if f.Since, err = since(body.Since, "since", s.cfg.Now()); err != nil {
		return err
	}
	r, err := dl.Replay(c.Request().Context(), f, body.DryRun)
	if err != nil {
		return rebate.Wrap(rebate.EUNAVAIL, err, "replay dead letters")
	}
	out := ReplayJSON{DryRun: r.DryRun, Selected: r.Selected, Replayed: r.Replayed, Skipped: []skippedJSON{}}
	for _, k := range r.Skipped {
		out.Skipped = append(out.Skipped, skippedJSON{k.Partition, k.Offset, k.Why})
	}
	return c.JSON(http.StatusOK, out)
}
