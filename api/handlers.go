package api

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rebatehq/rebate"
)

func (s *Server) getBalance(c echo.Context) error {
	user, err := pathID(c, "user_id")
	if err != nil {
		return err
	}
	b, err := s.store.Balance(c.Request().Context(), user)
	if err != nil {
		return err
	}
	return fresh(c, b.AsOf, balanceJSON(b))
}

func (s *Server) listOrders(c echo.Context) error {
	user, err := pathID(c, "user_id")
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 20, 1, 100)
	if err != nil {
		return err
	}
	after, err := decodeCursor(c.QueryParam("cursor"))
	if err != nil {
		return err
	}
	orders, at, err := s.store.Orders(c.Request().Context(), user, after, uint32(limit))
	if err != nil {
		return err
	}
	out := OrdersJSON{UserID: user, Orders: make([]OrderJSON, 0, len(orders)), AsOf: asOf(at)}
	for _, o := range orders {
		out.Orders = append(out.Orders, OrderJSON{OrderID: o.OrderID, State: o.State.String(), Amount: o.Amount,
			Commission: o.Commission, Rebate: o.Rebate, PlacedAt: stamp(o.PlacedAt), MerchantID: o.MerchantID, ProductID: o.ProductID})
	}
	if len(orders) == limit {
		next := encodeCursor(orders[len(orders)-1])
		out.NextCursor = &next
	}
	return fresh(c, at, out)
}

func (s *Server) getRank(c echo.Context) error {
	user, err := pathID(c, "user_id")
	if err != nil {
		return err
	}
	w, err := queryWindow(c)
	if err != nil {
		return err
	}
	n, err := queryInt(c, "neighbors", 5, 0, 50)
	if err != nil {
		return err
	}
	lb, err := s.store.Rank(c.Request().Context(), user, w, uint32(n))
	if err != nil {
		return err
	}
	out := RankJSON{Window: w, UserID: user, Entries: entries(lb), AsOf: asOf(lb.AsOf)}
	for _, e := range lb.Entries {
		if e.UserID == user {
			r := e.Rank
			out.Rank = &r
		}
	}
	return fresh(c, lb.AsOf, out)
}

func (s *Server) getLeaderboard(c echo.Context) error {
	w, err := queryWindow(c)
	if err != nil {
		return err
	}
	limit, err := queryInt(c, "limit", 10, 1, 1000)
	if err != nil {
		return err
	}
	lb, err := s.store.Leaderboard(c.Request().Context(), w, uint32(limit))
	if err != nil {
		return err
	}
	return fresh(c, lb.AsOf, LeaderboardJSON{Window: w, Entries: entries(lb), AsOf: asOf(lb.AsOf)})
}

func (s *Server) getMerchantStats(c echo.Context) error {
	m, err := pathID(c, "merchant_id")
	if err != nil {
		return err
	}
	w, err := queryWindow(c)
	if err != nil {
		return err
	}
	st, err := s.store.MerchantStats(c.Request().Context(), m, w, s.cfg.Now().UTC().Truncate(1e6))
	if err != nil {
		return err
	}
	return fresh(c, st.AsOf, MerchantJSON{MerchantID: m, Window: w, Clicks: st.Clicks, Orders: st.Orders, GMV: st.GMV,
		Commission: st.Commission, Rebate: st.Rebate, Conversion: st.Conversion(), AsOf: asOf(st.AsOf)})
}

func (s *Server) getProduct(c echo.Context) error {
	id, err := pathID(c, "product_id")
	if err != nil {
		return err
	}
	p, err := s.store.Product(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return fresh(c, p.UpdatedAt, ProductJSON{ProductID: p.ProductID, MerchantID: p.MerchantID, Price: p.Price, Stock: p.Stock,
		CommissionRate: p.CommissionRate, UpdatedAt: stamp(p.UpdatedAt), AsOf: asOf(p.UpdatedAt)})
}

func (s *Server) listMinutely(c echo.Context) error {
	n, err := queryInt(c, "minutes", 60, 1, 1440)
	if err != nil {
		return err
	}
	m, err := s.store.Minutely(c.Request().Context(), s.cfg.Now().UTC().Truncate(1e6), uint16(n))
	if err != nil {
		return err
	}
	out := make([]MinuteJSON, 0, len(m.Minutes))
	for _, k := range m.Minutes {
		out = append(out, MinuteJSON{Minute: stamp(k.Minute), Clicks: k.Clicks, Orders: k.Orders, GMV: k.GMV,
			Commission: k.Commission, Rebate: k.Rebate})
	}
	return fresh(c, m.AsOf, out)
}

func (s *Server) listRules(c echo.Context) error {
	rules, err := s.store.Rules(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]RuleJSON, 0, len(rules))
	for _, r := range rules {
		out = append(out, ruleJSON(r))
	}
	return c.JSON(http.StatusOK, map[string]any{"rules": out})
}

