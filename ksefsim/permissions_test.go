package ksefsim

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ident"
)

// permissionOps are the permission operations the simulator serves.
var permissionOps = []string{
	"DELETE /permissions/authorizations/grants/{permissionId}", "DELETE /permissions/common/grants/{permissionId}",
	"GET /permissions/attachments/status", "GET /permissions/operations/{referenceNumber}",
	"GET /permissions/query/entities/roles",
	"POST /permissions/authorizations/grants", "POST /permissions/entities/grants",
	"POST /permissions/eu-entities/administration/grants", "POST /permissions/eu-entities/grants",
	"POST /permissions/indirect/grants", "POST /permissions/persons/grants",
	"POST /permissions/query/authorizations/grants", "POST /permissions/query/entities/grants",
	"POST /permissions/query/eu-entities/grants", "POST /permissions/query/personal/grants",
	"POST /permissions/query/persons/grants", "POST /permissions/query/subordinate-entities/roles",
	"POST /permissions/query/subunits/grants", "POST /permissions/subunits/grants",
}

// TestPermissionRequestValidation covers what the simulator refuses before
// an operation starts: malformed identifiers and details (400/21405, with
// a wrong internal-identifier check digit among them, workflows §J 76), a
// grant from the wrong context type (403 context-type-not-allowed),
// paging out of range, and an unknown operation or permission id.
func TestPermissionRequestValidation(t *testing.T) {
	h := newHarness(t)
	owner := randomNIP()
	access := h.login(nipCtx(owner), "certificateSubject", seal(t, owner)).AccessToken.Token.Reveal()
	fp := fingerprintOnly(t)
	vatue := ctxID{"NipVatUe", owner + "-DE123456789"}
	h.s.mu.Lock()
	h.s.st.grant(vatue, subjectID{subjFingerprint, fp.Fingerprint()}, "InvoiceRead")
	h.s.mu.Unlock()
	euAccess := h.login(vatue, "certificateFingerprint", fp).AccessToken.Token.Reveal()

	person := ksef.PersonByIdentifier("Jan", "Nowak")
	pesel := ident.Identifier{Type: ident.TypePesel, Value: randomPESEL()}
	unit, err := ident.NewInternalID(ident.NIP(owner), 3)
	if err != nil {
		t.Fatal(err)
	}
	badUnit := string(unit[:15]) + string(rune('0'+(int(unit[15]-'0')+1)%10))
	tests := []struct {
		name, path, token string
		body              any
		status, code      int
	}{
		{"person ok", "/permissions/persons/grants", access, ksef.PersonPermissionsGrantRequest{SubjectIdentifier: pesel, Permissions: []ksef.PersonPermissionType{"InvoiceRead"}, Description: "reader", SubjectDetails: person}, 202, 0},
		{"bad PESEL", "/permissions/persons/grants", access, ksef.PersonPermissionsGrantRequest{SubjectIdentifier: ident.Identifier{Type: ident.TypePesel, Value: "12345678901"}, Permissions: []ksef.PersonPermissionType{"InvoiceRead"}, Description: "reader", SubjectDetails: person}, 400, 21405},
		{"unknown permission", "/permissions/persons/grants", access, ksef.PersonPermissionsGrantRequest{SubjectIdentifier: pesel, Permissions: []ksef.PersonPermissionType{"VatUeManage"}, Description: "reader", SubjectDetails: person}, 400, 21405},
		{"permission twice", "/permissions/persons/grants", access, ksef.PersonPermissionsGrantRequest{SubjectIdentifier: pesel, Permissions: []ksef.PersonPermissionType{"InvoiceRead", "InvoiceRead"}, Description: "reader", SubjectDetails: person}, 400, 21405},
		{"details of a fingerprint for a PESEL", "/permissions/persons/grants", access, ksef.PersonPermissionsGrantRequest{SubjectIdentifier: pesel, Permissions: []ksef.PersonPermissionType{"InvoiceRead"}, Description: "reader",
			SubjectDetails: ksef.PersonByFingerprintWithIdentifier("Jan", "Nowak", pesel)}, 400, 21405},
		{"details missing", "/permissions/persons/grants", access, ksef.PersonPermissionsGrantRequest{SubjectIdentifier: pesel, Permissions: []ksef.PersonPermissionType{"InvoiceRead"}, Description: "reader",
			SubjectDetails: ksef.PersonPermissionSubjectDetails{SubjectDetailsType: ksef.PersonPermissionSubjectDetailsTypePersonByIdentifier}}, 400, 21405},
		{"short description", "/permissions/persons/grants", access, ksef.PersonPermissionsGrantRequest{SubjectIdentifier: pesel, Permissions: []ksef.PersonPermissionType{"InvoiceRead"}, Description: "abc", SubjectDetails: person}, 400, 21405},
		{"person grant from NipVatUe", "/permissions/persons/grants", euAccess, ksef.PersonPermissionsGrantRequest{SubjectIdentifier: pesel, Permissions: []ksef.PersonPermissionType{"InvoiceRead"}, Description: "reader", SubjectDetails: person}, 403, 0},
		{"entity PESEL subject", "/permissions/entities/grants", access, ksef.EntityPermissionsGrantRequest{SubjectIdentifier: pesel, Permissions: []ksef.EntityPermission{{Type: "InvoiceRead"}}, Description: "office", SubjectDetails: ksef.EntityDetails{FullName: "Biuro"}}, 400, 21405},
		{"subunit bad check digit", "/permissions/subunits/grants", access, ksef.SubunitPermissionsGrantRequest{SubjectIdentifier: pesel, ContextIdentifier: ident.Identifier{Type: ident.TypeInternalID, Value: badUnit}, Description: "admin", SubunitName: "Oddział", SubjectDetails: person}, 400, 21405},
		{"subunit without name", "/permissions/subunits/grants", access, ksef.SubunitPermissionsGrantRequest{SubjectIdentifier: pesel, ContextIdentifier: ident.Identifier{Type: ident.TypeInternalID, Value: string(unit)}, Description: "admin", SubjectDetails: person}, 400, 21405},
		{"subunit ok", "/permissions/subunits/grants", access, ksef.SubunitPermissionsGrantRequest{SubjectIdentifier: pesel, ContextIdentifier: ident.Identifier{Type: ident.TypeInternalID, Value: string(unit)}, Description: "admin", SubunitName: "Oddział", SubjectDetails: person}, 202, 0},
		{"EU rep without VatUeManage", "/permissions/eu-entities/grants", euAccess, ksef.EuEntityPermissionsGrantRequest{SubjectIdentifier: ident.Identifier{Type: ident.TypeFingerprint, Value: fp.Fingerprint()}, Permissions: []ksef.EuEntityPermissionType{"InvoiceRead"}, Description: "rep", SubjectDetails: ksef.EUEntityByFingerprint("X GmbH", "Berlin")}, 403, 0},
		{"EU admin from NipVatUe", "/permissions/eu-entities/administration/grants", euAccess, ksef.EuEntityAdministrationPermissionsGrantRequest{}, 403, 0},
		{"authorization unknown", "/permissions/authorizations/grants", access, ksef.EntityAuthorizationPermissionsGrantRequest{SubjectIdentifier: ident.Identifier{Type: ident.TypeNip, Value: randomNIP()}, Permission: "InvoiceRead", Description: "bad one", SubjectDetails: ksef.EntityDetails{FullName: "X"}}, 400, 21405},
		{"indirect bad target", "/permissions/indirect/grants", access, ksef.IndirectPermissionsGrantRequest{SubjectIdentifier: pesel, TargetIdentifier: &ksef.IndirectPermissionsTargetIdentifier{Type: ident.TypePesel, Value: pesel.Value}, Permissions: []ksef.IndirectPermissionType{"InvoiceRead"}, Description: "clerk", SubjectDetails: person}, 400, 21405},
		{"persons query without type", "/permissions/query/persons/grants", access, ksef.PersonPermissionsQueryRequest{}, 400, 21405},
		{"page size 5", "/permissions/query/personal/grants?pageSize=5", access, ksef.PersonalPermissionsQueryRequest{}, 400, 21405},
		{"page size 101", "/permissions/query/subunits/grants?pageSize=101", access, ksef.SubunitPermissionsQueryRequest{}, 400, 21405},
		{"negative page", "/permissions/query/entities/grants?pageOffset=-1", access, ksef.EntityPermissionsQueryRequest{}, 400, 21405},
		{"page beyond the end", "/permissions/query/persons/grants?pageOffset=7", access, ksef.PersonPermissionsQueryRequest{QueryType: "PermissionsInCurrentContext"}, 200, 0},
		{"no token", "/permissions/query/personal/grants", "", ksef.PersonalPermissionsQueryRequest{}, 401, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := h.do(req{method: "POST", path: tt.path, token: tt.token, body: tt.body})
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tt.status, w.Body.String())
			}
			if tt.code != 0 {
				if code := exceptionCode(t, w); code != tt.code {
					t.Errorf("code %d, want %d", code, tt.code)
				}
			}
		})
	}
	// An unknown operation and an unknown permission id: 400/21405.
	if code := exceptionCode(t, h.do(req{method: "GET", path: "/permissions/operations/20260310-EG-0000000000-0000000000-00", token: access})); code != 21405 {
		t.Errorf("unknown operation: %d", code)
	}
	if code := exceptionCode(t, h.do(req{method: "DELETE", path: "/permissions/common/grants/00000000-0000-4000-8000-000000000000", token: access})); code != 21405 {
		t.Errorf("unknown permission: %d", code)
	}
	if code := exceptionCode(t, h.do(req{method: "DELETE", path: "/permissions/common/grants/short", token: access})); code != 21405 {
		t.Errorf("short permission id: %d", code)
	}
}

