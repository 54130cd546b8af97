package clickhouse

import (
	"context"
	"fmt"
	"strconv"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/shopspring/decimal"

	"github.com/rebatehq/rebate"
)

// lookupChunk bounds the ids bound to one lookup: past about 1 MB an
// Array(String) parameter stops using the index (measured on 26.5: ~43,000
// ids of 16 characters), and the query then scans every row.
const lookupChunk = 10_000

// Identities returns, for each of ids of an entity kind (rebate.EntityOrder,
// EntityWithdrawal or EntityMember), the identity its first stored event
// fixed, as an Event with those fields and its ID set. Ids never stored are
// absent.
func (db *DB) Identities(ctx context.Context, kind string, ids []string) (map[string]rebate.Event, error) {
	out := make(map[string]rebate.Event, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), lookupChunk)
		var err error
		if kind == rebate.EntityMember {
			err = db.members(ctx, ids[:n], out)
		} else {
			err = db.identities(ctx, kind, ids[:n], out)
		}
		if err != nil {
			return nil, err
		}
		ids = ids[n:]
	}
	return out, nil
}

func (db *DB) identities(ctx context.Context, kind string, ids []string, out map[string]rebate.Event) error {
	if kind != rebate.EntityOrder && kind != rebate.EntityWithdrawal {
		return fmt.Errorf("identities of %q: no such entity", kind)
	}
	q, _ := db.queries.Get("list_identities")
	ctx = ch.Context(ctx, ch.WithParameters(ch.Parameters{"kind": kind, "ids": stringArray(ids)}),
		ch.WithSettings(db.writeSettings(nil)))
	rows, err := db.conn.Query(ctx, q.SQL)
	if err != nil {
		return domainError(q.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var e rebate.Event
		var id string
		var amount, commission decimal.Decimal
		var placed time.Time
		if err := rows.Scan(&id, &e.UserID, &e.MerchantID, &e.ProductID, &amount, &commission, &placed, &e.ID); err != nil {
			return domainError(q.Name, err)
		}
		if kind == rebate.EntityOrder {
			e.OrderID, e.PlacedAt = id, placed.UTC()
			if err := moneys([]*rebate.Money{&e.Amount, &e.Commission}, amount, commission); err != nil {
				return domainError(q.Name, err)
			}
		} else {
			e.WithdrawalID = id
			e.MerchantID, e.ProductID = 0, 0
			if e.Amount, err = money(amount); err != nil {
				return domainError(q.Name, err)
			}
		}
		out[id] = e
	}
	return domainError(q.Name, rows.Err())
}

// members looks up the inviter each user of ids (decimal user ids) was
// first stored with.
func (db *DB) members(ctx context.Context, ids []string, out map[string]rebate.Event) error {
	q, _ := db.queries.Get("list_members")
	users := make([]uint64, 0, len(ids))
	for _, id := range ids {
		u, err := strconv.ParseUint(id, 10, 64)
		if err != nil {
			return fmt.Errorf("member %q: not a user id", id)
		}
		users = append(users, u)
	}
	ctx = ch.Context(ctx, ch.WithParameters(ch.Parameters{"users": uintArray(users)}), ch.WithSettings(db.writeSettings(nil)))
	rows, err := db.conn.Query(ctx, q.SQL)
	if err != nil {
		return domainError(q.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		e := rebate.Event{Type: rebate.UserJoined}
		if err := rows.Scan(&e.UserID, &e.InviterID, &e.ID); err != nil {
			return domainError(q.Name, err)
		}
		out[strconv.FormatUint(e.UserID, 10)] = e
	}
	return domainError(q.Name, rows.Err())
}
