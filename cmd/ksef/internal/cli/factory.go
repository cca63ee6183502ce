// Package cli is what every command area of the ksef command shares: the
// [Factory] (streams, global flags, profiles, the authenticated client of
// the current profile, output in text or JSON) and the root command that
// the areas are registered on.
//
// A command area is a package under cmd/ksef/internal with a constructor of
// type [Area]; adding one is that package plus one line in the list of
// package app.
package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/profile"
	"github.com/ksef2/ksef/ksefsim"
)

// GlobalFlags are the flags every command accepts, set by the root command
// before a command runs.
type GlobalFlags struct {
	// Output is the output format, -o: "text" or "json".
	Output string
	// Profile is the named profile, --profile.
	Profile string
	// ConfigDir holds the profiles file, --config-dir ("" for the default).
	ConfigDir string
	// Env is the KSeF environment, --env: test, demo or production.
	Env string
	// BaseURL overrides Env, --base-url.
	BaseURL string
	// Verbose logs the HTTP exchanges to Stderr, --verbose.
	Verbose bool
	// Timeout is --timeout; the command's default (see [TimeoutOf]) applies
	// unless the flag was given.
	Timeout time.Duration
	// EnvChanged and BaseURLChanged report whether --env and --base-url
	// were given on the command line.
	EnvChanged, BaseURLChanged bool
}

// Factory is what every command area receives: the process's streams and
// environment (injectable for tests), the global flags, and constructors
// for what commands need (profiles, the authenticated client, output).
// A Factory serves one command run; it is not safe for concurrent use.
type Factory struct {
	// Stdin, Stdout and Stderr are the command's streams.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Getenv reads environment variables (os.Getenv in the real command).
	Getenv func(string) string
	// Prompt asks for a secret on the terminal; nil when stdin is not a
	// terminal.
	Prompt func(label string) (string, error)
	// SimOptions are added to the options of the simulators the commands
	// start (tests use them to validate and observe the traffic).
	SimOptions []ksefsim.Option
	// Version is the version of ksef, printed by `ksef version`.
	Version string

	// Flags are the global flags, set when the command line is parsed.
	Flags GlobalFlags

	session *Session
	timeout *timeoutRun
	http    *httpState

	stderrOnce sync.Once
	stderr     *lockedWriter
}

// lockedWriter serialises writes to w: the SDK's client, the embedded
// simulator's handlers and a command's own goroutines may all write to
// stderr at once.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// SyncStderr returns Stderr behind a lock shared by everything that writes
// to it from more than one goroutine (the loggers of [Factory.Logger],
// progress bars). Stderr itself stays as it is, so that a command can
// still ask whether it is a terminal.
func (f *Factory) SyncStderr() io.Writer {
	f.stderrOnce.Do(func() { f.stderr = &lockedWriter{w: f.Stderr} })
	return f.stderr
}

// NewFactory returns the Factory of the real command: the process's
// streams and environment, and a terminal prompt when stdin is a terminal.
func NewFactory(version string) *Factory {
	f := &Factory{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Version: version}
	if term.IsTerminal(int(os.Stdin.Fd())) {
		f.Prompt = func(label string) (string, error) {
			fmt.Fprintf(f.Stderr, "%s: ", label)
			b, err := term.ReadPassword(int(os.Stdin.Fd()))
			fmt.Fprintln(f.Stderr)
			return string(b), err
		}
	}
	return f
}

// defaults fills the fields left nil.
func (f *Factory) defaults() {
	if f.Getenv == nil {
		f.Getenv = func(string) string { return "" }
	}
	if f.Stdin == nil {
		f.Stdin = strings.NewReader("")
	}
	if f.Stdout == nil {
		f.Stdout = io.Discard
	}
	if f.Stderr == nil {
		f.Stderr = io.Discard
	}
	if f.Version == "" {
		f.Version = "dev"
	}
}

// Logger returns the logger to give the SDK clients of a command: it
// writes to Stderr under --verbose (otherwise only KSeF's X-System-Warning
// messages), and remembers the last HTTP exchange either way (a command
// stopped by --timeout names it).
func (f *Factory) Logger() *slog.Logger {
	if f.http == nil {
		f.http = &httpState{}
	}
	h := &httpRecorder{state: f.http, warn: f.SyncStderr()}
	if f.Flags.Verbose {
		h.next = slog.NewTextHandler(f.SyncStderr(), &slog.HandlerOptions{Level: slog.LevelDebug})
	}
	return slog.New(h)
}

// Environment returns the environment selected by --env.
func (f *Factory) Environment() ksef.Environment {
	env, err := ksef.ParseEnvironment(f.Flags.Env)
	if err != nil {
		return ksef.Test // unreachable: checked before any command runs
	}
	return env
}

// JSON reports whether the output format is JSON (-o json).
func (f *Factory) JSON() bool { return f.Flags.Output == "json" }

// Emit prints v as indented JSON under -o json, or calls text with a
// buffer printed to Stdout otherwise. Either way what may have come from a
// server is escaped (see [Sanitize]) before it reaches a terminal.
func (f *Factory) Emit(v any, text func(w io.Writer)) error {
	var buf bytes.Buffer
	if f.JSON() {
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return err
		}
		_, err := f.Stdout.Write(sanitizeJSON(buf.Bytes()))
		return err
	}
	text(&buf)
	_, err := io.WriteString(f.Stdout, Sanitize(buf.String()))
	return err
}

// Profiles opens the profile store of --config-dir.
func (f *Factory) Profiles() (*profile.Store, error) {
	return profile.Open(f.Flags.ConfigDir)
}

// CurrentProfile opens the profile store and reads the profile selected
// with --profile.
func (f *Factory) CurrentProfile() (*profile.Store, *profile.Profile, error) {
	store, err := f.Profiles()
	if err != nil {
		return nil, nil, err
	}
	p, err := store.Get(f.Flags.Profile)
	if err != nil {
		return nil, nil, err
	}
	return store, p, nil
}