// TestPermissionOperationLifecycle checks the status of an operation on
// the simulator's clock: 100 during the processing delay (the grant not
// yet in force), 200 afterwards, 410 Gone after 30 days; and that an
// operation of another context is not found.
func TestPermissionOperationLifecycle(t *testing.T) {
	h := newHarness(t)
	owner, other := randomNIP(), randomNIP()
	access := h.login(nipCtx(owner), "certificateSubject", seal(t, owner)).AccessToken.Token.Reveal()
	otherAccess := h.login(nipCtx(other), "certificateSubject", seal(t, other)).AccessToken.Token.Reveal()
	h.s.cfg.processingDelay = 2 * time.Second // after the logins, which would wait for it
	sub := ident.Identifier{Type: ident.TypeNip, Value: randomNIP()}
	var op ksef.PermissionsOperationResponse
	h.ok(req{method: "POST", path: "/permissions/persons/grants", token: access, body: ksef.PersonPermissionsGrantRequest{
		SubjectIdentifier: sub, Permissions: []ksef.PersonPermissionType{"InvoiceWrite"}, Description: "writer",
		SubjectDetails: ksef.PersonByIdentifier("Jan", "Nowak"),
	}}, 202, &op)
	if _, err := ident.ParseReferenceNumber(op.ReferenceNumber); err != nil || !strings.Contains(op.ReferenceNumber, "-EG-") {
		t.Errorf("reference number %q: %v", op.ReferenceNumber, err)
	}
	status := func(token string) ksef.StatusInfo {
		var st ksef.PermissionsOperationStatusResponse
		h.ok(req{method: "GET", path: "/permissions/operations/" + op.ReferenceNumber, token: token}, 200, &st)
		return st.Status
	}
	held := func() []string {
		h.s.mu.Lock()
		defer h.s.mu.Unlock()
		p, _ := h.s.st.permissions(nipCtx(owner), subjectID{subjNip, sub.Value})
		return p
	}
	if st := status(access); st.Code != 100 || len(held()) != 0 {
		t.Errorf("during processing: %+v, held %v", st, held())
	}
	h.clk.Advance(2 * time.Second)
	if st := status(access); st.Code != 200 || !slices.Equal(held(), []string{"InvoiceWrite"}) {
		t.Errorf("after processing: %+v, held %v", st, held())
	}
	h.ok(req{method: "GET", path: "/permissions/operations/" + op.ReferenceNumber, token: otherAccess}, 400, nil)
	h.clk.Advance(30*24*time.Hour + time.Minute)
	h.s.cfg.processingDelay = 0
	fresh := h.login(nipCtx(owner), "certificateSubject", seal(t, owner)).AccessToken.Token.Reveal()
	h.ok(req{method: "GET", path: "/permissions/operations/" + op.ReferenceNumber, token: fresh}, 410, nil)
}
