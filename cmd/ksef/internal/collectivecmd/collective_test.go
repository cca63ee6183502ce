package collectivecmd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/internal/simtest"
)

func TestCollectiveCommands(t *testing.T) {
	sim, base := simtest.Start(t)
	c := clitest.New(t, New)
	nip, a := c.LogIn(sim, base, "default")
	ctx := t.Context()
	s, err := a.Sessions.OpenOnline(ctx, ksef.FormFA3, nil)
	if err != nil {
		t.Fatal(err)
	}
	var nums []string
	for i := range 2 {
		sent, err := s.SendInvoice(ctx, clitest.FA3Invoice(t, nip, fmt.Sprintf("FV/CLI/%d", i)), nil)
		if err != nil {
			t.Fatal(err)
		}
		st, err := s.WaitInvoice(ctx, sent.ReferenceNumber, &ksef.WaitOptions{MinDelay: 5e6})
		if err != nil {
			t.Fatal(err)
		}
		nums = append(nums, st.KSeFNumber)
	}
	cr := clitest.DecodeJSON[CreateResult](t, c.MustRun("collective", "create", "--invoice", nums[0]+",100.50,pln,czynsz", "--invoice", nums[1],
		"--note", "Zapłata za luty", "-o", "json"))
	if _, err := ksef.ParseCollectiveIdentifier(cr.CollectiveIdentifierNumber); err != nil || cr.PaymentTitle != cr.CollectiveIdentifierNumber+" Zapłata za luty" {
		t.Fatalf("create: %+v %v", cr, err)
	}
	list := clitest.DecodeJSON[ListResult](t, c.MustRun("collective", "list", "-o", "json"))
	if len(list.CollectiveIdentifiers) != 1 || list.CollectiveIdentifiers[0].InvoiceCount != 2 {
		t.Fatalf("list: %+v", list)
	}
	if out := c.MustRun("collective", "of", nums[1]); !strings.Contains(out, cr.CollectiveIdentifierNumber) {
		t.Errorf("of:\n%s", out)
	}
	inv := clitest.DecodeJSON[InvoicesResult](t, c.MustRun("collective", "invoices", cr.CollectiveIdentifierNumber, "-o", "json"))
	if len(inv.Invoices) != 2 {
		t.Fatalf("invoices: %+v", inv)
	}
	if out := c.MustRun("collective", "invoices", cr.CollectiveIdentifierNumber); !strings.Contains(out, "100.50 PLN") || !strings.Contains(out, "czynsz") {
		t.Errorf("invoices text:\n%s", out)
	}
	if out := c.MustRun("collective", "title", nums[0]); strings.TrimSpace(out) != nums[0] {
		t.Errorf("title: %q", out)
	}
	if _, _, err := c.Run("collective", "title", "FV/1"); err == nil {
		t.Error("title of an invoice number")
	}
}
