package app

import (
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
)

// TestOnlineTimeouts: the default --timeout of the sending, session and
// UPO commands (cli7's convention: status-like queries 30s, a send none).
func TestOnlineTimeouts(t *testing.T) {
	root := NewRoot(&cli.Factory{})
	for path, want := range map[string]time.Duration{
		"send":             cli.NoTimeout,
		"session list":     cli.StatusTimeout,
		"session status":   cli.StatusTimeout,
		"session invoices": cli.StatusTimeout,
		"session close":    cli.DefaultTimeout,
		"session open":     cli.DefaultTimeout,
		"session resume":   cli.NoTimeout,
		"upo get":          cli.StatusTimeout,
	} {
		cmd, _, err := root.Find(strings.Fields(path))
		if err != nil || cmd.Name() != strings.Fields(path)[len(strings.Fields(path))-1] {
			t.Fatalf("%s: %v", path, err)
		}
		if got := cli.TimeoutOf(cmd); got != want {
			t.Errorf("ksef %s: default --timeout %s, want %s", path, got, want)
		}
	}
}
