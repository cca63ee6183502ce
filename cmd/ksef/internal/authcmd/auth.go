// Package authcmd is the `ksef auth` command area: logging in with a
// certificate or a KSeF token, the status and list of authentication
// sessions, logging out, and the stored profiles.
package authcmd

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/profile"
)

// Environment variables read by `ksef auth login`.
const (
	envKeyPassword = "KSEF_KEY_PASSWORD" // password of an encrypted key or PKCS#12 file
	envToken       = "KSEF_TOKEN"        // KSeF token
)

// New is the `ksef auth` area.
func New(f *cli.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth",
		Short: "Log in to KSeF, inspect and end authentication sessions",
	}
	// Login waits for KSeF to verify the credentials: cli.DefaultTimeout.
	cmd.AddCommand(newLoginCmd(f),
		cli.SetTimeout(newChallengeCmd(f), cli.StatusTimeout),
		cli.SetTimeout(newStatusCmd(f), cli.StatusTimeout),
		cli.SetTimeout(newSessionsCmd(f), cli.StatusTimeout),
		cli.SetTimeout(newLogoutCmd(f), cli.StatusTimeout),
		cli.SetTimeout(newProfilesCmd(f), cli.NoTimeout))
	return cmd
}

// TokenView describes a stored token; the token text is included only on
// request.
type TokenView struct {
	ValidUntil time.Time `json:"validUntil"`
	Valid      bool      `json:"valid"`
	Token      string    `json:"token,omitempty"`
}

// ContextView is the context a profile is logged in to.
type ContextView struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// View is the output of `auth login` and `auth status`.
type View struct {
	Profile         string       `json:"profile"`
	Environment     string       `json:"environment"`
	BaseURL         string       `json:"baseUrl"`
	Context         *ContextView `json:"context,omitempty"`
	AuthMethod      string       `json:"authMethod,omitempty"`
	ReferenceNumber string       `json:"referenceNumber,omitempty"`
	LoggedIn        bool         `json:"loggedIn"`
	Refreshed       bool         `json:"refreshed,omitempty"`
	// Checked reports that KSeF accepted the tokens just now (auth status
	// without --local).
	Checked bool `json:"checked,omitempty"`
	// Note explains the status, e.g. why the profile is not logged in.
	Note         string     `json:"note,omitempty"`
	AccessToken  *TokenView `json:"accessToken,omitempty"`
	RefreshToken *TokenView `json:"refreshToken,omitempty"`
}

// view describes profile p stored under name.
func view(name string, p *profile.Profile, showTokens bool, now time.Time) *View {
	v := &View{
		Profile:         name,
		Environment:     p.Environment,
		BaseURL:         p.BaseURL,
		AuthMethod:      p.AuthMethod,
		ReferenceNumber: p.AuthReference,
	}
	if p.ContextType != "" {
		v.Context = &ContextView{Type: p.ContextType, Value: p.ContextValue}
	}
	tv := func(tok string, until time.Time) *TokenView {
		if tok == "" {
			return nil
		}
		t := &TokenView{ValidUntil: until, Valid: now.Before(until)}
		if showTokens {
			t.Token = tok
		}
		return t
	}
	v.AccessToken = tv(p.AccessToken, p.AccessValidUntil)
	v.RefreshToken = tv(p.RefreshToken, p.RefreshValidUntil)
	v.LoggedIn = v.RefreshToken != nil && v.RefreshToken.Valid
	return v
}

func (v *View) printText(w io.Writer, now time.Time) {
	fmt.Fprintf(w, "Profile:        %s\n", v.Profile)
	fmt.Fprintf(w, "Environment:    %s\n", v.Environment)
	fmt.Fprintf(w, "Base URL:       %s\n", v.BaseURL)
	if v.Context != nil {
		fmt.Fprintf(w, "Context:        %s %s\n", v.Context.Type, v.Context.Value)
	}
	if v.AuthMethod != "" {
		fmt.Fprintf(w, "Authenticated:  %s\n", v.AuthMethod)
	}
	if v.ReferenceNumber != "" {
		fmt.Fprintf(w, "Reference:      %s\n", v.ReferenceNumber)
	}
	status := "logged in"
	switch {
	case !v.LoggedIn:
		status = "not logged in"
	case v.Refreshed:
		status = "logged in (checked with KSeF; access token refreshed)"
	case v.Checked:
		status = "logged in (checked with KSeF)"
	}
	if v.Note != "" {
		status += "; " + v.Note
	}
	fmt.Fprintf(w, "Status:         %s\n", status)
	for _, t := range []struct {
		name string
		v    *TokenView
	}{{"Access token: ", v.AccessToken}, {"Refresh token:", v.RefreshToken}} {
		if t.v == nil {
			continue
		}
		fmt.Fprintf(w, "%s  %s\n", t.name, validity(t.v.ValidUntil, now))
		if t.v.Token != "" {
			fmt.Fprintf(w, "               %s\n", t.v.Token)
		}
	}
}

// validity describes an expiry time relative to now.
func validity(until, now time.Time) string {
	ts := until.UTC().Format(time.RFC3339)
	if !now.Before(until) {
		return "expired " + ts
	}
	return fmt.Sprintf("valid until %s (%s left)", ts, human(until.Sub(now)))
}

// human formats a positive duration briefly: "14m59s", "6d23h59m".
func human(d time.Duration) string {
	if d < 48*time.Hour {
		return d.Round(time.Second).String()
	}
	d = d.Round(time.Minute)
	days := d / (24 * time.Hour)
	rest := d - days*24*time.Hour
	return fmt.Sprintf("%dd%dh%dm", days, rest/time.Hour, (rest%time.Hour)/time.Minute)
}
