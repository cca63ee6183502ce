package tokencmd

import (
	"strings"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/internal/simtest"
)

func TestTokenCommands(t *testing.T) {
	sim, base := simtest.Start(t)
	c := clitest.New(t, New)
	nip, _ := c.LogIn(sim, base, "default")

	gen := clitest.DecodeJSON[GenerateResult](t, c.MustRun("token", "generate", "--description", "token z CLI", "--permission", "invoiceread",
		"--permission", "InvoiceWrite", "--wait", "-o", "json"))
	if gen.Status != ksef.TokenActive || !strings.Contains(gen.Token, "|nip-"+nip+"|") {
		t.Fatalf("generate: %+v", gen)
	}
	list := clitest.DecodeJSON[ListResult](t, c.MustRun("token", "list", "--status", "active", "--all", "-o", "json"))
	if len(list.Tokens) != 1 || list.Tokens[0].ReferenceNumber != gen.ReferenceNumber || len(list.Tokens[0].RequestedPermissions) != 2 {
		t.Fatalf("list: %+v", list)
	}
	out := c.MustRun("token", "list")
	if !strings.Contains(out, gen.ReferenceNumber) || !strings.Contains(out, "InvoiceRead,InvoiceWrite") || strings.Contains(out, gen.Token) {
		t.Errorf("list text:\n%s", out)
	}
	c.MustRun("token", "revoke", gen.ReferenceNumber)
	st := clitest.DecodeJSON[ksef.TokenStatusResponse](t, c.MustRun("token", "status", gen.ReferenceNumber, "-o", "json"))
	if st.Status != ksef.TokenRevoked {
		t.Errorf("status after revoke: %s", st.Status)
	}
	if _, _, err := c.Run("token", "generate", "--description", "zła", "--permission", "Everything"); err == nil {
		t.Error("unknown permission accepted")
	}
	// Shell completion of flag values.
	comp := c.MustRun("__complete", "token", "generate", "--permission", "Inv")
	if !strings.Contains(comp, "InvoiceRead") || !strings.Contains(comp, "InvoiceWrite") || strings.Contains(comp, "Introspection") {
		t.Errorf("completion:\n%s", comp)
	}
	comp = c.MustRun("__complete", "token", "list", "--status", "")
	for _, s := range statuses {
		if !strings.Contains(comp, s) {
			t.Errorf("status completion lacks %s:\n%s", s, comp)
		}
	}
}