// putRuleBody is PUT /v1/rules/{merchant_id}'s body. Optional parts are
// pointers: absent and null both mean none (every tier, no end, no cap).
type putRuleBody struct {
	Share         *rebate.Rate  `json:"share"`
	EffectiveFrom string        `json:"effective_from"`
	Tier          *int          `json:"tier"`
	EffectiveTo   *string       `json:"effective_to"`
	Cap           *rebate.Money `json:"cap"`
	ReferralShare *rebate.Rate  `json:"referral_share"`
}

// rule checks the body's own fields and builds the rule; Rule.Validate
// checks the rest (ranges, an end after the start).
func (b putRuleBody) rule(merchant uint64) (rebate.Rule, error) {
	if b.Share == nil {
		return rebate.Rule{}, rebate.Errorf(rebate.EINVALID, "share", "required: a decimal from 0 to 1 with at most 4 places, like \"0.3500\"")
	}
	from, err := parseRFC3339(b.EffectiveFrom, "effective_from")
	if err != nil {
		return rebate.Rule{}, err
	}
	r := rebate.Rule{MerchantID: merchant, EffectiveFrom: from, Share: *b.Share}
	if b.Tier != nil {
		if *b.Tier < 0 || *b.Tier > rebate.MaxTier {
			return rebate.Rule{}, rebate.Errorf(rebate.EINVALID, "tier", "tier %d: want 0 to %d, or null for every tier", *b.Tier, rebate.MaxTier)
		}
		r.HasTier, r.Tier = true, uint8(*b.Tier)
	}
	if b.EffectiveTo != nil {
		if r.EffectiveTo, err = parseRFC3339(*b.EffectiveTo, "effective_to"); err != nil {
			return rebate.Rule{}, err
		}
	}
	if b.Cap != nil {
		r.HasCap, r.Cap = true, *b.Cap
	}
	if b.ReferralShare != nil {
		r.ReferralShare = *b.ReferralShare
	}
	return r, r.Validate()
}

func (s *Server) putRule(c echo.Context) error {
	m, err := pathIDAllowZero(c, "merchant_id")
	if err != nil {
		return err
	}
	var body putRuleBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	rule, err := body.rule(m)
	if err != nil {
		return err
	}
	if err := s.store.PutRule(c.Request().Context(), rule, s.cfg.Now()); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, ruleJSON(rule))
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyTimeout bounds each check of /readyz: a hung dependency makes the
// service not ready, quickly, rather than a probe that never answers.
const readyTimeout = 2 * time.Second

func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
	defer cancel()
	check := func(ping func(context.Context) error) <-chan string {
		out := make(chan string, 1)
		go func() {
			if err := ping(ctx); err != nil {
				out <- err.Error()
				return
			}
			out <- "ok"
		}()
		return out
	}
	wait := func(ch <-chan string) string {
		select {
		case r := <-ch:
			return r
		case <-ctx.Done():
			return fmt.Sprintf("no answer within %s", readyTimeout)
		}
	}
	chCheck := check(s.store.Ping)
	kafkaResult := "not configured"
	if s.producer != nil {
		kafkaResult = wait(check(s.producer.Ping))
	}
	checks := map[string]string{"clickhouse": wait(chCheck), "kafka": kafkaResult}
	code, status := http.StatusOK, "ok"
	for name, r := range checks {
		if r != "ok" && !(name == "kafka" && s.producer == nil) {
			code, status = http.StatusServiceUnavailable, "unavailable"
		}
	}
	return c.JSON(code, map[string]any{"status": status, "checks": checks})
}
