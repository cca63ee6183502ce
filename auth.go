package ksef

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/ksef2/ksef/internal/envelope"
	"github.com/ksef2/ksef/xades"
)

// AuthService covers authentication: challenge, XAdES and KSeF-token login,
// status, token redemption and refresh, and authentication sessions.
//
// Most programs only call [AuthService.LoginWithCertificate] or
// [AuthService.LoginWithToken], which run the whole flow and return an
// [AuthenticatedClient].
type AuthService service

// Challenge starts an authentication: it returns a challenge valid for 10
// minutes.
//
// KSeF API: POST /auth/challenge
func (s *AuthService) Challenge(ctx context.Context) (*AuthenticationChallengeResponse, error) {
	return call[AuthenticationChallengeResponse](ctx, s.c, &request{op: OpAuthChallenge})
}

// InitXades sends an XAdES-signed AuthTokenRequest document. With
// verifyCertificateChain, KSeF checks the certificate chain (and OCSP/CRL)
// even on environments that accept self-signed certificates.
//
// KSeF API: POST /auth/xades-signature
func (s *AuthService) InitXades(ctx context.Context, signedXML []byte, verifyCertificateChain bool) (*AuthenticationInitResponse, error) {
	r := &request{op: OpAuthXadesSignature, rawBody: signedXML, contentType: "application/xml"}
	if verifyCertificateChain {
		r.query = url.Values{"verifyCertificateChain": {"true"}}
	}
	return call[AuthenticationInitResponse](ctx, s.c, r)
}

// InitToken starts an authentication with an encrypted KSeF token.
//
// KSeF API: POST /auth/ksef-token
func (s *AuthService) InitToken(ctx context.Context, req *InitTokenAuthenticationRequest) (*AuthenticationInitResponse, error) {
	if req == nil {
		return nil, errors.New("ksef: InitToken: nil request")
	}
	return call[AuthenticationInitResponse](ctx, s.c, &request{op: OpAuthKSeFToken, body: req})
}

// Status returns the status of an authentication operation, authorised by
// its authentication (operation) token.
//
// KSeF API: GET /auth/{referenceNumber}
func (s *AuthService) Status(ctx context.Context, referenceNumber string, authenticationToken Secret) (*AuthenticationOperationStatusResponse, error) {
	return call[AuthenticationOperationStatusResponse](ctx, s.c, &request{op: OpAuthStatus, pathArgs: []string{referenceNumber}, bearer: authenticationToken})
}

// Wait polls the status of an authentication operation until it is no
// longer 100 (in progress). It returns the status on 200 and a
// *[StatusError] (matching [ErrAuthNoPermissions], [ErrAuthInvalidToken],
// [ErrAuthCertificate] and the like) on a failure code. On DEMO and
// production the status can stay 100 for a while as certificate
// revocation is checked; the wait is bounded by opts.Timeout (default
// [DefaultWaitTimeout], then a *[WaitTimeoutError]) and by ctx.
func (s *AuthService) Wait(ctx context.Context, referenceNumber string, authenticationToken Secret, opts *WaitOptions) (*AuthenticationOperationStatusResponse, error) {
	var last *AuthenticationOperationStatusResponse
	err := poll(ctx, "authentication "+referenceNumber, opts, s.c.cfg.retry.MaxDelay, func(ctx context.Context) (bool, string, error) {
		st, err := s.Status(ctx, referenceNumber, authenticationToken)
		if err != nil {
			return false, "", err
		}
		last = st
		code := st.Status.Code
		return code != int32(AuthStatusInProgress), strconv.Itoa(int(code)), nil
	})
	if err != nil {
		return nil, err
	}
	if last.Status.Code != int32(AuthStatusSuccess) {
		return last, newStatusError("auth", referenceNumber, last.Status)
	}
	return last, nil
}

// Redeem exchanges the authentication token of a successful operation for
// the access and refresh tokens. It works only once per operation.
//
// KSeF API: POST /auth/token/redeem
func (s *AuthService) Redeem(ctx context.Context, authenticationToken Secret) (*AuthenticationTokensResponse, error) {
	return call[AuthenticationTokensResponse](ctx, s.c, &request{op: OpAuthTokenRedeem, bearer: authenticationToken})
}

// Refresh obtains a new access token with a refresh token. Authenticated
// clients do this by themselves.
//
// KSeF API: POST /auth/token/refresh
func (s *AuthService) Refresh(ctx context.Context, refreshToken Secret) (*AuthenticationTokenRefreshResponse, error) {
	return call[AuthenticationTokenRefreshResponse](ctx, s.c, &request{op: OpAuthTokenRefresh, bearer: refreshToken})
}

// LoginParams are the optional inputs of the login methods.
type LoginParams struct {
	// AllowedIps restricts the client addresses allowed to use the tokens.
	AllowedIps *AllowedIps
	// SubjectIdentifierType says how KSeF derives the subject from the
	// certificate (XAdES only; default certificateSubject).
	SubjectIdentifierType AuthSubjectIdentifierType
	// VerifyCertificateChain forces the chain check (XAdES only).
	VerifyCertificateChain bool
	// SigningTime overrides the XAdES signing time (zero: now − 1 minute).
	SigningTime time.Time
	// Wait controls polling of the authentication status.
	Wait *WaitOptions
}

