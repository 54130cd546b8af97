package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/rebatehq/rebate"
)

type rejectedJSON struct {
	Index  int    `json:"index"`
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

type collectJSON struct {
	Accepted int            `json:"accepted"`
	Rejected []rejectedJSON `json:"rejected"`
}

// postEvents validates events with the ingester's decoder and produces the
// valid ones to Kafka, waiting for every in-sync replica. 202 when every
// event was accepted; 422 when some were refused (the valid ones are still
// produced: resending them is harmless, duplicates count once).
func (s *Server) postEvents(c echo.Context) error {
	if s.producer == nil {
		return rebate.Errorf(rebate.EUNAVAIL, "", "event collection needs Kafka, which is not configured")
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, s.cfg.MaxEventsBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return rebate.Errorf(rebate.ETOOLARGE, "", "body larger than the limit of POST /v1/events")
		}
		return rebate.Errorf(rebate.EINVALID, "body", "read body: %v", err)
	}
	raws, err := splitEvents(body, s.cfg.MaxEvents)
	if err != nil {
		return err
	}
	out := collectJSON{Rejected: []rejectedJSON{}}
	var valid []rebate.Event
	for i, raw := range raws {
		e, err := rebate.Decode(raw)
		if err != nil {
			r := rejectedJSON{Index: i, Reason: err.Error()}
			var ve *rebate.Error
			if errors.As(err, &ve) {
				r.Field, r.Reason = ve.Field, ve.Message
			}
			out.Rejected = append(out.Rejected, r)
			continue
		}
		valid = append(valid, e)
	}
	if len(valid) > 0 {
		if err := s.producer.Produce(c.Request().Context(), valid); err != nil {
			return rebate.Errorf(rebate.EUNAVAIL, "", "could not store the events in Kafka; nothing was accepted, send them again: %v", err)
		}
	}
	out.Accepted = len(valid)
	s.metrics.accepted.Add(float64(len(valid)))
	s.metrics.rejected.Add(float64(len(out.Rejected)))
	code := http.StatusAccepted
	if len(out.Rejected) > 0 {
		code = http.StatusUnprocessableEntity
	}
	return c.JSON(code, out)
}

// splitEvents reads a JSON array of events, or NDJSON (one per line).
func splitEvents(body []byte, max int) ([][]byte, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, rebate.Errorf(rebate.EINVALID, "body", "no events: send a JSON array or one JSON object per line")
	}
	var raws [][]byte
	if trimmed[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(trimmed, &arr); err != nil {
			return nil, rebate.Errorf(rebate.EINVALID, "body", "not a JSON array: %v", err)
		}
		for _, r := range arr {
			raws = append(raws, r)
		}
	} else {
		sc := bufio.NewScanner(bytes.NewReader(trimmed))
		sc.Buffer(make([]byte, 64<<10), rebate.MaxEventBytes+1)
		for sc.Scan() {
			if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
				raws = append(raws, bytes.Clone(line))
			}
		}
		if err := sc.Err(); err != nil {
			return nil, rebate.Errorf(rebate.EINVALID, "body", "a line longer than %d bytes: one event is at most that", rebate.MaxEventBytes)
		}
	}
	if len(raws) > max {
		return nil, rebate.Errorf(rebate.ETOOLARGE, "", "more events than the limit of POST /v1/events")
	}
	return raws, nil
}
