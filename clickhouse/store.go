package clickhouse

import (
	"context"
	"fmt"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/shopspring/decimal"

	"github.com/rebatehq/rebate"
)

// Store answers the service's questions with the named queries.
type Store struct {
	db      *DB
	queries *Queries
	// PublishedRefresh is how old this process's copy of the published
	// endpoints may get before it reads them again (other replicas publish
	// too); 0 reads them on every use.
	PublishedRefresh time.Duration
	pub              publishedCache
	cat              catalog
}

// storeQueries are the files the store runs; start-up fails without them.
var storeQueries = []string{"get_balance", "list_user_orders", "get_leaderboard", "get_user_rank",
	"get_merchant_stats", "list_minutely_kpis", "get_product", "list_rules", "put_rule", "list_user_referrals",
	"list_identities", "list_members", "materialize_order_prices", "list_user_order_keys", "list_order_keys", "materialize_merchant_minutes",
	"materialize_click_minutes", "materialize_user_days", "materialize_user_totals", "get_leaderboard_as_of",
	"list_published_queries", "list_published_versions", "put_published_query",
	"materialize_no_click_signals", "list_click_order_keys", "list_signal_users", "list_invited_members", "materialize_user_signals", "materialize_farm_signals", "list_risk_signals", "get_signal_counts",
	"get_signal_thresholds", "put_signal_thresholds", "get_referral_totals", "materialize_rule_timeline", "materialize_rule_build", "get_rule_builds_kept", "delete_rule_timeline", "delete_rule_builds"}

// NewStore loads queries/ and has the server plan each one, so a missing or
// broken file stops start-up.
func NewStore(ctx context.Context, db *DB) (*Store, error) {
	qs := db.queries
	if err := qs.Require(storeQueries...); err != nil {
		return nil, err
	}
	if err := qs.Validate(ctx, db.conn); err != nil {
		return nil, err
	}
	// Analysts' parameters are checked in Go: a query of theirs with a type
	// the checks do not know would refuse every request, so it stops start-up.
	for _, q := range qs.All() {
		for _, p := range q.Params {
			if _, err := parseParamType(p.Type); err != nil && q.ReadOnly && !q.Internal {
				return nil, fmt.Errorf("query %s.sql: parameter %s: %w", q.Name, p.Name, err)
			}
		}
	}
	return &Store{db: db, queries: qs, PublishedRefresh: 2 * time.Second}, nil
}

// Queries are the loaded named queries.
func (s *Store) Queries() *Queries { return s.queries }

// bind checks the arguments against the query's declared parameters and puts
// them in the context, to be bound by the server.
func (s *Store) bind(ctx context.Context, name string, args map[string]any) (context.Context, *Query, error) {
	q, ok := s.queries.Get(name)
	if !ok {
		return nil, nil, fmt.Errorf("no query %s", name)
	}
	params := ch.Parameters{}
	for _, p := range q.Params {
		v, ok := args[p.Name]
		if !ok {
			return nil, nil, fmt.Errorf("query %s: parameter %s not given", name, p.Name)
		}
		s, err := paramValue(v)
		if err != nil {
			return nil, nil, fmt.Errorf("query %s: parameter %s: %w", name, p.Name, err)
		}
		params[p.Name] = s
	}
	if len(args) != len(q.Params) {
		return nil, nil, fmt.Errorf("query %s: %d arguments for %d parameters", name, len(args), len(q.Params))
	}
	return ch.Context(ctx, ch.WithParameters(params), ch.WithSettings(q.settings(nil))), q, nil
}

func (s *Store) query(ctx context.Context, name string, args map[string]any) (driver.Rows, error) {
	ctx, q, err := s.bind(ctx, name, args)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read(ctx, q.SQL)
	if err != nil {
		return nil, domainError(name, err)
	}
	return rows, nil
}

// read runs a read-only statement: every read of the service's queries
// (Store.query), of the named and published ones (RunNamed) and a query's
// plan as it is published go through it, so that each meets a table
// swapped under it alike.
func (db *DB) read(ctx context.Context, sql string) (driver.Rows, error) {
	return readAgainIfExchanged(func() (driver.Rows, error) { return db.conn.Query(ctx, sql) })
}

// readAgainIfExchanged runs read once more when its table was swapped as it
// began (exchanged): the leaderboards' refresh exchanges its table every
// 2 s, and a read that met it failed (once in about 2,200 reads while
// ingesting, docs/benchmarks.md). The second read finds the new table; a
// read is safe to run twice, a write is not, so writes never come here.
// Its callers: DB.read (rows) and Store.SQL (an analyst's answer as a
// stream, whose error comes before its first byte).
func readAgainIfExchanged[T any](read func() (T, error)) (T, error) {
	rows, err := read()
	if exchanged(err) {
		rows, err = read()
	}
	return rows, err
}

