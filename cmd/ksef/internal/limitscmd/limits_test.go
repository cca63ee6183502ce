package limitscmd

import (
	"strings"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/internal/simtest"
)

func TestLimitsCommands(t *testing.T) {
	sim, base := simtest.Start(t)
	c := clitest.New(t, New)
	c.LogIn(sim, base, "default")
	show := clitest.DecodeJSON[ShowResult](t, c.MustRun("limits", "show", "-o", "json"))
	if show.Context.CollectiveIdentifier.MaxInvoices != 500 || len(show.RateLimits) != 17 || show.RateLimits[ksef.GroupOther] != (ksef.RateLimit{PerSecond: 10, PerMinute: 30, PerHour: 120}) {
		t.Fatalf("show: %+v", show)
	}
	c.MustRun("limits", "set-session", "--online-invoices", "5", "--collective-invoices", "3")
	c.MustRun("limits", "set-cert", "--certificates", "2")
	c.MustRun("limits", "set-rate", "--group", "other=50/500/5000", "--group", "sessionList=7/70/700")
	show = clitest.DecodeJSON[ShowResult](t, c.MustRun("limits", "show", "-o", "json"))
	if show.Context.OnlineSession.MaxInvoices != 5 || show.Context.CollectiveIdentifier.MaxInvoices != 3 ||
		*show.Subject.Certificate.MaxCertificates != 2 || show.RateLimits[ksef.GroupOther] != (ksef.RateLimit{PerSecond: 50, PerMinute: 500, PerHour: 5000}) ||
		show.RateLimits[ksef.GroupSessionList] != (ksef.RateLimit{PerSecond: 7, PerMinute: 70, PerHour: 700}) {
		t.Fatalf("after set: %+v", show)
	}
	out := c.MustRun("limits", "show")
	if !strings.Contains(out, "Online session:  5 invoices") || !strings.Contains(out, "sessionList") {
		t.Errorf("show text:\n%s", out)
	}
	for _, what := range []string{"session", "cert", "rate"} {
		c.MustRun("limits", "reset", what)
	}
	show = clitest.DecodeJSON[ShowResult](t, c.MustRun("limits", "show", "-o", "json"))
	if show.Context.OnlineSession.MaxInvoices == 5 || *show.Subject.Certificate.MaxCertificates != 100 || show.RateLimits[ksef.GroupOther].PerSecond != 10 {
		t.Errorf("after reset: %+v", show)
	}
	c.MustRun("limits", "production")
	if _, _, err := c.Run("limits", "set-rate", "--group", "global=1/1/1"); err == nil {
		t.Error("the global group was accepted")
	}
	if comp := c.MustRun("__complete", "limits", "set-rate", "--group", "sess"); !strings.Contains(comp, "sessionList=") || !strings.Contains(comp, "sessionMisc=") {
		t.Errorf("completion:\n%s", comp)
	}
	if comp := c.MustRun("__complete", "limits", "reset", ""); !strings.Contains(comp, "session") || !strings.Contains(comp, "rate") {
		t.Errorf("reset completion:\n%s", comp)
	}
}
