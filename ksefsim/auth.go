package ksefsim

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/internal/envelope"
	"github.com/ksef2/ksef/xades"
)

const (
	challengeValidity = 10 * time.Minute
	authRetention     = 7 * 24 * time.Hour
	maxXMLBody        = 1 << 20
	maxJSONBody       = 1 << 20
	// defaultSigningTimeTolerance bounds xades:SigningTime: not later than
	// now plus this, not earlier than the challenge minus this.
	defaultSigningTimeTolerance = time.Hour
)

// Authentication status texts (AuthenticationOperationStatusResponse).
var (
	statusOK = ksef.StatusInfo{Code: 200, Description: "Uwierzytelnianie zakończone sukcesem"}
)

func authFailed(code int, detail string) ksef.StatusInfo {
	desc := map[int]string{
		415: "Uwierzytelnianie zakończone niepowodzeniem",
		450: "Uwierzytelnianie zakończone niepowodzeniem z powodu błędnego tokenu",
		460: "Uwierzytelnianie zakończone niepowodzeniem z powodu błędu certyfikatu",
		470: "Uwierzytelnianie zakończone niepowodzeniem",
		480: "Uwierzytelnienie zablokowane",
		500: "Nieznany błąd",
	}[code]
	return ksef.StatusInfo{Code: int32(code), Description: desc, Details: []string{detail}}
}

// Details of the 450/460/4xx statuses.
const (
	detailNoPermissions    = "Brak przypisanych uprawnień"
	detailBlocked          = "Podejrzenie incydentu bezpieczeństwa. Skontaktuj się z Ministerstwem Finansów przez formularz zgłoszeniowy."
	detailDeceased         = "Próba wykorzystania metod autoryzacyjnych osoby zmarłej"
	detailBadToken         = "Nieprawidłowy token"
	detailTokenTime        = "Nieprawidłowy czas tokena"
	detailTokenRevoked     = "Token unieważniony"
	detailTokenInactive    = "Token nieaktywny"
	detailTokenEncryption  = "Nieprawidłowe szyfrowanie tokena"
	detailTokenEncoding    = "Nieprawidłowe kodowanie tokena"
	detailCertInvalid      = "Nieważny certyfikat"
	detailChainError       = "Błąd weryfikacji łańcucha certyfikatów"
	detailChainUntrusted   = "Niezaufany łańcuch certyfikatów"
	detailTokenWrongContex = "Token nie może być użyty w kontekście %s"
)

// handleChallenge serves POST /auth/challenge.
func (s *Simulator) handleChallenge(w http.ResponseWriter, r *http.Request) *apiError {
	now := s.now().Truncate(time.Millisecond)
	c := &challenge{value: newRef(now, KindChallenge), issued: now}
	s.mu.Lock()
	// Forget challenges that can no longer be used (oldest first).
	q := s.st.challengeQueue
	for len(q) > 0 && now.Sub(q[0].issued) > challengeValidity {
		delete(s.st.challenges, q[0].value)
		q = q[1:]
	}
	s.st.challengeQueue = append(q, c)
	s.st.challenges[c.value] = c
	s.mu.Unlock()
	writeOK(w, http.StatusOK, ksef.AuthenticationChallengeResponse{
		Challenge:   c.value,
		Timestamp:   now,
		TimestampMs: now.UnixMilli(),
		ClientIP:    clientIP(r),
	})
	return nil
}

// useChallenge consumes a challenge: it must exist, be unused and younger
// than 10 minutes. Callers hold s.mu.
func (s *Simulator) useChallenge(value string, now time.Time) (*challenge, *apiError) {
	c, e := s.lookupChallenge(value, now)
	if e != nil {
		return nil, e
	}
	c.used = true
	return c, nil
}

