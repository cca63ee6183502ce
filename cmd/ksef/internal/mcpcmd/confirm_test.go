package mcpcmd

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestConfirmations(t *testing.T) {
	now := time.Date(2026, 1, 15, 9, 0, 0, 0, time.UTC)
	c := newConfirmations()
	c.now = func() time.Time { return now }
	d := digestOf("args")
	runs := 0
	act := func() *action {
		return &action{tool: "send_invoice", session: "s1", digest: d, run: func(context.Context) (any, error) { runs++; return nil, nil }}
	}
	tok := c.issue(act())
	for _, tc := range []struct {
		token, tool, session string
		digest               [32]byte
		want                 error
	}{
		{"confirm-X", "send_invoice", "s1", d, ErrNoConfirmation},
		{tok, "send_invoice", "s2", d, ErrNoConfirmation}, // another MCP session
		{tok, "revoke_token", "s1", d, ErrConfirmationOther},
		{tok, "send_invoice", "s1", digestOf("other"), ErrArgumentsChanged},
	} {
		if _, err := c.take(tc.token, tc.tool, tc.session, tc.digest, false); !errors.Is(err, tc.want) {
			t.Errorf("take(%q, %s, %s): %v, want %v", tc.token, tc.tool, tc.session, err, tc.want)
		}
	}
	a, err := c.take(tok, "send_invoice", "s1", digestOf("ignored"), true)
	if err != nil || a == nil {
		t.Fatalf("take without arguments: %v", err)
	}
	if _, err := c.take(tok, "send_invoice", "s1", d, false); !errors.Is(err, ErrNoConfirmation) {
		t.Errorf("second take: %v", err)
	}
	// Expiry.
	tok = c.issue(act())
	now = now.Add(ConfirmationTTL + time.Second)
	if _, err := c.take(tok, "send_invoice", "s1", d, false); !errors.Is(err, ErrNoConfirmation) {
		t.Errorf("expired token: %v", err)
	}
	// Bounded: the oldest of too many pending actions is dropped.
	first := c.issue(act())
	for range maxPending {
		c.issue(act())
	}
	if len(c.pending) != maxPending || len(c.order) != maxPending {
		t.Errorf("%d pending (%d in order), want %d", len(c.pending), len(c.order), maxPending)
	}
	if _, err := c.take(first, "send_invoice", "s1", d, false); !errors.Is(err, ErrNoConfirmation) {
		t.Errorf("evicted token: %v", err)
	}
	if runs != 0 {
		t.Errorf("take ran %d actions", runs)
	}
}

func TestAmounts(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1234.5": 123450, "1234,50": 123450, "-3": -300, " 1 000.01 ": 100001, "0.07": 7} {
		if got, err := ParseAmount(in); err != nil || got != want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "abc", "1.234", "1e3", "1/2"} {
		if _, err := ParseAmount(in); err == nil {
			t.Errorf("ParseAmount(%q) succeeded", in)
		}
	}
	for in, want := range map[int64]string{0: "0.00", 7: "0.07", -300: "-3.00", 123450: "1234.50"} {
		if got := Amount(in); got != want {
			t.Errorf("Amount(%d) = %s, want %s", in, got, want)
		}
	}
	if periodOf("2026-11-27", "quarter") != "2026-Q4" || periodOf("2026-01-02", "quarter") != "2026-Q1" || periodOf("2026-06-30", "year") != "2026" {
		t.Error("periodOf")
	}
}
