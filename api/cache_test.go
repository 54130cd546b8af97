package api

import (
	"strings"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
)

// TestAnswerCache: answers live for their TTL, the least recently used go
// first when the budget is full, and the cache never holds more than it.
func TestAnswerCache(t *testing.T) {
	answer := func(n int) *rebate.QueryResult {
		return &rebate.QueryResult{Columns: []rebate.QueryColumn{{Name: "x", Type: "String"}}, Rows: [][]any{{strings.Repeat("a", n)}}}
	}
	size := answerSize("k1", answer(1000))
	c := newAnswerCache(4 * size)
	now := time.Now()
	c.put("k1", answer(1000), time.Minute, now)
	c.put("k2", answer(1000), time.Second, now)
	if _, ok := c.get("k2", now.Add(999*time.Millisecond)); !ok {
		t.Error("k2 gone within its TTL")
	}
	if _, ok := c.get("k2", now.Add(time.Second)); ok {
		t.Error("k2 kept past its TTL")
	}
	for _, k := range []string{"k3", "k4", "k5", "k6"} {
		c.get("k1", now) // k1 stays the most recently used
		c.put(k, answer(1000), time.Minute, now)
	}
	if _, ok := c.get("k1", now); !ok {
		t.Error("the most recently used answer was pushed out")
	}
	if _, ok := c.get("k3", now); ok {
		t.Error("the least recently used answer stayed past the budget")
	}
	if c.bytes() > 4*size {
		t.Errorf("holds %d bytes, budget %d", c.bytes(), 4*size)
	}
	c.put("huge", answer(int(4*size)), time.Minute, now)
	if _, ok := c.get("huge", now); ok {
		t.Error("an answer over a quarter of the budget was kept")
	}
}
