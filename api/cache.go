package api

import (
	"container/list"
	"fmt"
	"sync"
	"time"

	"github.com/rebatehq/rebate"
)

// answerCache keeps answers of published queries for their cache TTL, in
// this process, within a budget of bytes: the least recently used answers
// go first when it is full. An answer bigger than a quarter of the budget
// is not kept (it would push out everything else).
type answerCache struct {
	mu    sync.Mutex
	max   int64
	size  int64
	order *list.List // front: most recently used
	byKey map[string]*list.Element
}

type cachedAnswer struct {
	key     string
	res     *rebate.QueryResult
	expires time.Time
	size    int64
}

func newAnswerCache(maxBytes int64) *answerCache {
	return &answerCache{max: maxBytes, order: list.New(), byKey: map[string]*list.Element{}}
}

func (c *answerCache) get(key string, now time.Time) (*rebate.QueryResult, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	a := el.Value.(*cachedAnswer)
	if !now.Before(a.expires) {
		c.remove(el)
		return nil, false
	}
	c.order.MoveToFront(el)
	return a.res, true
}

func (c *answerCache) put(key string, res *rebate.QueryResult, ttl time.Duration, now time.Time) {
	size := answerSize(key, res)
	if size > c.max/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		c.remove(el)
	}
	for c.size+size > c.max && c.order.Len() > 0 {
		c.remove(c.order.Back())
	}
	c.byKey[key] = c.order.PushFront(&cachedAnswer{key: key, res: res, expires: now.Add(ttl), size: size})
	c.size += size
}

func (c *answerCache) remove(el *list.Element) {
	a := c.order.Remove(el).(*cachedAnswer)
	delete(c.byKey, a.key)
	c.size -= a.size
}

// bytes is what the cache holds now, for tests.
func (c *answerCache) bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.size
}

// answerSize estimates the memory an answer holds: its text, and a word or
// two for each value.
func answerSize(key string, res *rebate.QueryResult) int64 {
	n := int64(len(key)) + 64
	for _, col := range res.Columns {
		n += int64(len(col.Name)+len(col.Type)) + 32
	}
	for _, row := range res.Rows {
		n += 24
		for _, v := range row {
			n += 16
			switch x := v.(type) {
			case string:
				n += int64(len(x))
			case nil, bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float32, float64, int, uint:
			default:
				n += int64(len(fmt.Sprint(x)))
			}
		}
	}
	return n
}
