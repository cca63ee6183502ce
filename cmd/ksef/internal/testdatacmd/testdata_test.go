package testdatacmd

import (
	"strings"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/internal/simtest"
)

func TestTestDataCommands(t *testing.T) {
	sim, base := simtest.Start(t)
	c := clitest.New(t, New)
	run := func(args ...string) string { return c.MustRun(append([]string{"--base-url", base}, args...)...) }
	group, member := string(ksef.RandomNIP(nil)), string(ksef.RandomNIP(nil))
	run("testdata", "subject", "create", "--nip", group, "--type", "vatgroup", "--description", "grupa VAT", "--subunit", member+"=członek grupy")
	if _, _, err := c.Run("--base-url", base, "testdata", "subject", "create", "--nip", group, "--type", "VatGroup", "--description", "grupa VAT"); err == nil ||
		!strings.Contains(err.Error(), "30001") {
		t.Errorf("duplicate subject: %v", err)
	}
	run("testdata", "subject", "remove", "--nip", group)
	pnip, pesel := string(ksef.RandomNIP(nil)), string(ksef.RandomPESEL(nil))
	run("testdata", "person", "create", "--nip", pnip, "--pesel", pesel, "--description", "osoba testowa", "--bailiff")
	run("testdata", "person", "remove", "--nip", pnip)

	id, err := sim.NewTestIdentity()
	if err != nil {
		t.Fatal(err)
	}
	fp, err := credentials.NewFingerprintOnly(&credentials.CertOptions{KeyType: credentials.ECP256})
	if err != nil {
		t.Fatal(err)
	}
	cl, err := ksef.NewClient(ksef.WithBaseURL(base))
	if err != nil {
		t.Fatal(err)
	}
	login := func() error {
		_, err := cl.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(id.NIP)), fp.Certificate, fp.Signer,
			&ksef.LoginParams{SubjectIdentifierType: ksef.AuthSubjectCertificateFingerprint, Wait: &ksef.WaitOptions{MinDelay: 5e6}})
		return err
	}
	run("testdata", "grant", "--context", id.NIP, "--fingerprint", strings.ToLower(fp.Fingerprint()), "--permission", "invoiceread")
	if err := login(); err != nil {
		t.Fatalf("login after grant: %v", err)
	}
	run("testdata", "revoke", "--context", id.NIP, "--fingerprint", fp.Fingerprint())
	if err := login(); err == nil {
		t.Error("login after revoke")
	}
	run("testdata", "attachments", "enable", "--nip", id.NIP)
	if ok := sim.AttachmentsAllowed(id.NIP); !ok {
		t.Error("attachments not enabled")
	}
	run("testdata", "attachments", "revoke", "--nip", id.NIP)
	if ok := sim.AttachmentsAllowed(id.NIP); ok {
		t.Error("attachments not revoked")
	}
	out := run("testdata", "block", "--context", id.NIP, "-o", "json")
	if !strings.Contains(out, "blocked") {
		t.Errorf("block output %s", out)
	}
	if _, err := cl.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Signer, nil); err == nil {
		t.Error("login into a blocked context")
	}
	run("testdata", "unblock", "--context", id.NIP)
	if _, err := cl.Auth.LoginWithCertificate(t.Context(), ksef.MustContext(ksef.NIPContext(id.NIP)), id.Certificate, id.Signer, nil); err != nil {
		t.Errorf("login after unblock: %v", err)
	}
	if comp := c.MustRun("__complete", "testdata", "subject", "create", "--type", ""); !strings.Contains(comp, "VatGroup") || !strings.Contains(comp, "JST") {
		t.Errorf("completion:\n%s", comp)
	}
}
