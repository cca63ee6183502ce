package ksef_test

import (
	"context"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/ident"
)

// permissionFaultCases are the after-processing fault cases of the
// permission operations (see TestAfterProcessingFaults): a grant is sent
// once (its outcome is unknown to the caller) and exists once; a revoke
// (DELETE, repeated after a 503 or a dropped connection) revokes; a query
// (a read sent as POST) is repeated and answers.
func permissionFaultCases() map[string]faultCase {
	noEffect := func(t *testing.T) {}
	// granted checks that the owner's context lists n persons' grants.
	granted := func(t *testing.T, a *ksef.AuthenticatedClient, n int) {
		t.Helper()
		page, err := a.Permissions.QueryPersons(t.Context(), &ksef.PersonPermissionsQueryRequest{QueryType: ksef.PersonPermissionsQueryTypePermissionsInCurrentContext}, nil)
		if err != nil || len(page.Permissions) != n {
			t.Errorf("persons' grants: %+v, %v; want %d", page, err, n)
		}
	}
	pesel := ident.Identifier{Type: ident.TypePesel, Value: "44051401359"}
	personGrant := &ksef.PersonPermissionsGrantRequest{
		SubjectIdentifier: pesel, Permissions: []ksef.PersonPermissionType{ksef.PersonPermissionTypeInvoiceRead},
		Description: "fault test", SubjectDetails: ksef.PersonByIdentifier("Jan", "Nowak"),
	}
	query := func(call func(ctx context.Context, a *ksef.AuthenticatedClient) error) faultCase {
		return faultCase{func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			return func(ctx context.Context) error { return call(ctx, a) }, noEffect
		}}
	}
	return map[string]faultCase{
		"POST /permissions/persons/grants": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			return func(ctx context.Context) error { _, err := a.Permissions.GrantPersons(ctx, personGrant); return err },
				func(t *testing.T) { granted(t, a, 1) }
		}},
		"POST /permissions/entities/grants": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			return func(ctx context.Context) error {
					_, err := a.Permissions.GrantEntities(ctx, &ksef.EntityPermissionsGrantRequest{
						SubjectIdentifier: ident.Identifier{Type: ident.TypeNip, Value: string(ksef.RandomNIP(nil))},
						Permissions:       []ksef.EntityPermission{{Type: ksef.EntityPermissionTypeInvoiceRead}},
						Description:       "fault test", SubjectDetails: ksef.EntityDetails{FullName: "Biuro"},
					})
					return err
				},
				func(t *testing.T) { granted(t, a, 1) }
		}},
		"POST /permissions/authorizations/grants": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			return func(ctx context.Context) error {
					_, err := a.Permissions.GrantAuthorization(ctx, &ksef.EntityAuthorizationPermissionsGrantRequest{
						SubjectIdentifier: ident.Identifier{Type: ident.TypeNip, Value: string(ksef.RandomNIP(nil))},
						Permission:        ksef.EntityAuthorizationPermissionTypeSelfInvoicing,
						Description:       "fault test", SubjectDetails: ksef.EntityDetails{FullName: "Nabywca"},
					})
					return err
				}, func(t *testing.T) {
					page, err := a.Permissions.QueryAuthorizations(t.Context(), &ksef.EntityAuthorizationPermissionsQueryRequest{QueryType: ksef.QueryTypeGranted}, nil)
					if err != nil || len(page.AuthorizationGrants) != 1 {
						t.Errorf("authorizations: %+v, %v", page, err)
					}
				}
		}},
		"POST /permissions/indirect/grants": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			return func(ctx context.Context) error {
					_, err := a.Permissions.GrantIndirect(ctx, &ksef.IndirectPermissionsGrantRequest{
						SubjectIdentifier: pesel, Permissions: []ksef.IndirectPermissionType{ksef.IndirectPermissionTypeInvoiceRead},
						Description: "fault test", SubjectDetails: ksef.PersonByIdentifier("Jan", "Nowak"),
					})
					return err
				},
				func(t *testing.T) { granted(t, a, 1) }
		}},
		"POST /permissions/subunits/grants": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			id, a := loginSeal(t, e.sim, e.c)
			unit, err := ident.NewInternalID(ident.NIP(id.NIP), 7)
			if err != nil {
				t.Fatal(err)
			}
			return func(ctx context.Context) error {
					_, err := a.Permissions.GrantSubunitAdmin(ctx, &ksef.SubunitPermissionsGrantRequest{
						SubjectIdentifier: pesel, ContextIdentifier: ident.Identifier{Type: ident.TypeInternalID, Value: string(unit)},
						Description: "fault test", SubunitName: "Oddział", SubjectDetails: ksef.PersonByIdentifier("Jan", "Nowak"),
					})
					return err
				}, func(t *testing.T) {
					page, err := a.Permissions.QuerySubunits(t.Context(), nil, nil)
					if err != nil || len(page.Permissions) != 1 {
						t.Errorf("subunit grants: %+v, %v", page, err)
					}
				}
		}},
		"POST /permissions/eu-entities/administration/grants": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			id, a := loginSeal(t, e.sim, e.c)
			_, fp := newFingerprint(t)
			return func(ctx context.Context) error {
					_, err := a.Permissions.GrantEUEntityAdmin(ctx, &ksef.EuEntityAdministrationPermissionsGrantRequest{
						SubjectIdentifier: ident.Identifier{Type: ident.TypeFingerprint, Value: fp},
						ContextIdentifier: ident.Identifier{Type: ident.TypeNipVatUe, Value: id.NIP + "-DE123456789"},
						Description:       "fault test", EuEntityName: "Muster GmbH, Berlin",
						SubjectDetails:  ksef.EUEntityByFingerprint("Muster GmbH", "Berlin"),
						EuEntityDetails: ksef.EuEntityDetails{FullName: "Muster GmbH", Address: "Berlin"},
					})
					return err
				}, func(t *testing.T) {
					page, err := a.Permissions.QueryEUEntities(t.Context(), nil, nil)
					if err != nil || len(page.Permissions) != 4 {
						t.Errorf("EU administrator grants: %+v, %v", page, err)
					}
				}
		}},
		"POST /permissions/eu-entities/grants": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			owner, oa := loginSeal(t, e.sim, e.c)
			admin, adminFP := newFingerprint(t)
			euCtx := ksef.MustContext(ksef.NipVatUeContext(owner.NIP + "-DE123456789"))
			op, err := oa.Permissions.GrantEUEntityAdmin(t.Context(), &ksef.EuEntityAdministrationPermissionsGrantRequest{
				SubjectIdentifier: ident.Identifier{Type: ident.TypeFingerprint, Value: adminFP},
				ContextIdentifier: ident.Identifier{Type: ident.TypeNipVatUe, Value: euCtx.Value},
				Description:       "fault test", EuEntityName: "Muster GmbH, Berlin",
				SubjectDetails:  ksef.EUEntityByFingerprint("Muster GmbH", "Berlin"),
				EuEntityDetails: ksef.EuEntityDetails{FullName: "Muster GmbH", Address: "Berlin"},
			})
			waitGranted(t, oa, op, err)
			a, err := loginByFingerprint(t, e.c, euCtx, admin)
			if err != nil {
				t.Fatal(err)
			}
			_, repFP := newFingerprint(t)
			return func(ctx context.Context) error {
					_, err := a.Permissions.GrantEUEntityRepresentative(ctx, &ksef.EuEntityPermissionsGrantRequest{
						SubjectIdentifier: ident.Identifier{Type: ident.TypeFingerprint, Value: repFP},
						Permissions:       []ksef.EuEntityPermissionType{ksef.EuEntityPermissionTypeInvoiceRead},
						Description:       "fault test", SubjectDetails: ksef.EUEntityByFingerprint("Rep GmbH", "Berlin"),
					})
					return err
				}, func(t *testing.T) {
					page, err := a.Permissions.QueryEUEntities(t.Context(), &ksef.EuEntityPermissionsQueryRequest{AuthorizedFingerprintIdentifier: repFP}, nil)
					if err != nil || len(page.Permissions) != 1 {
						t.Errorf("EU representative grants: %+v, %v", page, err)
					}
				}
		}},
		"DELETE /permissions/common/grants/{permissionId}": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			op, err := a.Permissions.GrantPersons(t.Context(), personGrant)
			waitGranted(t, a, op, err)
			page, err := a.Permissions.QueryPersons(t.Context(), &ksef.PersonPermissionsQueryRequest{QueryType: ksef.PersonPermissionsQueryTypePermissionsInCurrentContext}, nil)
			if err != nil || len(page.Permissions) != 1 {
				t.Fatalf("%+v, %v", page, err)
			}
			return func(ctx context.Context) error {
					_, err := a.Permissions.Revoke(ctx, page.Permissions[0].ID)
					return err
				},
				func(t *testing.T) { granted(t, a, 0) }
		}},
		"DELETE /permissions/authorizations/grants/{permissionId}": {func(t *testing.T, e *faultEnv) (func(context.Context) error, func(*testing.T)) {
			_, a := loginSeal(t, e.sim, e.c)
			op, err := a.Permissions.GrantAuthorization(t.Context(), &ksef.EntityAuthorizationPermissionsGrantRequest{
				SubjectIdentifier: ident.Identifier{Type: ident.TypeNip, Value: string(ksef.RandomNIP(nil))},
				Permission:        ksef.EntityAuthorizationPermissionTypeRRInvoicing,
				Description:       "fault test", SubjectDetails: ksef.EntityDetails{FullName: "Rolnik"},
			})
			waitGranted(t, a, op, err)
			q := &ksef.EntityAuthorizationPermissionsQueryRequest{QueryType: ksef.QueryTypeGranted}
			page, err := a.Permissions.QueryAuthorizations(t.Context(), q, nil)
			if err != nil || len(page.AuthorizationGrants) != 1 {
				t.Fatalf("%+v, %v", page, err)
			}
			return func(ctx context.Context) error {
					_, err := a.Permissions.RevokeAuthorization(ctx, page.AuthorizationGrants[0].ID)
					return err
				}, func(t *testing.T) {
					if left, err := a.Permissions.QueryAuthorizations(t.Context(), q, nil); err != nil || len(left.AuthorizationGrants) != 0 {
						t.Errorf("after revoke: %+v, %v", left, err)
					}
				}
		}},
		"POST /permissions/query/personal/grants": query(func(ctx context.Context, a *ksef.AuthenticatedClient) error {
			_, err := a.Permissions.QueryPersonal(ctx, nil, nil)
			return err
		}),
		"POST /permissions/query/persons/grants": query(func(ctx context.Context, a *ksef.AuthenticatedClient) error {
			_, err := a.Permissions.QueryPersons(ctx, &ksef.PersonPermissionsQueryRequest{QueryType: ksef.PersonPermissionsQueryTypePermissionsInCurrentContext}, nil)
			return err
		}),
		"POST /permissions/query/subunits/grants": query(func(ctx context.Context, a *ksef.AuthenticatedClient) error {
			_, err := a.Permissions.QuerySubunits(ctx, nil, nil)
			return err
		}),
		"POST /permissions/query/entities/grants": query(func(ctx context.Context, a *ksef.AuthenticatedClient) error {
			_, err := a.Permissions.QueryEntities(ctx, nil, nil)
			return err
		}),
		"POST /permissions/query/subordinate-entities/roles": query(func(ctx context.Context, a *ksef.AuthenticatedClient) error {
			_, err := a.Permissions.QuerySubordinateEntityRoles(ctx, nil, nil)
			return err
		}),
		"POST /permissions/query/authorizations/grants": query(func(ctx context.Context, a *ksef.AuthenticatedClient) error {
			_, err := a.Permissions.QueryAuthorizations(ctx, &ksef.EntityAuthorizationPermissionsQueryRequest{QueryType: ksef.QueryTypeReceived}, nil)
			return err
		}),
		"POST /permissions/query/eu-entities/grants": query(func(ctx context.Context, a *ksef.AuthenticatedClient) error {
			_, err := a.Permissions.QueryEUEntities(ctx, nil, nil)
			return err
		}),
	}
}
