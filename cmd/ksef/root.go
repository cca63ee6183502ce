package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ksefsim"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// globals holds the flags shared by every command and the process
// environment the commands use, injectable for tests.
type globals struct {
	output string // "text" or "json"
	// outputFile is the file a command annotated with outputFileAnnotation
	// received through -o (a value other than text and json); empty
	// otherwise.
	outputFile string
	profile    string
	configDir  string
	env        string // test, demo or production
	baseURL    string // overrides env
	verbose    bool

	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	// getenv reads environment variables (os.Getenv by default).
	getenv func(string) string
	// prompt asks for a secret on the terminal; nil when stdin is not a
	// terminal.
	prompt func(label string) (string, error)
	// simOptions are added to the options of the simulators the CLI starts
	// (tests use them to validate and observe the traffic).
	simOptions []ksefsim.Option

	envChanged, baseURLChanged bool
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdin: os.Stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
	if term.IsTerminal(int(os.Stdin.Fd())) {
		g.prompt = func(label string) (string, error) {
			fmt.Fprintf(stderr, "%s: ", label)
			b, err := term.ReadPassword(int(os.Stdin.Fd()))
			fmt.Fprintln(stderr)
			return string(b), err
		}
	}
	return newRoot(g)
}

// outputFileAnnotation marks a command (in cobra.Command.Annotations) that
// accepts its output file through -o: a value of -o other than text and json
// is then the output file, and the report is printed as text.
const outputFileAnnotation = "ksef.outputFile"

// newRoot builds the command tree around g.
func newRoot(g *globals) *cobra.Command {
	if g.getenv == nil {
		g.getenv = func(string) string { return "" }
	}
	if g.stdin == nil {
		g.stdin = strings.NewReader("")
	}
	root := &cobra.Command{
		Use:           "ksef",
		Short:         "Command-line tool for KSeF 2.0, Poland's National e-Invoice System",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			g.outputFile = ""
			if g.output != "text" && g.output != "json" {
				if cmd.Annotations[outputFileAnnotation] == "" || g.output == "" {
					return fmt.Errorf("unknown output format %q (want text or json)", g.output)
				}
				// This command takes its output file through -o as well;
				// its report stays text.
				g.outputFile, g.output = g.output, "text"
			}
			if _, err := ksef.ParseEnvironment(g.env); err != nil {
				return fmt.Errorf("unknown environment %q (want test, demo or production)", g.env)
			}
			g.envChanged = cmd.Flags().Changed("env")
			g.baseURLChanged = cmd.Flags().Changed("base-url")
			return nil
		},
	}
	root.SetOut(g.stdout)
	root.SetErr(g.stderr)
	pf := root.PersistentFlags()
	pf.StringVarP(&g.output, "output", "o", "text", "output format: text or json (invoice render: also the output file, e.g. -o out.pdf)")
	pf.StringVar(&g.profile, "profile", "default", "named profile holding environment and tokens")
	pf.StringVar(&g.configDir, "config-dir", "", "directory for profiles (default: $XDG_CONFIG_HOME/ksef)")
	pf.StringVar(&g.env, "env", "test", "KSeF environment: test, demo or production (production only when given explicitly)")
	pf.StringVar(&g.baseURL, "base-url", "", "API base URL overriding --env, e.g. the simulator's http://127.0.0.1:8080/v2")
	pf.BoolVar(&g.verbose, "verbose", false, "log HTTP exchanges (debug level) to stderr; tokens are redacted")

	root.AddCommand(newVersionCmd(g), newAuthCmd(g), newSimCmd(g), newDemoCmd(g),
		newInvoiceCmd(g), newQRCmd(g), newNumberCmd(g))
	withUsageOnArgErrors(root)
	return root
}

// withUsageOnArgErrors makes cobra's argument-count errors ("accepts 1
// arg(s), received 0"), which name no command, end with the command's usage
// line. Usage is otherwise silenced.
func withUsageOnArgErrors(cmd *cobra.Command) {
	if validate := cmd.Args; validate != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := validate(c, args); err != nil {
				return fmt.Errorf("%w (usage: %s)", err, c.UseLine())
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		withUsageOnArgErrors(sub)
	}
}

// logger returns the logger for --verbose, or a discarding one.
func (g *globals) logger() *slog.Logger {
	if !g.verbose {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// environment returns the environment selected by --env.
func (g *globals) environment() ksef.Environment {
	env, err := ksef.ParseEnvironment(g.env)
	if err != nil {
		return ksef.Test // unreachable: checked in PersistentPreRunE
	}
	return env
}

// emit prints v as indented JSON under -o json, or calls text otherwise.
func (g *globals) emit(v any, text func(w io.Writer)) error {
	if g.output == "json" {
		enc := json.NewEncoder(g.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	text(g.stdout)
	return nil
}

// errorMessage formats err for the "ksef: <message>" line without doubling
// the prefix of SDK errors.
func errorMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "ksef: ")
	return "ksef: " + strings.ReplaceAll(msg, ": ksef: ", ": ")
}

func newVersionCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of ksef and of the KSeF API it targets",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := struct {
				Version    string `json:"version"`
				APIVersion string `json:"apiVersion"`
				Go         string `json:"go"`
			}{Version: version, APIVersion: "2.8.1"}
			if bi, ok := debug.ReadBuildInfo(); ok {
				info.Go = bi.GoVersion
				if version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
					info.Version = bi.Main.Version
				}
			}
			return g.emit(info, func(w io.Writer) {
				fmt.Fprintf(w, "ksef %s (KSeF API %s, %s)\n", info.Version, info.APIVersion, info.Go)
			})
		},
	}
}
