package certcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ksef2/ksef"
	"github.com/ksef2/ksef/cmd/ksef/internal/authcmd"
	"github.com/ksef2/ksef/cmd/ksef/internal/clitest"
	"github.com/ksef2/ksef/credentials"
	"github.com/ksef2/ksef/internal/simtest"
)

// TestCertEnrollAndLogIn: `ksef cert enroll` writes an encrypted key, the
// certificate and a PKCS#12 file; `ksef auth login` logs in with both;
// list, revoke, and the revoked certificate no longer logs in.
func TestCertEnrollAndLogIn(t *testing.T) {
	sim, base := simtest.Start(t)
	c := clitest.New(t, authcmd.New, New)
	nip, _ := c.LogIn(sim, base, "default")
	c.Env["KSEF_KEY_PASSWORD"] = "tajne hasło"
	dir := t.TempDir()
	certFile, keyFile, p12 := filepath.Join(dir, "ksef.crt"), filepath.Join(dir, "ksef.key"), filepath.Join(dir, "ksef.p12")

	data := clitest.DecodeJSON[ksef.CertificateEnrollmentDataResponse](t, c.MustRun("cert", "data", "-o", "json"))
	if data.OrganizationIdentifier != "VATPL-"+nip {
		t.Fatalf("data: %+v", data)
	}
	res := clitest.DecodeJSON[EnrollResult](t, c.MustRun("cert", "enroll", "--type", "authentication", "--name", "Certyfikat CLI",
		"--cert-out", certFile, "--key-out", keyFile, "--p12", p12, "-o", "json"))
	if len(res.SerialNumber) != 16 || res.Type != "Authentication" {
		t.Fatalf("enroll: %+v", res)
	}
	keyPEM := clitest.MustRead(t, keyFile)
	if !strings.Contains(string(keyPEM), "ENCRYPTED PRIVATE KEY") {
		t.Error("the key was written unencrypted although a password was given")
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode: %v %v", fi, err)
	}
	creds, err := credentials.LoadPKCS12File(p12, "tajne hasło")
	if err != nil {
		t.Fatal(err)
	}
	if strings.ToUpper(creds.Certificate.SerialNumber.Text(16)) != strings.TrimLeft(res.SerialNumber, "0") {
		t.Errorf("PKCS#12 holds serial %X, want %s", creds.Certificate.SerialNumber, res.SerialNumber)
	}

	// The new certificate logs in (PEM, then PKCS#12) to another profile.
	c.MustRun("--profile", "kc", "auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, "--nip", nip)
	c.MustRun("--profile", "kc12", "auth", "login", "--base-url", base, "--p12", p12, "--nip", nip)

	list := clitest.DecodeJSON[ListResult](t, c.MustRun("cert", "list", "--status", "active", "-o", "json"))
	if len(list.Certificates) != 1 || list.Certificates[0].CertificateSerialNumber != res.SerialNumber {
		t.Fatalf("list: %+v", list)
	}
	lim := clitest.DecodeJSON[ksef.CertificateLimitsResponse](t, c.MustRun("cert", "limits", "-o", "json"))
	if lim.Certificate.Remaining != lim.Certificate.Limit-1 {
		t.Errorf("limits: %+v", lim)
	}
	c.MustRun("cert", "revoke", res.SerialNumber, "--reason", "superseded")
	if _, _, err := c.Run("--profile", "kc2", "auth", "login", "--base-url", base, "--cert", certFile, "--key", keyFile, "--nip", nip); err == nil {
		t.Error("the revoked certificate logged in")
	}
	if comp := c.MustRun("__complete", "cert", "enroll", "--type", ""); !strings.Contains(comp, "Authentication") || !strings.Contains(comp, "Offline") {
		t.Errorf("completion:\n%s", comp)
	}
	if _, _, err := c.Run("cert", "enroll", "--type", "offline", "--name", "Bez plików"); err == nil {
		t.Error("enroll without output files accepted")
	}
}
