package ksefsim

import (
	"slices"
	"strings"
	"time"

	"github.com/ksef2/ksef"
)

// ctxID is a context identifier (type Nip, InternalId, NipVatUe or
// PeppolId, and its value).
type ctxID struct{ Type, Value string }

func (c ctxID) String() string { return c.Type + ":" + c.Value }

// subjectID identifies who authenticated: type Nip, Pesel or Fingerprint.
type subjectID struct{ Type, Value string }

// Subject identifier types.
const (
	subjNip         = "Nip"
	subjPesel       = "Pesel"
	subjFingerprint = "Fingerprint"
)

// normSubject canonicalises a subject identifier (fingerprints compare
// case-insensitively).
func normSubject(s subjectID) subjectID {
	if s.Type == subjFingerprint {
		s.Value = strings.ToUpper(s.Value)
	}
	return s
}

type challenge struct {
	value  string
	issued time.Time
	used   bool
}

// authOp is an authentication operation and, once it succeeded, the
// authentication session built on it.
type authOp struct {
	ref        string
	started    time.Time
	readyAt    time.Time
	ctx        ctxID
	subject    subjectID
	method     ksef.AuthenticationMethod
	methodInfo ksef.AuthenticationMethodInfo
	result     ksef.StatusInfo
	tokenRef   string // the KSeF token used, for token authentication
	docHash    string // Base64 SHA-256 of the signed AuthTokenRequest (XAdES)
	policy     *ipPolicy

	redeemed          bool
	revoked           bool
	refreshValidUntil time.Time
	lastRefresh       *time.Time
}

// status returns the operation status at now.
func (op *authOp) status(now time.Time) ksef.StatusInfo {
	if now.Before(op.readyAt) {
		return ksef.StatusInfo{Code: 100, Description: "Uwierzytelnianie w toku"}
	}
	if op.revoked {
		return ksef.StatusInfo{
			Code:        425,
			Description: "Uwierzytelnienie unieważnione",
			Details:     []string{"Uwierzytelnienie i powiązane refresh tokeny zostały unieważnione przez użytkownika."},
		}
	}
	return op.result
}

// ksefToken is a KSeF token generated with POST /tokens.
type ksefToken struct {
	ref         string
	secretHash  [32]byte
	ctx         ctxID
	author      subjectID
	description string
	perms       []string
	created     time.Time
	activeAt    time.Time
	lastUse     *time.Time
	// final is set for states that do not follow from time: Revoking,
	// Revoked, Failed.
	final ksef.AuthenticationTokenStatus
}

func (t *ksefToken) status(now time.Time) ksef.AuthenticationTokenStatus {
	if t.final != "" {
		return t.final
	}
	if now.Before(t.activeAt) {
		return ksef.TokenPending
	}
	return ksef.TokenActive
}

type testSubject struct {
	nip         string
	typ         ksef.SubjectType
	description string
	subunits    []string
	created     time.Time
}

type testPerson struct {
	nip, pesel  string
	bailiff     bool
	deceased    bool
	description string
	created     time.Time
}

// state is everything the simulator remembers; guarded by Simulator.mu.
type state struct {
	challenges     map[string]*challenge
	challengeQueue []*challenge // in issue order, for expiry
	auths          map[string]*authOp
	authOrder      []*authOp
	tokens         map[string]*ksefToken
	tokenBySecret  map[[32]byte]*ksefToken
	subjects       map[string]*testSubject // by NIP
	persons        map[string]*testPerson  // by NIP
	grants         map[ctxID]map[subjectID][]string
	blocked        map[ctxID]bool
	onlineSt       *onlineStore  // see online()
	invoiceSt      *invoiceStore // see invoices()
	exportSt       *exportStore  // see exports()
}

func newState() *state {
	return &state{
		challenges:    map[string]*challenge{},
		auths:         map[string]*authOp{},
		tokens:        map[string]*ksefToken{},
		tokenBySecret: map[[32]byte]*ksefToken{},
		subjects:      map[string]*testSubject{},
		persons:       map[string]*testPerson{},
		grants:        map[ctxID]map[subjectID][]string{},
		blocked:       map[ctxID]bool{},
	}
}

// ownerPermissions are the permissions of a context's owner (the taxpayer
// itself or the person linked to its NIP).
var ownerPermissions = []string{
	"InvoiceRead", "InvoiceWrite", "Introspection", "CredentialsRead",
	"CredentialsManage", "SubunitManage", "CollectiveIdentifierManage",
}

// personByPesel finds a test person by PESEL.
func (st *state) personByPesel(pesel string) *testPerson {
	for _, p := range st.persons {
		if p.pesel == pesel {
			return p
		}
	}
	return nil
}

// contextNIP returns the NIP a context belongs to: the NIP itself, the NIP
// part of an InternalId ("{nip}-{5 digits}") or of a NipVatUe.
func contextNIP(c ctxID) string {
	switch c.Type {
	case "Nip":
		return c.Value
	case "InternalId", "NipVatUe":
		nip, _, _ := strings.Cut(c.Value, "-")
		return nip
	}
	return ""
}

// isOwner reports whether sub owns the context: it authenticated with the
// context's NIP, or with the PESEL of the person registered for that NIP.
// InternalId contexts are owned by the owner of their NIP.
func (st *state) isOwner(c ctxID, sub subjectID) bool {
	if c.Type != "Nip" && c.Type != "InternalId" {
		return false
	}
	nip := contextNIP(c)
	switch sub.Type {
	case subjNip:
		return sub.Value == nip
	case subjPesel:
		p := st.persons[nip]
		return p != nil && p.pesel == sub.Value
	}
	return false
}

// permissions returns what sub may do in context c and whether it may log
// in there at all.
func (st *state) permissions(c ctxID, sub subjectID) (perms []string, allowed bool) {
	sub = normSubject(sub)
	if st.isOwner(c, sub) {
		perms = slices.Clone(ownerPermissions)
		nip := contextNIP(c)
		if p := st.persons[nip]; p != nil && p.bailiff {
			perms = append(perms, "EnforcementOperations")
		}
		if s := st.subjects[nip]; s != nil && s.typ == ksef.SubjectEnforcementAuthority {
			perms = append(perms, "EnforcementOperations")
		}
		allowed = true
	}
	if g := st.grants[c][sub]; len(g) > 0 {
		perms = append(perms, g...)
		allowed = true
	}
	slices.Sort(perms)
	return slices.Compact(perms), allowed
}

// deceased reports whether sub is a test person marked as deceased.
func (st *state) deceased(sub subjectID) bool {
	switch sub.Type {
	case subjNip:
		p := st.persons[sub.Value]
		return p != nil && p.deceased
	case subjPesel:
		p := st.personByPesel(sub.Value)
		return p != nil && p.deceased
	}
	return false
}

// grant adds permissions of sub in context c.
func (st *state) grant(c ctxID, sub subjectID, perms ...string) {
	sub = normSubject(sub)
	m := st.grants[c]
	if m == nil {
		m = map[subjectID][]string{}
		st.grants[c] = m
	}
	cur := append(m[sub], perms...)
	slices.Sort(cur)
	m[sub] = slices.Compact(cur)
}

// revokeAll removes every permission of sub in context c.
func (st *state) revokeAll(c ctxID, sub subjectID) {
	sub = normSubject(sub)
	if m := st.grants[c]; m != nil {
		delete(m, sub)
		if len(m) == 0 {
			delete(st.grants, c)
		}
	}
}