// LoginWithCertificate authenticates with a certificate: it fetches a
// challenge, builds the AuthTokenRequest (namespace 2.1) for ctxID, signs
// it (XAdES-BES, enveloped) with key, sends it, waits for the status,
// redeems the tokens and returns a client that renews them by itself.
// params may be nil.
func (s *AuthService) LoginWithCertificate(ctx context.Context, ctxID ContextIdentifier, cert *x509.Certificate, key crypto.Signer, params *LoginParams) (*AuthenticatedClient, error) {
	if cert == nil || key == nil {
		return nil, errors.New("ksef: LoginWithCertificate: certificate and key are required")
	}
	var p LoginParams
	if params != nil {
		p = *params
	}
	sign := func(_ context.Context, unsigned []byte) ([]byte, error) {
		return xades.Sign(unsigned, cert, key, &xades.SignOptions{SigningTime: p.SigningTime})
	}
	return s.LoginWithSignFunc(ctx, ctxID, sign, &p)
}

// SignFunc signs an AuthTokenRequest document with an enveloped XAdES
// signature and returns the signed document. It lets the signature be made
// outside this process: by an HSM, a smart card, a signing service or the
// Profil Zaufany (ePUAP) flow.
type SignFunc func(ctx context.Context, unsignedXML []byte) (signedXML []byte, err error)

// LoginWithSignFunc is [AuthService.LoginWithCertificate] with an external
// signer: it fetches a challenge, builds the AuthTokenRequest for ctxID,
// has sign sign it, sends it, waits for the status, redeems the tokens and
// returns a client that renews them by itself. params may be nil.
func (s *AuthService) LoginWithSignFunc(ctx context.Context, ctxID ContextIdentifier, sign SignFunc, params *LoginParams) (*AuthenticatedClient, error) {
	if sign == nil {
		return nil, errors.New("ksef: LoginWithSignFunc: nil sign function")
	}
	if err := ValidateContext(ctxID); err != nil {
		return nil, err
	}
	p := params.withDefaults()
	return retryCancelled(ctx, s, func() (*AuthenticatedClient, error) {
		return s.loginSigned(ctx, ctxID, sign, &p)
	})
}

// withDefaults returns a copy of p (the zero value for nil) with the
// subject identifier type defaulting to the certificate subject.
func (p *LoginParams) withDefaults() LoginParams {
	var out LoginParams
	if p != nil {
		out = *p
	}
	if out.SubjectIdentifierType == "" {
		out.SubjectIdentifierType = AuthSubjectCertificateSubject
	}
	return out
}

// retryCancelled runs login once more when KSeF cancelled the first
// attempt (status 550, "retry").
func retryCancelled(ctx context.Context, s *AuthService, login func() (*AuthenticatedClient, error)) (*AuthenticatedClient, error) {
	a, err := login()
	var se *StatusError
	if errors.As(err, &se) && se.Retryable() && ctx.Err() == nil {
		s.c.cfg.logger.InfoContext(ctx, "ksef authentication cancelled by the system (550); retrying once", "referenceNumber", se.ReferenceNumber)
		return login()
	}
	return a, err
}

func (s *AuthService) loginSigned(ctx context.Context, ctxID ContextIdentifier, sign SignFunc, params *LoginParams) (*AuthenticatedClient, error) {
	p := *params
	unsigned, err := s.authTokenRequest(ctx, ctxID, &p)
	if err != nil {
		return nil, err
	}
	signed, err := sign(ctx, unsigned)
	if err != nil {
		return nil, fmt.Errorf("ksef: sign AuthTokenRequest: %w", err)
	}
	init, err := s.InitXades(ctx, signed, p.VerifyCertificateChain)
	if err != nil {
		return nil, err
	}
	return s.complete(ctx, ctxID, init, p.Wait)
}

// UnsignedAuthTokenRequest fetches a fresh challenge and returns the
// unsigned AuthTokenRequest document (namespace 2.1) for ctxID, with
// params' SubjectIdentifierType and AllowedIps (params may be nil). It is
// the first half of external signing: sign the document with any XAdES
// tool (a smart card, Profil Zaufany, xmlsec1) within the challenge's
// validity of 10 minutes, then pass the signed document to
// [AuthService.LoginWithSignedRequest]. The challenge comes from
// [AuthService.Challenge].
func (s *AuthService) UnsignedAuthTokenRequest(ctx context.Context, ctxID ContextIdentifier, params *LoginParams) ([]byte, error) {
	if err := ValidateContext(ctxID); err != nil {
		return nil, err
	}
	p := params.withDefaults()
	if err := p.AllowedIps.Validate(); err != nil {
		return nil, err
	}
	return s.authTokenRequest(ctx, ctxID, &p)
}

