package authcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/profile"
)

func newStatusCmd(f *cli.Factory) *cobra.Command {
	var showTokens, force, local bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Check with KSeF that the profile is logged in; show its environment, context and token validity",
		Long: `Check that the profile is logged in: ask KSeF with a cheap authenticated
call (the first page of the authentication sessions, refreshing the access
token if it expired) and show the profile's environment, context and token
validity. The exit status is non-zero when the profile is not logged in
(no tokens, expired tokens, or tokens KSeF refuses: a revoked session), so

  ksef auth status >/dev/null || ksef auth login ...

logs in only when needed. With --local only the stored profile is read
(no network): it says whether the stored refresh token is still valid, not
whether KSeF still accepts it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, p, err := f.CurrentProfile()
			if err != nil {
				return err
			}
			name := f.Flags.Profile
			refreshed, checked := false, false
			var refused error
			if !local && p.RefreshToken != "" && time.Now().Before(p.RefreshValidUntil) {
				s, err := f.Resume(store, p)
				if err != nil {
					return err
				}
				if force {
					_, err = s.Client.TokenManager().Refresh(cmd.Context(), ksef.Secret(p.AccessToken))
				}
				if err == nil {
					err = checkSession(cmd.Context(), s.Client)
				}
				switch {
				case err == nil:
					checked = true
				case cli.SessionGone(err) || errors.Is(err, errSessionNotListed):
					refused = err
				default:
					return fmt.Errorf("cannot check the session of profile %q with KSeF: %w", name, err)
				}
				if refreshed, err = s.Refreshed(); err != nil {
					return err
				}
			}
			now := time.Now()
			v := view(name, p, showTokens, now)
			v.Refreshed = refreshed
			v.Checked = checked
			if refused != nil {
				v.LoggedIn = false
				v.Note = "KSeF says the session has expired or was revoked"
			} else if local && v.LoggedIn {
				v.Note = "not checked with KSeF (--local)"
			}
			if err := f.Emit(v, func(w io.Writer) { v.printText(w, now) }); err != nil {
				return err
			}
			switch {
			case refused != nil:
				return fmt.Errorf("profile %q is not logged in: KSeF says its session has expired or was revoked; log in again with %s: %w",
					name, profile.LoginHint(name), refused)
			case !v.LoggedIn:
				why := "it holds no tokens"
				if p.RefreshToken != "" {
					why = "its refresh token expired " + p.RefreshValidUntil.UTC().Format(time.RFC3339)
				}
				return fmt.Errorf("profile %q is not logged in (%s): log in with %s", name, why, profile.LoginHint(name))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&showTokens, "show-tokens", false, "print the access and refresh tokens")
	cmd.Flags().BoolVar(&force, "refresh", false, "refresh the access token even if it is still valid")
	cmd.Flags().BoolVar(&local, "local", false, "only read the stored profile, without asking KSeF")
	cmd.MarkFlagsMutuallyExclusive("local", "refresh")
	return cmd
}

// errSessionNotListed: KSeF accepts the access token but does not list its
// session among the active ones: the session was revoked (KSeF keeps the
// access tokens of a revoked session valid until they expire, but refuses
// to refresh them).
var errSessionNotListed = errors.New("KSeF does not list the session among the active ones (revoked)")

// checkSession asks KSeF whether the session of c is active: the list of
// active authentication sessions, 10 a page (cheap, needs no permission),
// must contain the current one. The client refreshes an expired access
// token by itself.
func checkSession(ctx context.Context, c *ksef.AuthenticatedClient) error {
	for it, err := range c.AuthSessions.ListAll(ctx, &ksef.ListSessionsParams{PageSize: 10}) {
		if err != nil {
			return err
		}
		if it.IsCurrent {
			return nil
		}
	}
	return errSessionNotListed
}

func newSessionsCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "sessions",
		Short: "List the active authentication sessions of the profile's context",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := f.Session()
			if err != nil {
				return err
			}
			items := []ksef.AuthenticationListItem{}
			for it, err := range s.Client.AuthSessions.ListAll(cmd.Context(), nil) {
				if err != nil {
					return cli.RefreshError(err)
				}
				items = append(items, it)
			}
			out := struct {
				Profile  string                        `json:"profile"`
				Sessions []ksef.AuthenticationListItem `json:"sessions"`
			}{f.Flags.Profile, items}
			return f.Emit(out, func(w io.Writer) { printSessions(w, items) })
		},
	}
}

// printSessions writes a table of authentication sessions, the current one
// flagged with "*".
func printSessions(w io.Writer, items []ksef.AuthenticationListItem) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CURRENT\tREFERENCE\tSTARTED\tMETHOD\tSTATUS\tREFRESH VALID UNTIL")
	for _, it := range items {
		cur := ""
		if it.IsCurrent {
			cur = "*"
		}
		until := "-"
		if it.RefreshTokenValidUntil != nil {
			until = it.RefreshTokenValidUntil.UTC().Format(time.RFC3339)
		}
		method := it.AuthenticationMethodInfo.Code
		if method == "" {
			method = string(it.AuthenticationMethod)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", cur, it.ReferenceNumber,
			it.StartDate.UTC().Format(time.RFC3339), method, it.Status.Code, until)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d session(s)\n", len(items))
}

func newLogoutCmd(f *cli.Factory) *cobra.Command {
	var local bool
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Revoke the current authentication session on the server and delete the stored tokens",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, p, err := f.CurrentProfile()
			if err != nil {
				return err
			}
			out := struct {
				Profile         string `json:"profile"`
				ReferenceNumber string `json:"referenceNumber,omitempty"`
				Revoked         bool   `json:"revoked"`
				TokensDeleted   bool   `json:"tokensDeleted"`
				Note            string `json:"note,omitempty"`
			}{Profile: f.Flags.Profile, ReferenceNumber: p.AuthReference}
			switch {
			case p.RefreshToken == "" && p.AccessToken == "":
				out.Note = "not logged in"
			case local:
				out.Note = "session not revoked on the server (--local)"
			default:
				s, err := f.Resume(store, p)
				if err != nil {
					return err
				}
				err = s.Client.Logout(cmd.Context())
				switch {
				case err == nil:
					out.Revoked = true
				case cli.SessionGone(err):
					out.Note = "the session had already expired or been revoked"
				default:
					return fmt.Errorf("cannot revoke the session (tokens kept; use --local to delete them anyway): %w", err)
				}
			}
			if p.RefreshToken != "" || p.AccessToken != "" {
				p.AccessToken, p.AccessValidUntil = "", time.Time{}
				p.RefreshToken, p.RefreshValidUntil = "", time.Time{}
				if err := store.Put(f.Flags.Profile, p); err != nil {
					return err
				}
				out.TokensDeleted = true
			}
			return f.Emit(out, func(w io.Writer) {
				switch {
				case out.Revoked:
					fmt.Fprintf(w, "Session %s revoked; tokens of profile %q deleted\n", out.ReferenceNumber, out.Profile)
				case out.TokensDeleted:
					fmt.Fprintf(w, "Tokens of profile %q deleted (%s)\n", out.Profile, out.Note)
				default:
					fmt.Fprintf(w, "Profile %q: %s\n", out.Profile, out.Note)
				}
			})
		},
	}
	cmd.Flags().BoolVar(&local, "local", false, "only delete the stored tokens, without contacting KSeF")
	return cmd
}

// profileSummary is one row of `ksef auth profiles`.
type profileSummary struct {
	Name              string       `json:"name"`
	Current           bool         `json:"current"`
	Environment       string       `json:"environment"`
	BaseURL           string       `json:"baseUrl"`
	Context           *ContextView `json:"context,omitempty"`
	LoggedIn          bool         `json:"loggedIn"`
	RefreshValidUntil *time.Time   `json:"refreshValidUntil,omitempty"`
}

func newProfilesCmd(f *cli.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "profiles",
		Short: "List the stored profiles (the one selected by --profile marked *)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := f.Profiles()
			if err != nil {
				return err
			}
			m, err := store.Load()
			if err != nil {
				return err
			}
			now := time.Now()
			rows := []profileSummary{}
			for _, name := range slices.Sorted(maps.Keys(m)) {
				p := m[name]
				if p == nil {
					continue
				}
				v := view(name, p, false, now)
				r := profileSummary{Name: name, Current: name == f.Flags.Profile, Environment: p.Environment,
					BaseURL: p.BaseURL, Context: v.Context, LoggedIn: v.LoggedIn}
				if p.RefreshToken != "" {
					r.RefreshValidUntil = &p.RefreshValidUntil
				}
				rows = append(rows, r)
			}
			return f.Emit(struct {
				Profiles []profileSummary `json:"profiles"`
			}{rows}, func(w io.Writer) {
				tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "CURRENT\tPROFILE\tENVIRONMENT\tBASE URL\tCONTEXT\tLOGGED IN")
				for _, r := range rows {
					cur, ctx, in := "", "-", "no"
					if r.Current {
						cur = "*"
					}
					if r.Context != nil {
						ctx = r.Context.Type + " " + r.Context.Value
					}
					if r.LoggedIn {
						in = "until " + r.RefreshValidUntil.UTC().Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", cur, r.Name, r.Environment, r.BaseURL, ctx, in)
				}
				tw.Flush()
			})
		},
	}
}
