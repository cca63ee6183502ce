package democmd

import (
	"strings"
	"testing"

	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/ksefsim"
)

// TestDemoMCP runs `ksef demo --mcp`: the MCP session of ksef mcp demo,
// against a simulator whose traffic is checked against the OpenAPI spec.
func TestDemoMCP(t *testing.T) {
	c := newCLI(t)
	c.SimOptions = []ksefsim.Option{clitest.ContractOption(t)}
	out := c.MustRun("demo", "--mcp", "--out-dir", t.TempDir())
	for _, want := range []string{"search_invoices", "Nothing was sent yet", "invoices sent: 8 (one more)", "MCP demo succeeded"} {
		if !strings.Contains(out, want) {
			t.Errorf("ksef demo --mcp lacks %q:\n%s", want, out)
		}
	}
}
