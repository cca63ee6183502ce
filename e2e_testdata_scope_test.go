package ksef_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/ident"
)

// TestE2ETestDataScope runs workflows §M 95-97: a VAT group with a
// subunit, a bailiff person, test permissions, attachments, a context
// block and limit overrides made through a TestDataScope take effect, and
// Close undoes all of them (and nothing it did not create).
func TestE2ETestDataScope(t *testing.T) {
	sim, c := simClient(t)
	id, a := loginSeal(t, sim, c)
	ctx := t.Context()

	// Data that exists before the scope stays after it.
	pre := string(ksef.RandomNIP(nil))
	if err := c.TestData.CreateSubject(ctx, &ksef.SubjectCreateRequest{SubjectNip: pre, SubjectType: ksef.SubjectJST, Description: "istniejący JST"}); err != nil {
		t.Fatal(err)
	}

	sc := c.TestData.Temporary()
	group, member := string(ksef.RandomNIP(nil)), string(ksef.RandomNIP(nil))
	if err := sc.CreateSubject(ctx, &ksef.SubjectCreateRequest{SubjectNip: group, SubjectType: ksef.SubjectVatGroup, Description: "grupa VAT",
		Subunits: []ksef.Subunit{{SubjectNip: member, Description: "członek grupy"}}}); err != nil {
		t.Fatal(err)
	}
	if err := sc.CreateSubject(ctx, &ksef.SubjectCreateRequest{SubjectNip: pre, SubjectType: ksef.SubjectJST, Description: "istniejący JST"}); !ksef.IsCode(err, ksef.CodeAlreadyExists) {
		t.Errorf("existing subject: %v", err)
	}
	personNIP, pesel := string(ksef.RandomNIP(nil)), string(ksef.RandomPESEL(nil))
	if err := sc.CreatePerson(ctx, &ksef.PersonCreateRequest{Nip: personNIP, Pesel: pesel, IsBailiff: true, Description: "komornik testowy"}); err != nil {
		t.Fatal(err)
	}
	seal, err := credentials.NewSealNIP(string(ksef.RandomNIP(nil)), &credentials.CertOptions{KeyType: credentials.ECP256})
	if err != nil {
		t.Fatal(err)
	}
	who := ksef.TestDataAuthorizedIdentifier{Type: ident.TypeNip, Value: credentials.Identity(seal.Certificate).Value}
	if err := sc.GrantPermissions(ctx, &ksef.TestDataPermissionsGrantRequest{
		ContextIdentifier:    ksef.TestDataContextIdentifier{Type: ident.TypeNip, Value: id.NIP},
		AuthorizedIdentifier: who,
		Permissions:          []ksef.TestDataPermission{{PermissionType: ksef.TestDataPermInvoiceRead, Description: "odczyt faktur"}},
	}); err != nil {
		t.Fatal(err)
	}
	if err := sc.EnableAttachments(ctx, id.NIP); err != nil {
		t.Fatal(err)
	}
	blocked := string(ksef.RandomNIP(nil))
	if err := sc.BlockContext(ctx, ksef.MustContext(ksef.NIPContext(blocked))); err != nil {
		t.Fatal(err)
	}
	limits := &ksef.SetSessionLimitsRequest{
		OnlineSession:        ksef.OnlineSessionContextLimitsOverride{MaxInvoiceSizeInMB: 1, MaxInvoiceWithAttachmentSizeInMB: 3, MaxInvoices: 7},
		BatchSession:         ksef.BatchSessionContextLimitsOverride{MaxInvoiceSizeInMB: 1, MaxInvoiceWithAttachmentSizeInMB: 3, MaxInvoices: 7},
		CollectiveIdentifier: ksef.CollectiveIdentifierContextLimitsOverride{MaxInvoices: 7},
	}
	if err := sc.SetSessionLimits(ctx, a, limits); err != nil {
		t.Fatal(err)
	}
	if err := sc.SetRateLimits(ctx, a, ksef.RateLimitsOverride(map[ksef.RateLimitGroup]ksef.RateLimit{ksef.GroupOther: {100, 1000, 10000}})); err != nil {
		t.Fatal(err)
	}
	seven := int32(7)
	if err := sc.SetCertificateLimits(ctx, a, &ksef.SetSubjectLimitsRequest{Enrollment: &ksef.EnrollmentSubjectLimitsOverride{MaxEnrollments: &seven}}); err != nil {
		t.Fatal(err)
	}
	if got := len(sc.Pending()); got != 8 {
		t.Errorf("pending clean-up steps: %d, want 8: %q", got, sc.Pending())
	}

	// The changes are in effect.
	login := func(nip string, cred *credentials.Credentials) error {
		_, err := c.Auth.LoginWithCertificate(ctx, ksef.MustContext(ksef.NIPContext(nip)), cred.Certificate, cred.Signer, &ksef.LoginParams{Wait: fastWait})
		return err
	}
	if err := login(id.NIP, seal); err != nil {
		t.Errorf("granted subject cannot log in: %v", err)
	}
	blockedSeal, _ := credentials.NewSealNIP(blocked, &credentials.CertOptions{KeyType: credentials.ECP256})
	if err := login(blocked, blockedSeal); !errors.Is(err, ksef.ErrAuthBlocked) {
		t.Errorf("blocked context: %v", err)
	}
	if ok := sim.AttachmentsAllowed(id.NIP); !ok {
		t.Error("attachments not enabled")
	}
	if l, err := a.Limits.Context(ctx); err != nil || l.OnlineSession.MaxInvoices != 7 {
		t.Errorf("context limits: %+v %v", l, err)
	}
	if err := c.TestData.CreateSubject(ctx, &ksef.SubjectCreateRequest{SubjectNip: group, SubjectType: ksef.SubjectVatGroup, Description: "grupa VAT"}); !ksef.IsCode(err, ksef.CodeAlreadyExists) {
		t.Errorf("group exists: %v", err)
	}

	if err := sc.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if err := sc.Close(ctx); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := sc.CreatePerson(ctx, &ksef.PersonCreateRequest{Nip: personNIP, Pesel: pesel, Description: "po zamknięciu"}); err == nil {
		t.Error("scope used after Close")
	}

	// Everything is undone, and only that.
	if err := login(id.NIP, seal); !errors.Is(err, ksef.ErrAuthNoPermissions) {
		t.Errorf("permissions not revoked: %v", err)
	}
	if err := login(blocked, blockedSeal); errors.Is(err, ksef.ErrAuthBlocked) {
		t.Errorf("context still blocked: %v", err)
	}
	if ok := sim.AttachmentsAllowed(id.NIP); ok {
		t.Error("attachments still enabled")
	}
	if l, err := a.Limits.Context(ctx); err != nil || l.OnlineSession.MaxInvoices == 7 {
		t.Errorf("context limits not reset: %+v %v", l, err)
	}
	if rl, err := a.Limits.RateLimits(ctx); err != nil || rl.Other.PerSecond != 10 {
		t.Errorf("rate limits not reset: %+v %v", rl, err)
	}
	if sl, err := a.Limits.Subject(ctx); err != nil || *sl.Enrollment.MaxEnrollments != 300 {
		t.Errorf("certificate limits not reset: %+v %v", sl, err)
	}
	for _, nip := range []string{group} {
		if err := c.TestData.CreateSubject(ctx, &ksef.SubjectCreateRequest{SubjectNip: nip, SubjectType: ksef.SubjectVatGroup, Description: "ponownie"}); err != nil {
			t.Errorf("subject %s not removed: %v", nip, err)
		}
	}
	if err := c.TestData.CreatePerson(ctx, &ksef.PersonCreateRequest{Nip: personNIP, Pesel: pesel, Description: "ponownie"}); err != nil {
		t.Errorf("person not removed: %v", err)
	}
	if err := c.TestData.CreateSubject(ctx, &ksef.SubjectCreateRequest{SubjectNip: pre, SubjectType: ksef.SubjectJST, Description: "istniejący JST"}); !ksef.IsCode(err, ksef.CodeAlreadyExists) {
		t.Errorf("a subject the scope did not create was removed: %v", err)
	}
}

