package ksefsim

import (
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ksef2/ksef"
)

// JWT token types (claim "token-type").
const (
	tokenOperation = "OperationToken" // authenticationToken
	tokenContext   = "ContextToken"   // accessToken
	tokenRefresh   = "RefreshToken"   // refreshToken
)

const jwtIssuer = "ksef-sim"

// claims are the claims of every JWT the simulator issues. KSeF clients
// treat tokens as opaque; the names follow what KSeF's tokens carry.
type claims struct {
	jwt.RegisteredClaims
	TokenType      string   `json:"token-type"`
	ContextType    string   `json:"context-identifier-type"`
	ContextValue   string   `json:"context-identifier-value"`
	AuthMethod     string   `json:"authentication-method"`
	SubjectDetails string   `json:"subject-details"`
	AuthRef        string   `json:"auth-reference-number"`
	Permissions    []string `json:"permissions,omitempty"`
}

// issue signs a JWT of the given type for op, valid for ttl from now.
func (s *Simulator) issue(typ string, op *authOp, perms []string, ttl time.Duration) (string, time.Time) {
	now := s.now()
	exp := now.Add(ttl).Truncate(time.Second)
	details, _ := json.Marshal(map[string]any{
		"SubjectIdentifier": map[string]string{"Type": op.subject.Type, "Value": op.subject.Value},
	})
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    jwtIssuer,
			Audience:  jwt.ClaimStrings{jwtIssuer},
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(exp),
			ID:        newTraceID(),
		},
		TokenType:      typ,
		ContextType:    op.ctx.Type,
		ContextValue:   op.ctx.Value,
		AuthMethod:     string(op.method),
		SubjectDetails: string(details),
		AuthRef:        op.ref,
		Permissions:    perms,
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.jwtKey)
	if err != nil {
		panic("ksefsim: cannot sign a JWT: " + err.Error())
	}
	return tok, exp
}

// parseToken checks a JWT's signature and, unless ignoreExpiry, its expiry
// against the simulator's clock.
func (s *Simulator) parseToken(tok string, ignoreExpiry bool) (*claims, error) {
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(jwtIssuer),
		jwt.WithTimeFunc(s.now),
		jwt.WithExpirationRequired(),
	}
	if ignoreExpiry {
		opts = append(opts, jwt.WithoutClaimsValidation())
	}
	c := new(claims)
	_, err := jwt.ParseWithClaims(tok, c, func(*jwt.Token) (any, error) { return s.jwtKey, nil }, opts...)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// bearer returns the token of the Authorization header.
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
}

// principal is an authenticated caller.
type principal struct {
	claims *claims
	op     *authOp // the authentication the token belongs to (read under s.mu)
}

func (p *principal) ctx() ctxID { return ctxID{p.claims.ContextType, p.claims.ContextValue} }

// hasAny reports whether the caller holds one of perms.
func (p *principal) hasAny(perms ...string) bool {
	for _, x := range perms {
		if slices.Contains(p.claims.Permissions, x) {
			return true
		}
	}
	return false
}

// authenticate checks the Bearer token of r: a valid, unexpired JWT of one of
// the given types whose authentication operation the simulator knows. For
// access tokens it also enforces the operation's IP policy.
func (s *Simulator) authenticate(r *http.Request, types ...string) (*principal, *apiError) {
	tok, ok := bearer(r)
	if !ok {
		return nil, unauthorized("Wymagane jest uwierzytelnienie.")
	}
	c, err := s.parseToken(tok, false)
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return nil, unauthorized("Token wygasł.")
		}
		return nil, unauthorized("Nieprawidłowy token.")
	}
	if !slices.Contains(types, c.TokenType) {
		return nil, unauthorized("Nieprawidłowy typ tokena.")
	}
	s.mu.Lock()
	op := s.st.auths[c.AuthRef]
	s.mu.Unlock()
	if op == nil {
		return nil, unauthorized("Nieznana sesja uwierzytelnienia.")
	}
	if c.TokenType == tokenContext && op.policy != nil {
		ip := clientIP(r)
		if !op.policy.allows(ip) {
			return nil, forbidden(ksef.ReasonIPNotAllowed,
				"Żądanie pochodzi z adresu IP innego niż wskazany podczas uwierzytelnienia.",
				map[string]any{"clientIp": ip})
		}
	}
	return &principal{claims: c, op: op}, nil
}

// requireAccess authenticates r with an access token.
func (s *Simulator) requireAccess(r *http.Request) (*principal, *apiError) {
	return s.authenticate(r, tokenContext)
}

// requirePermission authenticates r with an access token holding one of
// perms; otherwise it answers 403 missing-permissions.
func (s *Simulator) requirePermission(r *http.Request, perms ...string) (*principal, *apiError) {
	p, e := s.requireAccess(r)
	if e != nil {
		return nil, e
	}
	if len(perms) > 0 && !p.hasAny(perms...) {
		present := p.claims.Permissions
		if present == nil {
			present = []string{}
		}
		return nil, forbidden(ksef.ReasonMissingPermissions,
			"Brak wymaganych uprawnień do wykonania operacji w bieżącym kontekście.",
			map[string]any{"requiredAnyOfPermissions": perms, "presentPermissions": present})
	}
	return p, nil
}

// rateContext returns the context a request counts against for rate
// limiting: the context of its Bearer token, or "" for anonymous requests.
func (s *Simulator) rateContext(r *http.Request) string {
	tok, ok := bearer(r)
	if !ok {
		return ""
	}
	c, err := s.parseToken(tok, true)
	if err != nil {
		return ""
	}
	return c.ContextType + ":" + c.ContextValue
}
