package app

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
)

// TestAreaNames: the name and aliases listed for each area are those of
// the command it builds, so that NewRootFor finds every area by the name
// cobra would, and no two areas claim one name.
func TestAreaNames(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range areas {
		cmd := a.new(&cli.Factory{})
		if cmd.Name() != a.name || !slices.Equal(cmd.Aliases, a.aliases) {
			t.Errorf("area listed as %q %v builds %q %v", a.name, a.aliases, cmd.Name(), cmd.Aliases)
		}
		for _, n := range append([]string{a.name}, a.aliases...) {
			if seen[n] {
				t.Errorf("name %q claimed twice", n)
			}
			seen[n] = true
		}
	}
	if n := len(NewRoot(&cli.Factory{}).Commands()); n != len(areas) {
		t.Errorf("%d commands on the root, %d areas", n, len(areas))
	}
}

func TestCommandName(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"version"}, "version"},
		{[]string{"-o", "json", "version"}, "version"},
		{[]string{"-ojson", "auth", "status"}, "auth"},
		{[]string{"--output=json", "--verbose", "send", "x.xml"}, "send"},
		{[]string{"--profile", "acme", "--env", "demo", "--timeout", "5s", "--base-url", "http://127.0.0.1:1/v2", "--config-dir", "/tmp/x", "token", "list"}, "token"},
		{[]string{"--help"}, ""},
		{[]string{"-h", "auth"}, ""},
		{[]string{"--unknown", "auth"}, ""},
		{[]string{"--", "auth"}, ""},
		{[]string{"--profile"}, ""},
	} {
		if got := commandName(cli.NewRoot(&cli.Factory{}).PersistentFlags(), tc.args); got != tc.want {
			t.Errorf("commandName(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

// TestNewRootFor: a run naming an area builds that area alone, and what it
// prints is what the whole tree would print; help, completion, misspelt
// names and aliases behave as with the whole tree.
func TestNewRootFor(t *testing.T) {
	for _, tc := range []struct {
		args     []string
		commands int // top-level commands built; 0: all areas
	}{
		{[]string{"version"}, 1},
		{[]string{"-o", "json", "version"}, 1},
		{[]string{"permissions", "--help"}, 1},
		{[]string{"auth", "--help"}, 1},
		{[]string{"number", "check", "not-a-number"}, 1},
		{[]string{"--help"}, 0},
		{[]string{"help", "auth"}, 0},
		{[]string{"versoin"}, 0},
		{[]string{"completion", "bash"}, 0},
		{[]string{"__complete", "au"}, 0},
	} {
		run := func(lazy bool) (string, string) {
			var out, errb bytes.Buffer
			f := &cli.Factory{Stdout: &out, Stderr: &errb, Version: "test"}
			root := NewRoot(f)
			if lazy {
				root = NewRootFor(f, tc.args)
				want := tc.commands
				if want == 0 {
					want = len(areas)
				}
				if got := len(root.Commands()); got != want {
					t.Errorf("ksef %s: %d commands built, want %d", strings.Join(tc.args, " "), got, want)
				}
			}
			err := cli.Execute(context.Background(), f, root, tc.args)
			if err != nil {
				errb.WriteString(cli.ErrorMessage(err))
			}
			return out.String(), errb.String()
		}
		lo, le := run(true)
		fo, fe := run(false)
		if lo != fo || le != fe {
			t.Errorf("ksef %s: built alone it prints\n%s%s\nbuilt whole\n%s%s", strings.Join(tc.args, " "), lo, le, fo, fe)
		}
		if lo+le == "" {
			t.Errorf("ksef %s printed nothing", strings.Join(tc.args, " "))
		}
	}
}