// TestE2ETestDataScopeFailureAndPanic: RunTemporary cleans up after fn
// fails and after it panics (the panic goes on).
func TestE2ETestDataScopeFailureAndPanic(t *testing.T) {
	_, c := simClient(t)
	ctx := t.Context()
	nip := string(ksef.RandomNIP(nil))
	create := func(sc *ksef.TestDataScope) error {
		return sc.CreateSubject(ctx, &ksef.SubjectCreateRequest{SubjectNip: nip, SubjectType: ksef.SubjectJST, Description: "tymczasowy"})
	}
	boom := errors.New("test step failed")
	err := c.TestData.RunTemporary(ctx, func(sc *ksef.TestDataScope) error {
		if err := create(sc); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("RunTemporary: %v", err)
	}
	// Removed: it can be created again, in a scope that then panics.
	var recovered any
	func() {
		defer func() { recovered = recover() }()
		_ = c.TestData.RunTemporary(ctx, func(sc *ksef.TestDataScope) error {
			if err := create(sc); err != nil {
				t.Errorf("after the failed scope: %v", err)
			}
			panic(fmt.Sprint("panic in a test"))
		})
	}()
	if recovered != "panic in a test" {
		t.Errorf("recovered %v", recovered)
	}
	if err := c.TestData.CreateSubject(ctx, &ksef.SubjectCreateRequest{SubjectNip: nip, SubjectType: ksef.SubjectJST, Description: "po panice"}); err != nil {
		t.Errorf("not removed after the panic: %v", err)
	}
}

// TestE2EPeppolProviders runs workflows §O 104 and §C 31 (listing): the
// public list with pageOffset/pageSize paging, including a provider that
// authenticated in its PeppolId context.
func TestE2EPeppolProviders(t *testing.T) {
	sim, c := simClient(t)
	ctx := t.Context()
	for i := range 11 {
		if err := sim.AddPeppolProvider(fmt.Sprintf("PPL%06d", i), fmt.Sprintf("Dostawca %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	fp, err := credentials.NewFingerprintOnly(&credentials.CertOptions{KeyType: credentials.ECP256})
	if err != nil {
		t.Fatal(err)
	}
	pctx := ksef.MustContext(ksef.PeppolIDContext("PDE123456"))
	if err := sim.GrantPermissions(pctx, ksef.TestDataAuthorizedIdentifier{Type: ident.TypeFingerprint, Value: credentials.Fingerprint(fp.Certificate)}, ksef.TestDataPermInvoiceRead); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Auth.LoginWithCertificate(ctx, pctx, fp.Certificate, fp.Signer, &ksef.LoginParams{Wait: fastWait, SubjectIdentifierType: ksef.AuthSubjectCertificateFingerprint}); err != nil {
		t.Fatal(err)
	}
	first, err := c.Peppol.Providers(ctx, &ksef.PeppolPage{PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.PeppolProviders) != 10 || !first.HasMore {
		t.Fatalf("first page: %d providers, hasMore %v", len(first.PeppolProviders), first.HasMore)
	}
	seen := map[string]bool{}
	for p, err := range c.Peppol.ProvidersAll(ctx, &ksef.PeppolPage{PageSize: 10}) {
		if err != nil {
			t.Fatal(err)
		}
		if seen[p.ID] {
			t.Errorf("%s listed twice", p.ID)
		}
		seen[p.ID] = true
	}
	if len(seen) != 12 || !seen["PDE123456"] || !seen["PPL000010"] {
		t.Errorf("providers: %v", seen)
	}
	if _, err := c.Peppol.Providers(ctx, &ksef.PeppolPage{PageSize: 101}); err == nil {
		t.Error("page size 101 sent")
	}
	if err := sim.AddPeppolProvider("X1", "zły"); err == nil {
		t.Error("bad Peppol ID accepted")
	}
}
