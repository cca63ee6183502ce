package ksef_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ident"
)

// TestPermissionsLocalValidation checks that malformed permission requests
// are refused before anything is sent.
func TestPermissionsLocalValidation(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("request sent: %s %s", r.Method, r.URL.Path)
		w.WriteHeader(http.StatusTeapot)
	}))
	defer srv.Close()
	c, err := ksef.NewClient(ksef.WithBaseURL(srv.URL + "/v2"))
	if err != nil {
		t.Fatal(err)
	}
	p := c.Auth.ResumeWith(ksef.StaticToken("token")).Permissions
	ctx := t.Context()
	pesel := ident.Identifier{Type: ident.TypePesel, Value: "44051401359"}
	fp := ident.Identifier{Type: ident.TypeFingerprint, Value: strings.Repeat("AB", 32)}
	person := ksef.PersonByIdentifier("Jan", "Nowak")
	read := []ksef.PersonPermissionType{ksef.PersonPermissionTypeInvoiceRead}
	unit, _ := ident.NewInternalID("5265877635", 1)
	bad := string(unit[:15]) + string(rune('0'+(int(unit[15]-'0')+1)%10))
	calls := map[string]func(context.Context) error{
		"nil persons": func(ctx context.Context) error { _, err := p.GrantPersons(ctx, nil); return err },
		"bad PESEL": func(ctx context.Context) error {
			_, err := p.GrantPersons(ctx, &ksef.PersonPermissionsGrantRequest{SubjectIdentifier: ident.Identifier{Type: ident.TypePesel, Value: "12345678901"}, Permissions: read, Description: "reader", SubjectDetails: person})
			return err
		},
		"short fp": func(ctx context.Context) error {
			_, err := p.GrantPersons(ctx, &ksef.PersonPermissionsGrantRequest{SubjectIdentifier: ident.Identifier{Type: ident.TypeFingerprint, Value: "AB"}, Permissions: read, Description: "reader", SubjectDetails: person})
			return err
		},
		"by-id for fp": func(ctx context.Context) error {
			_, err := p.GrantPersons(ctx, &ksef.PersonPermissionsGrantRequest{SubjectIdentifier: fp, Permissions: read, Description: "reader", SubjectDetails: person})
			return err
		},
		"fp details for PESEL": func(ctx context.Context) error {
			_, err := p.GrantPersons(ctx, &ksef.PersonPermissionsGrantRequest{SubjectIdentifier: pesel, Permissions: read, Description: "reader", SubjectDetails: ksef.PersonByFingerprintWithIdentifier("Jan", "Nowak", pesel)})
			return err
		},
		"no permissions": func(ctx context.Context) error {
			_, err := p.GrantPersons(ctx, &ksef.PersonPermissionsGrantRequest{SubjectIdentifier: pesel, Description: "reader", SubjectDetails: person})
			return err
		},
		"short description": func(ctx context.Context) error {
			_, err := p.GrantPersons(ctx, &ksef.PersonPermissionsGrantRequest{SubjectIdentifier: pesel, Permissions: read, Description: "abc", SubjectDetails: person})
			return err
		},
		"entity PESEL": func(ctx context.Context) error {
			_, err := p.GrantEntities(ctx, &ksef.EntityPermissionsGrantRequest{SubjectIdentifier: pesel, Permissions: []ksef.EntityPermission{{Type: "InvoiceRead"}}, Description: "office", SubjectDetails: ksef.EntityDetails{FullName: "X"}})
			return err
		},
		"authorization PESEL": func(ctx context.Context) error {
			_, err := p.GrantAuthorization(ctx, &ksef.EntityAuthorizationPermissionsGrantRequest{SubjectIdentifier: pesel, Permission: "SelfInvoicing", Description: "self bill", SubjectDetails: ksef.EntityDetails{FullName: "X"}})
			return err
		},
		"indirect target PESEL": func(ctx context.Context) error {
			_, err := p.GrantIndirect(ctx, &ksef.IndirectPermissionsGrantRequest{SubjectIdentifier: pesel, TargetIdentifier: &ksef.IndirectPermissionsTargetIdentifier{Type: ident.TypePesel, Value: pesel.Value}, Permissions: []ksef.IndirectPermissionType{"InvoiceRead"}, Description: "clerk", SubjectDetails: person})
			return err
		},
		"subunit check digit": func(ctx context.Context) error {
			_, err := p.GrantSubunitAdmin(ctx, &ksef.SubunitPermissionsGrantRequest{SubjectIdentifier: pesel, ContextIdentifier: ident.Identifier{Type: ident.TypeInternalID, Value: bad}, Description: "admin", SubunitName: "Oddział", SubjectDetails: person})
			return err
		},
		"subunit without name": func(ctx context.Context) error {
			_, err := p.GrantSubunitAdmin(ctx, &ksef.SubunitPermissionsGrantRequest{SubjectIdentifier: pesel, ContextIdentifier: ident.Identifier{Type: ident.TypeInternalID, Value: string(unit)}, Description: "admin", SubjectDetails: person})
			return err
		},
		"EU admin PESEL": func(ctx context.Context) error {
			_, err := p.GrantEUEntityAdmin(ctx, &ksef.EuEntityAdministrationPermissionsGrantRequest{SubjectIdentifier: pesel})
			return err
		},
		"EU admin no details": func(ctx context.Context) error {
			_, err := p.GrantEUEntityAdmin(ctx, &ksef.EuEntityAdministrationPermissionsGrantRequest{SubjectIdentifier: fp, ContextIdentifier: ident.Identifier{Type: ident.TypeNipVatUe, Value: "5265877635-DE123456789"}, Description: "admin", EuEntityName: "X GmbH, Berlin",
				SubjectDetails: ksef.EuEntityPermissionSubjectDetails{SubjectDetailsType: ksef.EuEntityPermissionSubjectDetailsTypeEntityByFingerprint}})
			return err
		},
		"EU rep no perms": func(ctx context.Context) error {
			_, err := p.GrantEUEntityRepresentative(ctx, &ksef.EuEntityPermissionsGrantRequest{SubjectIdentifier: fp, Description: "rep", SubjectDetails: ksef.EUEntityByFingerprint("X", "Y")})
			return err
		},
		"revoke short id":       func(ctx context.Context) error { _, err := p.Revoke(ctx, "abc"); return err },
		"revoke auth short id":  func(ctx context.Context) error { _, err := p.RevokeAuthorization(ctx, "abc"); return err },
		"status short ref":      func(ctx context.Context) error { _, err := p.OperationStatus(ctx, "abc"); return err },
		"persons no query type": func(ctx context.Context) error { _, err := p.QueryPersons(ctx, nil, nil); return err },
		"auths no query type": func(ctx context.Context) error {
			_, err := p.QueryAuthorizations(ctx, &ksef.EntityAuthorizationPermissionsQueryRequest{}, nil)
			return err
		},
		"page size 5": func(ctx context.Context) error {
			_, err := p.QueryPersonal(ctx, nil, &ksef.PermissionsPageParams{PageSize: 5})
			return err
		},
		"negative page": func(ctx context.Context) error {
			_, err := p.QueryEntityRoles(ctx, &ksef.PermissionsPageParams{PageOffset: -1})
			return err
		},
		"iterator page size": func(ctx context.Context) error {
			for _, err := range p.QueryEUEntitiesAll(ctx, nil, &ksef.PermissionsPageParams{PageSize: 101}) {
				return err
			}
			return nil
		},
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call(ctx)
			if err == nil || !strings.HasPrefix(err.Error(), "ksef: Permissions.") {
				t.Errorf("err = %v, want a local validation error", err)
			}
		})
	}
}
