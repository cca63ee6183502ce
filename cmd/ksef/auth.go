package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
)

// Environment variables read by `ksef auth login`.
const (
	envKeyPassword = "KSEF_KEY_PASSWORD" // password of an encrypted key or PKCS#12 file
	envToken       = "KSEF_TOKEN"        // KSeF token
)

func newAuthCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "auth",
		Short: "Log in to KSeF, inspect and end authentication sessions",
	}
	cmd.AddCommand(newLoginCmd(g), newStatusCmd(g), newSessionsCmd(g), newLogoutCmd(g), newProfilesCmd(g))
	return cmd
}

// tokenView describes a stored token; the token text is included only on
// request.
type tokenView struct {
	ValidUntil time.Time `json:"validUntil"`
	Valid      bool      `json:"valid"`
	Token      string    `json:"token,omitempty"`
}

// contextView is the context a profile is logged in to.
type contextView struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

// authView is the output of `auth login` and `auth status`.
type authView struct {
	Profile         string       `json:"profile"`
	Environment     string       `json:"environment"`
	BaseURL         string       `json:"baseUrl"`
	Context         *contextView `json:"context,omitempty"`
	AuthMethod      string       `json:"authMethod,omitempty"`
	ReferenceNumber string       `json:"referenceNumber,omitempty"`
	LoggedIn        bool         `json:"loggedIn"`
	Refreshed       bool         `json:"refreshed,omitempty"`
	AccessToken     *tokenView   `json:"accessToken,omitempty"`
	RefreshToken    *tokenView   `json:"refreshToken,omitempty"`
}

