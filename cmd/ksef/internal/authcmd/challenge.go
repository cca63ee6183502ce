package authcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/cli"
)

// subjectType reads --subject.
func (lf *loginFlags) subjectType() (ksef.AuthSubjectIdentifierType, error) {
	switch lf.subject {
	case "subject", "certificateSubject":
		return ksef.AuthSubjectCertificateSubject, nil
	case "fingerprint", "certificateFingerprint":
		return ksef.AuthSubjectCertificateFingerprint, nil
	}
	return "", fmt.Errorf("unknown --subject %q (want subject or fingerprint)", lf.subject)
}

// ChallengeView is the output of `auth challenge`.
type ChallengeView struct {
	Challenge string       `json:"challenge"`
	Context   *ContextView `json:"context"`
	File      string       `json:"file"`
	BaseURL   string       `json:"baseUrl"`
}

func newChallengeCmd(f *cli.Factory) *cobra.Command {
	var lf loginFlags
	var out string
	cmd := &cobra.Command{
		Use:   "challenge",
		Short: "Write the unsigned AuthTokenRequest for a fresh challenge, to be signed outside ksef",
		Long: `Fetch a fresh authentication challenge and write the unsigned
AuthTokenRequest document for the context to --out. Sign it with any
XAdES tool (a smart card's software, Profil Zaufany, xmlsec1) within 10
minutes, then complete the login with

  ksef auth login --signed request-signed.xml

which stores the tokens in the profile like any login. The challenge is
fetched from the server the login will use (--env, --base-url, or the
profile's server).`,
		Example: `  ksef auth challenge --nip 5261040828 --out request.xml
  ksef auth challenge --internal-id 5261040828-00001 --subject fingerprint --out request.xml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runChallenge(cmd.Context(), f, &lf, out)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&out, "out", "", "file to write the unsigned AuthTokenRequest to (required)")
	fl.StringVar(&lf.nip, "nip", "", "context: NIP")
	fl.StringVar(&lf.internalID, "internal-id", "", "context: internal identifier ({nip}-{5 digits})")
	fl.StringVar(&lf.nipVatUe, "nip-vat-ue", "", "context: NIP + EU VAT number ({nip}-{vat ue})")
	fl.StringVar(&lf.peppolID, "peppol-id", "", "context: Peppol provider identifier")
	fl.StringVar(&lf.subject, "subject", "subject", "how KSeF identifies the certificate: subject or fingerprint")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func runChallenge(ctx context.Context, f *cli.Factory, lf *loginFlags, out string) error {
	ctxID, err := lf.context()
	if err != nil {
		return err
	}
	if ctxID.Type == "" {
		return errors.New(missingContext)
	}
	subject, err := lf.subjectType()
	if err != nil {
		return err
	}
	_, c, _, err := loginClient(f)
	if err != nil {
		return err
	}
	doc, err := c.Auth.UnsignedAuthTokenRequest(ctx, ctxID, &ksef.LoginParams{SubjectIdentifierType: subject})
	if err != nil {
		return fmt.Errorf("cannot get a challenge: %w", err)
	}
	req, err := ksef.ParseAuthTokenRequest(doc)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, doc, 0o644); err != nil {
		return fmt.Errorf("cannot write the request: %w", err)
	}
	v := &ChallengeView{Challenge: req.Challenge, Context: &ContextView{Type: string(ctxID.Type), Value: ctxID.Value}, File: out, BaseURL: c.BaseURL()}
	return f.Emit(v, func(w io.Writer) {
		fmt.Fprintf(w, "Unsigned AuthTokenRequest for challenge %s (context %s %s) written to %s.\n", req.Challenge, ctxID.Type, ctxID.Value, out)
		fmt.Fprintln(w, "Sign it (XAdES) within 10 minutes, then run: ksef auth login --signed FILE")
	})
}

// runLoginSigned completes a login with an externally signed
// AuthTokenRequest (--signed). Context flags, when given, must name the
// document's context.
func runLoginSigned(ctx context.Context, f *cli.Factory, lf *loginFlags, ctxID ksef.ContextIdentifier) error {
	doc, err := os.ReadFile(lf.signed)
	if err != nil {
		return fmt.Errorf("cannot read --signed file: %w", err)
	}
	req, err := ksef.ParseAuthTokenRequest(doc)
	if err != nil {
		return fmt.Errorf("--signed %s: %w", lf.signed, err)
	}
	docCtx, err := req.ContextIdentifier.Context()
	if err != nil {
		return fmt.Errorf("--signed %s: %w", lf.signed, err)
	}
	if ctxID.Type != "" && ctxID != docCtx {
		return fmt.Errorf("--signed %s is for context %s %s, not %s %s", lf.signed, docCtx.Type, docCtx.Value, ctxID.Type, ctxID.Value)
	}
	store, c, env, err := loginClient(f)
	if err != nil {
		return err
	}
	a, err := c.Auth.LoginWithSignedRequest(ctx, doc, &ksef.LoginParams{VerifyCertificateChain: lf.verifyChain})
	if err != nil {
		return fmt.Errorf("login with the signed request failed: %w", err)
	}
	return storeLogin(f, store, c, env, docCtx, a, "XAdES (signed outside ksef)", lf.showTokens)
}
