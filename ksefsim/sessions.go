package ksefsim

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/ksef2/ksef"
)

// continuation is the content of the simulator's continuation tokens.
type continuation struct {
	Offset int    `json:"o"`
	Kind   string `json:"k"`
}

func encodeContinuation(kind string, offset int) string {
	b, _ := json.Marshal(continuation{Offset: offset, Kind: kind})
	return base64.StdEncoding.EncodeToString(b)
}

// decodeContinuation reads the x-continuation-token header; a malformed
// token is 400/21418.
func decodeContinuation(r *http.Request, kind string) (int, *apiError) {
	h := r.Header.Get("x-continuation-token")
	if h == "" {
		return 0, nil
	}
	b, err := base64.StdEncoding.DecodeString(h)
	var c continuation
	if err != nil || json.Unmarshal(b, &c) != nil || c.Kind != kind || c.Offset < 0 {
		return 0, badRequest(21418)
	}
	return c.Offset, nil
}

// pageSize reads the pageSize query parameter (default def, within
// [lo, hi]); anything else is 400/21405.
func pageSize(r *http.Request, def, lo, hi int) (int, *apiError) {
	v := r.URL.Query().Get("pageSize")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, validation("pageSize: wartość musi być liczbą z zakresu %d-%d.", lo, hi)
	}
	return n, nil
}

// pageParams reads the pageSize query parameter (10 to hi, default 10)
// and the offset carried by the continuation token of kind.
func pageParams(r *http.Request, hi int, kind string) (size, offset int, e *apiError) {
	size, e = pageSize(r, 10, 10, hi)
	if e != nil {
		return 0, 0, e
	}
	offset, e = decodeContinuation(r, kind)
	if e != nil {
		return 0, 0, e
	}
	return size, offset, nil
}

// page returns the page of at most size items from offset on (never nil,
// so that it is a JSON array) and the continuation token of kind for the
// next page, "" on the last one.
func page[T any](items []T, offset, size int, kind string) ([]T, string) {
	if offset >= len(items) {
		return []T{}, ""
	}
	end := min(offset+size, len(items))
	next := ""
	if end < len(items) {
		next = encodeContinuation(kind, end)
	}
	return items[offset:end], next
}

// activeSession reports whether op is an authentication session that still
// lives: successful, not revoked, and its refresh token (or, before redeem,
// its authentication token) not expired.
func (s *Simulator) activeSession(op *authOp, now time.Time) bool {
	if op.status(now).Code != 200 {
		return false
	}
	if op.redeemed {
		return now.Before(op.refreshValidUntil)
	}
	return now.Before(op.started.Add(s.cfg.lifetimes.Authentication))
}

// handleListAuthSessions serves GET /auth/sessions.
func (s *Simulator) handleListAuthSessions(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.requireAccess(r)
	if e != nil {
		return e
	}
	size, offset, e := pageParams(r, 100, "auth-sessions")
	if e != nil {
		return e
	}
	now := s.now()
	s.mu.Lock()
	var items []ksef.AuthenticationListItem
	for _, op := range slices.Backward(s.st.authOrder) {
		if op.ctx != p.ctx() || !s.activeSession(op, now) {
			continue
		}
		st := s.authStatusBody(op, now)
		items = append(items, ksef.AuthenticationListItem{
			StartDate:                st.StartDate,
			AuthenticationMethod:     st.AuthenticationMethod,
			AuthenticationMethodInfo: st.AuthenticationMethodInfo,
			Status:                   st.Status,
			IsTokenRedeemed:          st.IsTokenRedeemed,
			LastTokenRefreshDate:     st.LastTokenRefreshDate,
			RefreshTokenValidUntil:   st.RefreshTokenValidUntil,
			ReferenceNumber:          op.ref,
			IsCurrent:                op.ref == p.claims.AuthRef,
		})
	}
	s.mu.Unlock()
	var out ksef.AuthenticationListResponse
	out.Items, out.ContinuationToken = page(items, offset, size, "auth-sessions")
	writeOK(w, http.StatusOK, out)
	return nil
}

// handleRevokeCurrentSession serves DELETE /auth/sessions/current.
func (s *Simulator) handleRevokeCurrentSession(w http.ResponseWriter, r *http.Request) *apiError {
	p, e := s.authenticate(r, tokenContext, tokenRefresh)
	if e != nil {
		return e
	}
	s.mu.Lock()
	p.op.revoked = true
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleRevokeSession serves DELETE /auth/sessions/{referenceNumber}.
func (s *Simulator) handleRevokeSession(w http.ResponseWriter, r *http.Request) *apiError {
	p, refs, e := s.requireRefs(r, nil, "referenceNumber")
	if e != nil {
		return e
	}
	ref := refs[0]
	s.mu.Lock()
	op := s.st.auths[ref]
	if op == nil || op.ctx != p.ctx() {
		s.mu.Unlock()
		return validation("Sesja uwierzytelnienia %s nie została znaleziona w bieżącym kontekście.", ref)
	}
	op.revoked = true
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// handlePublicKeys serves GET /security/public-key-certificates.
func (s *Simulator) handlePublicKeys(w http.ResponseWriter, r *http.Request) *apiError {
	s.mu.Lock()
	out := make([]ksef.PublicKeyCertificate, 0, len(usages))
	for _, u := range usages {
		k := s.keys.current[u]
		if k == nil {
			continue
		}
		out = append(out, ksef.PublicKeyCertificate{
			Certificate:   k.der,
			CertificateID: k.certificateID,
			PublicKeyID:   k.publicKeyID,
			ValidFrom:     k.validFrom,
			ValidTo:       k.validTo,
			Usage:         []ksef.PublicKeyCertificateUsage{u},
		})
	}
	s.mu.Unlock()
	writeOK(w, http.StatusOK, out)
	return nil
}
