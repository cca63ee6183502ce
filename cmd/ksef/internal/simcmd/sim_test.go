package simcmd

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef/cmd/ksef/internal/authcmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/ksefsim"
)

// newCLI runs the sim and auth commands in-process with a private
// configuration directory.
func newCLI(t *testing.T) *clitest.CLI { return clitest.New(t, New, authcmd.New) }

func TestSimServe(t *testing.T) {
	c := newCLI(t)
	c.SimOptions = []ksefsim.Option{clitest.ContractOption(t)}
	idDir := filepath.Join(t.TempDir(), "identity")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := &clitest.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		_, _, err := c.RunTo(ctx, out, &clitest.SyncBuffer{}, "sim", "serve", "--addr", "127.0.0.1:0", "--identity-dir", idDir,
			"--processing-delay", "300ms", "-o", "json")
		done <- err
	}()
	var info simInfo
	for {
		if err := json.Unmarshal([]byte(out.String()), &info); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("sim serve ended: %v\n%s", err, out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/v2$`).MatchString(info.BaseURL) {
		t.Errorf("base URL %q", info.BaseURL)
	}
	if fi, err := os.Stat(info.Identity.KeyFile); err != nil || fi.Mode().Perm() != 0o600 || filepath.Dir(info.Identity.KeyFile) != idDir {
		t.Errorf("key file %s: %v %v", info.Identity.KeyFile, fi, err)
	}
	// The printed command logs in.
	args := strings.Fields(info.Login)
	if args[0] != "ksef" {
		t.Fatalf("login command %q", info.Login)
	}
	login := newCLI(t)
	jsonOut, stderr, err := login.Run(append(args[1:], "-o", "json", "--verbose")...)
	if err != nil {
		t.Fatalf("login with the printed command: %v\n%s", err, stderr)
	}
	v := clitest.DecodeJSON[authcmd.View](t, jsonOut)
	if !v.LoggedIn || v.Context.Value != info.Identity.NIP || v.BaseURL != info.BaseURL {
		t.Errorf("login with the printed command: %+v", v)
	}
	// --processing-delay: the authentication stayed in progress for a while.
	if n := strings.Count(stderr, "path=/auth/{referenceNumber} status=200"); n < 2 {
		t.Errorf("authentication status polled %d times, want several with --processing-delay:\n%s", n, stderr)
	}
	login.MustRun("auth", "logout")
	cancel()
	if err := <-done; err != nil {
		t.Errorf("sim serve after cancel: %v", err)
	}

	// Text output names the URL and the command.
	ctx2, cancel2 := context.WithCancel(t.Context())
	text := &clitest.SyncBuffer{}
	go func() {
		_, _, err := c.RunTo(ctx2, text, &clitest.SyncBuffer{}, "sim", "serve", "--addr", "127.0.0.1:0", "--processing-delay", "1ms", "--no-rate-limits")
		done <- err
	}()
	for !strings.Contains(text.String(), "Ctrl+C") {
		select {
		case err := <-done:
			t.Fatalf("sim serve ended: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel2()
	<-done
	for _, want := range []string{"/v2", "ksef auth login --base-url http://127.0.0.1:", "--nip "} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("sim serve output lacks %q:\n%s", want, text.String())
		}
	}
	// Without --identity-dir the identity lives in a temporary directory
	// that is removed when the simulator stops.
	if m := regexp.MustCompile(`private key: (\S+)`).FindStringSubmatch(text.String()); m == nil {
		t.Errorf("no private key path in:\n%s", text.String())
	} else if _, err := os.Stat(filepath.Dir(m[1])); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temporary identity directory %s left behind: %v", filepath.Dir(m[1]), err)
	}
	if _, _, err := c.Run("sim", "serve", "--addr", "256.0.0.1:x"); err == nil || !strings.Contains(err.Error(), "cannot listen") {
		t.Errorf("bad --addr: %v", err)
	}
}

// TestIdentityDirPermissions runs `sim serve --identity-dir` on an
// existing directory of mode 0755 holding a key.pem of mode 0644: the key
// is replaced by one of mode 0600 and the directory restricted to 0700.
func TestIdentityDirPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "identity")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "key.pem")
	if err := os.WriteFile(keyFile, []byte("old key"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(keyFile, 0o644); err != nil {
		t.Fatal(err)
	}
	c := newCLI(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := &clitest.SyncBuffer{}
	done := make(chan error, 1)
	go func() {
		_, _, err := c.RunTo(ctx, out, &clitest.SyncBuffer{}, "sim", "serve", "--addr", "127.0.0.1:0", "--identity-dir", dir, "-o", "json")
		done <- err
	}()
	var info simInfo
	for json.Unmarshal([]byte(out.String()), &info) != nil {
		select {
		case err := <-done:
			t.Fatalf("sim serve ended: %v\n%s", err, out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	<-done
	fi, err := os.Stat(keyFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key.pem: %v %v, want mode 0600", fi.Mode(), err)
	}
	if b, _ := os.ReadFile(keyFile); !strings.Contains(string(b), "PRIVATE KEY") {
		t.Errorf("key.pem was not replaced: %q", b)
	}
	if di, err := os.Stat(dir); err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("identity directory: %v %v, want mode 0700", di.Mode(), err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".key.pem-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
