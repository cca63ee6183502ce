package peppolcmd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/internal/simtest"
)

func TestPeppolList(t *testing.T) {
	sim, base := simtest.Start(t)
	for i := range 12 {
		if err := sim.AddPeppolProvider(fmt.Sprintf("PPL%06d", i), fmt.Sprintf("Dostawca %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	c := clitest.New(t, New)
	first := clitest.DecodeJSON[ListResult](t, c.MustRun("--base-url", base, "peppol", "list", "-o", "json"))
	if len(first.Providers) != 10 || !first.More {
		t.Fatalf("first page: %d, more %v", len(first.Providers), first.More)
	}
	all := clitest.DecodeJSON[ListResult](t, c.MustRun("--base-url", base, "peppol", "list", "--all", "-o", "json"))
	if len(all.Providers) != 12 || all.More {
		t.Fatalf("all: %d", len(all.Providers))
	}
	if out := c.MustRun("--base-url", base, "peppol", "list", "--page", "1"); !strings.Contains(out, "PPL000011") || strings.Contains(out, "PPL000001") {
		t.Errorf("page 1:\n%s", out)
	}
}