// lookupChallenge returns a challenge that exists, is unused and younger
// than 10 minutes, without consuming it. Callers hold s.mu.
func (s *Simulator) lookupChallenge(value string, now time.Time) (*challenge, *apiError) {
	c := s.st.challenges[value]
	switch {
	case c == nil:
		return nil, badRequest(21111, "Wyzwanie "+value+" nie istnieje.")
	case c.used:
		return nil, badRequest(21111, "Wyzwanie "+value+" zostało już wykorzystane.")
	case now.Sub(c.issued) > challengeValidity:
		return nil, badRequest(21111, "Wyzwanie "+value+" wygasło.")
	}
	return c, nil
}

// verifiedSignature is what signature verification yields.
type verifiedSignature struct {
	cert        *x509.Certificate
	chain       []*x509.Certificate
	signingTime time.Time
	// signedXML is the signed AuthTokenRequest (xades.Verified.SignedXML).
	signedXML []byte
	// warnings are what KSeF accepts but flags (sent as X-System-Warning).
	warnings []xades.Warning
}

// systemWarnings formats verification warnings as KSeF's X-System-Warning
// header: "[code]: message | [code]: message", ASCII only.
func systemWarnings(ws []xades.Warning) string {
	parts := make([]string, 0, len(ws))
	for _, w := range ws {
		msg := strings.Map(func(r rune) rune {
			if r < 0x20 || r > 0x7e || r == '|' {
				return ' '
			}
			return r
		}, w.Message)
		parts = append(parts, "["+w.Code+"]: "+msg)
	}
	return strings.Join(parts, " | ")
}

// errCertificateValidity marks a signature that is correct but whose
// certificate is not valid at the time of verification (status 460).
var errCertificateValidity = errors.New("ksefsim: certificate not valid")

