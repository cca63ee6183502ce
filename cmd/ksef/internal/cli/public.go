package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
)

// PublicClient returns an unauthenticated client for the public operations
// (test data, Peppol): the server of --base-url or --env when given,
// otherwise the server of the current profile, otherwise --env's default
// (TEST).
func (f *Factory) PublicClient() (*ksef.Client, error) {
	env, baseURL := f.Environment(), f.Flags.BaseURL
	if !f.Flags.EnvChanged && !f.Flags.BaseURLChanged {
		if _, p, err := f.CurrentProfile(); err == nil && p.BaseURL != "" {
			if e, err := ksef.ParseEnvironment(p.Environment); err == nil {
				env = e
			}
			baseURL = p.BaseURL
		}
	}
	opts := []ksef.Option{ksef.WithEnvironment(env), ksef.WithLogger(f.Logger())}
	if baseURL != "" {
		opts = append(opts, ksef.WithBaseURL(baseURL))
	}
	return ksef.NewClient(opts...)
}

// CompleteValues registers shell completion of flag name of cmd with
// values (matched case-insensitively by prefix; no file names).
func CompleteValues(cmd *cobra.Command, name string, values ...string) {
	_ = cmd.RegisterFlagCompletionFunc(name, func(_ *cobra.Command, _ []string, prefix string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, v := range values {
			if strings.HasPrefix(strings.ToLower(v), strings.ToLower(prefix)) {
				out = append(out, v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
}

// MatchValue returns the value of values equal to s ignoring case, or
// false.
func MatchValue(s string, values ...string) (string, bool) {
	for _, v := range values {
		if strings.EqualFold(s, v) {
			return v, true
		}
	}
	return "", false
}
