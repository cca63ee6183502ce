package ksef_test

import (
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ident"
	"github.com/ksef2/ksef/ksefsim"
)

// newFingerprint creates a certificate without NIP or PESEL and returns it
// with its fingerprint.
func newFingerprint(t *testing.T) (*credentials.Credentials, string) {
	t.Helper()
	fp, err := credentials.NewFingerprintOnly(&credentials.CertOptions{KeyType: credentials.ECP256})
	if err != nil {
		t.Fatal(err)
	}
	return fp, credentials.Fingerprint(fp.Certificate)
}

// loginByFingerprint logs cred in to ctxID identified by its fingerprint.
func loginByFingerprint(t *testing.T, c *ksef.Client, ctxID ksef.ContextIdentifier, cred *credentials.Credentials) (*ksef.AuthenticatedClient, error) {
	t.Helper()
	return c.Auth.LoginWithCertificate(t.Context(), ctxID, cred.Certificate, cred.Signer,
		&ksef.LoginParams{Wait: fastWait, SubjectIdentifierType: ksef.AuthSubjectCertificateFingerprint})
}

// waitGranted waits for a permission operation that must succeed.
func waitGranted(t *testing.T, a *ksef.AuthenticatedClient, op *ksef.PermissionsOperationResponse, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	st, err := a.Permissions.Wait(t.Context(), op.ReferenceNumber, fastWait)
	if err != nil || st.Status.Code != 200 {
		t.Fatalf("operation %s: %+v, %v", op.ReferenceNumber, st, err)
	}
}

// waitRefused waits for a permission operation that must end with code.
func waitRefused(t *testing.T, a *ksef.AuthenticatedClient, op *ksef.PermissionsOperationResponse, err error, code int) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Permissions.Wait(t.Context(), op.ReferenceNumber, fastWait)
	var se *ksef.StatusError
	if !errors.As(err, &se) || se.Code != code || se.Operation != "permission" || !errors.Is(err, ksef.ErrPermissionOperationFailed) || len(se.Details) == 0 {
		t.Fatalf("operation %s: %v, want status %d with details", op.ReferenceNumber, err, code)
	}
}