// handleXAdESSignature serves POST /auth/xades-signature.
func (s *Simulator) handleXAdESSignature(w http.ResponseWriter, r *http.Request) *apiError {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/xml" {
		return &apiError{status: http.StatusUnsupportedMediaType, detail: "Oczekiwano Content-Type: application/xml."}
	}
	verifyChain := false
	if v := r.URL.Query().Get("verifyCertificateChain"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return validation("verifyCertificateChain: nieprawidłowa wartość %q", v)
		}
		verifyChain = b
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxXMLBody+1))
	if err != nil {
		return badRequest(21001, "Nie można odczytać treści żądania.")
	}
	if len(body) > maxXMLBody {
		return badRequest(21001, "Dokument jest za duży.")
	}
	// Cheap checks first (size above, then well-formedness, the XSD, the
	// signature count, the context and the challenge), so that a large or
	// replayed document costs no signature verification.
	req, xe := parseAuthTokenRequest(body)
	if xe != nil {
		return badRequest(xe.code, xe.detail)
	}
	switch {
	case req.signatures == 0:
		return badRequest(9102)
	case req.signatures > 1:
		return badRequest(9103)
	}
	if err := checkContext(req.ctx); err != nil {
		return badRequest(21117, err.Error())
	}
	now := s.now()
	s.mu.Lock()
	_, e := s.lookupChallenge(req.challenge, now)
	s.mu.Unlock()
	if e != nil {
		return e
	}
	s.verifications.Add(1)
	vs, verr := verifyXAdES(body, now)
	certValidity := errors.Is(verr, errCertificateValidity)
	if verr != nil && !certValidity {
		return badRequest(9105, verr.Error())
	}
	if vs != nil {
		// From here on only what the signature covers counts.
		signed, xe := parseAuthTokenRequest(vs.signedXML)
		if xe != nil || !signed.sameContent(req) {
			return badRequest(9105, "Podpisana treść nie jest dokumentem AuthTokenRequest przesłanym w żądaniu.")
		}
		req = signed
	}
	policy, _ := parseIPPolicy(req.allowedIps)

	op := &authOp{ctx: req.ctx, policy: policy, docHash: envelope.SHA256Base64(body)}
	var result ksef.StatusInfo
	switch {
	case certValidity:
		// The signature is sound but the certificate is expired or not
		// yet valid: the operation starts and ends with 460.
		op.method, op.methodInfo = ksef.AuthMethodQualifiedSignature, methodQualifiedSignature
		result = authFailed(460, detailCertInvalid)
	default:
		if skew := s.cfg.signingSkew; skew >= 0 && vs.signingTime.After(now.Add(skew)) {
			return badRequest(9105, "Czas podpisu (SigningTime) jest z przyszłości.")
		}
		seal := credentials.IsSeal(vs.cert)
		op.method, op.methodInfo = ksef.AuthMethodQualifiedSignature, methodQualifiedSignature
		if seal {
			op.method, op.methodInfo = ksef.AuthMethodQualifiedSeal, methodQualifiedSeal
		}
		if req.subjectType == "certificateFingerprint" {
			op.subject = subjectID{subjFingerprint, credentials.Fingerprint(vs.cert)}
		} else {
			id := credentials.Identity(vs.cert)
			if id.Kind == ident.TypeFingerprint {
				return badRequest(21406, "Certyfikat nie zawiera identyfikatora NIP ani PESEL; użyj certificateFingerprint.")
			}
			op.subject = subjectID{string(id.Kind), id.Value}
		}
		if verifyChain {
			result = s.checkChain(vs)
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	ch, e := s.useChallenge(req.challenge, now)
	if e != nil {
		return e
	}
	if skew := s.cfg.signingSkew; !certValidity && skew >= 0 && vs.signingTime.Before(ch.issued.Add(-skew)) {
		return badRequest(9105, "Czas podpisu (SigningTime) jest wcześniejszy niż wyzwanie.")
	}
	result = s.checkKSeFCertificate(op, vs, result, now) // certificates.go
	if result.Code == 0 {
		result = s.decide(op.ctx, op.subject)
	}
	s.startAuth(op, result, now)
	if vs != nil && len(vs.warnings) > 0 {
		w.Header().Set("X-System-Warning", systemWarnings(vs.warnings))
	}
	return s.writeAuthInit(w, op)
}

// checkChain verifies the signing certificate against the trusted roots
// (verifyCertificateChain=true). It returns a 460 status on failure and the
// zero status when the chain is fine.
func (s *Simulator) checkChain(vs *verifiedSignature) ksef.StatusInfo {
	if s.cfg.roots == nil {
		return authFailed(460, detailChainUntrusted)
	}
	inter := x509.NewCertPool()
	for _, c := range vs.chain {
		inter.AddCert(c)
	}
	_, err := vs.cert.Verify(x509.VerifyOptions{
		Roots:         s.cfg.roots,
		Intermediates: inter,
		CurrentTime:   s.now(),
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	if err != nil {
		var unknown x509.UnknownAuthorityError
		if errors.As(err, &unknown) {
			return authFailed(460, detailChainUntrusted)
		}
		return authFailed(460, detailChainError)
	}
	return ksef.StatusInfo{}
}

// decide says how an authentication of sub in context c ends: 480 when the
// context is blocked, 470 for a deceased person, 200 when sub may act in the
// context, 415 otherwise. Callers hold s.mu.
func (s *Simulator) decide(c ctxID, sub subjectID) ksef.StatusInfo {
	switch {
	case s.st.blocked[c]:
		return authFailed(480, detailBlocked)
	case s.st.deceased(sub):
		return authFailed(470, detailDeceased)
	}
	if _, ok := s.st.permissions(c, sub); ok {
		return statusOK
	}
	return authFailed(415, detailNoPermissions)
}

var (
	methodQualifiedSignature = ksef.AuthenticationMethodInfo{
		Category: ksef.AuthCategoryXadesSignature, Code: "xades.qualified-signature", DisplayName: "Podpis kwalifikowany",
	}
	methodQualifiedSeal = ksef.AuthenticationMethodInfo{
		Category: ksef.AuthCategoryXadesSignature, Code: "xades.qualified-seal", DisplayName: "Pieczęć kwalifikowana",
	}
	methodToken = ksef.AuthenticationMethodInfo{
		Category: ksef.AuthCategoryToken, Code: "token.ksef", DisplayName: "Token KSeF",
	}
)

// startAuth records a new authentication operation. Callers hold s.mu.
func (s *Simulator) startAuth(op *authOp, result ksef.StatusInfo, now time.Time) {
	op.ref = newRef(now, KindAuth)
	op.started = now
	op.readyAt = now.Add(s.cfg.processingDelay)
	op.result = result
	// Forget operations that nothing can refer to any more: past the
	// retention of their status and the lifetime of their tokens.
	keep := max(authRetention, s.cfg.lifetimes.Refresh, s.cfg.lifetimes.Authentication) + 24*time.Hour
	i := 0
	for i < len(s.st.authOrder) && now.Sub(s.st.authOrder[i].started) > keep {
		delete(s.st.auths, s.st.authOrder[i].ref)
		i++
	}
	s.st.authOrder = append(s.st.authOrder[i:], op)
	s.st.auths[op.ref] = op
}

// writeAuthInit answers 202 with the reference number and the
// authenticationToken of op.
func (s *Simulator) writeAuthInit(w http.ResponseWriter, op *authOp) *apiError {
	tok, exp := s.issue(tokenOperation, op, nil, s.cfg.lifetimes.Authentication)
	writeOK(w, http.StatusAccepted, ksef.AuthenticationInitResponse{
		ReferenceNumber:     op.ref,
		AuthenticationToken: ksef.TokenInfo{Token: ksef.Secret(tok), ValidUntil: exp},
	})
	return nil
}

// decodeJSON reads a JSON request body into v; failures are 400/21405.
func decodeJSON(r *http.Request, v any) *apiError {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxJSONBody+1))
	if err != nil {
		return validation("Nie można odczytać treści żądania.")
	}
	if len(body) > maxJSONBody {
		return validation("Treść żądania jest za duża.")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return validation("Nieprawidłowy JSON: %v", err)
	}
	return nil
}

// handleKSeFToken serves POST /auth/ksef-token.
func (s *Simulator) handleKSeFToken(w http.ResponseWriter, r *http.Request) *apiError {
	var req ksef.InitTokenAuthenticationRequest
	if e := decodeJSON(r, &req); e != nil {
		return e
	}
	c := ctxID{Type: string(req.ContextIdentifier.Type), Value: req.ContextIdentifier.Value}
	switch {
	case len(req.Challenge) != 36:
		return validation("challenge: wymagana wartość o długości 36 znaków.")
	case req.EncryptedToken == "":
		return validation("encryptedToken: wymagana wartość.")
	case req.PublicKeyID != "" && len(req.PublicKeyID) != 44:
		return validation("publicKeyId: wymagana wartość o długości 44 znaków.")
	}
	if err := checkContext(c); err != nil {
		return validation("contextIdentifier: %v", err)
	}
	var policy *ipPolicy
	if req.AuthorizationPolicy != nil {
		p, err := parseIPPolicy(req.AuthorizationPolicy.AllowedIps)
		if err != nil {
			return validation("authorizationPolicy: %v", err)
		}
		policy = p
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	key, ok := s.keys.lookup(ksef.KsefTokenEncryption, req.PublicKeyID)
	if !ok {
		return badRequest(21470, fmt.Sprintf("Klucz o identyfikatorze %s nie jest wspierany.", req.PublicKeyID))
	}
	ch, e := s.useChallenge(req.Challenge, now)
	if e != nil {
		return e
	}
	op := &authOp{ctx: c, policy: policy, method: ksef.AuthMethodToken, methodInfo: methodToken}
	result := s.checkKSeFToken(op, key, req.EncryptedToken, ch, now)
	s.startAuth(op, result, now)
	return s.writeAuthInit(w, op)
}

// checkKSeFToken decrypts and checks an encrypted KSeF token and fills in
// the operation's subject and token. Callers hold s.mu.
func (s *Simulator) checkKSeFToken(op *authOp, key *mfKey, encrypted string, ch *challenge, now time.Time) ksef.StatusInfo {
	if _, err := base64.StdEncoding.DecodeString(encrypted); err != nil {
		return authFailed(450, detailTokenEncoding)
	}
	secret, ms, err := envelope.DecryptToken(key.priv, encrypted)
	switch {
	case errors.Is(err, envelope.ErrUnwrap):
		return authFailed(450, detailTokenEncryption)
	case err != nil:
		return authFailed(450, detailTokenEncoding)
	}
	if ms != ch.issued.UnixMilli() {
		return authFailed(450, detailTokenTime)
	}
	t := s.st.tokenBySecret[sha256.Sum256([]byte(secret))]
	if t == nil {
		return authFailed(450, detailBadToken)
	}
	op.tokenRef = t.ref
	op.subject = t.author
	switch t.status(now) {
	case ksef.TokenRevoked, ksef.TokenRevoking:
		return authFailed(450, detailTokenRevoked)
	case ksef.TokenPending, ksef.TokenFailed:
		return authFailed(450, detailTokenInactive)
	}
	if t.ctx != op.ctx {
		return authFailed(450, fmt.Sprintf(detailTokenWrongContex, op.ctx.Value))
	}
	used := now
	t.lastUse = &used
	if s.st.blocked[op.ctx] {
		return authFailed(480, detailBlocked)
	}
	if s.st.deceased(t.author) {
		return authFailed(470, detailDeceased)
	}
	return statusOK
}

// lookupAuth finds the operation of a principal by reference. Callers hold
// s.mu.
func (s *Simulator) lookupAuth(ref string) (*authOp, *apiError) {
	op := s.st.auths[ref]
	if op == nil {
		return nil, badRequest(21304, fmt.Sprintf("Operacja uwierzytelniania o numerze referencyjnym %s nie została znaleziona.", ref))
	}
	return op, nil
}

// handleAuthStatus serves GET /auth/{referenceNumber}.
func (s *Simulator) handleAuthStatus(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.authenticate(r, tokenOperation)
	if e != nil {
		return e
	}
	ref := r.PathValue("referenceNumber")
	if e := checkRef(ref); e != nil {
		return e
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	op, e := s.lookupAuth(ref)
	if e != nil {
		return e
	}
	if op.ref != p.claims.AuthRef {
		return forbidden(ksef.ReasonInsufficientResourceAccess, "Brak dostępu do wskazanego zasobu.", nil)
	}
	if now.Sub(op.started) > authRetention {
		return gone("Operacja wygasła i nie jest już dostępna.")
	}
	writeOK(w, http.StatusOK, s.authStatusBody(op, now))
	return nil
}

func (s *Simulator) authStatusBody(op *authOp, now time.Time) ksef.AuthenticationOperationStatusResponse {
	out := ksef.AuthenticationOperationStatusResponse{
		StartDate:                op.started,
		AuthenticationMethod:     op.method,
		AuthenticationMethodInfo: op.methodInfo,
		Status:                   op.status(now),
	}
	if out.Status.Code >= 200 {
		redeemed := op.redeemed
		out.IsTokenRedeemed = &redeemed
	}
	if op.redeemed {
		until := op.refreshValidUntil
		out.RefreshTokenValidUntil = &until
		out.LastTokenRefreshDate = op.lastRefresh
	}
	return out
}

// currentPermissions returns the permissions an access token of op gets
// now: the KSeF token's for token authentication, otherwise those of the
// subject in the context. Callers hold s.mu.
func (s *Simulator) currentPermissions(op *authOp) []string {
	if op.tokenRef != "" {
		if t := s.st.tokens[op.tokenRef]; t != nil {
			return t.perms
		}
		return nil
	}
	perms, _ := s.st.permissions(op.ctx, op.subject)
	return perms
}

// tokenRevoked reports whether op used a KSeF token that was revoked since.
// Callers hold s.mu.
func (s *Simulator) tokenRevoked(op *authOp, now time.Time) bool {
	if op.tokenRef == "" {
		return false
	}
	t := s.st.tokens[op.tokenRef]
	if t == nil {
		return true
	}
	st := t.status(now)
	return st == ksef.TokenRevoked || st == ksef.TokenRevoking
}

// handleRedeem serves POST /auth/token/redeem.
func (s *Simulator) handleRedeem(w http.ResponseWriter, r *http.Request) *apiError {
	return s.inTokenAuthOp(r, tokenOperation, func(op *authOp, now time.Time) *apiError {
		st := op.status(now)
		switch {
		case st.Code == 470:
			return badRequest(21308)
		case st.Code != 200:
			return badRequest(21301, fmt.Sprintf("Status uwierzytelniania (%d) nie pozwala na pobranie tokenów.", st.Code))
		case op.redeemed:
			return badRequest(21301, fmt.Sprintf("Tokeny dla operacji uwierzytelniania %s zostały już pobrane.", op.ref))
		}
		if e := s.checkEntitled(op, now); e != nil {
			return e
		}
		op.redeemed = true
		access, accessExp := s.issue(tokenContext, op, s.currentPermissions(op), s.cfg.lifetimes.Access)
		refresh, refreshExp := s.issue(tokenRefresh, op, nil, s.cfg.lifetimes.Refresh)
		op.refreshValidUntil = refreshExp
		writeOK(w, http.StatusOK, ksef.AuthenticationTokensResponse{
			AccessToken:  ksef.TokenInfo{Token: ksef.Secret(access), ValidUntil: accessExp},
			RefreshToken: ksef.TokenInfo{Token: ksef.Secret(refresh), ValidUntil: refreshExp},
		})
		return nil
	})
}

// inTokenAuthOp authenticates r with a token of type typ and runs fn with
// s.mu held on the authentication operation the token belongs to and the
// time the request came in.
func (s *Simulator) inTokenAuthOp(r *http.Request, typ string, fn func(op *authOp, now time.Time) *apiError) *apiError {
	p, e := s.authenticate(r, typ)
	if e != nil {
		return e
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	op, e := s.lookupAuth(p.claims.AuthRef)
	if e != nil {
		return e
	}
	return fn(op, now)
}

// checkEntitled refuses tokens for op when the KSeF token it used was
// revoked or its subject has died since. Callers hold s.mu.
func (s *Simulator) checkEntitled(op *authOp, now time.Time) *apiError {
	switch {
	case s.tokenRevoked(op, now):
		return badRequest(21301, "Token KSeF został unieważniony.")
	case s.st.deceased(op.subject):
		return badRequest(21308)
	}
	return nil
}

// handleRefresh serves POST /auth/token/refresh.
func (s *Simulator) handleRefresh(w http.ResponseWriter, r *http.Request) *apiError {
	return s.inTokenAuthOp(r, tokenRefresh, func(op *authOp, now time.Time) *apiError {
		if st := op.status(now); st.Code != 200 {
			return badRequest(21301, fmt.Sprintf("Status uwierzytelniania (%d) nie pozwala na odświeżenie tokenu dostępowego.", st.Code))
		}
		if e := s.checkEntitled(op, now); e != nil {
			return e
		}
		access, exp := s.issue(tokenContext, op, s.currentPermissions(op), s.cfg.lifetimes.Access)
		last := now
		op.lastRefresh = &last
		writeOK(w, http.StatusOK, ksef.AuthenticationTokenRefreshResponse{
			AccessToken: ksef.TokenInfo{Token: ksef.Secret(access), ValidUntil: exp},
		})
		return nil
	})
}