// each runs a query and calls scan for every row.
func (s *Store) each(ctx context.Context, name string, args map[string]any, scan func(driver.Rows) error) error {
	rows, err := s.query(ctx, name, args)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return domainError(name, err)
		}
	}
	return domainError(name, rows.Err())
}

// Balance is a user's balance; a user without events has zeros.
func (s *Store) Balance(ctx context.Context, userID uint64) (rebate.Balance, error) {
	b := rebate.Balance{UserID: userID}
	err := s.each(ctx, "get_balance", map[string]any{"user_id": userID}, func(r driver.Rows) error {
		var pending, confirmed, withdrawn, frozen, available, rp, rc, rv decimal.Decimal
		var at time.Time
		if err := r.Scan(&b.UserID, &pending, &confirmed, &withdrawn, &frozen, &available,
			&b.Orders.Paid, &b.Orders.Settled, &b.Orders.Void, &rp, &rc, &rv, &b.Tier, &at); err != nil {
			return err
		}
		b.AsOf = asOf(at)
		return moneys([]*rebate.Money{&b.Pending, &b.Confirmed, &b.Withdrawn, &b.Frozen, &b.Available,
			&b.Referral.Pending, &b.Referral.Confirmed, &b.Referral.Void},
			pending, confirmed, withdrawn, frozen, available, rp, rc, rv)
	})
	return b, err
}

// Ping checks that ClickHouse answers.
func (s *Store) Ping(ctx context.Context) error { return s.db.Ping(ctx) }

// Orders lists up to limit of a user's orders after cursor, newest first,
// and the newest event time they include.
func (s *Store) Orders(ctx context.Context, userID uint64, after rebate.OrderCursor, limit uint32) ([]rebate.Order, time.Time, error) {
	var out []rebate.Order
	var newest time.Time
	args := map[string]any{"user_id": userID, "before_placed_at": after.PlacedAt, "before_order_id": after.OrderID, "limit": limit}
	err := s.each(ctx, "list_user_orders", args, func(r driver.Rows) error {
		o := rebate.Order{UserID: userID}
		var state uint8
		var amount, commission, reb decimal.Decimal
		var at time.Time
		if err := r.Scan(&o.OrderID, &state, &amount, &commission, &reb, &o.PlacedAt, &o.MerchantID, &o.ProductID, &at); err != nil {
			return err
		}
		o.State, o.PlacedAt = rebate.OrderState(state), o.PlacedAt.UTC()
		if at.After(newest) {
			newest = at.UTC()
		}
		if err := moneys([]*rebate.Money{&o.Amount, &o.Commission, &o.Rebate}, amount, commission, reb); err != nil {
			return err
		}
		out = append(out, o)
		return nil
	})
	return out, newest, err
}

// Leaderboard is the top limit users of a window, as of the last refresh.
func (s *Store) Leaderboard(ctx context.Context, w rebate.Window, limit uint32) (rebate.Leaderboard, error) {
	lb := rebate.Leaderboard{Window: w}
	err := s.each(ctx, "get_leaderboard", map[string]any{"window": w, "limit": limit}, func(r driver.Rows) error {
		return scanEntry(r, &lb)
	})
	return lb, s.leaderboardAsOf(ctx, &lb, err)
}

// Rank is a user's entry and up to n neighbours each side; Entries is empty
// when the user is not ranked in the window.
func (s *Store) Rank(ctx context.Context, userID uint64, w rebate.Window, n uint32) (rebate.Leaderboard, error) {
	lb := rebate.Leaderboard{Window: w}
	err := s.each(ctx, "get_user_rank", map[string]any{"window": w, "user_id": userID, "neighbors": n}, func(r driver.Rows) error {
		return scanEntry(r, &lb)
	})
	return lb, s.leaderboardAsOf(ctx, &lb, err)
}

// leaderboardAsOf sets as_of of an answer without a ranked user, which has no
// row to take it from, from the window's marker row (rank 0); the queries
// analysts run never show that row.
func (s *Store) leaderboardAsOf(ctx context.Context, lb *rebate.Leaderboard, err error) error {
	if err != nil || len(lb.Entries) > 0 {
		return err
	}
	return s.each(ctx, "get_leaderboard_as_of", map[string]any{"window": lb.Window}, func(r driver.Rows) error {
		var at time.Time
		if err := r.Scan(&at); err != nil {
			return err
		}
		lb.AsOf = at.UTC()
		return nil
	})
}

