package cli

import (
	"context"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
)

// Area builds the top-level command of one command area (with its
// subcommands) around the shared Factory.
type Area func(f *Factory) *cobra.Command

// NewRoot builds the ksef command with the global flags and the commands of
// areas, in that order, around f.
func NewRoot(f *Factory, areas ...Area) *cobra.Command {
	f.defaults()
	root := &cobra.Command{
		Use:           "ksef",
		Short:         "Command-line tool for KSeF 2.0, Poland's National e-Invoice System",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(cmd, f.Flags.Output); err != nil {
				return err
			}
			if _, err := ksef.ParseEnvironment(f.Flags.Env); err != nil {
				return fmt.Errorf("unknown environment %q (want test, demo or production)", f.Flags.Env)
			}
			f.Flags.EnvChanged = cmd.Flags().Changed("env")
			f.Flags.BaseURLChanged = cmd.Flags().Changed("base-url")
			if f.Flags.Timeout < 0 {
				return fmt.Errorf("--timeout %s: must not be negative (0 waits without limit)", f.Flags.Timeout)
			}
			f.startTimeout(cmd)
			return nil
		},
	}
	root.SetOut(f.Stdout)
	root.SetErr(f.Stderr)
	pf := root.PersistentFlags()
	pf.StringVarP(&f.Flags.Output, "output", "o", "text", "output format: text or json (files are written with --out)")
	pf.StringVar(&f.Flags.Profile, "profile", "default", "named profile holding environment and tokens")
	pf.StringVar(&f.Flags.ConfigDir, "config-dir", "", "directory for profiles (default: $XDG_CONFIG_HOME/ksef)")
	pf.StringVar(&f.Flags.Env, "env", "test", "KSeF environment: test, demo or production (production only when given explicitly)")
	pf.StringVar(&f.Flags.BaseURL, "base-url", "", "API base URL overriding --env, e.g. the simulator's http://127.0.0.1:8080/v2")
	pf.BoolVar(&f.Flags.Verbose, "verbose", false, "log HTTP exchanges (debug level) to stderr; tokens are redacted")
	pf.DurationVar(&f.Flags.Timeout, "timeout", 0, "give up after this long, e.g. 30s or 5m; 0 waits without limit (default per command: "+
		DefaultTimeout.String()+" for auth login and other commands talking to KSeF, "+StatusTimeout.String()+" for auth status, sessions and logout, none for sim serve, demo and offline commands)")

	for _, a := range areas {
		root.AddCommand(a(f))
	}
	withUsageOnArgErrors(root)
	return root
}

// checkOutput accepts -o text and -o json only. -o is never a file: a
// command that writes files takes them with --out, which the error names.
func checkOutput(cmd *cobra.Command, output string) error {
	if output == "text" || output == "json" {
		return nil
	}
	if cmd.Flags().Lookup("out") != nil {
		return fmt.Errorf("unknown output format %q (want text or json; -o is the output format only: to write a file, use --out FILE)", output)
	}
	return fmt.Errorf("unknown output format %q (want text or json)", output)
}

// Execute runs root with args in ctx and then closes f (storing what the
// command left to store). It returns the error to print with
// [ErrorMessage].
func Execute(ctx context.Context, f *Factory, root *cobra.Command, args []string) error {
	root.SetArgs(args)
	err := f.stopTimeout(root.ExecuteContext(ctx))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
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

// ErrorMessage formats err for the "ksef: <message>" line without doubling
// the prefix of SDK errors. Control characters that a server may have put
// into the message are escaped (see [Sanitize]).
func ErrorMessage(err error) string {
	msg := strings.TrimPrefix(err.Error(), "ksef: ")
	return Sanitize("ksef: " + strings.ReplaceAll(msg, ": ksef: ", ": "))
}

// NewVersionCmd is the area of `ksef version`.
func NewVersionCmd(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of ksef and of the KSeF API it targets",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			info := struct {
				Version    string `json:"version"`
				APIVersion string `json:"apiVersion"`
				Go         string `json:"go"`
			}{Version: f.Version, APIVersion: "2.8.1"}
			if bi, ok := debug.ReadBuildInfo(); ok {
				info.Go = bi.GoVersion
				if f.Version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
					info.Version = bi.Main.Version
				}
			}
			return f.Emit(info, func(w io.Writer) {
				fmt.Fprintf(w, "ksef %s (KSeF API %s, %s)\n", info.Version, info.APIVersion, info.Go)
			})
		},
	}
}
