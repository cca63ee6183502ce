package app

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
)

// newCLI runs every ksef command in-process with a private configuration
// directory.
func newCLI(t *testing.T) *clitest.CLI { return clitest.New(t, Areas...) }

func TestVersion(t *testing.T) {
	c := newCLI(t)
	if out := c.MustRun("version"); !strings.HasPrefix(out, "ksef ") || !strings.Contains(out, "2.8.1") {
		t.Errorf("version: %q", out)
	}
	v := clitest.DecodeJSON[map[string]string](t, c.MustRun("version", "-o", "json"))
	if v["apiVersion"] != "2.8.1" || v["version"] == "" {
		t.Errorf("version -o json: %v", v)
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	os.WriteFile(garbage, []byte("not a certificate"), 0o600)
	missing := filepath.Join(dir, "missing.pem")
	nip := string(ksef.RandomNIP(nil))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"auth", "login"}, "nothing to log in with"},
		{[]string{"auth", "login", "--cert", missing, "--nip", nip}, "cannot read --cert file"},
		{[]string{"auth", "login", "--cert", garbage, "--key", missing, "--nip", nip}, "cannot read --key file"},
		{[]string{"auth", "login", "--cert", garbage, "--nip", nip}, "is not a certificate: it is neither PEM nor DER"},
		{[]string{"auth", "login", "--key", garbage, "--nip", nip}, "--key needs --cert"},
		{[]string{"auth", "login", "--cert", garbage, "--p12", garbage}, "not both"},
		{[]string{"auth", "login", "--cert", garbage, "--token", "x"}, "not both"},
		{[]string{"auth", "login", "--token", "x", "--nip", nip, "--peppol-id", "PPL123456"}, "only one of"},
		{[]string{"auth", "login", "--token", "x", "--nip", "1234567890"}, "invalid context"},
		{[]string{"auth", "login", "--cert", garbage, "--subject", "name"}, "unknown --subject"},
		{[]string{"auth", "login", "--token", "x", "--nip", nip, "--base-url", "ftp://x"}, "base URL"},
		{[]string{"auth", "status"}, `no profile "default"`},
		{[]string{"auth", "sessions", "--profile", "nobody"}, `no profile "nobody"`},
		{[]string{"auth", "logout"}, `no profile "default"`},
		{[]string{"version", "-o", "yaml"}, "unknown output format"},
		{[]string{"version", "--env", "staging"}, "unknown environment"},
		{[]string{"auth", "login", "extra"}, "unknown command"},
	} {
		c := newCLI(t)
		_, _, err := c.Run(tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ksef %s: error %v, want it to mention %q", strings.Join(tc.args, " "), err, tc.want)
			continue
		}
		if msg := cli.ErrorMessage(err); strings.Count(msg, "ksef:") != 1 {
			t.Errorf("ksef %s: message %q repeats the prefix", strings.Join(tc.args, " "), msg)
		}
	}
	if got := cli.ErrorMessage(ksef.ErrUnauthorized); got != "ksef: unauthorized" {
		t.Errorf("errorMessage doubles the prefix: %q", got)
	}
}

func TestArgErrorsShowUsage(t *testing.T) {
	c := newCLI(t)
	for _, tc := range []struct {
		args []string
		use  string
	}{
		{[]string{"qr"}, "ksef qr FILE"},
		{[]string{"number", "check"}, "ksef number check NUMBER..."},
		{[]string{"version", "extra"}, "ksef version"},
	} {
		_, _, err := c.Run(tc.args...)
		if err == nil || !strings.Contains(err.Error(), "(usage: "+tc.use) {
			t.Errorf("ksef %v: %v", tc.args, err)
		}
	}
}

// TestHelpExamplesUseValidKSeFNumbers checks every KSeF number quoted in a
// command's help (examples and long text), so that a copied example works.
func TestHelpExamplesUseValidKSeFNumbers(t *testing.T) {
	re := regexp.MustCompile(`\b\d{10}-\d{8}-[0-9A-F]{12}-[0-9A-F]{2}\b`)
	found := 0
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, s := range re.FindAllString(c.Example+"\n"+c.Long, -1) {
			found++
			if _, err := ksef.ParseKSeFNumber(s); err != nil {
				t.Errorf("%s: help quotes %s: %v", c.CommandPath(), s, err)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(NewRoot(&cli.Factory{Stdout: io.Discard, Stderr: io.Discard}))
	if found == 0 {
		t.Error("no KSeF number found in any help text")
	}
}
