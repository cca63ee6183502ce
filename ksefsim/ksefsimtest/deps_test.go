package ksefsimtest_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/ksef2/ksef/internal/testenv"
)

// The simulator package and the ksef binary must not link the test-only
// packages: NewServer lives here, not in ksefsim, for that reason.
func TestProgramsDoNotLinkTesting(t *testing.T) {
	goTool := testenv.RequireTool(t, "go")
	for _, pkg := range []string{"./cmd/ksef", "./ksefsim"} {
		cmd := exec.CommandContext(t.Context(), goTool, "list", "-deps", pkg)
		cmd.Dir = testenv.ModuleRoot()
		out, err := testenv.Output(cmd)
		if err != nil {
			t.Fatalf("go list -deps %s: %v", pkg, err)
		}
		deps := strings.Fields(string(out))
		if !slices.Contains(deps, "net/http") {
			t.Fatalf("go list -deps %s printed no net/http; output:\n%s", pkg, out)
		}
		for _, bad := range []string{"testing", "net/http/httptest"} {
			if slices.Contains(deps, bad) {
				t.Errorf("%s links %s (go list -deps %s)", pkg, bad, pkg)
			}
		}
	}
}
