package offline

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef/internal/testenv"
)

// TestEasterAgainstNcal compares Easter with the ncal(1) of the BSD
// calendar utilities (ncal -e YEAR): 2025-2030 always, 1900-2299 in the
// full run.
func TestEasterAgainstNcal(t *testing.T) {
	ncal := testenv.RequireTool(t, "ncal")
	from, to := 2025, 2030
	if !testing.Short() {
		from, to = 1900, 2299
	}
	for y := from; y <= to; y++ {
		cmd := exec.Command(ncal, "-e", fmt.Sprint(y))
		cmd.Env = []string{"LC_ALL=C", "TZ=UTC"}
		out, err := testenv.Output(cmd)
		if err != nil {
			t.Fatalf("ncal -e %d: %v", y, err)
		}
		// "MM/DD/YY" in the C locale.
		got, err := time.Parse("01/02/06", strings.TrimSpace(string(out)))
		if err != nil {
			t.Fatalf("ncal -e %d printed %q", y, out)
		}
		e := Easter(y)
		if got.Month() != e.Month() || got.Day() != e.Day() {
			t.Errorf("Easter %d: %s, ncal says %s", y, e.Format("01-02"), got.Format("01-02"))
		}
	}
}