// scanEntry reads a leaderboard row and the moment the windows end.
func scanEntry(r driver.Rows, lb *rebate.Leaderboard) error {
	var e rebate.LeaderboardEntry
	var reb decimal.Decimal
	var at time.Time
	if err := r.Scan(&e.Rank, &e.UserID, &reb, &at); err != nil {
		return err
	}
	lb.AsOf = at.UTC()
	m, err := money(reb)
	if err != nil {
		return err
	}
	e.Rebate = m
	lb.Entries = append(lb.Entries, e)
	return nil
}

// RefreshLeaderboard recomputes every window's leaderboard now (the long
// windows' view, then the short windows', which copies them: DB.RefreshAll)
// and waits for it, for tests and for callers that cannot wait for the next
// scheduled refresh.
func (s *Store) RefreshLeaderboard(ctx context.Context) error {
	return s.db.RefreshAll(ctx)
}

// MerchantStats are a merchant's figures over the window ending at now.
func (s *Store) MerchantStats(ctx context.Context, merchantID uint64, w rebate.Window, now time.Time) (rebate.MerchantStats, error) {
	st := rebate.MerchantStats{MerchantID: merchantID, Window: w}
	since := w.Start(now)
	if since.IsZero() {
		since = time.Unix(0, 0)
	}
	args := map[string]any{"merchant_id": merchantID, "since": since, "now": now}
	err := s.each(ctx, "get_merchant_stats", args, func(r driver.Rows) error {
		var gmv, commission, reb decimal.Decimal
		var conversion float64
		var at time.Time
		if err := r.Scan(&st.MerchantID, &st.Clicks, &st.Orders, &gmv, &commission, &reb, &conversion, &at); err != nil {
			return err
		}
		st.AsOf = asOf(at)
		return moneys([]*rebate.Money{&st.GMV, &st.Commission, &st.Rebate}, gmv, commission, reb)
	})
	return st, err
}

// Minutely are the figures of the minutes whole minutes ending with now's.
func (s *Store) Minutely(ctx context.Context, now time.Time, minutes uint16) (rebate.Minutely, error) {
	var out rebate.Minutely
	err := s.each(ctx, "list_minutely_kpis", map[string]any{"now": now, "minutes": minutes}, func(r driver.Rows) error {
		var k rebate.MinuteKPI
		var gmv, commission, reb decimal.Decimal
		var at time.Time
		if err := r.Scan(&k.Minute, &k.Clicks, &k.Orders, &gmv, &commission, &reb, &at); err != nil {
			return err
		}
		k.Minute = k.Minute.UTC()
		if err := moneys([]*rebate.Money{&k.GMV, &k.Commission, &k.Rebate}, gmv, commission, reb); err != nil {
			return err
		}
		if at = asOf(at); at.After(out.AsOf) {
			out.AsOf = at
		}
		out.Minutes = append(out.Minutes, k)
		return nil
	})
	return out, err
}

// Product is a product's latest update.
func (s *Store) Product(ctx context.Context, productID uint64) (rebate.Product, error) {
	var p rebate.Product
	found := false
	err := s.each(ctx, "get_product", map[string]any{"product_id": productID}, func(r driver.Rows) error {
		var price, cr decimal.Decimal
		if err := r.Scan(&p.ProductID, &p.MerchantID, &price, &p.Stock, &cr, &p.UpdatedAt); err != nil {
			return err
		}
		found = true
		p.UpdatedAt = p.UpdatedAt.UTC()
		var err error
		if p.Price, err = money(price); err != nil {
			return err
		}
		p.CommissionRate, err = rate(cr)
		return err
	})
	if err == nil && !found {
		err = rebate.Errorf(rebate.ENOTFOUND, "product_id", "product %d was never seen", productID)
	}
	return p, err
}

// Rules lists every rule, in the order they were put.
func (s *Store) Rules(ctx context.Context) ([]rebate.Rule, error) {
	var out []rebate.Rule
	err := s.each(ctx, "list_rules", map[string]any{}, func(r driver.Rows) error {
		var rl rebate.Rule
		var tierKey uint8
		var share, referral decimal.Decimal
		var capAmount *decimal.Decimal
		if err := r.Scan(&rl.MerchantID, &tierKey, &rl.EffectiveFrom, &rl.EffectiveTo, &share, &capAmount, &referral); err != nil {
			return err
		}
		rl.EffectiveFrom = rl.EffectiveFrom.UTC()
		if rl.EffectiveTo.Unix() <= 0 {
			rl.EffectiveTo = time.Time{}
		} else {
			rl.EffectiveTo = rl.EffectiveTo.UTC()
		}
		if tierKey > 0 {
			rl.HasTier, rl.Tier = true, tierKey-1
		}
		var err error
		if rl.Share, err = rate(share); err != nil {
			return err
		}
		if rl.ReferralShare, err = rate(referral); err != nil {
			return err
		}
		if capAmount != nil {
			rl.HasCap = true
			if rl.Cap, err = money(*capAmount); err != nil {
				return err
			}
		}
		out = append(out, rl)
		return nil
	})
	return out, err
}