// authTokenRequest fetches a fresh challenge and returns the unsigned
// AuthTokenRequest for ctxID with p's subject identifier type and allowed
// addresses.
func (s *AuthService) authTokenRequest(ctx context.Context, ctxID ContextIdentifier, p *LoginParams) ([]byte, error) {
	ch, err := s.Challenge(ctx)
	if err != nil {
		return nil, err
	}
	doc, err := NewAuthTokenRequest(ch.Challenge, ctxID, p.SubjectIdentifierType, p.AllowedIps)
	if err != nil {
		return nil, err
	}
	return doc.Marshal()
}

// LoginWithSignedRequest completes a login with an AuthTokenRequest that
// was signed outside this process (see [AuthService.UnsignedAuthTokenRequest]):
// it reads the document (refusing one the auth schema refuses), sends it,
// waits for the status, redeems the tokens and returns a client that
// renews them by itself, exactly as [AuthService.LoginWithCertificate]
// does after signing. The client's Context is the document's context.
// Only params' VerifyCertificateChain and Wait are used; params may be
// nil. Unlike the other logins it cannot retry a login that KSeF cancels
// (status 550), since the challenge in the document is spent: sign a new
// document then.
func (s *AuthService) LoginWithSignedRequest(ctx context.Context, signedXML []byte, params *LoginParams) (*AuthenticatedClient, error) {
	doc, err := ParseAuthTokenRequest(signedXML)
	if err != nil {
		return nil, err
	}
	ctxID, err := doc.ContextIdentifier.Context()
	if err != nil {
		return nil, err
	}
	var p LoginParams
	if params != nil {
		p = *params
	}
	init, err := s.InitXades(ctx, signedXML, p.VerifyCertificateChain)
	if err != nil {
		return nil, err
	}
	return s.complete(ctx, ctxID, init, p.Wait)
}

// LoginWithToken authenticates with a KSeF token: it fetches a challenge,
// encrypts "token|timestampMs" with the MF key for KsefTokenEncryption
// (RSA-OAEP SHA-256), sends it with the key's publicKeyId, waits for the
// status, redeems the tokens and returns a client that renews them by
// itself. When KSeF rejects the key (21470) the keys are downloaded again
// and the login retried once. params may be nil.
func (s *AuthService) LoginWithToken(ctx context.Context, ctxID ContextIdentifier, ksefToken Secret, params *LoginParams) (*AuthenticatedClient, error) {
	if ksefToken == "" {
		return nil, errors.New("ksef: LoginWithToken: empty KSeF token")
	}
	if err := ValidateContext(ctxID); err != nil {
		return nil, err
	}
	var p LoginParams
	if params != nil {
		p = *params
	}
	if err := p.AllowedIps.Validate(); err != nil {
		return nil, err
	}
	// KSeF knows the token once it decrypted it: never let it come back
	// through an error body, a status description or a warning.
	ctx = withSecrets(ctx, ksefToken)
	a, err := retryCancelled(ctx, s, func() (*AuthenticatedClient, error) {
		return s.loginToken(ctx, ctxID, ksefToken, &p)
	})
	if err != nil {
		scrubStatusError(err, ksefToken)
	}
	return a, err
}

func (s *AuthService) loginToken(ctx context.Context, ctxID ContextIdentifier, ksefToken Secret, params *LoginParams) (*AuthenticatedClient, error) {
	p := *params
	var init *AuthenticationInitResponse
	err := s.c.withPublicKey(ctx, KsefTokenEncryption, func(key *PublicKey) error {
		ch, err := s.Challenge(ctx)
		if err != nil {
			return err
		}
		enc, err := envelope.EncryptToken(key.Key, ksefToken.Reveal(), ch.TimestampMs)
		if err != nil {
			return fmt.Errorf("ksef: encrypt KSeF token: %w", err)
		}
		req := &InitTokenAuthenticationRequest{
			Challenge:         ch.Challenge,
			ContextIdentifier: ctxID,
			EncryptedToken:    enc,
			PublicKeyID:       key.PublicKeyID,
		}
		if p.AllowedIps != nil {
			req.AuthorizationPolicy = &AuthorizationPolicy{AllowedIps: p.AllowedIps}
		}
		init, err = s.InitToken(ctx, req)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.complete(ctx, ctxID, init, p.Wait)
}

// complete waits for the authentication and redeems its tokens.
func (s *AuthService) complete(ctx context.Context, ctxID ContextIdentifier, init *AuthenticationInitResponse, wait *WaitOptions) (*AuthenticatedClient, error) {
	opToken := init.AuthenticationToken.Token
	if _, err := s.Wait(ctx, init.ReferenceNumber, opToken, wait); err != nil {
		return nil, err
	}
	tokens, err := s.Redeem(ctx, opToken)
	if err != nil {
		return nil, err
	}
	s.c.cfg.logger.DebugContext(ctx, "ksef authenticated", "referenceNumber", init.ReferenceNumber,
		"accessValidUntil", tokens.AccessToken.ValidUntil, "refreshValidUntil", tokens.RefreshToken.ValidUntil)
	a := s.Resume(tokens.AccessToken, tokens.RefreshToken)
	a.ReferenceNumber = init.ReferenceNumber
	a.Context = ctxID
	return a, nil
}
