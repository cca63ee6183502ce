package authcmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
	"github.com/ksef2/ksef/cmd/ksef/internal/profile"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ident"
)

type loginFlags struct {
	cert, key, p12, token, keyPassword  string
	signed                              string
	nip, internalID, nipVatUe, peppolID string
	subject                             string
	showTokens, verifyChain             bool
}

func newLoginCmd(f *cli.Factory) *cobra.Command {
	var lf loginFlags
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in with a certificate (PEM or PKCS#12) or a KSeF token and store the tokens in the profile",
		Long: `Log in to KSeF and store the access and refresh tokens in the profile
(a file readable only by you). Tokens are never printed unless --show-tokens.

Credentials, one of:
  --cert FILE [--key FILE]   certificate (PEM or DER) and private key (PEM; it may
                             be in the certificate file); an encrypted key's password
                             is read from --key-password, $KSEF_KEY_PASSWORD or
                             asked for on the terminal
  --p12 FILE                 PKCS#12 file; password as above
  --token TOKEN              KSeF token; better: set $KSEF_TOKEN (keeps it out of
                             the shell history) and omit --token, or pass
                             --token - to read it from standard input
  --signed FILE              an AuthTokenRequest signed outside ksef (smart card,
                             Profil Zaufany, xmlsec1...), written unsigned by
                             'ksef auth challenge'; its context is the document's

Context, one of --nip, --internal-id, --nip-vat-ue, --peppol-id. With a
certificate that carries a NIP, the context defaults to that NIP.

Server: --env or --base-url; without them, logging in again to an existing
profile uses the server it was logged in to (production must be named
with --env production every time), and a new profile uses TEST.`,
		Example: `  ksef auth login --cert cert.pem --key key.pem --nip 5261040828
  KSEF_TOKEN=... ksef auth login --nip 5261040828 --profile token
  ksef auth login --base-url http://127.0.0.1:8080/v2 --p12 seal.p12
  ksef auth challenge --nip 5261040828 --out request.xml   # sign request.xml, then:
  ksef auth login --signed request-signed.xml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLogin(cmd.Context(), f, &lf)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&lf.cert, "cert", "", "certificate file (PEM, which may also hold the key, or DER)")
	fl.StringVar(&lf.key, "key", "", "private key file (PEM)")
	fl.StringVar(&lf.p12, "p12", "", "PKCS#12 file with certificate and key")
	fl.StringVar(&lf.keyPassword, "key-password", "", "password of an encrypted key or PKCS#12 file (prefer $"+envKeyPassword+" or the terminal prompt)")
	fl.StringVar(&lf.token, "token", "", "KSeF token, or - to read it from stdin (prefer $"+envToken+")")
	fl.StringVar(&lf.signed, "signed", "", "AuthTokenRequest signed outside ksef (see 'ksef auth challenge')")
	fl.StringVar(&lf.nip, "nip", "", "context: NIP")
	fl.StringVar(&lf.internalID, "internal-id", "", "context: internal identifier ({nip}-{5 digits})")
	fl.StringVar(&lf.nipVatUe, "nip-vat-ue", "", "context: NIP + EU VAT number ({nip}-{vat ue})")
	fl.StringVar(&lf.peppolID, "peppol-id", "", "context: Peppol provider identifier")
	fl.StringVar(&lf.subject, "subject", "subject", "how KSeF identifies the certificate: subject or fingerprint")
	fl.BoolVar(&lf.showTokens, "show-tokens", false, "print the access and refresh tokens")
	fl.BoolVar(&lf.verifyChain, "verify-chain", false, "ask KSeF to verify the certificate chain")
	return cmd
}

// context returns the context chosen by the context flags, or a zero
// value when none was given.
func (lf *loginFlags) context() (ksef.ContextIdentifier, error) {
	var (
		set   []ksef.ContextIdentifier
		flags []string
		errs  []error
	)
	add := func(flag, value string, mk func(string) (ksef.ContextIdentifier, error)) {
		if value != "" {
			c, err := mk(strings.TrimSpace(value))
			set, flags, errs = append(set, c), append(flags, flag), append(errs, err)
		}
	}
	add("--nip", lf.nip, ksef.NIPContext)
	add("--internal-id", lf.internalID, ksef.InternalIDContext)
	add("--nip-vat-ue", lf.nipVatUe, ksef.NipVatUeContext)
	add("--peppol-id", lf.peppolID, ksef.PeppolIDContext)
	switch len(set) {
	case 0:
		return ksef.ContextIdentifier{}, nil
	case 1:
		if err := errs[0]; err != nil {
			return ksef.ContextIdentifier{}, fmt.Errorf("invalid context %s: %s", flags[0], strings.TrimPrefix(err.Error(), "ksef: "))
		}
		return set[0], nil
	}
	return ksef.ContextIdentifier{}, errors.New("give only one of --nip, --internal-id, --nip-vat-ue, --peppol-id")
}

const missingContext = "missing context: use --nip, --internal-id, --nip-vat-ue or --peppol-id"

func runLogin(ctx context.Context, f *cli.Factory, lf *loginFlags) error {
	ctxID, err := lf.context()
	if err != nil {
		return err
	}
	subject, err := lf.subjectType()
	if err != nil {
		return err
	}
	useCert := lf.cert != "" || lf.p12 != ""
	if lf.signed != "" {
		if useCert || lf.token != "" {
			return errors.New("give either --signed or a certificate (--cert/--p12) or --token, not several")
		}
		return runLoginSigned(ctx, f, lf, ctxID)
	}
	switch {
	case lf.cert != "" && lf.p12 != "":
		return errors.New("give either --cert (PEM) or --p12, not both")
	case lf.key != "" && lf.cert == "":
		return errors.New("--key needs --cert")
	case useCert && lf.token != "":
		return errors.New("give either a certificate (--cert/--p12) or --token, not both")
	}
	token := lf.token
	if !useCert && token == "" {
		token = f.Getenv(envToken)
	}
	if token == "-" {
		line, err := bufio.NewReader(f.Stdin).ReadString('\n')
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

	store, c, env, err := loginClient(f)
	if err != nil {
		return err
	}

	var (
		a      *ksef.AuthenticatedClient
		method string
	)
	if useCert {
		creds, m, err := loadCredentials(f, lf)
		if err != nil {
			return err
		}
		method = m
		if ctxID.Type == "" {
			id := credentials.Identity(creds.Certificate)
			if id.Kind != ident.TypeNip {
				return errors.New(missingContext + " (the certificate carries no NIP)")
			}
			if ctxID, err = ksef.NIPContext(id.Value); err != nil {
				return err
			}
		}
		a, err = c.Auth.LoginWithCertificate(ctx, ctxID, creds.Certificate, creds.Signer,
			&ksef.LoginParams{SubjectIdentifierType: subject, VerifyCertificateChain: lf.verifyChain})
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
	return storeLogin(f, store, c, env, ctxID, a, method, lf.showTokens)
}

// storeLogin stores the tokens of a login in the profile and prints it.
func storeLogin(f *cli.Factory, store *profile.Store, c *ksef.Client, env ksef.Environment, ctxID ksef.ContextIdentifier, a *ksef.AuthenticatedClient, method string, showTokens bool) error {
	access, refresh := a.TokenManager().Tokens()
	p := &profile.Profile{
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
	if err := store.Put(f.Flags.Profile, p); err != nil {
		return fmt.Errorf("logged in, but cannot store the tokens: %w", err)
	}
	now := time.Now()
	v := view(f.Flags.Profile, p, showTokens, now)
	return f.Emit(v, func(w io.Writer) {
		fmt.Fprintf(w, "Logged in; tokens stored in %s\n", store.Path)
		v.printText(w, now)
	})
}

// loginClient opens the profile store and returns a client for the server
// of the login: --env or --base-url; without them, the server the profile
// was logged in to (production must be named), or TEST for a new profile.
func loginClient(f *cli.Factory) (*profile.Store, *ksef.Client, ksef.Environment, error) {
	store, err := f.Profiles()
	if err != nil {
		return nil, nil, 0, err
	}
	env, baseURL := f.Environment(), f.Flags.BaseURL
	if !f.Flags.EnvChanged && !f.Flags.BaseURLChanged {
		// Logging in again to a stored profile goes to the server the
		// profile was logged in to (e.g. the simulator), not to the
		// default environment; production still has to be named.
		m, err := store.Load()
		if err != nil {
			return nil, nil, 0, err
		}
		if old := m[f.Flags.Profile]; old != nil && old.BaseURL != "" {
			if e, err := ksef.ParseEnvironment(old.Environment); err == nil {
				if e == ksef.Production {
					return nil, nil, 0, fmt.Errorf("profile %q was logged in to production: give --env production to log in to it again", f.Flags.Profile)
				}
				env = e
			}
			baseURL = old.BaseURL
		}
	}
	opts := []ksef.Option{ksef.WithEnvironment(env), ksef.WithLogger(f.Logger())}
	if baseURL != "" {
		opts = append(opts, ksef.WithBaseURL(baseURL))
	}
	c, err := ksef.NewClient(opts...)
	if err != nil {
		return nil, nil, 0, err
	}

	return store, c, env, nil
}

// loadCredentials loads the certificate and key named by the flags, asking
// for a password when the key is encrypted. It returns a description of the
// login method.
func loadCredentials(f *cli.Factory, lf *loginFlags) (*credentials.Credentials, string, error) {
	// Certificates and keys are a few kilobytes; a larger file is the
	// wrong one (and is not read whole).
	const maxCredFile = 1 << 20
	read := func(flag, path string) ([]byte, error) {
		if path == "" {
			return nil, nil
		}
		fh, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("cannot read %s file: %w", flag, err)
		}
		defer fh.Close()
		b, err := io.ReadAll(io.LimitReader(fh, maxCredFile+1))
		if err != nil {
			return nil, fmt.Errorf("cannot read %s file: %w", flag, err)
		}
		if len(b) > maxCredFile {
			return nil, fmt.Errorf("%s %s is larger than 1 MB: not a certificate or key file", flag, path)
		}
		return b, nil
	}
	certData, err := read("--cert", lf.cert)
	if err != nil {
		return nil, "", err
	}
	keyData, err := read("--key", lf.key)
	if err != nil {
		return nil, "", err
	}
	p12Data, err := read("--p12", lf.p12)
	if err != nil {
		return nil, "", err
	}
	file, method := lf.cert, "XAdES (PEM certificate)"
	var load func(pw string) (*credentials.Credentials, error)
	if lf.p12 != "" {
		switch pf := inspectCredFile(p12Data); pf.kind {
		case "pem", "der-cert":
			return nil, "", fmt.Errorf("--p12 %s is a certificate in PEM or DER, not a PKCS#12 file: pass it with --cert %s (and the key with --key FILE)", lf.p12, lf.p12)
		case "other":
			return nil, "", fmt.Errorf("--p12 %s is not a PKCS#12 file: it is %s", lf.p12, pf.looksLike)
		}
		file, method = lf.p12, "XAdES (PKCS#12 certificate)"
		load = func(pw string) (*credentials.Credentials, error) { return credentials.LoadPKCS12(p12Data, pw) }
	} else {
		if err := checkCredFiles(lf.cert, certData, lf.key, keyData); err != nil {
			return nil, "", err
		}
		if inspectCredFile(certData).kind == "pkcs12" {
			method = "XAdES (PKCS#12 certificate)"
			load = func(pw string) (*credentials.Credentials, error) { return credentials.LoadPKCS12(certData, pw) }
		} else {
			load = func(pw string) (*credentials.Credentials, error) {
				return credentials.LoadPEM(certPEM(certData), keyData, pw)
			}
		}
	}
	pw, source := lf.keyPassword, "--key-password"
	if pw == "" {
		pw, source = f.Getenv(envKeyPassword), "$"+envKeyPassword
	}
	creds, err := load(pw)
	if errors.Is(err, credentials.ErrPassword) {
		switch {
		case pw != "":
			return nil, "", fmt.Errorf("wrong password for %s (from %s)", file, source)
		case f.Prompt == nil:
			return nil, "", fmt.Errorf("%s is password-protected: set $%s (or run in a terminal to be asked)", file, envKeyPassword)
		}
		if pw, err = f.Prompt("Password for " + file); err != nil {
			return nil, "", fmt.Errorf("cannot read the password: %w", err)
		}
		if creds, err = load(pw); errors.Is(err, credentials.ErrPassword) {
			return nil, "", fmt.Errorf("wrong password for %s", file)
		}
	}
	switch {
	case errors.Is(err, credentials.ErrKeyMismatch) && lf.key != "":
		return nil, "", fmt.Errorf("the private key in %s does not belong to the certificate in %s: %w", lf.key, lf.cert, err)
	case errors.Is(err, credentials.ErrNoPrivateKey):
		return nil, "", fmt.Errorf("no private key in %s; pass --key FILE (PEM) or use --p12 FILE: %w", filepath.Base(file), err)
	case err != nil:
		return nil, "", fmt.Errorf("cannot load the certificate from %s: %w", file, err)
	}
	return creds, method, nil
}
