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
	pkgs := []string{"./cmd/ksef", "./ksefsim"}
	// One line per package: its import path, then its dependencies.
	cmd := exec.CommandContext(t.Context(), goTool, append([]string{"list", "-f", `{{.ImportPath}} {{join .Deps " "}}`}, pkgs...)...)
	cmd.Dir = testenv.ModuleRoot()
	out, err := testenv.Output(cmd)
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(pkgs) {
		t.Fatalf("go list printed %d lines for %d packages:\n%s", len(lines), len(pkgs), out)
	}
	for _, line := range lines {
		f := strings.Fields(line)
		pkg, deps := f[0], f[1:]
		if !slices.Contains(deps, "net/http") {
			t.Fatalf("%s: go list printed no net/http among the dependencies: %s", pkg, line)
		}
		for _, bad := range []string{"testing", "net/http/httptest"} {
			if slices.Contains(deps, bad) {
				t.Errorf("%s links %s", pkg, bad)
			}
		}
	}
}