// PutRule stores a rule. One that would take effect in the past, by this
// clock or the server's, is refused with ECONFLICT.
func (s *Store) PutRule(ctx context.Context, r rebate.Rule, now time.Time) error {
	return s.PutRules(ctx, []rebate.Rule{r}, now)
}

// PutRules stores rules as PutRule does, each refused if it would take
// effect in the past, then builds the rule timeline once for them all and
// prices again what they change: a set of rules made from one now (rebate
// up's) is stored before the building starts, so none falls in the past
// while the others' builds run.
func (s *Store) PutRules(ctx context.Context, rules []rebate.Rule, now time.Time) error {
	for _, r := range rules {
		if err := s.storeRule(ctx, r, now); err != nil {
			return err
		}
	}
	if err := s.db.BuildRules(ctx); err != nil {
		// Stored, not yet in force: pricing reads the timeline. Putting the
		// same rule again (while it is still in the future) or `rebate
		// migrate up` builds it.
		return fmt.Errorf("the rule is stored but not in force yet (put it again, or run rebate migrate up): %w", err)
	}
	for _, r := range rules {
		// A rule takes effect from now on, so it prices again only orders
		// placed in the future (a producer's clock ahead of ours): normally none.
		until := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
		if r.Promotion() {
			until = r.EffectiveTo
		}
		if err := s.db.Reprice(ctx, r.MerchantID, r.EffectiveFrom, until); err != nil {
			return err
		}
	}
	return nil
}

// storeRule writes one rule, refusing one in the past (ECONFLICT).
func (s *Store) storeRule(ctx context.Context, r rebate.Rule, now time.Time) error {
	if err := r.Validate(); err != nil {
		return err
	}
	if r.EffectiveFrom.Before(now) {
		return rebate.Errorf(rebate.ECONFLICT, "effective_from",
			"a rule may not take effect in the past (%s is before %s)", r.EffectiveFrom.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
	}
	ctx, q, err := s.bind(ctx, "put_rule", ruleArgs(r))
	if err != nil {
		return err
	}
	if err := s.db.conn.Exec(ctx, q.SQL); err != nil {
		if exceptionCode(err) == codeFunctionThrowIfNonZero {
			return rebate.Errorf(rebate.ECONFLICT, "effective_from", "refused by the server: %s", exceptionMessage(err))
		}
		return domainError("put rule", err)
	}
	return nil
}

// ruleArgs are put_rule's parameters for r: the encodings of rebate_rules
// (tier_key 0 every tier, effective_to at the epoch no end, cap NULL none).
func ruleArgs(r rebate.Rule) map[string]any {
	args := map[string]any{"merchant_id": r.MerchantID, "tier_key": uint64(0), "effective_from": r.EffectiveFrom,
		"effective_to": time.Unix(0, 0).UTC(), "share": r.Share, "cap": nullParam{}, "referral_share": r.ReferralShare}
	if r.HasTier {
		args["tier_key"] = uint64(r.Tier) + 1
	}
	if r.Promotion() {
		args["effective_to"] = r.EffectiveTo
	}
	if r.HasCap {
		args["cap"] = r.Cap
	}
	return args
}

// Referrals lists the users user invited, after the one with id after, at
// most limit, with what their orders earned user; and the newest event
// time included.
func (s *Store) Referrals(ctx context.Context, user, after uint64, limit uint32) ([]rebate.Referral, time.Time, error) {
	var out []rebate.Referral
	var newest time.Time
	args := map[string]any{"user_id": user, "after_user_id": after, "limit": limit}
	err := s.each(ctx, "list_user_referrals", args, func(r driver.Rows) error {
		var ref rebate.Referral
		var pending, confirmed, voided decimal.Decimal
		var at time.Time
		if err := r.Scan(&ref.InviteeID, &ref.JoinedAt, &ref.Orders.Paid, &ref.Orders.Settled, &ref.Orders.Void,
			&pending, &confirmed, &voided, &at); err != nil {
			return err
		}
		ref.JoinedAt = ref.JoinedAt.UTC()
		if at = asOf(at); at.After(newest) {
			newest = at
		}
		if err := moneys([]*rebate.Money{&ref.Earnings.Pending, &ref.Earnings.Confirmed, &ref.Earnings.Void}, pending, confirmed, voided); err != nil {
			return err
		}
		out = append(out, ref)
		return nil
	})
	return out, newest, err
}
