package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// globals holds the flags shared by every command.
type globals struct {
	output    string // "text" or "json"
	profile   string
	configDir string
	stdout    io.Writer
	stderr    io.Writer
}

func newRootCmd(stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdout: stdout, stderr: stderr}
	root := &cobra.Command{
		Use:           "ksef",
		Short:         "Command-line tool for KSeF 2.0, Poland's National e-Invoice System",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if g.output != "text" && g.output != "json" {
				return fmt.Errorf("unknown output format %q (want text or json)", g.output)
			}
			return nil
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	pf := root.PersistentFlags()
	pf.StringVarP(&g.output, "output", "o", "text", "output format: text or json")
	pf.StringVar(&g.profile, "profile", "default", "named profile holding environment and tokens")
	pf.StringVar(&g.configDir, "config-dir", "", "directory for profiles (default: $XDG_CONFIG_HOME/ksef)")

	root.AddCommand(newVersionCmd(g))
	return root
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