// refresh renews the access token of a (a new token carries the
// permissions in force now).
func refresh(t *testing.T, a *ksef.AuthenticatedClient) {
	t.Helper()
	cur, err := a.TokenManager().AccessToken(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.TokenManager().Refresh(t.Context(), cur); err != nil {
		t.Fatal(err)
	}
}

func collect[T any](t *testing.T, seq func(yield func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// TestE2EPermissionsPersonGrant is workflows §J 72 with the consequence
// the issue asks for: a person grant by fingerprint goes through status
// 100 to 200, the grantee finds it among its own permissions and the
// owner among the persons' permissions (both views); it lets the grantee
// log in and send; after the revocation (status 200) and a token refresh
// the grantee's send is refused with 403 and the grant is no longer
// listed. NIP and PESEL subjects (PersonByIdentifier) work the same way.
func TestE2EPermissionsPersonGrant(t *testing.T) {
	sim, c := simClient(t, ksefsim.WithProcessingDelay(30*time.Millisecond))
	owner, ownerA := loginSeal(t, sim, c)
	ctx := t.Context()
	ownerCtx := nipContext(t, owner.NIP)
	fp, fpr := newFingerprint(t)

	grant, err := ownerA.Permissions.GrantPersons(ctx, &ksef.PersonPermissionsGrantRequest{
		SubjectIdentifier: ident.Identifier{Type: ident.TypeFingerprint, Value: fpr},
		Permissions:       []ksef.PersonPermissionType{ksef.PersonPermissionTypeInvoiceWrite, ksef.PersonPermissionTypeInvoiceRead},
		Description:       "accountant by fingerprint",
		SubjectDetails: ksef.PersonByFingerprintWithoutIdentifier("Anna", "Nowak", "1980-02-03",
			ksef.IdDocument{Type: "passport", Number: "XK1234567", Country: "DE"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	opts := *fastWait
	opts.OnPoll = func(_ int, status string) { seen = append(seen, status) }
	if st, err := ownerA.Permissions.Wait(ctx, grant.ReferenceNumber, &opts); err != nil || st.Status.Code != 200 {
		t.Fatalf("grant: %+v, %v", st, err)
	}
	if len(seen) < 2 || seen[0] != "100" || seen[len(seen)-1] != "200" {
		t.Errorf("statuses seen %v, want 100 … 200", seen)
	}

	grantee, err := loginByFingerprint(t, c, ownerCtx, fp)
	if err != nil {
		t.Fatalf("grantee login: %v", err)
	}
	mine := collect(t, grantee.Permissions.QueryPersonalAll(ctx, nil, nil))
	var scopes []string
	for _, p := range mine {
		scopes = append(scopes, string(p.PermissionScope))
		if p.ContextIdentifier == nil || p.ContextIdentifier.Value != owner.NIP || p.SubjectPersonDetails == nil ||
			p.SubjectPersonDetails.IDDocument == nil || p.SubjectPersonDetails.IDDocument.Number != "XK1234567" {
			t.Errorf("personal permission %+v", p)
		}
	}
	slices.Sort(scopes)
	if !slices.Equal(scopes, []string{"InvoiceRead", "InvoiceWrite"}) {
		t.Fatalf("personal scopes %v", scopes)
	}
	for _, qt := range []ksef.PersonPermissionsQueryType{ksef.PersonPermissionsQueryTypePermissionsInCurrentContext, ksef.PersonPermissionsQueryTypePermissionsGrantedInCurrentContext} {
		page, err := ownerA.Permissions.QueryPersons(ctx, &ksef.PersonPermissionsQueryRequest{
			QueryType: qt, AuthorizedIdentifier: &ident.Identifier{Type: ident.TypeFingerprint, Value: fpr},
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Permissions) != 2 || page.HasMore || page.Permissions[0].AuthorIdentifier.Value != owner.NIP {
			t.Fatalf("%s: %+v", qt, page)
		}
	}

	var writeID string
	for _, p := range collect(t, ownerA.Permissions.QueryPersonsAll(ctx, &ksef.PersonPermissionsQueryRequest{
		QueryType:       ksef.PersonPermissionsQueryTypePermissionsInCurrentContext,
		PermissionTypes: []ksef.PersonPermissionType{ksef.PersonPermissionTypeInvoiceWrite},
	}, nil)) {
		writeID = p.ID
	}
	if writeID == "" {
		t.Fatal("InvoiceWrite grant not found with a permission-type filter")
	}

	// The grant lets the grantee send; its revocation stops the next send
	// once the grantee's token is renewed.
	skipWithoutOnline(t, sim)
	s, err := grantee.Sessions.OpenOnline(ctx, ksef.FormFA3, nil)
	if err != nil {
		t.Fatal(err)
	}
	sendOK(t, s, fa3Invoice(t, owner.NIP, "FV/J72/1"))
	rev, err := ownerA.Permissions.Revoke(ctx, writeID)
	waitGranted(t, ownerA, rev, err)
	refresh(t, grantee)
	_, err = s.SendInvoice(ctx, fa3Invoice(t, owner.NIP, "FV/J72/2"), nil)
	wantMissingPermissions(t, err)
	left, err := ownerA.Permissions.QueryPersons(ctx, &ksef.PersonPermissionsQueryRequest{QueryType: ksef.PersonPermissionsQueryTypePermissionsInCurrentContext}, nil)
	if err != nil || len(left.Permissions) != 1 || left.Permissions[0].PermissionScope != ksef.PersonPermissionScopeInvoiceRead {
		t.Fatalf("after revoke: %+v, %v", left, err)
	}
	// Revoking it again (a DELETE repeated after a lost answer) answers
	// with the same operation; an unknown id is 400/21405.
	if again, err := ownerA.Permissions.Revoke(ctx, writeID); err != nil || again.ReferenceNumber != rev.ReferenceNumber {
		t.Errorf("second revoke: %+v, %v; want operation %s", again, err, rev.ReferenceNumber)
	}
	_, err = ownerA.Permissions.Revoke(ctx, "00000000-0000-4000-8000-000000000000")
	wantAPIError(t, err, http.StatusBadRequest, 21405)

	// NIP and PESEL subjects.
	other, err := sim.NewTestIdentity()
	if err != nil {
		t.Fatal(err)
	}
	op, err := ownerA.Permissions.GrantPersons(ctx, &ksef.PersonPermissionsGrantRequest{
		SubjectIdentifier: ident.Identifier{Type: ident.TypeNip, Value: other.NIP},
		Permissions:       []ksef.PersonPermissionType{ksef.PersonPermissionTypeInvoiceRead},
		Description:       "reader by NIP", SubjectDetails: ksef.PersonByIdentifier("Jan", "Kowalski"),
	})
	waitGranted(t, ownerA, op, err)
	if _, err := c.Auth.LoginWithCertificate(ctx, ownerCtx, other.Certificate, other.Signer, &ksef.LoginParams{Wait: fastWait}); err != nil {
		t.Errorf("NIP grantee login: %v", err)
	}
	person, err := sim.NewTestPerson()
	if err != nil {
		t.Fatal(err)
	}
	op, err = ownerA.Permissions.GrantPersons(ctx, &ksef.PersonPermissionsGrantRequest{
		SubjectIdentifier: ident.Identifier{Type: ident.TypePesel, Value: person.PESEL},
		Permissions:       []ksef.PersonPermissionType{ksef.PersonPermissionTypeCredentialsRead, ksef.PersonPermissionTypeCollectiveIdentifierManage},
		Description:       "auditor by PESEL", SubjectDetails: ksef.PersonByIdentifier("Ewa", "Zielińska"),
	})
	waitGranted(t, ownerA, op, err)
	pa, err := c.Auth.LoginWithCertificate(ctx, ownerCtx, person.Certificate, person.Signer, &ksef.LoginParams{Wait: fastWait})
	if err != nil {
		t.Fatalf("PESEL grantee login: %v", err)
	}
	// J82: CollectiveIdentifierManage granted to a person shows in the
	// personal and the persons queries.
	if got := collect(t, pa.Permissions.QueryPersonalAll(ctx, &ksef.PersonalPermissionsQueryRequest{
		PermissionTypes: []ksef.PersonalPermissionType{ksef.PersonalPermissionTypeCollectiveIdentifierManage},
	}, nil)); len(got) != 1 {
		t.Errorf("personal CollectiveIdentifierManage: %+v", got)
	}
	if got := collect(t, ownerA.Permissions.QueryPersonsAll(ctx, &ksef.PersonPermissionsQueryRequest{
		QueryType:       ksef.PersonPermissionsQueryTypePermissionsInCurrentContext,
		PermissionTypes: []ksef.PersonPermissionType{ksef.PersonPermissionTypeCollectiveIdentifierManage},
	}, nil)); len(got) != 1 || got[0].AuthorizedIdentifier.Value != person.PESEL {
		t.Errorf("persons CollectiveIdentifierManage: %+v", got)
	}
	// CredentialsRead reads the persons' permissions but does not grant.
	if _, err := pa.Permissions.QueryPersons(ctx, &ksef.PersonPermissionsQueryRequest{QueryType: ksef.PersonPermissionsQueryTypePermissionsInCurrentContext}, nil); err != nil {
		t.Errorf("CredentialsRead query: %v", err)
	}
	_, err = pa.Permissions.GrantPersons(ctx, &ksef.PersonPermissionsGrantRequest{
		SubjectIdentifier: ident.Identifier{Type: ident.TypeNip, Value: string(ksef.RandomNIP(nil))},
		Permissions:       []ksef.PersonPermissionType{ksef.PersonPermissionTypeInvoiceRead},
		Description:       "not allowed", SubjectDetails: ksef.PersonByIdentifier("Al", "Bo"),
	})
	wantMissingPermissions(t, err)
}

// TestE2EPermissionsRulesAndErrors is workflows §J 78-81: a grant without
// CredentialsManage or a revoke without CredentialsManage, VatUeManage or
// SubunitManage is refused with 403 missing-permissions (also for a KSeF
// token that lacks it); a duplicate grant and a grant to the context's own
// owner end with an operation status with a description; EnforcementOperations
// needs the EnforcementAuthority or CourtBailiff role (430 otherwise); an
// operation status is gone after 30 days (410).
func TestE2EPermissionsRulesAndErrors(t *testing.T) {
	// The clock jumps 31 days (J81): signing times are not compared.
	sim, c := simClient(t, ksefsim.WithSigningTimeTolerance(-1))
	owner, ownerA := loginSeal(t, sim, c)
	ctx := t.Context()
	pesel := string(ksef.RandomPESEL(nil))
	req := &ksef.PersonPermissionsGrantRequest{
		SubjectIdentifier: ident.Identifier{Type: ident.TypePesel, Value: pesel},
		Permissions:       []ksef.PersonPermissionType{ksef.PersonPermissionTypeInvoiceRead},
		Description:       "first grant", SubjectDetails: ksef.PersonByIdentifier("Jan", "Nowak"),
	}
	first, err := ownerA.Permissions.GrantPersons(ctx, req)
	waitGranted(t, ownerA, first, err)

	t.Run("J80/duplicate", func(t *testing.T) {
		op, err := ownerA.Permissions.GrantPersons(ctx, req)
		waitRefused(t, ownerA, op, err, 400)
	})
	t.Run("J80/owner", func(t *testing.T) {
		op, err := ownerA.Permissions.GrantPersons(ctx, &ksef.PersonPermissionsGrantRequest{
			SubjectIdentifier: ident.Identifier{Type: ident.TypeNip, Value: owner.NIP},
			Permissions:       []ksef.PersonPermissionType{ksef.PersonPermissionTypeInvoiceRead},
			Description:       "to myself", SubjectDetails: ksef.PersonByIdentifier("Jan", "Nowak"),
		})
		waitRefused(t, ownerA, op, err, 440)
	})
	t.Run("J80/other context", func(t *testing.T) {
		// Another context's administrator cannot revoke this grant: 420.
		page, err := ownerA.Permissions.QueryPersons(ctx, &ksef.PersonPermissionsQueryRequest{QueryType: ksef.PersonPermissionsQueryTypePermissionsInCurrentContext}, nil)
		if err != nil || len(page.Permissions) != 1 {
			t.Fatalf("%+v, %v", page, err)
		}
		_, otherA := loginSeal(t, sim, c)
		op, err := otherA.Permissions.Revoke(ctx, page.Permissions[0].ID)
		waitRefused(t, otherA, op, err, 420)
		if left, err := ownerA.Permissions.QueryPersons(ctx, &ksef.PersonPermissionsQueryRequest{QueryType: ksef.PersonPermissionsQueryTypePermissionsInCurrentContext}, nil); err != nil || len(left.Permissions) != 1 {
			t.Errorf("after a refused revoke: %+v, %v", left, err)
		}
	})
	t.Run("J78", func(t *testing.T) {
		enf := &ksef.PersonPermissionsGrantRequest{
			SubjectIdentifier: ident.Identifier{Type: ident.TypePesel, Value: string(ksef.RandomPESEL(nil))},
			Permissions:       []ksef.PersonPermissionType{ksef.PersonPermissionTypeEnforcementOperations},
			Description:       "enforcement officer", SubjectDetails: ksef.PersonByIdentifier("Adam", "Egzekutor"),
		}
		op, err := ownerA.Permissions.GrantPersons(ctx, enf)
		waitRefused(t, ownerA, op, err, 430)
		// In the context of an enforcement authority it succeeds.
		authority := string(ksef.RandomNIP(nil))
		if err := c.TestData.CreateSubject(ctx, &ksef.SubjectCreateRequest{SubjectNip: authority, SubjectType: ksef.SubjectEnforcementAuthority, Description: "urząd skarbowy"}); err != nil {
			t.Fatal(err)
		}
		seal, err := credentials.NewSealNIP(authority, &credentials.CertOptions{KeyType: credentials.ECP256})
		if err != nil {
			t.Fatal(err)
		}
		aa, err := c.Auth.LoginWithCertificate(ctx, nipContext(t, authority), seal.Certificate, seal.Signer, &ksef.LoginParams{Wait: fastWait})
		if err != nil {
			t.Fatal(err)
		}
		op, err = aa.Permissions.GrantPersons(ctx, enf)
		waitGranted(t, aa, op, err)
		roles, err := aa.Permissions.QueryEntityRoles(ctx, nil)
		if err != nil || len(roles.Roles) != 1 || roles.Roles[0].Role != ksef.EntityRoleTypeEnforcementAuthority {
			t.Errorf("roles: %+v, %v", roles, err)
		}
	})
	t.Run("J79", func(t *testing.T) {
		reader := loginFingerprint(t, c, owner.NIP, ksef.TestDataPermInvoiceRead)
		_, err := reader.Permissions.GrantPersons(ctx, req)
		wantMissingPermissions(t, err)
		_, err = reader.Permissions.Revoke(ctx, "00000000-0000-4000-8000-000000000000")
		wantMissingPermissions(t, err)
		_, err = reader.Permissions.RevokeAuthorization(ctx, "00000000-0000-4000-8000-000000000000")
		wantMissingPermissions(t, err)
		_, err = reader.Permissions.GrantSubunitAdmin(ctx, &ksef.SubunitPermissionsGrantRequest{
			SubjectIdentifier: ident.Identifier{Type: ident.TypePesel, Value: pesel},
			ContextIdentifier: ident.Identifier{Type: ident.TypeNip, Value: string(ksef.RandomNIP(nil))},
			Description:       "subunit admin", SubjectDetails: ksef.PersonByIdentifier("Jan", "Nowak"),
		})
		wantMissingPermissions(t, err)
		// A KSeF token bounded to InvoiceRead cannot grant either.
		gen, err := ownerA.Tokens.Generate(ctx, &ksef.GenerateTokenRequest{Description: "reader token", Permissions: []ksef.TokenPermissionType{ksef.TokenPermInvoiceRead}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ownerA.Tokens.WaitActive(ctx, gen.ReferenceNumber, fastWait); err != nil {
			t.Fatal(err)
		}
		ta, err := c.Auth.LoginWithToken(ctx, nipContext(t, owner.NIP), gen.Token, &ksef.LoginParams{Wait: fastWait})
		if err != nil {
			t.Fatal(err)
		}
		_, err = ta.Permissions.GrantPersons(ctx, req)
		wantMissingPermissions(t, err)
	})
	t.Run("J81", func(t *testing.T) {
		sim.Advance(31 * 24 * time.Hour)
		again, err := c.Auth.LoginWithCertificate(ctx, nipContext(t, owner.NIP), owner.Certificate, owner.Signer, &ksef.LoginParams{Wait: fastWait})
		if err != nil {
			t.Fatal(err)
		}
		_, err = again.Permissions.OperationStatus(ctx, first.ReferenceNumber)
		if !errors.Is(err, ksef.ErrGone) {
			t.Errorf("status after 31 days: %v", err)
		}
	})
}

// TestE2EPermissionsEntitiesAndIndirect is workflows §J 73, 75 and 82: an
// entity grant with canDelegate seen from the receiving context (with
// hasMore paging over many grants), a selective indirect grant that works
// through the chain and one without a delegable grant (status 410, no
// access), a general (AllPartners) indirect grant, and
// CollectiveIdentifierManage granted to an entity and indirectly.
func TestE2EPermissionsEntitiesAndIndirect(t *testing.T) {
	sim, c := simClient(t)
	client, clientA := loginSeal(t, sim, c) // the intermediary's client
	office, officeA := loginSeal(t, sim, c) // the accounting office (intermediary)
	ctx := t.Context()
	yes := true
	op, err := clientA.Permissions.GrantEntities(ctx, &ksef.EntityPermissionsGrantRequest{
		SubjectIdentifier: ident.Identifier{Type: ident.TypeNip, Value: office.NIP},
		Permissions: []ksef.EntityPermission{
			{Type: ksef.EntityPermissionTypeInvoiceRead, CanDelegate: &yes},
			{Type: ksef.EntityPermissionTypeCollectiveIdentifierManage, CanDelegate: &yes},
			{Type: ksef.EntityPermissionTypeInvoiceWrite},
		},
		Description: "accounting office", SubjectDetails: ksef.EntityDetails{FullName: "Biuro Rachunkowe Sp. z o.o."},
	})
	waitGranted(t, clientA, op, err)
	// More clients grant the office InvoiceRead: paging over 11 items.
	for range 10 {
		_, other := loginSeal(t, sim, c)
		op, err := other.Permissions.GrantEntities(ctx, &ksef.EntityPermissionsGrantRequest{
			SubjectIdentifier: ident.Identifier{Type: ident.TypeNip, Value: office.NIP},
			Permissions:       []ksef.EntityPermission{{Type: ksef.EntityPermissionTypeInvoiceRead}},
			Description:       "another client", SubjectDetails: ksef.EntityDetails{FullName: "Biuro"},
		})
		waitGranted(t, other, op, err)
	}
	page, err := officeA.Permissions.QueryEntities(ctx, nil, &ksef.PermissionsPageParams{PageSize: 10})
	if err != nil || len(page.Permissions) != 10 || !page.HasMore {
		t.Fatalf("first page: %d items, hasMore %v, %v", len(page.Permissions), page != nil && page.HasMore, err)
	}
	all := collect(t, officeA.Permissions.QueryEntitiesAll(ctx, nil, &ksef.PermissionsPageParams{PageSize: 10}))
	if len(all) != 13 {
		t.Fatalf("entity grants received: %d, want 13", len(all))
	}
	fromClient := collect(t, officeA.Permissions.QueryEntitiesAll(ctx, &ksef.EntityPermissionsQueryRequest{ContextIdentifier: &ident.Identifier{Type: ident.TypeNip, Value: client.NIP}}, nil))
	delegable := 0
	for _, p := range fromClient {
		if p.CanDelegate {
			delegable++
		}
	}
	if len(fromClient) != 3 || delegable != 2 {
		t.Fatalf("from the client: %+v", fromClient)
	}
	// J82: the entity grant of CollectiveIdentifierManage is visible to the
	// office's owner among its personal permissions.
	personal := collect(t, officeA.Permissions.QueryPersonalAll(ctx, &ksef.PersonalPermissionsQueryRequest{
		PermissionTypes: []ksef.PersonalPermissionType{"CollectiveIdentifierManage"},
	}, nil))
	if len(personal) != 1 || personal[0].SubjectEntityDetails == nil {
		t.Errorf("personal CollectiveIdentifierManage: %+v", personal)
	}

	// J75: selective indirect grant to an employee of the office.
	emp, empFP := newFingerprint(t)
	op, err = officeA.Permissions.GrantIndirect(ctx, &ksef.IndirectPermissionsGrantRequest{
		SubjectIdentifier: ident.Identifier{Type: ident.TypeFingerprint, Value: empFP},
		TargetIdentifier:  &ksef.IndirectPermissionsTargetIdentifier{Type: ident.TypeNip, Value: client.NIP},
		Permissions:       []ksef.IndirectPermissionType{ksef.IndirectPermissionTypeInvoiceRead, ksef.IndirectPermissionTypeCollectiveIdentifierManage},
		Description:       "employee for one client",
		SubjectDetails:    ksef.PersonByFingerprintWithIdentifier("Piotr", "Wiśniewski", ident.Identifier{Type: ident.TypePesel, Value: string(ksef.RandomPESEL(nil))}),
	})
	waitGranted(t, officeA, op, err)
	ea, err := loginByFingerprint(t, c, nipContext(t, client.NIP), emp)
	if err != nil {
		t.Fatalf("employee in the client's context: %v", err)
	}
	if got := collect(t, ea.Permissions.QueryPersonalAll(ctx, nil, nil)); len(got) != 2 || got[0].TargetIdentifier == nil || got[0].TargetIdentifier.Value != client.NIP {
		t.Errorf("employee's personal permissions: %+v", got)
	}
	// The office lists it among the persons' permissions it granted.
	granted := collect(t, officeA.Permissions.QueryPersonsAll(ctx, &ksef.PersonPermissionsQueryRequest{
		QueryType:        ksef.PersonPermissionsQueryTypePermissionsGrantedInCurrentContext,
		TargetIdentifier: &ksef.PersonPermissionsTargetIdentifier{Type: ident.TypeNip, Value: client.NIP},
	}, nil))
	if len(granted) != 2 {
		t.Errorf("office's indirect grants: %+v", granted)
	}
	// InvoiceWrite was not delegable: 410 and no access.
	emp2, emp2FP := newFingerprint(t)
	op, err = officeA.Permissions.GrantIndirect(ctx, &ksef.IndirectPermissionsGrantRequest{
		SubjectIdentifier: ident.Identifier{Type: ident.TypeFingerprint, Value: emp2FP},
		TargetIdentifier:  &ksef.IndirectPermissionsTargetIdentifier{Type: ident.TypeNip, Value: client.NIP},
		Permissions:       []ksef.IndirectPermissionType{ksef.IndirectPermissionTypeInvoiceWrite},
		Description:       "writer without a delegable grant",
		SubjectDetails:    ksef.PersonByFingerprintWithoutIdentifier("Ola", "Nowak", "1990-01-01", ksef.IdDocument{Type: "ID", Number: "AB123", Country: "CZ"}),
	})
	waitRefused(t, officeA, op, err, 410)
	if _, err := loginByFingerprint(t, c, nipContext(t, client.NIP), emp2); !errors.Is(err, ksef.ErrAuthNoPermissions) {
		t.Errorf("refused indirect grant gave access: %v", err)
	}
	// A general grant (AllPartners) covers every client with a delegable grant.
	op, err = officeA.Permissions.GrantIndirect(ctx, &ksef.IndirectPermissionsGrantRequest{
		SubjectIdentifier: ident.Identifier{Type: ident.TypeFingerprint, Value: emp2FP},
		Permissions:       []ksef.IndirectPermissionType{ksef.IndirectPermissionTypeInvoiceRead},
		Description:       "all partners reader",
		SubjectDetails:    ksef.PersonByFingerprintWithoutIdentifier("Ola", "Nowak", "1990-01-01", ksef.IdDocument{Type: "ID", Number: "AB123", Country: "CZ"}),
	})
	waitGranted(t, officeA, op, err)
	if _, err := loginByFingerprint(t, c, nipContext(t, client.NIP), emp2); err != nil {
		t.Errorf("general indirect grant: %v", err)
	}
	// The client revokes its entity grant: the chain breaks.
	for _, p := range collect(t, clientA.Permissions.QueryPersonsAll(ctx, &ksef.PersonPermissionsQueryRequest{
		QueryType:            ksef.PersonPermissionsQueryTypePermissionsInCurrentContext,
		AuthorizedIdentifier: &ident.Identifier{Type: ident.TypeNip, Value: office.NIP},
	}, nil)) {
		op, err := clientA.Permissions.Revoke(ctx, p.ID)
		waitGranted(t, clientA, op, err)
	}
	if _, err := loginByFingerprint(t, c, nipContext(t, client.NIP), emp); !errors.Is(err, ksef.ErrAuthNoPermissions) {
		t.Errorf("indirect access after the client revoked: %v", err)
	}
	// The office sees its selective grants as Inactive, the general one
	// as Active.
	for state, want := range map[ksef.PermissionState]int{ksef.PermissionStateInactive: 2, ksef.PermissionStateActive: 1} {
		got := collect(t, officeA.Permissions.QueryPersonsAll(ctx, &ksef.PersonPermissionsQueryRequest{
			QueryType: ksef.PersonPermissionsQueryTypePermissionsGrantedInCurrentContext, PermissionState: state,
		}, nil))
		if len(got) != want {
			t.Errorf("%s grants of the office: %+v, want %d", state, got, want)
		}
	}
}

// TestE2EPermissionsAuthorizations is workflows §J 74 and §C 29: the four
// entity authorizations are granted, listed as Granted by the grantor and
// as Received by the grantee, and revoked; the buyer's self-billed invoice
// (the seller as Podmiot1) ends with status 410 before the SelfInvoicing
// grant, 200 with it (or TaxRepresentative), and 410 again after both are
// revoked.
func TestE2EPermissionsAuthorizations(t *testing.T) {
	sim, c := simClient(t)
	sellerID, seller := loginSeal(t, sim, c)
	buyer, buyerA := loginSeal(t, sim, c)
	ctx := t.Context()
	var bs *ksef.OnlineSession
	if slices.Contains(sim.Handled(), ksef.OpOnlineSessionSendInvoice.String()) {
		var err error
		if bs, err = buyerA.Sessions.OpenOnline(ctx, ksef.FormFA3, nil); err != nil {
			t.Fatal(err)
		}
		wantInvoiceStatus(t, bs, fa3Invoice(t, sellerID.NIP, "FV/C29/1"), ksef.InvoiceStatusPermissionScope, ksef.ErrInvoicePermissionScope)
	}
	for _, x := range []ksef.EntityAuthorizationPermissionType{"SelfInvoicing", "RRInvoicing", "TaxRepresentative"} {
		op, err := seller.Permissions.GrantAuthorization(ctx, &ksef.EntityAuthorizationPermissionsGrantRequest{
			SubjectIdentifier: ident.Identifier{Type: ident.TypeNip, Value: buyer.NIP}, Permission: x,
			Description: "authorization " + string(x), SubjectDetails: ksef.EntityDetails{FullName: "Nabywca S.A."},
		})
		waitGranted(t, seller, op, err)
	}
	op, err := seller.Permissions.GrantAuthorization(ctx, &ksef.EntityAuthorizationPermissionsGrantRequest{
		SubjectIdentifier: ident.Identifier{Type: ident.TypePeppolID, Value: "PAB123456"}, Permission: "PefInvoicing",
		Description: "Peppol provider", SubjectDetails: ksef.EntityDetails{FullName: "Peppol Provider AB"},
	})
	waitGranted(t, seller, op, err)
	// PefInvoicing is for a Peppol provider: 450 for a NIP.
	op, err = seller.Permissions.GrantAuthorization(ctx, &ksef.EntityAuthorizationPermissionsGrantRequest{
		SubjectIdentifier: ident.Identifier{Type: ident.TypeNip, Value: buyer.NIP}, Permission: "PefInvoicing",
		Description: "not a provider", SubjectDetails: ksef.EntityDetails{FullName: "Nabywca S.A."},
	})
	waitRefused(t, seller, op, err, 450)
	grantedAll := collect(t, seller.Permissions.QueryAuthorizationsAll(ctx, &ksef.EntityAuthorizationPermissionsQueryRequest{QueryType: ksef.QueryTypeGranted}, nil))
	if len(grantedAll) != 4 {
		t.Fatalf("granted: %d", len(grantedAll))
	}
	received, err := buyerA.Permissions.QueryAuthorizations(ctx, &ksef.EntityAuthorizationPermissionsQueryRequest{QueryType: ksef.QueryTypeReceived}, nil)
	if err != nil || len(received.AuthorizationGrants) != 3 {
		t.Fatalf("received: %+v, %v", received, err)
	}
	var selfID string
	for _, g := range received.AuthorizationGrants {
		if g.AuthorizationScope == ksef.InvoicePermissionTypeSelfInvoicing {
			selfID = g.ID
		}
	}
	if bs != nil {
		sendOK(t, bs, fa3Invoice(t, sellerID.NIP, "FV/C29/2"))
	}
	// The common revoke does not take an authorization.
	_, err = seller.Permissions.Revoke(ctx, selfID)
	wantAPIError(t, err, http.StatusBadRequest, 21405)
	op, err = seller.Permissions.RevokeAuthorization(ctx, selfID)
	waitGranted(t, seller, op, err)
	after := collect(t, buyerA.Permissions.QueryAuthorizationsAll(ctx, &ksef.EntityAuthorizationPermissionsQueryRequest{
		QueryType: ksef.QueryTypeReceived, PermissionTypes: []ksef.InvoicePermissionType{ksef.InvoicePermissionTypeSelfInvoicing},
	}, nil))
	if len(after) != 0 {
		t.Errorf("SelfInvoicing after revoke: %+v", after)
	}
	if bs != nil {
		// TaxRepresentative lets the buyer issue the seller's invoices too:
		// without either, status 410.
		sendOK(t, bs, fa3Invoice(t, sellerID.NIP, "FV/C29/3"))
		for _, g := range received.AuthorizationGrants {
			if g.AuthorizationScope == ksef.InvoicePermissionTypeTaxRepresentative {
				op, err := seller.Permissions.RevokeAuthorization(ctx, g.ID)
				waitGranted(t, seller, op, err)
			}
		}
		wantInvoiceStatus(t, bs, fa3Invoice(t, sellerID.NIP, "FV/C29/4"), ksef.InvoiceStatusPermissionScope, ksef.ErrInvoicePermissionScope)
	}
}

// TestE2EPermissionsSubunits is workflows §J 76 and §M 95: a subunit
// administrator for an internal identifier with a valid check digit (a
// wrong one is refused before sending), listed by the parent and able to
// log in to the subunit; a VAT group sees its role, its members and makes
// an administrator of a member.
func TestE2EPermissionsSubunits(t *testing.T) {
	sim, c := simClient(t)
	owner, ownerA := loginSeal(t, sim, c)
	ctx := t.Context()
	unit, err := ident.NewInternalID(ident.NIP(owner.NIP), 42)
	if err != nil {
		t.Fatal(err)
	}
	admin, adminFP := newFingerprint(t)
	req := &ksef.SubunitPermissionsGrantRequest{
		SubjectIdentifier: ident.Identifier{Type: ident.TypeFingerprint, Value: adminFP},
		ContextIdentifier: ident.Identifier{Type: ident.TypeInternalID, Value: string(unit)},
		Description:       "branch administrator", SubunitName: "Oddział Kraków",
		SubjectDetails: ksef.PersonByFingerprintWithIdentifier("Marek", "Lis", ident.Identifier{Type: ident.TypeNip, Value: string(ksef.RandomNIP(nil))}),
	}
	op, err := ownerA.Permissions.GrantSubunitAdmin(ctx, req)
	waitGranted(t, ownerA, op, err)
	subs := collect(t, ownerA.Permissions.QuerySubunitsAll(ctx, nil, nil))
	if len(subs) != 1 || subs[0].SubunitName != "Oddział Kraków" || subs[0].SubunitIdentifier.Value != string(unit) || subs[0].PermissionScope != ksef.SubunitPermissionScopeCredentialsManage {
		t.Fatalf("subunit grants: %+v", subs)
	}
	uctx := ksef.MustContext(ksef.InternalIDContext(string(unit)))
	ua, err := loginByFingerprint(t, c, uctx, admin)
	if err != nil {
		t.Fatalf("subunit administrator login: %v", err)
	}
	// The administrator manages the subunit's permissions.
	op, err = ua.Permissions.GrantPersons(ctx, &ksef.PersonPermissionsGrantRequest{
		SubjectIdentifier: ident.Identifier{Type: ident.TypePesel, Value: string(ksef.RandomPESEL(nil))},
		Permissions:       []ksef.PersonPermissionType{ksef.PersonPermissionTypeInvoiceWrite},
		Description:       "branch clerk", SubjectDetails: ksef.PersonByIdentifier("Iga", "Sowa"),
	})
	waitGranted(t, ua, op, err)
	bad := *req
	bad.ContextIdentifier.Value = string(unit[:15]) + string(rune('0'+(int(unit[15]-'0')+1)%10))
	if _, err := ownerA.Permissions.GrantSubunitAdmin(ctx, &bad); err == nil {
		t.Error("a wrong check digit was sent")
	}

	// A VAT group with two members.
	group, m1, m2 := string(ksef.RandomNIP(nil)), string(ksef.RandomNIP(nil)), string(ksef.RandomNIP(nil))
	if err := c.TestData.CreateSubject(ctx, &ksef.SubjectCreateRequest{SubjectNip: group, SubjectType: ksef.SubjectVatGroup, Description: "grupa VAT",
		Subunits: []ksef.Subunit{{SubjectNip: m1, Description: "członek 1"}, {SubjectNip: m2, Description: "członek 2"}}}); err != nil {
		t.Fatal(err)
	}
	seal, err := credentials.NewSealNIP(group, &credentials.CertOptions{KeyType: credentials.ECP256})
	if err != nil {
		t.Fatal(err)
	}
	ga, err := c.Auth.LoginWithCertificate(ctx, nipContext(t, group), seal.Certificate, seal.Signer, &ksef.LoginParams{Wait: fastWait})
	if err != nil {
		t.Fatal(err)
	}
	roles := collect(t, ga.Permissions.QueryEntityRolesAll(ctx, nil))
	if len(roles) != 1 || roles[0].Role != ksef.EntityRoleTypeVatGroupUnit {
		t.Errorf("group roles: %+v", roles)
	}
	members := collect(t, ga.Permissions.QuerySubordinateEntityRolesAll(ctx, nil, nil))
	if len(members) != 2 || members[0].Role != ksef.SubordinateEntityRoleTypeVatGroupSubUnit {
		t.Errorf("members: %+v", members)
	}
	one, err := ga.Permissions.QuerySubordinateEntityRoles(ctx, &ksef.SubordinateEntityRolesQueryRequest{SubordinateEntityIdentifier: &ident.Identifier{Type: ident.TypeNip, Value: m2}}, nil)
	if err != nil || len(one.Roles) != 1 || one.Roles[0].SubordinateEntityIdentifier.Value != m2 {
		t.Errorf("member filter: %+v, %v", one, err)
	}
	madmin := string(ksef.RandomPESEL(nil))
	op, err = ga.Permissions.GrantSubunitAdmin(ctx, &ksef.SubunitPermissionsGrantRequest{
		SubjectIdentifier: ident.Identifier{Type: ident.TypePesel, Value: madmin},
		ContextIdentifier: ident.Identifier{Type: ident.TypeNip, Value: m1},
		Description:       "member administrator", SubjectDetails: ksef.PersonByIdentifier("Ala", "Kot"),
	})
	waitGranted(t, ga, op, err)
	// Not a member: wrong relation.
	op, err = ga.Permissions.GrantSubunitAdmin(ctx, &ksef.SubunitPermissionsGrantRequest{
		SubjectIdentifier: ident.Identifier{Type: ident.TypePesel, Value: madmin},
		ContextIdentifier: ident.Identifier{Type: ident.TypeNip, Value: owner.NIP},
		Description:       "not a member", SubjectDetails: ksef.PersonByIdentifier("Ala", "Kot"),
	})
	waitRefused(t, ga, op, err, 410)
	// A member's roles name the group.
	mseal, err := credentials.NewSealNIP(m1, &credentials.CertOptions{KeyType: credentials.ECP256})
	if err != nil {
		t.Fatal(err)
	}
	ma, err := c.Auth.LoginWithCertificate(ctx, nipContext(t, m1), mseal.Certificate, mseal.Signer, &ksef.LoginParams{Wait: fastWait})
	if err != nil {
		t.Fatal(err)
	}
	mroles, err := ma.Permissions.QueryEntityRoles(ctx, nil)
	if err != nil || len(mroles.Roles) != 1 || mroles.Roles[0].ParentEntityIdentifier == nil || mroles.Roles[0].ParentEntityIdentifier.Value != group {
		t.Errorf("member roles: %+v, %v", mroles, err)
	}
}

// TestE2EPermissionsEUEntity is workflows §J 77: an EU-entity
// administrator (fingerprint) in the NipVatUe context logs in by
// fingerprint and grants a representative; the owner lists the
// administrator's permissions from its Nip context and the administrator
// lists both from the NipVatUe context; the attachment status follows the
// opt-in (§C 28).
func TestE2EPermissionsEUEntity(t *testing.T) {
	sim, c := simClient(t)
	owner, ownerA := loginSeal(t, sim, c)
	ctx := t.Context()
	euCtx := ksef.MustContext(ksef.NipVatUeContext(owner.NIP + "-DE123456789"))
	admin, adminFP := newFingerprint(t)
	op, err := ownerA.Permissions.GrantEUEntityAdmin(ctx, &ksef.EuEntityAdministrationPermissionsGrantRequest{
		SubjectIdentifier: ident.Identifier{Type: ident.TypeFingerprint, Value: adminFP},
		ContextIdentifier: ident.Identifier{Type: ident.TypeNipVatUe, Value: euCtx.Value},
		Description:       "EU administrator", EuEntityName: "Muster GmbH, Berlin",
		SubjectDetails:  ksef.EUEntityByFingerprint("Muster GmbH", "Hauptstr. 1, Berlin"),
		EuEntityDetails: ksef.EuEntityDetails{FullName: "Muster GmbH", Address: "Hauptstr. 1, Berlin"},
	})
	waitGranted(t, ownerA, op, err)
	aa, err := loginByFingerprint(t, c, euCtx, admin)
	if err != nil {
		t.Fatalf("EU administrator login: %v", err)
	}
	rep, repFP := newFingerprint(t)
	op, err = aa.Permissions.GrantEUEntityRepresentative(ctx, &ksef.EuEntityPermissionsGrantRequest{
		SubjectIdentifier: ident.Identifier{Type: ident.TypeFingerprint, Value: repFP},
		Permissions:       []ksef.EuEntityPermissionType{ksef.EuEntityPermissionTypeInvoiceWrite},
		Description:       "EU representative",
		SubjectDetails:    ksef.EUPersonByFingerprintWithIdentifier("Hans", "Muster", ident.Identifier{Type: ident.TypePesel, Value: string(ksef.RandomPESEL(nil))}),
	})
	waitGranted(t, aa, op, err)
	if _, err := loginByFingerprint(t, c, euCtx, rep); err != nil {
		t.Errorf("EU representative login: %v", err)
	}
	fromOwner := collect(t, ownerA.Permissions.QueryEUEntitiesAll(ctx, nil, nil))
	if len(fromOwner) != 4 || fromOwner[0].VatUeIdentifier != "DE123456789" || fromOwner[0].EuEntityName != "Muster GmbH, Berlin" {
		t.Fatalf("owner's EU list: %+v", fromOwner)
	}
	fromEU := collect(t, aa.Permissions.QueryEUEntitiesAll(ctx, &ksef.EuEntityPermissionsQueryRequest{
		PermissionTypes: []ksef.EuEntityPermissionsQueryPermissionType{ksef.EuEntityPermissionsQueryPermissionTypeInvoiceWrite},
	}, nil))
	if len(fromEU) != 2 {
		t.Fatalf("InvoiceWrite in the EU context: %+v", fromEU)
	}
	// A grant to a context of another NIP: wrong relation.
	op, err = ownerA.Permissions.GrantEUEntityAdmin(ctx, &ksef.EuEntityAdministrationPermissionsGrantRequest{
		SubjectIdentifier: ident.Identifier{Type: ident.TypeFingerprint, Value: adminFP},
		ContextIdentifier: ident.Identifier{Type: ident.TypeNipVatUe, Value: string(ksef.RandomNIP(nil)) + "-FR12345678901"},
		Description:       "EU administrator", EuEntityName: "Autre SARL, Paris",
		SubjectDetails:  ksef.EUPersonByFingerprintWithoutIdentifier("Jean", "Dupont", "1970-05-06", ksef.IdDocument{Type: "passport", Number: "FR998877", Country: "FR"}),
		EuEntityDetails: ksef.EuEntityDetails{FullName: "Autre SARL", Address: "Paris"},
	})
	waitRefused(t, ownerA, op, err, 410)

	// Attachment status (§C 28) follows the opt-in.
	st, err := ownerA.Permissions.AttachmentStatus(ctx)
	if err != nil || st.IsAttachmentAllowed == nil || *st.IsAttachmentAllowed {
		t.Fatalf("attachment status before: %+v, %v", st, err)
	}
	sim.SetAttachmentsAllowed(owner.NIP, true)
	if st, err := ownerA.Permissions.AttachmentStatus(ctx); err != nil || !*st.IsAttachmentAllowed {
		t.Errorf("after opt-in: %+v, %v", st, err)
	}
	sim.SetAttachmentsAllowed(owner.NIP, false)
	if st, err := ownerA.Permissions.AttachmentStatus(ctx); err != nil || *st.IsAttachmentAllowed || st.RevokedDate == nil {
		t.Errorf("after revoke: %+v, %v", st, err)
	}
}