func (g *globals) view(p *profile, showTokens bool, now time.Time) *authView {
	v := &authView{
		Profile:         g.profile,
		Environment:     p.Environment,
		BaseURL:         p.BaseURL,
		AuthMethod:      p.AuthMethod,
		ReferenceNumber: p.AuthReference,
	}
	if p.ContextType != "" {
		v.Context = &contextView{Type: p.ContextType, Value: p.ContextValue}
	}
	tv := func(tok string, until time.Time) *tokenView {
		if tok == "" {
			return nil
		}
		t := &tokenView{ValidUntil: until, Valid: now.Before(until)}
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

func (v *authView) printText(w io.Writer, now time.Time) {
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
	if !v.LoggedIn {
		fmt.Fprintln(w, "Status:         not logged in")
	} else if v.Refreshed {
		fmt.Fprintln(w, "Status:         logged in (access token refreshed)")
	} else {
		fmt.Fprintln(w, "Status:         logged in")
	}
	for _, t := range []struct {
		name string
		v    *tokenView
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

type loginFlags struct {
	cert, key, p12, token, keyPassword  string
	nip, internalID, nipVatUe, peppolID string
	subject                             string
	showTokens, verifyChain             bool
}

func newLoginCmd(g *globals) *cobra.Command {
	var f loginFlags
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in with a certificate (PEM or PKCS#12) or a KSeF token and store the tokens in the profile",
		Long: `Log in to KSeF and store the access and refresh tokens in the profile
(a file readable only by you). Tokens are never printed unless --show-tokens.

Credentials, one of:
  --cert FILE [--key FILE]   certificate and private key in PEM (the key may be in
                             the certificate file); an encrypted key's password
                             is read from --key-password, $KSEF_KEY_PASSWORD or
                             asked for on the terminal
  --p12 FILE                 PKCS#12 file; password as above
  --token TOKEN              KSeF token; better: set $KSEF_TOKEN (keeps it out of
                             the shell history) and omit --token, or pass
                             --token - to read it from standard input

Context, one of --nip, --internal-id, --nip-vat-ue, --peppol-id. With a
certificate that carries a NIP, the context defaults to that NIP.

Server: --env or --base-url; without them, logging in again to an existing
profile uses the server it was logged in to (production must be named
with --env production every time), and a new profile uses TEST.`,
		Example: `  ksef auth login --cert cert.pem --key key.pem --nip 5261040828
  KSEF_TOKEN=... ksef auth login --nip 5261040828 --profile token
  ksef auth login --base-url http://127.0.0.1:8080/v2 --p12 seal.p12`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.runLogin(cmd.Context(), &f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.cert, "cert", "", "certificate file (PEM; may also hold the key)")
	fl.StringVar(&f.key, "key", "", "private key file (PEM)")
	fl.StringVar(&f.p12, "p12", "", "PKCS#12 file with certificate and key")
	fl.StringVar(&f.keyPassword, "key-password", "", "password of an encrypted key or PKCS#12 file (prefer $"+envKeyPassword+" or the terminal prompt)")
	fl.StringVar(&f.token, "token", "", "KSeF token, or - to read it from stdin (prefer $"+envToken+")")
	fl.StringVar(&f.nip, "nip", "", "context: NIP")
	fl.StringVar(&f.internalID, "internal-id", "", "context: internal identifier ({nip}-{5 digits})")
	fl.StringVar(&f.nipVatUe, "nip-vat-ue", "", "context: NIP + EU VAT number ({nip}-{vat ue})")
	fl.StringVar(&f.peppolID, "peppol-id", "", "context: Peppol provider identifier")
	fl.StringVar(&f.subject, "subject", "subject", "how KSeF identifies the certificate: subject or fingerprint")
	fl.BoolVar(&f.showTokens, "show-tokens", false, "print the access and refresh tokens")
	fl.BoolVar(&f.verifyChain, "verify-chain", false, "ask KSeF to verify the certificate chain")
	return cmd
}

// context returns the context chosen by the context flags, or a zero
// value when none was given.
func (f *loginFlags) context() (ksef.ContextIdentifier, error) {
	var (
		set   []ksef.ContextIdentifier
		flags []string
	)
	add := func(flag, value string, mk func(string) ksef.ContextIdentifier) {
		if value != "" {
			set, flags = append(set, mk(strings.TrimSpace(value))), append(flags, flag)
		}
	}
	add("--nip", f.nip, ksef.NIPContext)
	add("--internal-id", f.internalID, ksef.InternalIDContext)
	add("--nip-vat-ue", f.nipVatUe, ksef.NipVatUeContext)
	add("--peppol-id", f.peppolID, ksef.PeppolIDContext)
	switch len(set) {
	case 0:
		return ksef.ContextIdentifier{}, nil
	case 1:
		if err := ksef.ValidateContext(set[0]); err != nil {
			return ksef.ContextIdentifier{}, fmt.Errorf("invalid context %s: %s", flags[0], strings.TrimPrefix(err.Error(), "ksef: "))
		}
		return set[0], nil
	}
	return ksef.ContextIdentifier{}, errors.New("give only one of --nip, --internal-id, --nip-vat-ue, --peppol-id")
}

const missingContext = "missing context: use --nip, --internal-id, --nip-vat-ue or --peppol-id"

func (g *globals) runLogin(ctx context.Context, f *loginFlags) error {
	ctxID, err := f.context()
	if err != nil {
		return err
	}
	var subject ksef.AuthSubjectIdentifierType
	switch f.subject {
	case "subject", "certificateSubject":
		subject = ksef.AuthSubjectCertificateSubject
	case "fingerprint", "certificateFingerprint":
		subject = ksef.AuthSubjectCertificateFingerprint
	default:
		return fmt.Errorf("unknown --subject %q (want subject or fingerprint)", f.subject)
	}
	useCert := f.cert != "" || f.p12 != ""
	switch {
	case f.cert != "" && f.p12 != "":
		return errors.New("give either --cert (PEM) or --p12, not both")
	case f.key != "" && f.cert == "":
		return errors.New("--key needs --cert")
	case useCert && f.token != "":
		return errors.New("give either a certificate (--cert/--p12) or --token, not both")
	}
	token := f.token
	if !useCert && token == "" {
		token = g.getenv(envToken)
	}
	if token == "-" {
		line, err := bufio.NewReader(g.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("cannot read the KSeF token from stdin: %w", err)
		}
		if token = strings.TrimSpace(line); token == "" {
			return errors.New("--token -: no KSeF token on stdin")
		}
	}
	if !useCert && token == "" {
		return errors.New("nothing to log in with: use --cert and --key, --p12, or --token (or set " + envToken + ")")
	}

	store, err := g.profiles()
	if err != nil {
		return err
	}
	env, baseURL := g.environment(), g.baseURL
	if !g.envChanged && !g.baseURLChanged {
		// Logging in again to a stored profile goes to the server the
		// profile was logged in to (e.g. the simulator), not to the
		// default environment; production still has to be named.
		m, err := store.load()
		if err != nil {
			return err
		}
		if old := m[g.profile]; old != nil && old.BaseURL != "" {
			if e, err := ksef.ParseEnvironment(old.Environment); err == nil {
				if e == ksef.Production {
					return fmt.Errorf("profile %q was logged in to production: give --env production to log in to it again", g.profile)
				}
				env = e
			}
			baseURL = old.BaseURL
		}
	}
	opts := []ksef.Option{ksef.WithEnvironment(env), ksef.WithLogger(g.logger())}
	if baseURL != "" {
		opts = append(opts, ksef.WithBaseURL(baseURL))
	}
	c, err := ksef.NewClient(opts...)
	if err != nil {
		return err
	}

	var (
		a      *ksef.AuthenticatedClient
		method string
	)
	if useCert {
		creds, m, err := g.loadCredentials(f)
		if err != nil {
			return err
		}
		method = m
		if ctxID.Type == "" {
			id := credentials.Identity(creds.Certificate)
			if id.Kind != credentials.IdentityNIP {
				return errors.New(missingContext + " (the certificate carries no NIP)")
			}
			ctxID = ksef.NIPContext(id.Value)
		}
		a, err = c.Auth.LoginWithCertificate(ctx, ctxID, creds.Certificate, creds.Signer,
			&ksef.LoginParams{SubjectIdentifierType: subject, VerifyCertificateChain: f.verifyChain})
		if err != nil {
			if errors.Is(err, ksef.ErrAuthNoPermissions) {
				id := credentials.Identity(creds.Certificate)
				return fmt.Errorf("login with certificate failed: %w; the certificate (%s %s) has no permissions in context %s %s",
					err, id.Kind, id.Value, ctxID.Type, ctxID.Value)
			}
			return fmt.Errorf("login with certificate failed: %w", err)
		}
	} else {
		if ctxID.Type == "" {
			return errors.New(missingContext)
		}
		method = "KSeF token"
		a, err = c.Auth.LoginWithToken(ctx, ctxID, ksef.Secret(strings.TrimSpace(token)), nil)
		if err != nil {
			return fmt.Errorf("login with KSeF token failed: %w", err)
		}
	}
	access, refresh := a.TokenManager().Tokens()
	p := &profile{
		Environment:       env.String(),
		BaseURL:           c.BaseURL(),
		ContextType:       string(ctxID.Type),
		ContextValue:      ctxID.Value,
		AuthReference:     a.ReferenceNumber,
		AuthMethod:        method,
		LoggedInAt:        time.Now().UTC(),
		AccessToken:       access.Token.Reveal(),
		AccessValidUntil:  access.ValidUntil,
		RefreshToken:      refresh.Token.Reveal(),
		RefreshValidUntil: refresh.ValidUntil,
	}
	if err := store.put(g.profile, p); err != nil {
		return fmt.Errorf("logged in, but cannot store the tokens: %w", err)
	}
	now := time.Now()
	v := g.view(p, f.showTokens, now)
	return g.emit(v, func(w io.Writer) {
		fmt.Fprintf(w, "Logged in; tokens stored in %s\n", store.path)
		v.printText(w, now)
	})
}

// loadCredentials loads the certificate and key named by the flags, asking
// for a password when the key is encrypted. It returns a description of the
// login method.
func (g *globals) loadCredentials(f *loginFlags) (*credentials.Credentials, string, error) {
	files := []struct{ flag, path string }{{"--cert", f.cert}, {"--key", f.key}, {"--p12", f.p12}}
	for _, fl := range files {
		if fl.path == "" {
			continue
		}
		fh, err := os.Open(fl.path)
		if err != nil {
			return nil, "", fmt.Errorf("cannot read %s file: %w", fl.flag, err)
		}
		fh.Close()
	}
	file, method := f.cert, "XAdES (PEM certificate)"
	load := func(pw string) (*credentials.Credentials, error) {
		return credentials.LoadFile(f.cert, f.key, pw)
	}
	if f.p12 != "" {
		file, method = f.p12, "XAdES (PKCS#12 certificate)"
		load = func(pw string) (*credentials.Credentials, error) {
			return credentials.LoadPKCS12File(f.p12, pw)
		}
	}
	pw, source := f.keyPassword, "--key-password"
	if pw == "" {
		pw, source = g.getenv(envKeyPassword), "$"+envKeyPassword
	}
	creds, err := load(pw)
	if errors.Is(err, credentials.ErrPassword) {
		switch {
		case pw != "":
			return nil, "", fmt.Errorf("wrong password for %s (from %s)", file, source)
		case g.prompt == nil:
			return nil, "", fmt.Errorf("%s is password-protected: set $%s (or run in a terminal to be asked)", file, envKeyPassword)
		}
		if pw, err = g.prompt("Password for " + file); err != nil {
			return nil, "", fmt.Errorf("cannot read the password: %w", err)
		}
		if creds, err = load(pw); errors.Is(err, credentials.ErrPassword) {
			return nil, "", fmt.Errorf("wrong password for %s", file)
		}
	}
	if err != nil {
		return nil, "", fmt.Errorf("cannot load the certificate from %s: %w", file, err)
	}
	return creds, method, nil
}

// session resumes the authenticated client of profile p. Call saveTokens
// after using it to store renewed tokens.
func (g *globals) session(p *profile) (*ksef.AuthenticatedClient, error) {
	env, err := ksef.ParseEnvironment(p.Environment)
	if err != nil {
		env = ksef.Test
	}
	opts := []ksef.Option{ksef.WithEnvironment(env), ksef.WithLogger(g.logger())}
	if p.BaseURL != "" {
		opts = append(opts, ksef.WithBaseURL(p.BaseURL))
	}
	c, err := ksef.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("profile %q: %w", g.profile, err)
	}
	// The tokens belong to the server that issued them: an explicit
	// --env or --base-url must name the same one.
	if g.envChanged || g.baseURLChanged {
		want := g.environment().BaseURL()
		if g.baseURLChanged {
			want = g.baseURL
		}
		if strings.TrimRight(want, "/") != c.BaseURL() {
			return nil, fmt.Errorf("profile %q is logged in to %s, not %s: log in again to switch (or use another --profile)",
				g.profile, c.BaseURL(), want)
		}
	}
	return c.Auth.Resume(
		ksef.TokenInfo{Token: ksef.Secret(p.AccessToken), ValidUntil: p.AccessValidUntil},
		ksef.TokenInfo{Token: ksef.Secret(p.RefreshToken), ValidUntil: p.RefreshValidUntil},
	), nil
}

// loggedIn loads the profile and fails unless it holds a refresh token.
func (g *globals) loggedIn() (*profileStore, *profile, error) {
	store, p, err := g.currentProfile()
	if err != nil {
		return nil, nil, err
	}
	if p.RefreshToken == "" {
		return nil, nil, fmt.Errorf("profile %q is not logged in: log in again with %s", g.profile, loginHint(g.profile))
	}
	return store, p, nil
}

// saveTokens stores the tokens of a when they changed; it reports whether
// they did.
func saveTokens(store *profileStore, name string, p *profile, a *ksef.AuthenticatedClient) (bool, error) {
	access, _ := a.TokenManager().Tokens()
	if access.Token.Reveal() == p.AccessToken {
		return false, nil
	}
	p.AccessToken, p.AccessValidUntil = access.Token.Reveal(), access.ValidUntil
	return true, store.put(name, p)
}

// sessionGone reports whether err says that the authentication session
// has expired or was revoked: 401, an expired refresh token, or KSeF's
// 21301/21304 refusal to refresh the token of a revoked session.
func sessionGone(err error) bool {
	return errors.Is(err, ksef.ErrRefreshExpired) || errors.Is(err, ksef.ErrUnauthorized) ||
		ksef.IsCode(err, ksef.CodeNotAuthorized) || ksef.IsCode(err, ksef.CodeNotAuthenticated)
}

// refreshError explains a failed renewal.
func refreshError(err error) error {
	if sessionGone(err) {
		return fmt.Errorf("the session has expired or was revoked; log in again: %w", err)
	}
	return err
}

func newStatusCmd(g *globals) *cobra.Command {
	var showTokens, force bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the profile's environment, context and token validity (refreshing the access token if needed)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, p, err := g.currentProfile()
			if err != nil {
				return err
			}
			refreshed := false
			if p.RefreshToken != "" && time.Now().Before(p.RefreshValidUntil) {
				a, err := g.session(p)
				if err != nil {
					return err
				}
				tm := a.TokenManager()
				if force {
					_, err = tm.Refresh(cmd.Context(), ksef.Secret(p.AccessToken))
				} else {
					_, err = tm.AccessToken(cmd.Context())
				}
				if err != nil {
					return refreshError(err)
				}
				if refreshed, err = saveTokens(store, g.profile, p, a); err != nil {
					return err
				}
			}
			now := time.Now()
			v := g.view(p, showTokens, now)
			v.Refreshed = refreshed
			return g.emit(v, func(w io.Writer) { v.printText(w, now) })
		},
	}
	cmd.Flags().BoolVar(&showTokens, "show-tokens", false, "print the access and refresh tokens")
	cmd.Flags().BoolVar(&force, "refresh", false, "refresh the access token even if it is still valid")
	return cmd
}

func newSessionsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "sessions",
		Short: "List the active authentication sessions of the profile's context",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, p, err := g.loggedIn()
			if err != nil {
				return err
			}
			a, err := g.session(p)
			if err != nil {
				return err
			}
			items := []ksef.AuthenticationListItem{}
			for it, err := range a.Auth.ListSessionsAll(cmd.Context(), nil) {
				if err != nil {
					return refreshError(err)
				}
				items = append(items, it)
			}
			if _, err := saveTokens(store, g.profile, p, a); err != nil {
				return err
			}
			out := struct {
				Profile  string                        `json:"profile"`
				Sessions []ksef.AuthenticationListItem `json:"sessions"`
			}{g.profile, items}
			return g.emit(out, func(w io.Writer) { printSessions(w, items) })
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

func newLogoutCmd(g *globals) *cobra.Command {
	var local bool
	cmd := &cobra.Command{
		Use:   "logout",
		Short: "Revoke the current authentication session on the server and delete the stored tokens",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, p, err := g.currentProfile()
			if err != nil {
				return err
			}
			out := struct {
				Profile         string `json:"profile"`
				ReferenceNumber string `json:"referenceNumber,omitempty"`
				Revoked         bool   `json:"revoked"`
				TokensDeleted   bool   `json:"tokensDeleted"`
				Note            string `json:"note,omitempty"`
			}{Profile: g.profile, ReferenceNumber: p.AuthReference}
			switch {
			case p.RefreshToken == "" && p.AccessToken == "":
				out.Note = "not logged in"
			case local:
				out.Note = "session not revoked on the server (--local)"
			default:
				a, err := g.session(p)
				if err != nil {
					return err
				}
				err = a.Logout(cmd.Context())
				switch {
				case err == nil:
					out.Revoked = true
				case sessionGone(err):
					out.Note = "the session had already expired or been revoked"
				default:
					return fmt.Errorf("cannot revoke the session (tokens kept; use --local to delete them anyway): %w", err)
				}
			}
			if p.RefreshToken != "" || p.AccessToken != "" {
				p.AccessToken, p.AccessValidUntil = "", time.Time{}
				p.RefreshToken, p.RefreshValidUntil = "", time.Time{}
				if err := store.put(g.profile, p); err != nil {
					return err
				}
				out.TokensDeleted = true
			}
			return g.emit(out, func(w io.Writer) {
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
	Context           *contextView `json:"context,omitempty"`
	LoggedIn          bool         `json:"loggedIn"`
	RefreshValidUntil *time.Time   `json:"refreshValidUntil,omitempty"`
}

func newProfilesCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "profiles",
		Short: "List the stored profiles (the one selected by --profile marked *)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			store, err := g.profiles()
			if err != nil {
				return err
			}
			m, err := store.load()
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
				v := g.view(p, false, now)
				r := profileSummary{Name: name, Current: name == g.profile, Environment: p.Environment,
					BaseURL: p.BaseURL, Context: v.Context, LoggedIn: v.LoggedIn}
				if p.RefreshToken != "" {
					r.RefreshValidUntil = &p.RefreshValidUntil
				}
				rows = append(rows, r)
			}
			return g.emit(struct {
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
